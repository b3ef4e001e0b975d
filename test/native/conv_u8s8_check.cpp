// Checks a direct int8 convolution kernel (GemmU8S8::conv_tile / code_x4 of TF_KERNEL_FILL, default
// fill_vnni_int8; see test/int8.test.ts) against plain loops written from kernels.h's definition, bit for bit:
// the codes of code_x4 against quant::quant_code_fast (ties, clamping, infinities, NaN), and the int32 tiles of
// conv_tile against a direct sum over taps and channels for random layers (kernel 1x1 to 5x3, padding 0-2,
// strides 1-3, dilations 1-2, channel counts 1-72 (a last group of fewer than 4 through pack_padded), output
// channels past a 4-row block and past a 64-wide panel, every nv, the 255 x 127 and 255 x -128 corners). The
// x4 phase planes and tap offsets are built here from kernels.h's description, independently of host_int8.cpp.
// Prints "ok <cases>" or the first mismatch, exit status 1.
#include <algorithm>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <vector>
#include "../../native/cpu/kernels.h"
#include "../../native/quant/qmath.h"

#ifndef TF_KERNEL_FILL
#define TF_KERNEL_FILL fill_vnni_int8
#endif

using namespace tf::cpu;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next() { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return uint32_t(rng); }

static bool check_codes(const GemmU8S8& k) {
  const float specials[] = {0.f, -0.f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 127.5f, 128.5f, 254.5f, 255.5f, 1e30f, -1e30f,
                            INFINITY, -INFINITY, NAN, 3.4e38f, 1e-30f};
  for (int t = 0; t < 40; ++t) {
    const int64_t n = 1 + next() % 70, cs = n + next() % 5;
    std::vector<float> x(size_t(3 * cs + n));
    for (auto& v : x) v = (next() % 4 == 0) ? specials[next() % 18] : (float(int32_t(next() % 4000)) - 2000.f) / 7.f;
    const float s = t % 2 ? 1.f : 0.37f, z = float(next() % 256);
    std::vector<uint32_t> got(static_cast<size_t>(n), 0u);
    const float* rows[4] = {x.data(), x.data() + cs, x.data() + 2 * cs, x.data() + 3 * cs};
    k.code_x4(n, rows, s, z, 0.f, 255.f, got.data());
    for (int64_t p = 0; p < n; ++p)
      for (int c = 0; c < 4; ++c) {
        const uint32_t want = uint32_t(int32_t(tf::quant::quant_code_fast(x[size_t(c * cs + p)], s, z, 0.f, 255.f)));
        if (((got[size_t(p)] >> (8 * c)) & 255u) != want) {
          printf("code mismatch n=%lld pixel %lld channel %d: x %g want %u got %u\n", (long long)n, (long long)p, c,
                 double(x[size_t(c * cs + p)]), want, (got[size_t(p)] >> (8 * c)) & 255u);
          return false;
        }
      }
  }
  return true;
}

