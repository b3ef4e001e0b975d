// Winograd F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). A 2x2 output
// tile of a 3x3 convolution comes from the 4x4 input tile d around it as
//   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A,
// so the sum over input channels becomes 16 independent products, one per position xi of the transformed 4x4
// tile: M_xi [tiles, O] = V_xi [tiles, C] x U_xi [C, O], each a GEMM on the engine's kernel. That is 16 multiply-adds
// per tile and channel pair where im2col needs 36. The transforms use only ±1 and 1/2, so they add a few roundings
// of the transformed values, not of the products (test/conv_winograd.test.ts bounds the error against float64).
//
// Work is done per block of tiles so that V and M of a block stay in L2 between the transforms and the GEMMs.
#include "conv_winograd.h"
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "host_backend.h"
#include "../core/allocator.h"
#include "split_sum.h"
#include "threadpool.h"

namespace tf::winograd {
using host::gemm_into;

namespace {

// four lanes: SSE is baseline x86-64, and this file is compiled for any x86-64 (the GEMMs are dispatched)
typedef float v4 __attribute__((vector_size(16)));
inline v4 ld4(const float* p) { v4 v; std::memcpy(&v, p, sizeof v); return v; }
inline void st4(float* p, v4 v) { std::memcpy(p, &v, sizeof v); }

// v = B^T d B, B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], for a float or four lanes
template <class V>
inline void input_tile(const V d[16], V v[16]) {
  V r[16];
  for (int j = 0; j < 4; ++j) {
    r[j] = d[j] - d[8 + j];
    r[4 + j] = d[4 + j] + d[8 + j];
    r[8 + j] = d[8 + j] - d[4 + j];
    r[12 + j] = d[4 + j] - d[12 + j];
  }
  for (int i = 0; i < 4; ++i) {
    const V* q = r + 4 * i;
    v[4 * i] = q[0] - q[2];
    v[4 * i + 1] = q[1] + q[2];
    v[4 * i + 2] = q[2] - q[1];
    v[4 * i + 3] = q[1] - q[3];
  }
}

// y = A^T m A (2x2, row-major), A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]
template <class V>
inline void output_tile(const V m[16], V y[4]) {
  V s[8];
  for (int j = 0; j < 4; ++j) {
    s[j] = m[j] + m[4 + j] + m[8 + j];
    s[4 + j] = m[4 + j] - m[8 + j] - m[12 + j];
  }
  for (int i = 0; i < 2; ++i) {
    const V* q = s + 4 * i;
    y[2 * i] = q[0] + q[1] + q[2];
    y[2 * i + 1] = q[1] - q[2] - q[3];
  }
}

// The 16 transformed values of each channel of one tile: gathers NIN inputs per channel from src[0..NIN) (four
// channels a step in SSE lanes, then one by one), applies tile(d, r) and writes r[k] to dst[k * stride + channel].
// Shared by the input transform (NIN = 16) and the output transform's adjoint (NIN = 4).
template <int NIN, class Tile>
inline void transform_channels(const float* const src[NIN], int64_t C, float* dst, int64_t stride, Tile tile) {
  int64_t c = 0;
  for (; c + 4 <= C; c += 4) {
    v4 d[NIN], r[16];
    for (int k = 0; k < NIN; ++k) d[k] = ld4(src[k] + c);
    tile(d, r);
    for (int k = 0; k < 16; ++k) st4(dst + k * stride + c, r[k]);
  }
  for (; c < C; ++c) {
    float d[NIN], r[16];
    for (int k = 0; k < NIN; ++k) d[k] = src[k][c];
    tile(d, r);
    for (int k = 0; k < 16; ++k) dst[k * stride + c] = r[k];
  }
}

// V[xi * vs + t * C + c] = (B^T d B)[xi] for tiles t0 .. t0 + nb (row-major over tilesW tiles a row) of xt [H*W, C]
void input_tiles(const float* xt, int64_t H, int64_t W, int64_t C, int64_t pad_h, int64_t pad_w, int64_t tilesW,
                 int64_t t0, int64_t nb, const float* zeros, float* V, int64_t vs) {
  for (int64_t t = 0; t < nb; ++t) {
    const int64_t th = (t0 + t) / tilesW, tw = (t0 + t) % tilesW;
    const float* src[16];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        const int64_t ih = 2 * th - pad_h + i, iw = 2 * tw - pad_w + j;
        src[i * 4 + j] = ih >= 0 && ih < H && iw >= 0 && iw < W ? xt + (ih * W + iw) * C : zeros;
      }
    transform_channels<16>(src, C, V + t * C, vs, [](const auto* d, auto* r) { input_tile(d, r); });
  }
}

// dm = A dy A^T (4x4 from 2x2), the adjoint of output_tile; A = [[1, 0], [1, 1], [1, -1], [0, -1]]
template <class V>
inline void output_tile_adjoint(const V dy[4], V dm[16]) {
  V r[8];  // r[a][j] = sum_i A[a][i] dy[i][j]
  for (int j = 0; j < 2; ++j) {
    r[j] = dy[j];
    r[2 + j] = dy[j] + dy[2 + j];
    r[4 + j] = dy[j] - dy[2 + j];
    r[6 + j] = -dy[2 + j];
  }
  for (int a = 0; a < 4; ++a) {
    const V* q = r + 2 * a;
    dm[4 * a] = q[0];
    dm[4 * a + 1] = q[0] + q[1];
    dm[4 * a + 2] = q[0] - q[1];
    dm[4 * a + 3] = -q[1];
  }
}

bool enabled() {
  static const bool on = [] {
    const char* e = std::getenv("TENSORFIELD_CONV");
    return !(e && std::strcmp(e, "im2col") == 0);
  }();
  return on;
}

}  // namespace

