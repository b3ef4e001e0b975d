#!/usr/bin/env bash
# Fashion-MNIST 14x14: end-to-end (B = 1) and B = 4 at equal layer-updates, then FD_cls over 3 sample draws of
# n = 5000 each (scripts/diffusion-blocks/criteria-fashion.json). Results: lib/models/diffusion-blocks/results/fashion-*.json.
#   npm run build:ts && bash scripts/diffusion-blocks/fashion.sh [dist]
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-dist}
export TENSORFIELD_NUM_THREADS=1
R=lib/models/diffusion-blocks/results
COMMON="--method dblocks --data fashion14 --width 512 --emb-dim 512 --layers 12 --batch 128 --seed 11 --samples 256 --threads 1 --sample-steps 32"
for cfg in "e2e 1 2500" "b4 4 10000"; do
  set -- $cfg
  out=runs/dblocks-fashion-$1-s11
  node $D/cli/main.js train $COMMON --blocks $2 --steps $3 --out $out
  cp $out/metrics.json $R/fashion-$1-s11-train.json
  for s in 1011 1012 1013; do
    node $D/cli/main.js eval --run $out --n 5000 --seed $s --floor-draws 0
    cp $out/metrics.json $R/fashion-$1-s11-draw$s.json
  done
done
echo FASHION DONE
