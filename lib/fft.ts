// Discrete Fourier transforms (tf.fft), as torch.fft names them. A complex tensor is a float tensor whose last
// dim has size 2 (re, im): every other op works on spectra unchanged, and their gradients are ordinary tensors.
// `dim` counts the signal dims (not that pair). The native ops (native/ops/fft.cpp) are linear, with forward,
// backward and JVP rules, on every device; any length n runs in O(n log n) (Stockham for lengths whose prime
// factors are <= 64, Bluestein otherwise).
import { native } from './native';
import { Tensor, TensorfieldError, handle, wrapNative, asTensor } from './tensor';
import { cat, pad } from './ops';

/** Which direction carries the 1/n: 'backward' (default) the inverse, 'forward' the forward, 'ortho' 1/sqrt(n) both. */
export type FftNorm = 'backward' | 'forward' | 'ortho';
export interface FftOptions {
  /** the transformed (signal) dim; default -1 */
  dim?: number;
  /** signal length: the input is cut or zero-padded to n along dim (irfft: the output length, default 2 (m - 1)) */
  n?: number;
  norm?: FftNorm;
}

function scaleFor(norm: FftNorm | undefined, n: number, inverse: boolean, fn: string): number {
  switch (norm ?? 'backward') {
    case 'backward': return inverse ? 1 / n : 1;
    case 'forward': return inverse ? 1 : 1 / n;
    case 'ortho': return 1 / Math.sqrt(n);
    default: throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: norm must be 'backward', 'forward' or 'ortho', got ${JSON.stringify(norm)}`);
  }
}

function checkN(n: number | undefined, fn: string): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 1))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: n must be a positive integer, got ${n}`);
}

function signalDim(x: Tensor, dim: number, sig: number, fn: string): number {
  if (!Number.isInteger(dim) || dim < -sig || dim >= sig)
    throw new TensorfieldError('TF_DIM_OUT_OF_RANGE', `${fn}: dim ${dim} is out of range for ${sig} signal dim(s) of shape [${x.shape}]`);
  return dim < 0 ? dim + sig : dim;
}

// x cut or zero-padded to n along d (d counted from the front of x's shape)
function resize(x: Tensor, d: number, n: number): Tensor {
  const len = x.shape[d];
  if (len === n) return x;
  if (len > n) return x.narrow(d, 0, n);
  const padding: number[] = new Array(2 * (x.ndim - d)).fill(0);
  padding[2 * (x.ndim - 1 - d) + 1] = n - len;
  return pad(x, padding);
}