bool applies(DType dt, int64_t C, int64_t O, int64_t kh, int64_t kw, const Conv2dParams& p) {
  return enabled() && current_backend().fast_paths && dt == DType::F32 && kh == 3 && kw == 3 && p.stride_h == 1 && p.stride_w == 1 && p.dil_h == 1 &&
         p.dil_w == 1 && p.groups == 1 && C >= 8 && O >= 8;
}

void transform_weight(const float* w, int64_t O, int64_t C, float* U) {
  // G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c) {
      const float* g = w + (o * C + c) * 9;
      float t[4][3], u[4][4];
      for (int j = 0; j < 3; ++j) {
        t[0][j] = g[j];
        t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; ++i) {
        u[i][0] = t[i][0];
        u[i][1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[i][2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[i][3] = t[i][2];
      }
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) U[((i * 4 + j) * C + c) * O + o] = u[i][j];
    }
}

void conv_image(const float* xt, int64_t H, int64_t W, int64_t C, int64_t O, int64_t pad_h, int64_t pad_w,
                const float* U, const float* bias, float* out) {
  const int64_t Ho = H + 2 * pad_h - 2, Wo = W + 2 * pad_w - 2;
  const int64_t tilesH = (Ho + 1) / 2, tilesW = (Wo + 1) / 2, T = tilesH * tilesW;
  // tiles per block: V and M of a block (16 (C + O) floats a tile) in ~512 KiB, a multiple of the GEMM's 6-row
  // micro-tile
  int64_t tb = std::max<int64_t>(6, (8192 / (C + O)) / 6 * 6);
  tb = std::min(tb, T);
  alloc::Scratch vbuf(sizeof(float) * size_t(16 * tb * C)), mbuf(sizeof(float) * size_t(16 * tb * O)),
      zbuf(sizeof(float) * size_t(C));
  float* V = vbuf.as<float>();
  float* M = mbuf.as<float>();
  float* zeros = zbuf.as<float>();
  std::memset(zeros, 0, sizeof(float) * size_t(C));
  for (int64_t t0 = 0; t0 < T; t0 += tb) {
    const int64_t nb = std::min(tb, T - t0), vs = nb * C, ms = nb * O;  // xi strides in V and M
    input_tiles(xt, H, W, C, pad_h, pad_w, tilesW, t0, nb, zeros, V, vs);
    for (int xi = 0; xi < 16; ++xi)
      gemm_into(DType::F32, nb, O, C, reinterpret_cast<const char*>(V + xi * vs), C, 1,
                reinterpret_cast<const char*>(U + xi * C * O), O, 1, reinterpret_cast<char*>(M + xi * ms), O, false);
    for (int64_t t = 0; t < nb; ++t) {
      const int64_t oh = 2 * ((t0 + t) / tilesW), ow = 2 * ((t0 + t) % tilesW);
      // the tile's four outputs (row-major), those past the bottom or right edge not written
      const bool keep[4] = {true, ow + 1 < Wo, oh + 1 < Ho, oh + 1 < Ho && ow + 1 < Wo};
      float* dst[4];
      for (int q = 0; q < 4; ++q) dst[q] = keep[q] ? out + ((oh + q / 2) * Wo + ow + q % 2) * O : nullptr;
      const float* m = M + t * O;
      int64_t o = 0;
      for (; o + 4 <= O; o += 4) {
        v4 a[16], y[4];
        for (int k = 0; k < 16; ++k) a[k] = ld4(m + k * ms + o);
        output_tile(a, y);
        if (bias) for (int q = 0; q < 4; ++q) y[q] += ld4(bias + o);
        for (int q = 0; q < 4; ++q)
          if (keep[q]) st4(dst[q] + o, y[q]);
      }
      for (; o < O; ++o) {
        float a[16], y[4];
        for (int k = 0; k < 16; ++k) a[k] = m[k * ms + o];
        output_tile(a, y);
        if (bias) for (int q = 0; q < 4; ++q) y[q] += bias[o];
        for (int q = 0; q < 4; ++q)
          if (keep[q]) dst[q][o] = y[q];
      }
    }
  }
}

