// The int8 entries of the host backends: affine (de/re)quantization and fake quantization per channel, the
// dynamic range, weight packing for the current backend's u8 x s8 GEMM row, and the int8 Linear / conv2d: the
// integer GEMM, then one epilogue pass per block of rows while the block's int32 sums are still in cache.
// The op layer (ops/quant.cpp) has checked every parameter and resolved the epilogue (Int8Finish).
#include "host_backend.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
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
void epilogue(const Int8Finish& f, const int32_t* colsum, const int32_t* C, int64_t ldc, int64_t m0, int64_t m1,
              int64_t n0, int64_t n1, char* out, int64_t rs, int64_t cs) {
  const int64_t W = n1 - n0;
  TF_CHECK(W <= kEpiCols, Internal, "int8 epilogue block too wide");
  alignas(64) float y[kEpiRows][kEpiCols];
  alignas(64) int32_t comp[kEpiCols];
  const float* mult = f.mult.data() + n0;
  const float* bias = f.bias.data() + n0;
  const cpu::KernelTable& rows_k = backend_kernels();
  for (int64_t j = 0; j < W; ++j) comp[j] = f.x_zero * colsum[n0 + j];  // |x_zero * colsum| <= 255 * 128 * K < 2^31
  for (int64_t mb = m0; mb < m1; mb += kEpiRows) {
    const int64_t rows = std::min(kEpiRows, m1 - mb);
    if (f.out == DType::I32) {  // the integer result itself (tests, custom epilogues), saturated to int32
      alignas(64) int32_t blk[kEpiRows][kEpiCols];
      for (int64_t r = 0; r < rows; ++r) {
        const int32_t* c = C + (mb + r) * ldc + n0;
        for (int64_t j = 0; j < W; ++j) {
          int64_t a = int64_t(c[j]) - int64_t(comp[j]);
          blk[r][j] = int32_t(std::min<int64_t>(INT32_MAX, std::max<int64_t>(INT32_MIN, a)));
        }
      }
      store_block<int32_t>(blk, rows, W, out, mb, n0, rs, cs);
      continue;
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int32_t* c = C + (mb + r) * ldc + n0;
      float* yr = y[r];
      if (f.wide) {  // K large enough that acc - comp could leave int32
        for (int64_t j = 0; j < W; ++j) yr[j] = float(int64_t(c[j]) - int64_t(comp[j])) * mult[j] + bias[j];
        if (f.act == Int8Act::Relu)
          for (int64_t j = 0; j < W; ++j) yr[j] = yr[j] > 0.f ? yr[j] : 0.f;
      } else {  // the ISA row: the same roundings, vectorised
        rows_k.int8_affine(W, c, comp, mult, bias, f.act == Int8Act::Relu, yr);
      }
      if (f.act == Int8Act::Silu) {
        for (int64_t j = 0; j < W; ++j) yr[j] = yr[j] / (1.f + std::exp(-yr[j]));
      }
    }
    if (f.out == DType::F32) {
      store_block<float>(y, rows, W, out, mb, n0, rs, cs);
      continue;
    }
    // u8 or i8 codes: code_u8 computes quant_code_fast; an int8 code in [-128, 127] keeps its bits through uint8
    alignas(64) uint8_t blk[kEpiRows][kEpiCols];
    for (int64_t r = 0; r < rows; ++r) rows_k.code_u8(W, y[r], f.out_scale, f.out_zero, f.lo, f.hi, blk[r]);
    if (f.decode) {  // back to float32 as dequantize() computes it: (float(q) - z) * s
      for (int64_t r = 0; r < rows; ++r) {
        if (f.out == DType::U8) {
          for (int64_t j = 0; j < W; ++j) y[r][j] = (float(blk[r][j]) - f.out_zero) * f.out_scale;
        } else {
          for (int64_t j = 0; j < W; ++j) y[r][j] = (float(int8_t(blk[r][j])) - f.out_zero) * f.out_scale;
        }
      }
      store_block<float>(y, rows, W, out, mb, n0, rs, cs);
    } else if (f.out == DType::U8) {
      store_block<uint8_t>(blk, rows, W, out, mb, n0, rs, cs);
    } else {
      store_block<int8_t>(reinterpret_cast<const int8_t(*)[kEpiCols]>(blk), rows, W, out, mb, n0, rs, cs);
    }
  }
}

// C[M, N] int32 for all rows, computed and finished (epilogue) in blocks split across the pool.
void gemm_epilogue(int64_t M, const uint8_t* A, int64_t lda, const PackedInt8& w, const Int8Finish& f, char* out,
                   int64_t rs, int64_t cs, bool parallel) {
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
    epilogue(f, colsum, C, N, m0, m1, n0, n1, out, rs, cs);
  };
  int64_t tasks = mblocks * nblocks;
  if (!parallel) { for (int64_t t = 0; t < tasks; ++t) task(t); return; }
  parallel_for(0, tasks, 1, [&](int64_t lo, int64_t hi) { for (int64_t t = lo; t < hi; ++t) task(t); });
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
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float l = 0.f, h = 0.f;
      bool b = false;
      for (int64_t i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
        float v = p[i];
        b |= !std::isfinite(v);
        l = v < l ? v : l;
        h = v > h ? v : h;
      }
      lo[c] = l; hi[c] = h; bad[c] = b;
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
  if (M > 0) gemm_epilogue(M, codes.data_ptr<uint8_t>(), w.K, w, f, out.raw_ptr(), w.N, 1, true);
  return true;
}

bool int8_conv2d(const Tensor& out, const Tensor& xc, double x_scale, int64_t x_zero, const PackedInt8& w, int64_t kh,
                 int64_t kw, const Conv2dParams& p, const Int8Finish& f) {
  const int64_t B = xc.size(0), C = xc.size(1), H = xc.size(2), W = xc.size(3);
  const int64_t Ho = out.size(2), Wo = out.size(3);
  const int64_t P = Ho * Wo, K = w.K, O = w.N, HW = H * W;
  if (B == 0 || P == 0) return true;
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
    if (direct) { gemm_epilogue(P, xb, C, w, f, ob, 1, P, parallel); return; }
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
    gemm_epilogue(P, cols, K, w, f, ob, 1, P, parallel);
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
