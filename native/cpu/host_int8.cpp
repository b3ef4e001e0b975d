// The int8 entries of the host backends: affine (de/re)quantization and fake quantization per channel, the
// dynamic range, weight packing for the current backend's u8 x s8 GEMM row, and the int8 Linear / conv2d: the
// integer GEMM, then one epilogue pass per block of rows while the block's int32 sums are still in cache.
// The op layer (ops/quant.cpp) has checked every parameter and resolved the epilogue (Int8Finish).
#include "host_backend.h"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>
#include "threadpool.h"
#include "../core/allocator.h"
#include "../quant/qmath.h"

namespace tf {
namespace host {

namespace {

// Runs f(c, i0, i1) over flat element ranges that each lie in one channel, in parallel: chunks of the flat index,
// cut again where a channel row ends (a per-tensor coding is one long row and still splits across the pool).
template <class F>
void for_channels(const ChannelCoding& cc, F f) {
  constexpr int64_t kChunk = 32768;
  const int64_t total = cc.outer * cc.C * cc.inner;
  parallel_for(0, (total + kChunk - 1) / kChunk, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      int64_t i0 = b * kChunk;
      const int64_t i1 = std::min(total, i0 + kChunk);
      while (i0 < i1) {
        const int64_t r = i0 / cc.inner, e = std::min(i1, (r + 1) * cc.inner);
        f(r % cc.C, i0, e);
        i0 = e;
      }
    }
  });
}

template <class T, class Q>
void quantize_loop(const T* x, Q* q, const ChannelCoding& cc) {
  const cpu::CodeU8Fn code_u8 = backend_kernels().code_u8;
  for_channels(cc, [&](int64_t c, int64_t i0, int64_t i1) {
    T s = T(cc.s(c)), z = T(cc.z(c)), lo = T(cc.lo), hi = T(cc.hi);
    if constexpr (std::is_same<T, float>::value) {
      // the ISA row; an int8 code in [-128, 127] keeps its bits through uint8
      code_u8(i1 - i0, x + i0, s, z, lo, hi, reinterpret_cast<uint8_t*>(q + i0));
    } else {
      for (int64_t i = i0; i < i1; ++i) q[i] = Q(quant::quant_code(x[i], s, z, lo, hi));
    }
  });
}

template <class T>
void fake_quant_loop(const Tensor& xc, const ChannelCoding& cc, const Tensor& yt, const Tensor& inside,
                     const Tensor* coef_s, const Tensor* coef_z) {
  const T* x = xc.data_ptr<T>();
  T* y = yt.data_ptr<T>();
  uint8_t* in = inside.data_ptr<uint8_t>();
  T* cs = coef_s ? coef_s->data_ptr<T>() : nullptr;
  T* cz = coef_z ? coef_z->data_ptr<T>() : nullptr;
  for_channels(cc, [&](int64_t c, int64_t i0, int64_t i1) {
    T s = T(cc.s(c)), z = T(cc.z(c)), lo = T(cc.lo), hi = T(cc.hi);
    for (int64_t i = i0; i < i1; ++i) {
      // quant_code, keeping the unclamped code: inside iff it was not clamped
      const T u = x[i] / s, v = quant::round_even(u) + z;
      const bool ok = v >= lo && v <= hi;
      const T q = !(v == v) ? z : v < lo ? lo : v > hi ? hi : v;
      y[i] = (q - z) * s;
      in[i] = ok;
      if (cs) cs[i] = ok ? (q - z) - u : q - z;
      if (cz) cz[i] = ok ? T(0) : -s;
    }
  });
}

// rows [m0, m1) x cols [n0, n1) of C -> out[m * rs + n * cs] (elements of f.out; float32 when f.decode). Written as straight loops
// over a row of at most kEpiCols columns, with the branches hoisted, so the compiler vectorises them; the base
// translation unit has no FMA, so every ISA path rounds alike. Rows are finished kEpiRows at a time into a block
// and then stored: row by row when the output is row-major (cs == 1), else column by column, so a convolution's
// NCHW output (cs = pixels) gets runs of kEpiRows contiguous values instead of one scattered store per value
// (which cost three times the GEMM itself).
constexpr int64_t kEpiCols = 256, kEpiRows = 16;
template <class O>
void store_block(const O (*blk)[kEpiCols], int64_t rows, int64_t W, char* out, int64_t m, int64_t n0, int64_t rs,
                 int64_t cs) {
  O* o = reinterpret_cast<O*>(out) + m * rs + n0 * cs;
  if (cs == 1) {
    for (int64_t r = 0; r < rows; ++r) std::memcpy(o + r * rs, blk[r], size_t(W) * sizeof(O));
    return;
  }
  for (int64_t j = 0; j < W; ++j)
    for (int64_t r = 0; r < rows; ++r) o[j * cs + r * rs] = blk[r][j];
}
// What finish_values subtracts, scales and adds: per value (arrays; the GEMM epilogue's columns are channels) or,
// when comp is null, one channel's scalars for every value (the direct convolution's rows are one channel each).
struct ValueParams {
  const int32_t* comp = nullptr;
  const float* mult = nullptr;
  const float* bias = nullptr;
  int32_t comp1 = 0;
  float mult1 = 0.f, bias1 = 0.f;
};

// n values finished as f says: the saturated integer c - comp into ints (int32 output), else the float result
// (activation applied) into y and, for a coded output, the codes into q, decoded back into y when f.decode (as
// dequantize() computes it: (float(q) - z) * s).
void finish_values(const Int8Finish& f, const int32_t* c, const ValueParams& v, int64_t n, float* y, uint8_t* q,
                   int32_t* ints) {
  auto comp = [&](int64_t j) { return int64_t(v.comp ? v.comp[j] : v.comp1); };
  if (f.out == DType::I32) {  // the integer result itself (tests, custom epilogues), saturated to int32
    for (int64_t j = 0; j < n; ++j) {
      int64_t a = int64_t(c[j]) - comp(j);
      ints[j] = int32_t(std::min<int64_t>(INT32_MAX, std::max<int64_t>(INT32_MIN, a)));
    }
    return;
  }
  const cpu::KernelTable& k = backend_kernels();
  const int relu = f.act == Int8Act::Relu;
  if (!v.comp && !f.wide && f.decode && f.act != Int8Act::Silu) {  // the common conv row: one pass
    k.int8_affine_decode_row(n, c, v.comp1, v.mult1, v.bias1, relu, f.out_scale, f.out_zero, f.lo, f.hi, y);
    return;
  }
  if (f.wide) {  // K large enough that acc - comp could leave int32
    for (int64_t j = 0; j < n; ++j)
      y[j] = float(int64_t(c[j]) - comp(j)) * (v.comp ? v.mult[j] : v.mult1) + (v.comp ? v.bias[j] : v.bias1);
    if (relu)
      for (int64_t j = 0; j < n; ++j) y[j] = y[j] > 0.f ? y[j] : 0.f;
  } else if (v.comp) {  // the ISA rows: the same roundings, vectorised
    k.int8_affine(n, c, v.comp, v.mult, v.bias, relu, y);
  } else {
    k.int8_affine_row(n, c, v.comp1, v.mult1, v.bias1, relu, y);
  }
  if (f.act == Int8Act::Silu) {
    for (int64_t j = 0; j < n; ++j) y[j] = y[j] / (1.f + std::exp(-y[j]));
  }
  if (f.out == DType::F32) return;
  // u8 or i8 codes: code_u8 computes quant_code_fast; an int8 code in [-128, 127] keeps its bits through uint8
  k.code_u8(n, y, f.out_scale, f.out_zero, f.lo, f.hi, q);
  if (f.decode) k.decode_u8(n, q, f.out == DType::I8, f.out_scale, f.out_zero, y);
}

// The bytes finish_values left as the output's elements: y (float32 out or decoded), q (codes) or ints.
const void* finished(const Int8Finish& f, const float* y, const uint8_t* q, const int32_t* ints) {
  if (f.out == DType::I32) return ints;
  if (f.out == DType::F32 || f.decode) return y;
  return q;
}

// store_block for float32 results with the residual added, res laid out as the output (res + i where out + i)
void store_block_res(const float (*blk)[kEpiCols], int64_t rows, int64_t W, char* out, const float* res, int64_t m,
                     int64_t n0, int64_t rs, int64_t cs) {
  const int64_t base = m * rs + n0 * cs;
  float* o = reinterpret_cast<float*>(out) + base;
  const float* r0 = res + base;
  if (cs == 1) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < W; ++j) o[r * rs + j] = blk[r][j] + r0[r * rs + j];
    return;
  }
  for (int64_t j = 0; j < W; ++j)
    for (int64_t r = 0; r < rows; ++r) o[j * cs + r * rs] = blk[r][j] + r0[j * cs + r * rs];
}

