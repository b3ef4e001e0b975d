#!/usr/bin/env bash
# 8x8 digits with a differently conditioned rate network (issue 24). Fixed before the run, with the unchanged
# scripts/blackout/criteria.json: the Blackout digits runs' protocol (paper defaults: instantaneous weight, softplus
# link; T = 200, tEnd 10; 20000 steps, batch 256, Adam 1e-3, clip 1, power EMA gamma 7; training seed 0; evaluated
# with bridge / tau / bridge-sr at 200 steps, n = 2000, sampling seed 1234) with one change, chosen by reasoning and
# not from any result of it: the rate network is the FiLM residual MLP (`--net resmlp`: every layer reads the
# embedding of k through a scale and shift, where MLPDenoiser sees k only at its input; the rate it must learn
# varies by orders of magnitude over k), width 256, 2 layers, embedding 128: 437k parameters against the plain
# MLP's 394k. One run; its verdict stands whatever it is. Then the Gaussian EDM control with the same body.
# Results: lib/models/blackout/results/digits-resmlp-s0.json, digits-edm-control-resmlp256-s0.json.
#   npm run build:ts && bash scripts/blackout/digits-resmlp.sh [run root]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-runs}
export TENSORFIELD_NUM_THREADS=1
out=$RUNS/bo-digits-resmlp-s0
echo "train start $(date -u +%FT%TZ)"
node dist/cli/main.js train --method blackout --data digits8 --T 200 --tEnd 10 --net resmlp --hidden 256 --layers 2 \
  --embDim 128 --lr 1e-3 --batch 256 --steps 20000 --seed 0 --threads 1 --samples 16 --out $out
echo "eval start $(date -u +%FT%TZ)"
node scripts/blackout/evaluate-run.js $out --name digits-resmlp-s0 --n 2000 --seed 1234
echo "control start $(date -u +%FT%TZ)"
node scripts/blackout/digits-edm-control.js --net resmlp --hidden 256
echo "DIGITS RESMLP DONE $(date -u +%FT%TZ)"
