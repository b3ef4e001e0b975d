#!/usr/bin/env bash
# The CUDA device check, in one go, on the H200 machine (no Node there: run through the device pack). Prepare here:
#   npm ci && npm run build:ts && npm run build:cuda && bash ../shared/device/pack
# then run on the device machine, from the project root, carrying dist, build-cuda/Release and .device-pack:
#   bash .device-pack/enter.sh 'bash bench/cuda/check.sh'
# Steps (each under its own time limit, so one failure does not eat the others' time; logs in $OUT/cuda-check/):
#   0. the GPU (nvidia-smi) and the CUDA addon's status; if the addon is missing, it is built here with nvcc
#   1. the CUDA tests: test/cuda.test.ts (status, host checks, conformance on 'cuda' vs CPU), device, conformance
#   2. fp32 GEMM 4096^3 / 8192^3: tensorfield vs PyTorch fp32 (and PyTorch TF32 / BF16 for reference)
#   3. elementwise add of 2^28 floats vs PyTorch add and device copy bandwidth
#   4. MLP denoiser training step, batch 4096: tensorfield vs PyTorch eager
# Then summary.txt: the JSON rows side by side. Exit status: 2 without a usable GPU, else the tests' (the benchmarks
# only report).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd); cd "$root"
out="${OUT:-$root/out}/cuda-check"; mkdir -p "$out"
addon="$root/build-cuda/Release/tensorfield.node"
export TENSORFIELD_ADDON="$addon"
step() {  # step NAME SECONDS COMMAND...: run with a time limit, log to $out/NAME.log, record the status
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  timeout "$limit" bash -c "$*" > "$out/$name.log" 2>&1
  local rc=$?
  echo "$name: rc $rc, $(( $(date +%s) - t0 )) s" | tee -a "$out/steps.txt"
  return $rc
}

{ nvidia-smi 2>&1 || echo "no nvidia-smi"; nvcc --version 2>&1 | tail -1; python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' 2>&1; } > "$out/machine.txt"
if [ ! -f "$addon" ]; then
  step build 480 "node_modules/.bin/cmake-js build -d native -O build-cuda -T tf_addon -p $(nproc)"
fi
step status 60 "node -e \"const tf = require('./dist'); console.log(JSON.stringify(tf.cuda.status())); if (!tf.cuda.isAvailable()) process.exit(3)\""
gpu=$?

step tests 300 "node_modules/.bin/jest --ci test/cuda.test.ts test/device.test.ts test/conformance.test.ts"
tests=$?

if [ "$gpu" = 0 ]; then
  step gemm 150 "node bench/cuda/gemm.mjs"
  step gemm_torch 150 "python3 bench/cuda/gemm_torch.py"
  step add 60 "node bench/cuda/add.mjs"
  step mlp 90 "node bench/cuda/mlp_train.mjs"
  step mlp_torch 90 "python3 bench/cuda/mlp_torch.py"
fi

{
  echo "== steps"; cat "$out/steps.txt"
  echo "== status"; cat "$out/status.log"
  echo "== tests"; grep -E "^(Tests|Test Suites):|✕" "$out/tests.log"
  echo "== benchmarks (JSON rows)"; cat "$out"/gemm.log "$out"/gemm_torch.log "$out"/add.log "$out"/mlp.log "$out"/mlp_torch.log 2>/dev/null | grep '^{'
} > "$out/summary.txt" 2>&1
cat "$out/summary.txt"
if [ "$gpu" != 0 ]; then echo "NO USABLE GPU: the conformance cases on 'cuda' were skipped and no benchmark ran"; exit 2; fi
exit "$tests"