void epilogue(const Int8Finish& f, const int32_t* colsum, const int32_t* C, int64_t ldc, int64_t m0, int64_t m1,
              int64_t n0, int64_t n1, char* out, const float* res, int64_t rs, int64_t cs) {
  const int64_t W = n1 - n0;
  TF_CHECK(W <= kEpiCols, Internal, "int8 epilogue block too wide");
  alignas(64) float y[kEpiRows][kEpiCols];
  alignas(64) uint8_t q[kEpiRows][kEpiCols];
  alignas(64) int32_t ints[kEpiRows][kEpiCols];
  alignas(64) int32_t comp[kEpiCols];
  ValueParams v;
  v.comp = comp;
  v.mult = f.mult.data() + n0;
  v.bias = f.bias.data() + n0;
  for (int64_t j = 0; j < W; ++j) comp[j] = f.x_zero * colsum[n0 + j];  // |x_zero * colsum| <= 255 * 128 * K < 2^31
  for (int64_t mb = m0; mb < m1; mb += kEpiRows) {
    const int64_t rows = std::min(kEpiRows, m1 - mb);
    for (int64_t r = 0; r < rows; ++r) finish_values(f, C + (mb + r) * ldc + n0, v, W, y[r], q[r], ints[r]);
    const void* blk = finished(f, y[0], q[0], ints[0]);
    if (blk == ints[0]) store_block<int32_t>(ints, rows, W, out, mb, n0, rs, cs);
    else if (blk == y[0] && res) store_block_res(y, rows, W, out, res, mb, n0, rs, cs);
    else if (blk == y[0]) store_block<float>(y, rows, W, out, mb, n0, rs, cs);
    else if (f.out == DType::U8) store_block<uint8_t>(q, rows, W, out, mb, n0, rs, cs);
    else store_block<int8_t>(reinterpret_cast<const int8_t(*)[kEpiCols]>(q), rows, W, out, mb, n0, rs, cs);
  }
}

