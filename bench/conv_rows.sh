#!/usr/bin/env bash
# The convolution rows of the performance issue (training and sampling) against PyTorch and onnxruntime-node,
# 1 and 2 threads, back to back. BASE: a copy of ../shared/baselines with its ONNX models made; ORT_MODULES:
# where onnxruntime-node is installed. Run: bash bench/conv_rows.sh
set -e
cd "$(dirname "$0")/.."
for T in 1 2; do
  export OMP_NUM_THREADS=$T TENSORFIELD_NUM_THREADS=$T
  echo "## T=$T"
  node bench/train.mjs conv $T 8
  (cd ${BASE:-/tmp/baselines} && /usr/bin/python3 train_bench.py conv $T --budget 25 --min-steps 8 2>/dev/null | tail -1)
  node bench/sample.mjs $T 1
  (cd ${BASE:-/tmp/baselines} && /usr/bin/python3 sample_bench.py $T --runs 1 2>/dev/null | tail -1)
  (cd ${BASE:-/tmp/baselines} && NODE_PATH=${ORT_MODULES:-/tmp/ort/node_modules} node ort_sample.js $T "" 1 2>/dev/null | tail -1)
done
