#!/usr/bin/env bash
# Sweeps the VNNI int8 micro-tile (rows MR x 4 zmm registers) and K blocking on this CPU, one core, the kernel
# alone (no op layer): GOP/s on the issue's shapes, best of 3 runs each. Compare with bench/int8_peak.cpp's
# vpdpbusd zmm row. Run: bash bench/vnni_tile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
d=$(mktemp -d)
cat > "$d/main.cpp" <<'CPP'
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>
#include "native/cpu/kernels.h"
namespace tf { namespace cpu { void fill_vnni_int8(KernelTable& t); } }
using namespace tf::cpu;
int main() {
  KernelTable k{};
  fill_vnni_int8(k);
  const int shapes[][3] = {{256, 1024, 1024}, {512, 512, 512}, {1024, 1024, 1024}, {64, 4096, 1024}};
  for (auto& s : shapes) {
    const int M = s[0], K = s[1], N = s[2];
    std::vector<uint8_t> A(size_t(M) * K, 3);
    std::vector<int8_t> W(size_t(N) * K, -2), P(size_t(k.gemm_u8s8.packed_bytes(N, K)));
    k.gemm_u8s8.pack(W.data(), N, K, P.data());
    std::vector<int32_t> C(size_t(M) * N);
    std::vector<double> ts;
    for (int r = 0; r < 25; r++) {
      auto t0 = std::chrono::steady_clock::now();
      k.gemm_u8s8.gemm(M, N, K, A.data(), K, P.data(), C.data(), N, 0, N);
      ts.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ts.begin(), ts.end());
    printf(" %dx%dx%d %.0f", M, K, N, 2.0 * M * N * K / ts[12] / 1e9);
  }
  printf("\n");
}
CPP
for mr in 4 5 6; do
  for kc in 64 96 128; do
    g++ -O3 -I. -DTF_VNNI_KC=$kc -DTF_VNNI_MR=$mr -mavx512f -mavx512bw -mavx512vl -mavx512vnni \
      "$d/main.cpp" native/cpu/avx512vnni/gemm_u8s8.cpp -o "$d/vb_${mr}_$kc"
  done
done
echo "GOP/s, best of 3 (M x K x N):"
for mr in 4 5 6; do
  for kc in 64 96 128; do
    best=""
    for rep in 1 2 3; do
      line=$("$d/vb_${mr}_$kc")
      best=$(printf '%s\n%s\n' "$best" "$line" | awk 'NF{for(i=2;i<=NF;i+=2) if($i>m[i]) m[i]=$i; for(i=1;i<=NF;i+=2) n[i]=$i} END{for(i=1;i<=8;i+=2) printf " %s %s", n[i], m[i+1]}')
    done
    echo "MR=$mr KC=$kc:$best"
  done
done
rm -rf "$d"