// C[M, N] int32 for all rows, computed and finished (epilogue) in blocks split across the pool.
void gemm_epilogue(int64_t M, const uint8_t* A, int64_t lda, const PackedInt8& w, const Int8Finish& f, char* out,
                   const float* res, int64_t rs, int64_t cs, bool parallel) {
  const cpu::GemmU8S8& kern = backend_kernels().gemm_u8s8;
  const int64_t N = w.N, K = w.K;
  const int32_t* colsum = w.colsum.data_ptr<int32_t>();
  // Tasks: column blocks (a multiple of 64, where the kernels allow a split) over row blocks of up to 256 rows.
  // Each task streams its columns' packed weights once per row block, so taller row blocks read the weights fewer
  // times; enough tasks remain for the pool (and the int32 block stays in L2 for the epilogue: 256 x 256 x 4 bytes).
  const int64_t NB = 256;
  const int64_t nblocks = (N + NB - 1) / NB;
  int64_t mblocks = (M + 255) / 256;
  while (mblocks * nblocks < 2 * num_threads() && mblocks * 16 < M) ++mblocks;  // split rows when there are few columns
  const int64_t MB = (M + mblocks - 1) / mblocks;
  alloc::Scratch cbuf(size_t(M * N) * sizeof(int32_t));
  int32_t* C = cbuf.as<int32_t>();
  auto task = [&](int64_t t) {
    int64_t mb = t / nblocks, nb = t % nblocks;
    int64_t m0 = mb * MB, m1 = std::min(M, m0 + MB), n0 = nb * NB, n1 = std::min(N, n0 + NB);
    kern.gemm(m1 - m0, N, K, A + m0 * lda, lda, w.packed.data_ptr<int8_t>(), C + m0 * N, N, n0, n1);
    epilogue(f, colsum, C, N, m0, m1, n0, n1, out, res, rs, cs);
  };
  int64_t tasks = mblocks * nblocks;
  if (!parallel) { for (int64_t t = 0; t < tasks; ++t) task(t); return; }
  parallel_for(0, tasks, 1, [&](int64_t lo, int64_t hi) { for (int64_t t = lo; t < hi; ++t) task(t); });
}

