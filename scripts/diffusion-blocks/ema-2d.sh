#!/usr/bin/env bash
# The 2-D experiment with the per-block weight average (criteria-ema.json): one shard of the held-out runs.
#   npm run build:ts && bash scripts/diffusion-blocks/ema-2d.sh "14 15" & bash scripts/diffusion-blocks/ema-2d.sh "16"
set -euo pipefail
cd "$(dirname "$0")/../.."
export TENSORFIELD_NUM_THREADS=1
E=(--emaSigmaRel 0.05)
for s in $1; do
  node scripts/diffusion-blocks/experiment-2d.js e2e-ema-s$s --blocks 1 --seed $s "${E[@]}"
  node scripts/diffusion-blocks/experiment-2d.js b3-ema-s$s --blocks 3 --seed $s "${E[@]}"
  node scripts/diffusion-blocks/experiment-2d.js b4-ema-s$s --blocks 4 --seed $s "${E[@]}"
  node scripts/diffusion-blocks/experiment-2d.js b4-g0-ema-s$s --blocks 4 --overlap 0 --seed $s "${E[@]}"
  node scripts/diffusion-blocks/experiment-2d.js b4-uni-g0-ema-s$s --blocks 4 --overlap 0 --partition uniform --seed $s "${E[@]}"
done
echo "EMA 2D [$1] DONE $(date -u +%FT%TZ)"
