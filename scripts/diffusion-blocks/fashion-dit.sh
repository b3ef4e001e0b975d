#!/usr/bin/env bash
# Fashion-MNIST 14x14 with the DiT denoiser (--arch dit): end-to-end (B = 1) and B = 4 at equal layer-updates, then
# FD_cls over 3 sample draws of n = 5000 each (scripts/diffusion-blocks/criteria-fashion-dit.json). The eval draws are
# interleaved (draw s of both models before draw s+1) so that a stopped run leaves matched draws.
# Results: lib/models/diffusion-blocks/results/fashion-dit-*.json, grids: figures/fashion-dit-*-samples.png.
#   npm run build:ts && bash scripts/diffusion-blocks/fashion-dit.sh [dist] [run root]
# The DiT's size comes from the environment (defaults: the first run, criteria-fashion-dit.json); TAG names the
# results (fashion-$TAG-*). The second run, 2 DiT blocks per noise block (criteria-fashion-dit8.json):
#   TAG=dit8 LAYERS=8 bash scripts/diffusion-blocks/fashion-dit.sh dist /work/runs
# SEED sets the training seed (default 11); the second training seed of that run (criteria-fashion-dit8-s12.json):
#   TAG=dit8 LAYERS=8 SEED=12 bash scripts/diffusion-blocks/fashion-dit.sh dist /work/runs
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-dist}
RUNS=${2:-runs}
export TENSORFIELD_NUM_THREADS=1
R=lib/models/diffusion-blocks/results
F=lib/models/diffusion-blocks/figures
TAG=${TAG:-dit}
SEED=${SEED:-11}
COMMON="--method dblocks --data fashion14 --arch dit --patch 2 --heads ${HEADS:-2} --width ${WIDTH:-32} --emb-dim 32 --layers ${LAYERS:-4} --batch 128 --seed $SEED --samples 256 --threads 1 --sample-steps 32"
for cfg in "e2e 1 1500" "b4 4 6000"; do
  set -- $cfg
  out=$RUNS/dblocks-fashion-$TAG-$1-s$SEED
  echo "train $1 start $(date -u +%FT%TZ)"
  node $D/cli/main.js train $COMMON --blocks $2 --steps $3 --out $out
  echo "train $1 end $(date -u +%FT%TZ)"
  cp $out/metrics.json $R/fashion-$TAG-$1-s$SEED-train.json
  cp $out/samples.png $F/fashion-$TAG-$1-s$SEED-samples.png
done
for s in 1011 1012 1013; do
  for c in e2e b4; do
    out=$RUNS/dblocks-fashion-$TAG-$c-s$SEED
    echo "eval $c $s start $(date -u +%FT%TZ)"
    node $D/cli/main.js eval --run $out --n 5000 --seed $s --floor-draws 0
    echo "eval $c $s end $(date -u +%FT%TZ)"
    cp $out/metrics.json $R/fashion-$TAG-$c-s$SEED-draw$s.json
  done
done
echo "FASHION $TAG DONE"
