#!/usr/bin/env bash
# Training-seed spread of the 4-bit Fashion-MNIST 14x14 U-Net run (issue 24): the 8000-step configuration of
# fashion14-4bit-unet-s0-8000 (16 channels, batch 32, Adam 1e-3, paper defaults, T = 200, tEnd 10), trained straight
# to 8000 steps from training seeds that no earlier run used (1, 2: held out), evaluated like the seed-0 run
# (n = 600, 100 steps, bridge and tau, sampling seed 1234) against the unchanged scripts/blackout/criteria.json.
# Results: lib/models/blackout/results/fashion14-4bit-unet-s<seed>-8000.json.
#   npm run build:ts && bash scripts/blackout/fashion14-seeds.sh [run root] [seeds...]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-runs}; shift || true
SEEDS=${*:-1 2}
export TENSORFIELD_NUM_THREADS=1
for s in $SEEDS; do
  out=$RUNS/bo-f14-s$s-8000
  echo "train seed $s start $(date -u +%FT%TZ)"
  node dist/cli/main.js train --method blackout --data fashion14-4bit --T 200 --tEnd 10 --net unet --channels 16 \
    --lr 1e-3 --batch 32 --steps 8000 --seed $s --threads 1 --samples 16 --sampleSteps 100 --out $out
  echo "eval seed $s start $(date -u +%FT%TZ)"
  node scripts/blackout/evaluate-run.js $out --name fashion14-4bit-unet-s$s-8000 --n 600 --steps 100 --samplers bridge,tau
  echo "seed $s end $(date -u +%FT%TZ)"
done
echo BLACKOUT SEEDS DONE
