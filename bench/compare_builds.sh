#!/usr/bin/env bash
# Two builds of tensorfield and PyTorch side by side in one run, interleaved, for one thread count: the check that a
# change slowed no row of bench/RESULTS.md (issue 18: no row more than 3 % slower).
#   bash bench/compare_builds.sh OLD_CHECKOUT T [baselines-dir]
# OLD_CHECKOUT: a built checkout of the earlier commit (git worktree add DIR COMMIT; node-gyp rebuild; tsc).
# PyTorch runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (on AVX-512 machines they pin OpenBLAS to its
# Haswell kernels); bench/../shared/baselines/blasinfo.py prints the kernel it then uses.
set -euo pipefail
OLD=$1
T=${2:-1}
BASE=${3:-/tmp/baselines}
NEW="$(cd "$(dirname "$0")/.." && pwd)"
export OMP_NUM_THREADS=$T TENSORFIELD_NUM_THREADS=$T
py() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$@"; }
echo "# $(date -u +%FT%TZ) | $(node -p "require('$NEW/dist/index.js').info().cpu") | $T thread(s)"
echo "# old: $(git -C "$OLD" rev-parse --short HEAD) | new: $(git -C "$NEW" rev-parse --short HEAD)$(git -C "$NEW" diff --quiet || echo '+dirty')"
(cd "$BASE" && py blasinfo.py 2>/dev/null | tail -1)
for round in 1 2; do
  echo "## round $round"
  for b in old new; do d=$([ $b = old ] && echo "$OLD" || echo "$NEW"); echo "# $b"
    node "$d/bench/tiny_op.mjs"
    node "$d/bench/gemm.mjs" "$T"
    node "$d/bench/train.mjs" mlp "$T" 30
    node "$d/bench/train.mjs" conv "$T" 8
    node "$d/bench/sample.mjs" "$T" 1
    node "$d/bench/int8_gemm.mjs" "$T"
  done
  echo "# pytorch"
  py "$NEW/bench/tiny_op_torch.py" 2>/dev/null
  py "$NEW/bench/gemm_torch.py" "$T" 2>/dev/null
  (cd "$BASE" && py train_bench.py mlp "$T" --budget 10 2>/dev/null | tail -1)
  (cd "$BASE" && py train_bench.py conv "$T" --budget 25 --min-steps 8 2>/dev/null | tail -1)
  (cd "$BASE" && py sample_bench.py "$T" --runs 1 2>/dev/null | tail -1)
done
