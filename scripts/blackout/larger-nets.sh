#!/usr/bin/env bash
# Larger rate networks on fresh seeds (issue 24), fixed before the runs, criteria unchanged (scripts/blackout/criteria.json).
# Both configurations were chosen AFTER seeing the earlier runs on the same test splits (digits: the resmlp run's
# TV and bound-2 misses; Fashion: the 16-channel U-Net's TV misses of 0.081-0.083), so neither is a blind result;
# to keep the seeds held out, both train from training seeds no earlier run used and are evaluated with the usual
# sampling seed 1234 and a fresh one, 4321 (both reported, each judged):
#   digits:  --net resmlp --hidden 512 (2 FiLM layers, embedding 128), training seed 1, else as digits-resmlp.sh;
#   Fashion 14x14 4-bit: the U-Net at 32 base channels (the network's default; 16 before), training seed 3, else
#            as fashion14-seeds.sh (8000 steps, batch 32, n = 600, 100 steps, bridge and tau).
# Results: lib/models/blackout/results/{digits-resmlp512-s1,fashion14-4bit-unet32-s3-8000}-seed{1234,4321}.json.
#   npm run build:ts && bash scripts/blackout/larger-nets.sh digits|fashion [run root] [fashion training seed, default 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
WHICH=$1
RUNS=${2:-runs}
export TENSORFIELD_NUM_THREADS=1
if [ "$WHICH" = digits ]; then
  out=$RUNS/bo-digits-resmlp512-s1
  echo "train start $(date -u +%FT%TZ)"
  node dist/cli/main.js train --method blackout --data digits8 --T 200 --tEnd 10 --net resmlp --hidden 512 --layers 2 \
    --embDim 128 --lr 1e-3 --batch 256 --steps 20000 --seed 1 --threads 1 --samples 16 --out $out
  for s in 1234 4321; do
    echo "eval $s start $(date -u +%FT%TZ)"
    node scripts/blackout/evaluate-run.js $out --name digits-resmlp512-s1-seed$s --n 2000 --seed $s
  done
else
  # fashion [seed]: training seed 3 (the first run), or another for its spread (4: fixed after seeing seed 3 pass
  # narrowly, TV 0.0786 / 0.0779 against 0.08, and before running seed 4; judged the same way)
  S=${3:-3}
  out=$RUNS/bo-f14-unet32-s$S-8000
  echo "train start $(date -u +%FT%TZ)"
  node dist/cli/main.js train --method blackout --data fashion14-4bit --T 200 --tEnd 10 --net unet --channels 32 \
    --lr 1e-3 --batch 32 --steps 8000 --seed $S --threads 1 --samples 16 --sampleSteps 100 --out $out
  for s in 1234 4321; do
    echo "eval $s start $(date -u +%FT%TZ)"
    node scripts/blackout/evaluate-run.js $out --name fashion14-4bit-unet32-s$S-8000-seed$s --n 600 --steps 100 --samplers bridge,tau --seed $s
  done
fi
echo "LARGER $WHICH DONE $(date -u +%FT%TZ)"