// The direct convolution (kernels.h GemmU8S8::conv_tile) where the kernel row has one and the sums fit int32
// after the zero-point term (not f.wide). The input is coded once into padded "x4" planes, 4 channels per dword
// (a last group of fewer channels padded; the weight then repacked to match). A stride splits each plane into
// stride_h x stride_w phase planes (the padded pixels whose row and column leave those remainders), so that
// consecutive output pixels read consecutive positions of one phase for every tap, dilation included: tap (i, j)
// reads phase ((i dil_h) % stride_h, (j dil_w) % stride_w) at ((i dil_h) / stride_h, (j dil_w) / stride_w) from
// the output pixel. Output positions run flat over the phase width wq (s = oh * wq + ow); the positions with
// ow >= Wo are computed and dropped. Each task takes one image's run of positions and, 4 output channels at a
// time, computes tiles of 16 nv positions and finishes them into NCHW rows. Same integers and the same epilogue
// arithmetic as the general path.
bool conv_direct_applies(const PackedInt8& w, const Int8Finish& f) {
  const cpu::GemmU8S8& k = backend_kernels().gemm_u8s8;
  return k.conv_tile && w.layout == k.layout && !f.wide;
}

void conv_direct(const Tensor& out, const Tensor& xc, int64_t x_zero, float sx, const PackedInt8& w, int64_t kh,
                 int64_t kw, const Conv2dParams& p, const Int8Finish& f) {
  const cpu::GemmU8S8& k = backend_kernels().gemm_u8s8;
  const int64_t B = xc.size(0), C = xc.size(1), H = xc.size(2), W = xc.size(3), C4 = (C + 3) / 4;
  const int64_t Ho = out.size(2), Wo = out.size(3), O = w.N, ntaps = kh * kw;
  const int64_t sh = p.stride_h, sw = p.stride_w, Hp = H + 2 * p.pad_h, Wp = W + 2 * p.pad_w;
  const int64_t hq = (Hp + sh - 1) / sh, wq = (Wp + sw - 1) / sw;  // a phase plane's rows and width
  const int64_t S = Ho * wq;  // output positions s = oh * wq + ow
  const int64_t nvec = (S + 15) / 16, NV = k.conv_nv, blk = 16 * NV;
  // a phase's extent: its pixels, and every position a tile reads (the last tap's offset within its phase)
  const int64_t reach = ((kh - 1) * p.dil_h / sh) * wq + (kw - 1) * p.dil_w / sw;
  const int64_t phase = std::max(hq * wq, nvec * 16 + reach), plane = sh * sw * phase;
  std::vector<int64_t> taps(static_cast<size_t>(ntaps));
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j) {
      const int64_t di = i * p.dil_h, dj = j * p.dil_w;
      taps[size_t(i * kw + j)] = ((di % sh) * sw + dj % sw) * phase + (di / sh) * wq + dj / sw;
    }
  // the weight with each tap's channels padded to whole groups of 4, when C is not a multiple of 4
  alloc::Scratch padded_w(C % 4 ? size_t(k.packed_bytes(O, ntaps * C4 * 4)) : 1);
  if (C % 4) k.pack_padded(w.packed.data_ptr<int8_t>(), O, ntaps, C, padded_w.as<int8_t>());
  const int8_t* wp = C % 4 ? padded_w.as<int8_t>() : w.packed.data_ptr<int8_t>();
  const uint32_t pad = uint32_t(uint8_t(x_zero)) * 0x01010101u;
  alloc::Scratch x4buf(size_t(B * C4 * plane) * sizeof(uint32_t));
  uint32_t* x4 = x4buf.as<uint32_t>();
  const bool coded = xc.dtype() == DType::F32;
  const int64_t HW = H * W;
  parallel_for(0, B * C4, 1, [&](int64_t lo, int64_t hi) {
    // the group's H x W pixels coded in one call (rows of 7-28 pixels would each end in a short tail), then
    // copied into the padded (phase) planes
    alloc::Scratch rowbuf(size_t(HW) * sizeof(uint32_t));
    uint32_t* dense = rowbuf.as<uint32_t>();
    alloc::Scratch zerobuf(C % 4 && coded ? size_t(HW) * sizeof(float) : 1);  // the padded channels' rows
    if (C % 4 && coded) std::fill(zerobuf.as<float>(), zerobuf.as<float>() + HW, 0.f);
    for (int64_t bq = lo; bq < hi; ++bq) {
      const int64_t b = bq / C4, q = bq % C4, nc = std::min<int64_t>(4, C - 4 * q);
      if (coded) {
        const float* rows[4];
        for (int64_t c = 0; c < 4; ++c)
          rows[c] = c < nc ? xc.data_ptr<float>() + (b * C + 4 * q + c) * HW : zerobuf.as<float>();
        k.code_x4(HW, rows, sx, float(x_zero), 0.f, 255.f, dense);
      } else {
        const uint8_t* u = xc.data_ptr<uint8_t>() + (b * C + 4 * q) * HW;
        if (nc == 4) {  // codes already (a normalisation coded them: group_norm_coded): bytes interleaved
          const uint8_t *u1 = u + HW, *u2 = u + 2 * HW, *u3 = u + 3 * HW;
          for (int64_t i = 0; i < HW; ++i)
            dense[i] = uint32_t(u[i]) | uint32_t(u1[i]) << 8 | uint32_t(u2[i]) << 16 | uint32_t(u3[i]) << 24;
        } else for (int64_t i = 0; i < HW; ++i) {
          uint32_t d = pad;
          for (int64_t c = 0; c < nc; ++c) d = (d & ~(255u << (8 * c))) | uint32_t(u[c * HW + i]) << (8 * c);
          dense[i] = d;
        }
      }
      for (int64_t a = 0; a < sh; ++a)
        for (int64_t e = 0; e < sw; ++e) {
          uint32_t* d = x4 + bq * plane + (a * sw + e) * phase;
          for (int64_t r = 0; r < hq; ++r) {
            uint32_t* row = d + r * wq;
            const int64_t ih = a + sh * r - p.pad_h;
            if (ih < 0 || ih >= H) { std::fill(row, row + wq, pad); continue; }
            const uint32_t* src = dense + ih * W;
            if (sw == 1) {  // stride 1 along the row: a copy between the two paddings
              std::fill(row, row + p.pad_w, pad);
              std::memcpy(row + p.pad_w, src, size_t(W) * sizeof(uint32_t));
              std::fill(row + p.pad_w + W, row + wq, pad);
            } else {
              for (int64_t c = 0; c < wq; ++c) {
                const int64_t iw = e + sw * c - p.pad_w;
                row[c] = iw >= 0 && iw < W ? src[iw] : pad;
              }
            }
          }
          std::fill(d + hq * wq, d + phase, pad);
        }
    }
  });
  const int64_t es = f.decode ? int64_t(sizeof(float)) : int64_t(dtype_size(f.out));
  const int64_t P = Ho * Wo;
  const int32_t* colsum = w.colsum.data_ptr<int32_t>();
  // runs of whole blocks per task, enough tasks for the pool when the batch is small
  const int64_t nblk = (nvec + NV - 1) / NV;
  const int64_t chunks = std::min(nblk, std::max<int64_t>(1, (2 * num_threads() + B - 1) / B));
  parallel_for(0, B * chunks, 1, [&](int64_t lo, int64_t hi) {
    alignas(64) int32_t tile[4 * 16 * 6], ints[16 * 6];
    alignas(64) float y[16 * 6];
    alignas(64) uint8_t q[16 * 6];
    TF_CHECK(blk <= 16 * 6, Internal, "int8 conv tile wider than its buffers");
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t b = t / chunks, ch = t % chunks;
      const int64_t v0 = nblk * ch / chunks * NV, v1 = std::min(nvec, nblk * (ch + 1) / chunks * NV);
      const uint32_t* xb = x4 + b * C4 * plane;
      char* ob = out.raw_ptr() + b * O * P * es;
      for (int64_t o0 = 0; o0 < O; o0 += 4) {
        const int64_t rows = std::min<int64_t>(4, O - o0);
        ValueParams vp[4];
        for (int64_t r = 0; r < rows; ++r) {
          vp[r].comp1 = int32_t(f.x_zero * colsum[o0 + r]);  // |x_zero * colsum| <= 255 * 128 * K < 2^31
          vp[r].mult1 = f.mult[size_t(o0 + r)];
          vp[r].bias1 = f.bias[size_t(o0 + r)];
        }
        for (int64_t v = v0; v < v1; v += NV) {
          const int nv = int(std::min(NV, v1 - v));
          const int64_t s0 = v * 16, s1 = std::min(S, s0 + 16 * nv);
          k.conv_tile(xb, plane, taps.data(), ntaps, C4, wp, o0, s0, nv, tile, blk);
          for (int64_t r = 0; r < rows; ++r) {
            finish_values(f, tile + r * blk, vp[r], s1 - s0, y, q, ints);
            const char* src = static_cast<const char*>(finished(f, y, q, ints));
            char* orow = ob + (o0 + r) * P * es;
            // the positions of [s0, s1) that are output pixels: runs of ow < Wo within each phase row
            for (int64_t s = s0; s < s1;) {
              const int64_t oh = s / wq, ow = s % wq, e = std::min(s1, oh * wq + wq);
              if (ow < Wo) {
                const int64_t n = std::min(e, oh * wq + Wo) - s;
                if (f.residual) {  // float32 results: out = result + residual, as the layer's add would
                  const float* a = reinterpret_cast<const float*>(src) + (s - s0);
                  const float* rr = f.residual + (b * O + o0 + r) * P + oh * Wo + ow;
                  float* d = reinterpret_cast<float*>(orow) + oh * Wo + ow;
                  for (int64_t i = 0; i < n; ++i) d[i] = a[i] + rr[i];
                } else {
                  std::memcpy(orow + (oh * Wo + ow) * es, src + (s - s0) * es, size_t(n * es));
                }
              }
              s = e;
            }
          }
        }
      }
    }
  });
}

}  // namespace

