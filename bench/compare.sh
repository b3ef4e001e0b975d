#!/usr/bin/env bash
# The performance and int8 issues' rows, tensorfield and the reference side by side in one run, for one thread count:
#   bash bench/compare.sh T [baselines-dir]
# baselines-dir: a copy of ../shared/baselines (train_bench.py and sample_bench.py import its models.py; its
# make_onnx.py writes the ONNX models for onnxruntime-node). PyTorch: apt-get install -y python3-torch
# libopenblas0-pthread, run with /usr/bin/python3. onnxruntime-node: see bench/int8_compare.mjs.
# IM2COL=1 also times the conv rows with TENSORFIELD_CONV=im2col (the path before Winograd, same build);
# SKIP_INT8=1 leaves out the int8 rows.
set -euo pipefail
T=${1:-1}
BASE=${2:-/tmp/baselines}
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=$T TENSORFIELD_NUM_THREADS=$T
py=/usr/bin/python3
echo "# $(date -u +%FT%TZ) | $(node -p "require('./dist/index.js').info().cpu") | $T thread(s)"
echo "## fp32 GEMM"; node bench/gemm.mjs "$T"; $py bench/gemm_torch.py "$T" 2>/dev/null
echo "## training steps"
node bench/train.mjs mlp "$T" 30; (cd "$BASE" && $py train_bench.py mlp "$T" --budget 10 2>/dev/null | tail -1)
node bench/train.mjs conv "$T" 8; (cd "$BASE" && $py train_bench.py conv "$T" --budget 25 --min-steps 8 2>/dev/null | tail -1)
if [ "${IM2COL:-0}" = 1 ]; then echo "# im2col:"; TENSORFIELD_CONV=im2col node bench/train.mjs conv "$T" 8; fi
echo "## sampling"
node bench/sample.mjs "$T" 2; (cd "$BASE" && $py sample_bench.py "$T" --runs 1 2>/dev/null | tail -1)
if [ -d "${ORT_DIR:-/tmp/ort/node_modules/onnxruntime-node}" ] && [ -f "$BASE/models/conv_denoiser_b256.onnx" ]; then
  (cd "$BASE" && NODE_PATH="$(dirname "${ORT_DIR:-/tmp/ort/node_modules/onnxruntime-node}")" node ort_sample.js "$T" "" 1 2>/dev/null | tail -1)
fi
if [ "${IM2COL:-0}" = 1 ]; then echo "# im2col:"; TENSORFIELD_CONV=im2col node bench/sample.mjs "$T" 1; fi
echo "## tiny op"; node bench/tiny_op.mjs; $py bench/tiny_op_torch.py 2>/dev/null
[ "${SKIP_INT8:-0}" = 1 ] && exit 0
echo "## int8"
ORT=${ORT_DIR:-/tmp/ort/node_modules/onnxruntime-node} ORT_MODELS="$BASE/models" node bench/int8_compare.mjs "$T"
$py bench/int8_torch.py "$T" 2>/dev/null
node bench/int8_gemm.mjs "$T"
node bench/int8_unet.mjs "$T"