// The weight gradient is the adjoint of the forward: M = U ⊙ V summed over channels and Y = A^T M A give
// dM = A dY A^T, dU_xi = V_xi^T dM_xi summed over tiles (and images), and dg = G^T dU G.
namespace {

// Tile t of the image-major list of every image's tiles: its input transform into V (column t of each of the 16
// [tiles, C] matrices, row stride vs between them) and the adjoint output transform of its gradient into dM.
void transform_tile(const float* xt, const float* dyt, int64_t H, int64_t W, int64_t C, int64_t O, int64_t pad_h,
                    int64_t pad_w, int64_t tilesW, int64_t T, int64_t t, const float* zeros, float* V, int64_t vs,
                    float* m, int64_t ms) {
  const int64_t Ho = H + 2 * pad_h - 2, Wo = W + 2 * pad_w - 2;
  const int64_t img = t / T, local = t % T;
  input_tiles(xt + img * H * W * C, H, W, C, pad_h, pad_w, tilesW, local, 1, zeros, V, vs);
  const float* dy = dyt + img * Ho * Wo * O;
  const int64_t oh = 2 * (local / tilesW), ow = 2 * (local % tilesW);
  // outputs past the bottom or right edge do not exist: their gradient is zero
  const float* src[4];
  for (int k = 0; k < 4; ++k) {
    const int64_t h = oh + k / 2, w = ow + k % 2;
    src[k] = h < Ho && w < Wo ? dy + (h * Wo + w) * O : zeros;
  }
  transform_channels<4>(src, O, m, ms, [](const auto* d, auto* r) { output_tile_adjoint(d, r); });
}

// Wide layers (the partial dUs of the split would pass the memory cap): blocks of tiles, each transformed by one
// pool job and then multiplied by another over the 16 products cut into 24-channel x 64-output blocks; every
// element is summed by one kernel call per block, blocks in order.
void weight_grad_wide(const float* xt, const float* dyt, int64_t n_images, int64_t H, int64_t W, int64_t C, int64_t O,
                      int64_t pad_h, int64_t pad_w, float* dU) {
  const int64_t Ho = H + 2 * pad_h - 2, Wo = W + 2 * pad_w - 2;
  const int64_t tilesH = (Ho + 1) / 2, tilesW = (Wo + 1) / 2, T = tilesH * tilesW, all = n_images * T;
  const int64_t tb = std::min(all, std::max<int64_t>(64, (int64_t(1) << 21) / (16 * (C + O))));
  alloc::Scratch vbuf(sizeof(float) * size_t(16 * (tb * C + 16))), mbuf(sizeof(float) * size_t(16 * (tb * O + 16))),
      zbuf(sizeof(float) * size_t(std::max(C, O)));
  float* V = vbuf.as<float>();
  float* dM = mbuf.as<float>();
  float* zeros = zbuf.as<float>();
  std::memset(zeros, 0, sizeof(float) * size_t(std::max(C, O)));
  const cpu::GemmFn fn = host::gemm_fn(DType::F32);
  for (int64_t t0 = 0; t0 < all; t0 += tb) {
    const int64_t nb = std::min(tb, all - t0), vs = nb * C + 16, ms = nb * O + 16;  // padded: see weight_grad_images
    parallel_for(0, nb, 16, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) transform_tile(xt, dyt, H, W, C, O, pad_h, pad_w, tilesW, T, t0 + t, zeros,
                                                       V + t * C, vs, dM + t * O, ms);
    });
    const int64_t rb = (C + 23) / 24, cb = (O + 63) / 64;
    parallel_for(0, 16 * rb * cb, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t t = lo; t < hi; ++t) {
        const int64_t xi = t / (rb * cb), c0 = (t / cb) % rb * 24, o0 = t % cb * 64;
        const int64_t c1 = std::min(C, c0 + 24), o1 = std::min(O, o0 + 64);
        fn(c1 - c0, o1 - o0, nb, reinterpret_cast<const char*>(V + xi * vs + c0), 1, C,
           reinterpret_cast<const char*>(dM + xi * ms + o0), O, 1, reinterpret_cast<char*>(dU + xi * C * O + c0 * O + o0),
           O, 1);
      }
    });
  }
}

}  // namespace

