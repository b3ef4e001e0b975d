#!/usr/bin/env bash
# Issues 28 and 29 on a server CPU (the H200 machine's 16-core Xeon host: AVX-512, VNNI, AVX512-BF16, AMX), in one
# go: the int8 / bf16 suites on the real instructions (every ISA path the CPU has, 'amx' included), the core's
# measured peaks, then every row side by side with the PyTorch installed there, at 1 and $THREADS threads.
# Logs go to $OUT (the device tool's folder) or ./server-out. That machine has no Node: pack it first
# (DEVELOPERS.md: bash ../shared/device/pack), then run this under `bash .device-pack/enter.sh`; copy
# ../shared/baselines to ./shared/baselines for the PyTorch training row. Budget: about 6 minutes.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/server-out}
mkdir -p "$OUT"
THREADS=${THREADS:-16}
BASE=${BASE:-$PWD/shared/baselines}
py=$(command -v python3 || echo /usr/bin/python3)
run() { local name=$1; shift; echo "## $name" | tee -a "$OUT/summary.md"; "$@" 2>&1 | tee -a "$OUT/summary.md" | tail -40; }

{ date -u; lscpu | head -30; $py -c "import torch; print('torch', torch.__version__, torch.backends.mkldnn.is_available(), torch.backends.quantized.supported_engines)"; } > "$OUT/machine.txt" 2>&1
node -e "const i = require('./dist/index.js').info(); console.log(JSON.stringify(i))" > "$OUT/info.json" 2>&1
cat "$OUT/info.json"

# 1. correctness on this CPU's instructions (AMX tiles, AVX512-BF16, VNNI), each per-ISA test over every path
run "tests" timeout 240 npx jest test/int8.test.ts test/bf16-matmul.test.ts test/quant.test.ts test/isa-env.test.ts

# 2. the core's peaks (AVX-512 FMA, vpdpbusd, vdpbf16ps; one core)
g++ -O2 bench/int8_peak.cpp -o /tmp/tf_peak && run "peaks (one core)" /tmp/tf_peak

for T in 1 "$THREADS"; do
  export OMP_NUM_THREADS=$T TENSORFIELD_NUM_THREADS=$T
  # 3. int8 GEMM on each int8 path, then PyTorch's engines (fbgemm, onednn, x86)
  for isa in avx512 amx; do TENSORFIELD_ISA=$isa run "int8 GEMM, $isa, $T threads" timeout 120 node bench/int8_gemm.mjs "$T"; done
  run "PyTorch int8 Linear, $T threads" timeout 120 $py bench/int8_torch.py "$T"
  # 4. fp32 and bf16 GEMM against PyTorch's
  for isa in avx512 amx; do TENSORFIELD_ISA=$isa run "bf16 GEMM, $isa, $T threads" timeout 120 node bench/gemm.mjs "$T" bf16; done
  run "fp32 GEMM, $T threads" timeout 120 node bench/gemm.mjs "$T" fp32
  run "PyTorch bf16 GEMM, $T threads" timeout 120 $py bench/gemm_torch.py "$T" bf16
  run "PyTorch fp32 GEMM, $T threads" timeout 120 $py bench/gemm_torch.py "$T" fp32
  # 5. the int8 conv U-Net sampling step against our fp32 step
  for isa in avx512 amx; do TENSORFIELD_ISA=$isa run "int8 U-Net, $isa, $T threads" timeout 120 node bench/int8_unet.mjs "$T"; done
  # 6. conv U-Net training step: fp32 and matmul precision bf16, against PyTorch fp32 and bf16 autocast
  run "train conv fp32, $T threads" timeout 120 node bench/train.mjs conv "$T" 8
  TENSORFIELD_ISA=amx TENSORFIELD_MATMUL_PRECISION=bf16 run "train conv bf16 (amx), $T threads" timeout 120 node bench/train.mjs conv "$T" 8
  TENSORFIELD_MATMUL_PRECISION=bf16 run "train conv bf16 (avx512), $T threads" timeout 120 node bench/train.mjs conv "$T" 8
  if [ -f "$BASE/models.py" ]; then
    run "PyTorch train conv fp32 / bf16 autocast, $T threads" timeout 180 $py bench/server/train_conv_torch.py "$T" "$BASE" 8
  else
    echo "(no $BASE/models.py: the PyTorch training row is skipped)" | tee -a "$OUT/summary.md"
  fi
done
echo "done: $OUT/summary.md"