bool quantize(const Tensor& q, const Tensor& x, const ChannelCoding& cc) {
  if (x.dtype() == DType::F32) {
    if (q.dtype() == DType::U8) quantize_loop(x.data_ptr<float>(), q.data_ptr<uint8_t>(), cc);
    else quantize_loop(x.data_ptr<float>(), q.data_ptr<int8_t>(), cc);
  } else if (x.dtype() == DType::F64) {
    if (q.dtype() == DType::U8) quantize_loop(x.data_ptr<double>(), q.data_ptr<uint8_t>(), cc);
    else quantize_loop(x.data_ptr<double>(), q.data_ptr<int8_t>(), cc);
  } else {
    return false;
  }
  return true;
}

bool dequantize(const Tensor& y, const Tensor& q, const ChannelCoding& cc) {
  float* out = y.data_ptr<float>();
  auto run = [&](auto* src) {
    for_channels(cc, [&](int64_t c, int64_t i0, int64_t i1) {
      float s = float(cc.s(c)), z = float(cc.z(c));
      for (int64_t i = i0; i < i1; ++i) out[i] = (float(src[i]) - z) * s;
    });
  };
  if (q.dtype() == DType::U8) run(q.data_ptr<uint8_t>());
  else if (q.dtype() == DType::I8) run(q.data_ptr<int8_t>());
  else if (q.dtype() == DType::I32) run(q.data_ptr<int32_t>());
  else return false;
  return true;
}