void weight_grad_images(const float* xt, const float* dyt, int64_t n_images, int64_t H, int64_t W, int64_t C,
                        int64_t O, int64_t pad_h, int64_t pad_w, float* dU) {
  const int64_t Ho = H + 2 * pad_h - 2, Wo = W + 2 * pad_w - 2;
  const int64_t tilesH = (Ho + 1) / 2, tilesW = (Wo + 1) / 2, T = tilesH * tilesW, all = n_images * T;
  if (all == 0) return;
  // The tiles of every image form one list (image-major). It is cut into sub-blocks whose V and dM (16 (C + O)
  // floats a tile) stay within ~1 MiB, so a sub-block is transformed and multiplied while it is in cache; and into
  // `parts` ranges of sub-blocks, each summed by one pool task into its own dU (cpu/split_sum.h), the partial dUs
  // added in order after. parts and sub-blocks depend on the shapes only: the result is the same at every thread
  // count. (One job over tiles and one over the 16 products per image kept the pool in lock-step on small
  // products, and the transformed tiles of a whole block, 8 MiB, went to memory and back.)
  const int64_t sub = std::min(all, std::max<int64_t>(16, std::min<int64_t>(512, (int64_t(1) << 20) / (64 * (C + O)))));
  const int64_t blocks = (all + sub - 1) / sub;
  // partial dUs within 64 MiB, at most 64 of them, and at least two sub-blocks each (the final sum reads them all)
  const int64_t len = 16 * C * O;
  const int64_t cap = (int64_t(64) << 20) / (4 * len);
  if (cap < 16) return weight_grad_wide(xt, dyt, n_images, H, W, C, O, pad_h, pad_w, dU);
  const int64_t parts = std::max<int64_t>(1, std::min({(blocks + 1) / 2, int64_t(64), cap}));
  const cpu::GemmFn fn = host::gemm_fn(DType::F32);
  cpu::split_sum(parts, len, dU, [&](int64_t q, float* part) {
    alloc::Scratch vbuf(sizeof(float) * size_t(16 * (sub * C + 16))), mbuf(sizeof(float) * size_t(16 * (sub * O + 16))),
        zbuf(sizeof(float) * size_t(std::max(C, O)));
    float* V = vbuf.as<float>();
    float* dM = mbuf.as<float>();
    float* zeros = zbuf.as<float>();
    std::memset(zeros, 0, sizeof(float) * size_t(std::max(C, O)));
    for (int64_t blk = blocks * q / parts; blk < blocks * (q + 1) / parts; ++blk) {
      // xi strides, one cache line past the matrices: a tile writes one row into each of the 16, and at a stride
      // of a power of two (256 tiles x 32 channels) those rows fell in one L1 set (transforms ran 3x slower)
      const int64_t t0 = blk * sub, nb = std::min(sub, all - t0), vs = nb * C + 16, ms = nb * O + 16;
      for (int64_t t = 0; t < nb; ++t)
        transform_tile(xt, dyt, H, W, C, O, pad_h, pad_w, tilesW, T, t0 + t, zeros, V + t * C, vs, dM + t * O, ms);
      // the 16 products part_xi [C, O] += V_xi^T dM_xi over this sub-block's tiles, one kernel call each
      for (int xi = 0; xi < 16; ++xi)
        fn(C, O, nb, reinterpret_cast<const char*>(V + xi * vs), 1, C, reinterpret_cast<const char*>(dM + xi * ms), O,
           1, reinterpret_cast<char*>(part + xi * C * O), O, 1);
    }
  });
}

void weight_from_transformed(const float* dU, int64_t O, int64_t C, float* dw) {
  // dg = G^T dU G
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c) {
      float u[4][4], t[3][4];
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) u[a][b] = dU[((a * 4 + b) * C + c) * O + o];
      for (int b = 0; b < 4; ++b) {
        t[0][b] = u[0][b] + 0.5f * (u[1][b] + u[2][b]);
        t[1][b] = 0.5f * (u[1][b] - u[2][b]);
        t[2][b] = 0.5f * (u[1][b] + u[2][b]) + u[3][b];
      }
      float* g = dw + (o * C + c) * 9;
      for (int i = 0; i < 3; ++i) {
        g[3 * i] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
        g[3 * i + 1] = 0.5f * (t[i][1] - t[i][2]);
        g[3 * i + 2] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
      }
    }
}

}  // namespace tf::winograd
