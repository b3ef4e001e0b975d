#!/usr/bin/env bash
# Class-conditional DiffusionBlocks on Fashion-MNIST 14x14 with classifier-free guidance (issue 20's "no guided-sampling
# result"): end to end and B = 4 at equal layer-updates, label dropout 0.1, then scripts/diffusion-blocks/guided-eval.js
# at guidance 1 and 2 (criteria: scripts/diffusion-blocks/criteria-guided.json, fixed before the runs).
#   npm run build:ts && bash scripts/diffusion-blocks/guided.sh [dist] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-dist}
RUNS=${2:-runs}
export TENSORFIELD_NUM_THREADS=1
R=lib/models/diffusion-blocks/results
COMMON="--method dblocks --data fashion14 --width 512 --emb-dim 512 --layers 12 --batch 128 --seed 21 --samples 64 --threads 1 --sample-steps 32 --conditional true --label-dropout 0.1"
for cfg in "e2e 1 2500" "b4 4 10000"; do
  set -- $cfg
  out=$RUNS/dblocks-guided-$1-s21
  echo "train $1 start $(date -u +%FT%TZ)"
  node $D/cli/main.js train $COMMON --blocks $2 --steps $3 --out $out
  node scripts/diffusion-blocks/guided-eval.js $R/guided-$1-s21.json $out --n 5000 --guidance 1,2 --seeds 1021,1022,1023 --dist $D
done
echo "GUIDED DONE $(date -u +%FT%TZ)"