bool requantize(const Tensor& y, const Tensor& q, double mult, int64_t in_zero, int64_t out_zero, double lo, double hi) {
  // in float64: (q - zin) * (sin / sout) is exact enough that every code rounds as the real value would
  auto run = [&](auto* src, auto* dst) {
    using D = std::remove_pointer_t<decltype(dst)>;
    parallel_for(0, q.numel(), 65536, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        double v = quant::round_even((double(src[i]) - double(in_zero)) * mult) + double(out_zero);
        dst[i] = D(v < lo ? lo : v > hi ? hi : v);
      }
    });
  };
  auto with_dst = [&](auto* src) {
    if (y.dtype() == DType::U8) run(src, y.data_ptr<uint8_t>()); else run(src, y.data_ptr<int8_t>());
  };
  if (q.dtype() == DType::U8) with_dst(q.data_ptr<uint8_t>());
  else if (q.dtype() == DType::I8) with_dst(q.data_ptr<int8_t>());
  else if (q.dtype() == DType::I32) with_dst(q.data_ptr<int32_t>());
  else return false;
  return true;
}

bool fake_quantize(const Tensor& y, const Tensor& inside, const Tensor* coef_s, const Tensor* coef_z, const Tensor& x,
                   const ChannelCoding& cc) {
  if (x.dtype() == DType::F32) fake_quant_loop<float>(x, cc, y, inside, coef_s, coef_z);
  else if (x.dtype() == DType::F64) fake_quant_loop<double>(x, cc, y, inside, coef_s, coef_z);
  else return false;
  return true;
}