// One layer: random codes (or the corners), the x4 phase planes built as kernels.h describes, every tile of every
// 4-channel block compared with the direct sum.
static bool check_conv(const GemmU8S8& k, int64_t C, int64_t H, int64_t W, int64_t O, int64_t kh, int64_t kw, int64_t ph,
                       int64_t pw, int64_t st, int64_t dl, int mode) {
  const int64_t K = kh * kw * C, Hp = H + 2 * ph, Wp = W + 2 * pw, eh = (kh - 1) * dl + 1, ew = (kw - 1) * dl + 1;
  if (Hp < eh || Wp < ew) return true;
  const int64_t Ho = (Hp - eh) / st + 1, Wo = (Wp - ew) / st + 1, C4 = (C + 3) / 4, ntaps = kh * kw;
  const uint8_t zero = uint8_t(next());
  std::vector<uint8_t> x(size_t(C * H * W));
  std::vector<int8_t> w(size_t(O * K));  // [O][i][j][c], channels last, as the op packs it
  for (auto& v : x) v = mode == 0 ? uint8_t(next()) : 255;
  for (auto& v : w) v = mode == 0 ? int8_t(next()) : mode == 1 ? 127 : -128;
  const uint8_t padv = mode == 0 ? zero : 255;
  std::vector<int8_t> packed(size_t(k.packed_bytes(O, K)));
  k.pack(w.data(), O, K, packed.data());
  if (C % 4) {
    std::vector<int8_t> repacked(size_t(k.packed_bytes(O, ntaps * C4 * 4)));
    k.pack_padded(packed.data(), O, ntaps, C, repacked.data());
    packed.swap(repacked);
  }
  // phase (a, e) holds padded pixel (a + st r, e + st c) at r * wq + c
  const int64_t hq = (Hp + st - 1) / st, wq = (Wp + st - 1) / st, S = Ho * wq, nvec = (S + 15) / 16;
  const int64_t reach = ((kh - 1) * dl / st) * wq + (kw - 1) * dl / st;
  const int64_t phase = std::max(hq * wq, nvec * 16 + reach), plane = st * st * phase;
  auto in = [&](int64_t c, int64_t h, int64_t j) -> int32_t {  // the padded input; channels past C are padding
    h -= ph; j -= pw;
    return (c >= C || h < 0 || h >= H || j < 0 || j >= W) ? padv : x[size_t((c * H + h) * W + j)];
  };
  std::vector<uint32_t> x4(size_t(C4 * plane), uint32_t(next()));  // positions past the pixels: anything
  for (int64_t q = 0; q < C4; ++q)
    for (int64_t a = 0; a < st; ++a)
      for (int64_t e = 0; e < st; ++e)
        for (int64_t r = 0; r < hq; ++r)
          for (int64_t c = 0; c < wq; ++c) {
            uint32_t d = 0;
            for (int b = 0; b < 4; ++b) d |= uint32_t(in(4 * q + b, a + st * r, e + st * c)) << (8 * b);
            x4[size_t(q * plane + (a * st + e) * phase + r * wq + c)] = d;
          }
  std::vector<int64_t> taps(static_cast<size_t>(ntaps));
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j)
      taps[size_t(i * kw + j)] = (((i * dl) % st) * st + (j * dl) % st) * phase + (i * dl / st) * wq + j * dl / st;
  const int64_t ldt = 16 * k.conv_nv + 3;
  std::vector<int32_t> tile(size_t(4 * ldt));
  for (int64_t o0 = 0; o0 < O; o0 += 4)
    for (int64_t v = 0; v < nvec; v += k.conv_nv) {
      const int nv = int(nvec - v < k.conv_nv ? nvec - v : k.conv_nv);
      k.conv_tile(x4.data(), plane, taps.data(), ntaps, C4, packed.data(), o0, v * 16, nv, tile.data(), ldt);
      for (int64_t r = 0; r < 4 && o0 + r < O; ++r)
        for (int64_t p = 0; p < 16 * nv; ++p) {
          const int64_t s = v * 16 + p, oh = s / wq, ow = s % wq;
          if (s >= S || ow >= Wo) continue;  // positions the op drops
          int32_t want = 0;
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j)
              for (int64_t c = 0; c < C; ++c)
                want += in(c, oh * st + i * dl, ow * st + j * dl) * int32_t(w[size_t((o0 + r) * K + (i * kw + j) * C + c)]);
          const int32_t got = tile[size_t(r * ldt + p)];
          if (got != want) {
            printf("conv mismatch C=%lld H=%lld W=%lld O=%lld k=%lldx%lld pad=%lld,%lld stride %lld dil %lld mode=%d: "
                   "channel %lld pixel (%lld, %lld): want %d got %d\n", (long long)C, (long long)H, (long long)W,
                   (long long)O, (long long)kh, (long long)kw, (long long)ph, (long long)pw, (long long)st,
                   (long long)dl, mode, (long long)(o0 + r), (long long)oh, (long long)ow, want, got);
            return false;
          }
        }
    }
  return true;
}

int main() {
  KernelTable t{};
  TF_KERNEL_FILL(t);
  const GemmU8S8& k = t.gemm_u8s8;
  if (!k.conv_tile || !k.code_x4 || !k.pack_padded || k.conv_nv < 1) { printf("no direct convolution in this kernel row\n"); return 1; }
  if (!check_codes(k)) return 1;
  int cases = 1;
  const int64_t fixed[][10] = {
      // C, H, W, O, kh, kw, ph, pw, stride, dilation
      {4, 1, 1, 1, 1, 1, 0, 0, 1, 1},   {4, 5, 7, 3, 3, 3, 1, 1, 1, 1},    {8, 28, 28, 32, 3, 3, 1, 1, 1, 1},
      {64, 7, 7, 64, 3, 3, 1, 1, 1, 1}, {32, 14, 14, 70, 1, 1, 0, 0, 1, 1}, {12, 9, 10, 5, 5, 3, 2, 1, 1, 1},
      {4, 6, 3, 9, 3, 3, 0, 0, 1, 1},   {72, 4, 5, 65, 3, 3, 2, 2, 1, 1},  {16, 1, 40, 4, 1, 3, 0, 1, 1, 1},
      {1, 28, 28, 32, 3, 3, 1, 1, 1, 1}, {3, 9, 8, 7, 3, 3, 1, 1, 1, 1},   {32, 28, 28, 32, 3, 3, 1, 1, 2, 1},
      {6, 11, 9, 5, 3, 3, 1, 1, 2, 1},  {8, 10, 13, 6, 3, 3, 2, 2, 1, 2},  {5, 12, 12, 9, 3, 2, 0, 1, 3, 2},
  };
  for (auto& s : fixed)
    for (int mode = 0; mode < 3; ++mode) {
      if (!check_conv(k, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], mode)) return 1;
      ++cases;
    }
  for (int t = 0; t < 60; ++t) {
    const int64_t C = 1 + next() % 48, H = 1 + next() % 12, W = 1 + next() % 20, O = 1 + next() % 70;
    const int64_t kh = 1 + next() % 4, kw = 1 + next() % 4, ph = next() % 3, pw = next() % 3;
    const int64_t st = 1 + next() % 3, dl = 1 + next() % 2;
    if (!check_conv(k, C, H, W, O, kh, kw, ph, pw, st, dl, 0)) return 1;
    ++cases;
  }
  printf("ok %d\n", cases);
  return 0;
}