function complexSig(x: Tensor, fn: string): number {
  if (x.ndim < 2 || x.shape[x.ndim - 1] !== 2)
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: a complex tensor has a trailing dim of size 2 (re, im); got shape [${x.shape}]`);
  return x.ndim - 1;
}

function c2c(x0: Tensor, opts: FftOptions, inverse: boolean, fn: string): Tensor {
  const x = asTensor(x0, fn);
  checkN(opts.n, fn);
  const d = signalDim(x, opts.dim ?? -1, complexSig(x, fn), fn);
  const xs = opts.n === undefined ? x : resize(x, d, opts.n);
  return wrapNative(native.fft(handle(xs), d, inverse, scaleFor(opts.norm, xs.shape[d], inverse, fn)));
}

/** Complex DFT X_k = sum_j x_j exp(-2 pi i jk / n) along dim. */
export function fft(x: Tensor, opts: FftOptions = {}): Tensor { return c2c(x, opts, false, 'fft'); }
/** Inverse complex DFT (1/n by default). */
export function ifft(x: Tensor, opts: FftOptions = {}): Tensor { return c2c(x, opts, true, 'ifft'); }

/** The DFT of a real signal: the n/2 + 1 bins k = 0..n/2 (the rest are their conjugates), as [..., n/2 + 1, ..., 2]. */
export function rfft(x0: Tensor, opts: FftOptions = {}): Tensor {
  const x = asTensor(x0, 'rfft');
  checkN(opts.n, 'rfft');
  if (x.ndim < 1) throw new TensorfieldError('TF_SHAPE_MISMATCH', 'rfft: needs at least one dim, got a 0-d tensor');
  const d = signalDim(x, opts.dim ?? -1, x.ndim, 'rfft');
  const xs = opts.n === undefined ? x : resize(x, d, opts.n);
  return wrapNative(native.rfft(handle(xs), d, scaleFor(opts.norm, xs.shape[d], false, 'rfft')));
}

/**
 * The real signal of length n (default 2 (m - 1)) whose half spectrum is x's m bins: bins past n/2 are ignored,
 * missing ones are zero, and the imaginary parts of the DC and (n even) Nyquist bins are ignored.
 */
export function irfft(x0: Tensor, opts: FftOptions = {}): Tensor {
  const x = asTensor(x0, 'irfft');
  checkN(opts.n, 'irfft');
  const d = signalDim(x, opts.dim ?? -1, complexSig(x, 'irfft'), 'irfft');
  const n = opts.n ?? 2 * (x.shape[d] - 1);
  if (n < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `irfft: the default length 2 (m - 1) needs m >= 2 bins, got m = ${x.shape[d]}; pass n`);
  return wrapNative(native.irfft(handle(x), d, n, scaleFor(opts.norm, n, true, 'irfft')));
}

// ---- complex helpers on (re, im) pairs ----

/** A complex tensor from its real and imaginary parts (same shape). */
export function complex(re: Tensor, im: Tensor): Tensor { return cat([re.unsqueeze(-1), im.unsqueeze(-1)], -1); }
export function real(x: Tensor): Tensor { complexSig(x, 'real'); return x.select(-1, 0); }
export function imag(x: Tensor): Tensor { complexSig(x, 'imag'); return x.select(-1, 1); }
/** |x| of a complex tensor. */
export function abs(x: Tensor): Tensor { complexSig(x, 'abs'); return x.square().sum(-1).sqrt(); }
/** Elementwise complex product, broadcasting over the signal dims. */
export function mul(a: Tensor, b: Tensor): Tensor {
  complexSig(a, 'mul'); complexSig(b, 'mul');
  const ar = a.select(-1, 0), ai = a.select(-1, 1), br = b.select(-1, 0), bi = b.select(-1, 1);
  return cat([ar.mul(br).sub(ai.mul(bi)).unsqueeze(-1), ar.mul(bi).add(ai.mul(br)).unsqueeze(-1)], -1);
}

// ---- 2-D transforms over the last two dims, composed from the 1-D ops (their norms multiply) ----

/** 2-D DFT of a real x [..., H, W] over its last two dims: [..., H, W/2 + 1, 2]. */
export function rfft2(x: Tensor, opts: { norm?: FftNorm } = {}): Tensor {
  const t = asTensor(x, 'rfft2');
  if (t.ndim < 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `rfft2: needs at least two dims, got [${t.shape}]`);
  return fft(rfft(t, { dim: -1, norm: opts.norm }), { dim: -2, norm: opts.norm });
}

/** The inverse of rfft2: X [..., H, W/2 + 1, 2] -> real [..., H, W] (w: the output width, default 2 (bins - 1)). */
export function irfft2(x: Tensor, opts: { w?: number; norm?: FftNorm } = {}): Tensor {
  const t = asTensor(x, 'irfft2');
  if (t.ndim < 3) throw new TensorfieldError('TF_SHAPE_MISMATCH', `irfft2: needs [..., H, bins, 2], got [${t.shape}]`);
  return irfft(ifft(t, { dim: -2, norm: opts.norm }), { dim: -1, n: opts.w, norm: opts.norm });
}

/** 2-D complex DFT over the last two signal dims of x [..., H, W, 2]. */
export function fft2(x: Tensor, opts: { norm?: FftNorm } = {}): Tensor {
  return fft(fft(x, { dim: -1, norm: opts.norm }), { dim: -2, norm: opts.norm });
}
export function ifft2(x: Tensor, opts: { norm?: FftNorm } = {}): Tensor {
  return ifft(ifft(x, { dim: -1, norm: opts.norm }), { dim: -2, norm: opts.norm });
}
