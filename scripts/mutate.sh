#!/usr/bin/env bash
# Mutation check: applies small plausible bugs one at a time, rebuilds what they touch, runs the test files
# that must catch each, restores the file, and prints caught / survived. A surviving mutant is a gap in the
# suite. Slow (an incremental native rebuild per native mutant, and another at the end to restore the addon),
# so it is not part of `npm test`; run it before a release:
#
#   scripts/mutate.sh                 # every mutant
#   scripts/mutate.sh philox mean     # only mutants whose name contains one of the words
#   MUTATE_TIMEOUT=900 scripts/mutate.sh
#
# Each mutant is: name | file | exact text to replace (must occur exactly once) | replacement | test files.
# TS mutants need no build (jest compiles lib/ through ts-jest). A test run that exceeds MUTATE_TIMEOUT
# seconds is reported as "caught (TIMEOUT)": the mutant is detected, but the suite hangs instead of failing,
# which is itself a bug to fix. The file is always restored, also on Ctrl-C or an error (trap), and the addon
# is rebuilt from the restored sources at the end.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
TIMEOUT=${MUTATE_TIMEOUT:-600}
export TENSORFIELD_NUM_THREADS=${TENSORFIELD_NUM_THREADS:-1}
JOBS=${MUTATE_JOBS:-1}
LOG_DIR=${MUTATE_LOG_DIR:-$(mktemp -d /tmp/tf-mutate.XXXXXX)}

MUTANTS=(
  "philox-key-constant|native/rng/philox.h|k1 += 0xBB67AE85u;|k1 += 0xBB67AE86u;|test/random.test.ts"
  "mean-long-dims-n+1|native/ops/reduce.cpp|return sum(xf, dims, keepdim) / double(count);|return sum(xf, dims, keepdim) / double(count > 1000 ? count + 1 : count);|test/long-reductions.test.ts"
  "int8-epilogue-zero-point|native/ops/quant.cpp|int64_t a = int64_t(c[j]) - int64_t(comp[j]);|int64_t a = int64_t(c[j]) + int64_t(comp[j]);|test/int8.test.ts"
  "box-muller-u1-offset|native/rng/draws.h|double u1 = (double(w[2 * pair] >> 8) + 1.0) / 16777216.0|double u1 = (double(w[2 * pair] >> 8) + 0.5) / 16777216.0|test/random.test.ts"
  "var-drops-correction|native/ops/reduce.cpp|std::max(double(count) - correction, 0.0)|std::max(double(count), 0.0)|test/long-reductions.test.ts"
  "simd-sum-lane-dropped|native/cpu/simd/kernels_f32.inc|float s = hsum((acc[0] + acc[1]) + (acc[2] + acc[3]));|float s = hsum((acc[0] + acc[1]) + (acc[2] + acc[2]));|test/conformance.test.ts"
  "adam-bias-correction|native/ops/optim.cpp|double bc1 = 1 - std::pow(h.beta1, double(h.step))|double bc1 = 1 - std::pow(h.beta1, double(h.step + 1))|test/optim.test.ts"
  "safetensors-header-length|lib/io/safetensors.ts|header.writeBigUInt64LE(BigInt(n), 0);|header.writeBigUInt64LE(BigInt(n + 1), 0);|test/checkpoint.test.ts"
  "edm-grid-rho|lib/samplers/grids.ts|const a = Math.pow(sigmaMax, 1 / rho), b = Math.pow(sigmaMin, 1 / rho);|const a = Math.pow(sigmaMax, 1 / rho), b = Math.pow(sigmaMin, 1 / (rho + 1));|test/samplers.test.ts"
  "quantize-truncates|native/quant/qmath.h|T v = round_even(x / s) + z;|T v = std::trunc(x / s) + z;|test/int8.test.ts"
  "int8-simd-tile-store|native/cpu/simd/gemm_u8s8.inc|C[r * ldc + c] = acc ? C[r * ldc + c] + tile[r][c] : tile[r][c];|C[r * ldc + c] = acc ? C[r * ldc + c] + tile[r][c] : tile[r][c] + 1;|test/int8.test.ts"
)

want=("$@")
selected() {
  [ ${#want[@]} -eq 0 ] && return 0
  for w in "${want[@]}"; do [[ "$1" == *"$w"* ]] && return 0; done
  return 1
}

CURRENT_FILE=""
BACKUP=""
NATIVE_TOUCHED=0
restore() {
  if [ -n "$CURRENT_FILE" ] && [ -n "$BACKUP" ] && [ -f "$BACKUP" ]; then
    cp "$BACKUP" "$ROOT/$CURRENT_FILE" && rm -f "$BACKUP"
    echo "  restored $CURRENT_FILE"
  fi
  CURRENT_FILE=""
  BACKUP=""
}
rebuild_native() { npm_config_nodedir=${npm_config_nodedir:-/usr} npx node-gyp build -j "$JOBS" >"$LOG_DIR/build.log" 2>&1; }
finish() {
  restore
  if [ "$NATIVE_TOUCHED" = 1 ]; then
    echo "rebuilding the addon from the restored sources..."
    rebuild_native || echo "WARNING: the final rebuild failed (see $LOG_DIR/build.log)"
    NATIVE_TOUCHED=0
  fi
}
trap 'echo "interrupted"; finish; exit 130' INT TERM
trap 'finish' EXIT

# Replaces exactly one occurrence of $2 by $3 in file $1 (node: no shell or sed escaping of C++ text).
apply() {
  node -e '
    const fs = require("fs"); const [f, from, to] = process.argv.slice(1);
    const s = fs.readFileSync(f, "utf8"); const n = s.split(from).length - 1;
    if (n !== 1) { console.error(`expected exactly one occurrence in ${f}, found ${n}: ${from}`); process.exit(2); }
    fs.writeFileSync(f, s.replace(from, () => to));' "$@"
}

caught=0; survived=0; errors=0
printf '%-28s %-34s %-10s %s\n' mutant tests result seconds | tee "$LOG_DIR/summary.txt"
for m in "${MUTANTS[@]}"; do
  IFS='|' read -r name file from to tests <<<"$m"
  selected "$name" || continue
  start=$(date +%s)
  BACKUP=$(mktemp /tmp/tf-mutate-backup.XXXXXX); cp "$file" "$BACKUP"; CURRENT_FILE=$file
  if [ -z "$from" ] || ! apply "$file" "$from" "$to" 2>"$LOG_DIR/$name.apply"; then
    result="ERROR(apply)"; errors=$((errors + 1))
  else
    result=""
    case "$file" in
      native/*)
        NATIVE_TOUCHED=1
        if ! rebuild_native; then result="caught(build)"; caught=$((caught + 1)); fi ;;
    esac
    if [ -z "$result" ]; then
      # shellcheck disable=SC2086
      timeout "$TIMEOUT" npx jest $tests --runInBand --ci >"$LOG_DIR/$name.log" 2>&1
      rc=$?
      if [ $rc -eq 0 ]; then result="SURVIVED"; survived=$((survived + 1))
      elif [ $rc -eq 124 ]; then result="caught(TIMEOUT)"; caught=$((caught + 1))
      else result="caught"; caught=$((caught + 1)); fi
    fi
  fi
  restore >/dev/null
  printf '%-28s %-34s %-10s %s\n' "$name" "$tests" "$result" "$(( $(date +%s) - start ))" | tee -a "$LOG_DIR/summary.txt"
done
finish
echo "caught $caught, survived $survived, errors $errors (logs: $LOG_DIR)" | tee -a "$LOG_DIR/summary.txt"
[ "$survived" -eq 0 ] && [ "$errors" -eq 0 ]