bool int8_range(const Tensor& x, double* lo_out, double* hi_out) {
  const float* p = x.data_ptr<float>();
  const int64_t n = x.numel();
  // one pass for the range; NaN fails the finite check (amin/amax would skip it)
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(64, n / 65536));
  std::vector<float> lo(size_t(chunks), 0.f), hi(size_t(chunks), 0.f);
  std::vector<uint8_t> bad(size_t(chunks), 0);
  const cpu::RangeF32Fn range = backend_kernels().range_f32;  // the ISA's row: exact, so every path agrees
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t i0 = c * n / chunks, i1 = (c + 1) * n / chunks;
      bad[c] = !range(i1 - i0, p + i0, &lo[c], &hi[c]);
    }
  });
  double l = 0, h = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    if (bad[c]) return false;
    l = std::min(l, double(lo[c]));
    h = std::max(h, double(hi[c]));
  }
  *lo_out = l;
  *hi_out = h;
  return true;
}

const char* int8_layout() { return backend_kernels().gemm_u8s8.layout; }

// One core's rate for the int8 kernel's dot instruction (GemmU8S8::dot_chains), on the calling thread: the step
// count doubled until one call takes a quarter of `seconds`, then the best of three such calls. 0 without a probe.
double int8_peak(double seconds) {
  const cpu::GemmU8S8& k = backend_kernels().gemm_u8s8;
  if (!k.dot_chains) return 0.0;
  using clock = std::chrono::steady_clock;
  auto run = [&](int64_t iters) {
    const auto t0 = clock::now();
    volatile int32_t sink = k.dot_chains(iters);
    (void)sink;
    return std::chrono::duration<double>(clock::now() - t0).count();
  };
  int64_t iters = 1024;
  while (run(iters) < seconds / 4 && iters < (int64_t(1) << 40)) iters *= 2;
  double best = run(iters);
  for (int i = 0; i < 2; ++i) best = std::min(best, run(iters));
  return double(iters) * double(k.dot_ops) / best / 1e9;
}
int64_t int8_packed_bytes(int64_t N, int64_t K) { return backend_kernels().gemm_u8s8.packed_bytes(N, K); }

void int8_pack(const PackedInt8& p, const Tensor& w) {
  backend_kernels().gemm_u8s8.pack(w.data_ptr<int8_t>(), p.N, p.K, p.packed.data_ptr<int8_t>());
  const int8_t* W = w.data_ptr<int8_t>();
  int32_t* cs = p.colsum.data_ptr<int32_t>();
  for (int64_t n = 0; n < p.N; ++n) {
    int32_t s = 0;
    for (int64_t k = 0; k < p.K; ++k) s += W[n * p.K + k];
    cs[n] = s;
  }
}

bool int8_linear(const Tensor& out, const Tensor& codes, const PackedInt8& w, const Int8Finish& f) {
  const int64_t M = codes.numel() / w.K;
  if (M > 0) gemm_epilogue(M, codes.data_ptr<uint8_t>(), w.K, w, f, out.raw_ptr(), f.residual, w.N, 1, true);
  return true;
}

bool int8_conv2d(const Tensor& out, const Tensor& xc, double x_scale, int64_t x_zero, const PackedInt8& w, int64_t kh,
                 int64_t kw, const Conv2dParams& p, const Int8Finish& f) {
  const int64_t B = xc.size(0), C = xc.size(1), H = xc.size(2), W = xc.size(3);
  const int64_t Ho = out.size(2), Wo = out.size(3);
  const int64_t P = Ho * Wo, K = w.K, O = w.N, HW = H * W;
  if (B == 0 || P == 0) return true;
  if (conv_direct_applies(w, f)) {
    conv_direct(out, xc, x_zero, float(x_scale), w, kh, kw, p, f);
    return true;
  }
  // activation codes channels last, image by image (an image's codes stay in cache while transposed): an im2col
  // row is then kh*kw runs of C contiguous bytes
  alloc::Scratch nhwc_buf(size_t(B * HW * C));
  uint8_t* nhwc = nhwc_buf.as<uint8_t>();
  const float sx = float(x_scale), zx = float(x_zero);
  // Coded (or copied) kPix pixels x kCh channels at a time into a tile, then stored pixel by pixel: both passes
  // run along contiguous memory (a byte store per value at stride C was a tenth of the layer's time).
  constexpr int64_t kPix = 64, kCh = 64;
  const bool coded = xc.dtype() == DType::F32;
  const cpu::CodeU8Fn code_u8 = backend_kernels().code_u8;
  parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
    alignas(64) uint8_t tile[kCh][kPix];
    for (int64_t b = lo; b < hi; ++b) {
      uint8_t* dst = nhwc + b * HW * C;
      for (int64_t i0 = 0; i0 < HW; i0 += kPix) {
        const int64_t np = std::min(kPix, HW - i0);
        for (int64_t c0 = 0; c0 < C; c0 += kCh) {
          const int64_t nc = std::min(kCh, C - c0);
          for (int64_t c = 0; c < nc; ++c) {
            if (coded) {
              code_u8(np, xc.data_ptr<float>() + (b * C + c0 + c) * HW + i0, sx, zx, 0.f, 255.f, tile[c]);
            } else {
              std::memcpy(tile[c], xc.data_ptr<uint8_t>() + (b * C + c0 + c) * HW + i0, size_t(np));
            }
          }
          for (int64_t i = 0; i < np; ++i) {
            uint8_t* d = dst + (i0 + i) * C + c0;
            for (int64_t c = 0; c < nc; ++c) d[c] = tile[c][i];
          }
        }
      }
    }
  });
  const uint8_t pad = uint8_t(x_zero);
  const int64_t es = f.decode ? int64_t(sizeof(float)) : int64_t(dtype_size(f.out));  // decode: float32 out
  const bool direct = kh == 1 && kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
  // one image per task: im2col (rows = output pixels, K = (i, j, c) contiguous), GEMM, epilogue into NCHW
  auto image = [&](int64_t b, bool parallel) {
    const uint8_t* xb = nhwc + b * HW * C;
    char* ob = out.raw_ptr() + b * O * P * es;
    const float* rb = f.residual ? f.residual + b * O * P : nullptr;
    if (direct) { gemm_epilogue(P, xb, C, w, f, ob, rb, 1, P, parallel); return; }
    alloc::Scratch colbuf(size_t(P * K));
    uint8_t* cols = colbuf.as<uint8_t>();
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        uint8_t* row = cols + (oh * Wo + ow) * K;
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
          for (int64_t j = 0; j < kw; ++j, row += C) {
            const int64_t iw = ow * p.stride_w - p.pad_w + j * p.dil_w;
            const bool in = ih >= 0 && ih < H && iw >= 0 && iw < W;
            if (C >= 16) {
              if (in) std::memcpy(row, xb + (ih * W + iw) * C, size_t(C)); else std::memset(row, pad, size_t(C));
            } else {  // a few channels (the first layer): a call per run would cost more than the copy
              const uint8_t* src = xb + (in ? (ih * W + iw) * C : 0);
              for (int64_t c = 0; c < C; ++c) row[c] = in ? src[c] : pad;
            }
          }
        }
      }
    gemm_epilogue(P, cols, K, w, f, ob, rb, 1, P, parallel);
  };
  if (B >= num_threads()) {
    parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) { for (int64_t b = lo; b < hi; ++b) image(b, false); });
  } else {
    for (int64_t b = 0; b < B; ++b) image(b, true);
  }
  return true;
}

}  // namespace host
}  // namespace tf
