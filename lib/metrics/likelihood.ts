// Likelihood bookkeeping: mean log-likelihood of samples under any density with logProb(), nats <-> bits per
// dimension (with the dequantisation offset for 8-bit images), bits per character.
import { Tensor, TensorfieldError } from '../tensor';
import { tidy } from '../scope';
import { noGrad } from '../autograd';
import { rand } from '../random';

/** Anything with a log-density per sample: logProb(x [b, ...]) -> [b] (nats). Matched structurally. */
export interface Density { logProb(x: Tensor): Tensor }

export interface LogLikelihood {
  /** Mean log-density over the samples, nats. */
  mean: number;
  /** Standard error of that mean (sample std / sqrt(n)). */
  stdError: number;
  count: number;
}

/** Mean log p(x) over samples [n, ...], evaluated in batches (under tidy, without gradients). */
export function meanLogLikelihood(samples: Tensor, density: Density, opts: { batchSize?: number } = {}): LogLikelihood {
  const fn = 'meanLogLikelihood';
  if (!(samples instanceof Tensor) || samples.ndim < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: samples must be a Tensor [n, ...]`);
  if (!density || typeof density.logProb !== 'function') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: density must have a logProb(x) method`);
  const n = samples.shape[0];
  if (n < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no samples`);
  const bs = opts.batchSize ?? 4096;
  if (!Number.isInteger(bs) || bs < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: batchSize must be a positive integer, got ${bs}`);
  // Welford's running mean and variance: one pass, no catastrophic cancellation for large log-densities.
  let mean = 0, m2 = 0, count = 0;
  for (let s = 0; s < n; s += bs) {
    const len = Math.min(bs, n - s);
    const lp = noGrad(() => tidy(() => {
      const out = density.logProb(samples.narrow(0, s, len));
      if (!(out instanceof Tensor) || out.numel() !== len) {
        throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: logProb of ${len} samples must return ${len} values, got ${out instanceof Tensor ? `[${out.shape.join(', ')}]` : typeof out}`);
      }
      return Float64Array.from(out.dataSync() as ArrayLike<number>);
    }));
    for (let i = 0; i < len; i++) {
      const v = lp[i];
      if (Number.isNaN(v) || v === Infinity) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: logProb gave ${v} for sample ${s + i}`);
      count++;
      const delta = v - mean;
      mean += delta / count;
      m2 += delta * (v - mean);
    }
  }
  const variance = count > 1 ? m2 / (count - 1) : 0;
  return { mean, stdError: Math.sqrt(variance / count), count };
}

function checkDims(dims: number, fn: string): void {
  if (!Number.isInteger(dims) || dims < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: dims must be a positive integer, got ${dims}`);
}

/** Negative log-likelihood of one example in nats -> bits per dimension. */
export function natsToBitsPerDim(nllNats: number, dims: number): number {
  checkDims(dims, 'natsToBitsPerDim');
  return nllNats / (dims * Math.LN2);
}

export function bitsPerDimToNats(bpd: number, dims: number): number {
  checkDims(dims, 'bitsPerDimToNats');
  return bpd * dims * Math.LN2;
}

/**
 * Width of one 8-bit intensity level in the model's space for the dequantisation x = (u + w) / 128 - 1,
 * u in {0..255}, w ~ U[0, 1): the 256 unit bins [u, u + 1) fill [-1, 1) exactly.
 */
export const DEFAULT_BIN_WIDTH = 1 / 128;

/**
 * Bits per dimension of 8-bit data from a continuous model's NLL (nats per example) of dequantised inputs.
 * With v = u + w in [0, 256)^D and x = v * binWidth + shift, p_v(v) = p_x(x) binWidth^D, so
 *   -log2 p_v(v) / D = (NLL_x + D ln(1 / binWidth)) / (D ln 2) = NLL_x / (D ln 2) + log2(1 / binWidth),
 * and by Jensen E_w[-log2 p_v(u + w)] bounds the discrete model's -log2 P(u) from above (Theis et al. 2016).
 * The default binWidth 1/128 (x = (u + w)/128 - 1) adds exactly 7 bits; x = (u + w)/127.5 - 1 (binWidth
 * 1/127.5, slightly overshooting 1) adds log2(127.5) = 6.99435; data scaled to [0, 1) by /256 adds 8.
 */
export function dequantizedBitsPerDim(nllNats: number, dims: number, opts: { binWidth?: number } = {}): number {
  checkDims(dims, 'dequantizedBitsPerDim');
  const h = opts.binWidth ?? DEFAULT_BIN_WIDTH;
  if (!(h > 0 && Number.isFinite(h))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dequantizedBitsPerDim: binWidth must be positive, got ${h}`);
  return nllNats / (dims * Math.LN2) + Math.log2(1 / h);
}

/** Uniform dequantisation of 8-bit values u (any shape; uint8 or float in [0, 255]) to x = (u + w)/128 - 1 (float32). */
export function dequantize(u: Tensor): Tensor {
  if (!(u instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'dequantize: expected a Tensor of 8-bit values');
  return tidy(() => u.to('float32').add(rand(u.shape)).mul(DEFAULT_BIN_WIDTH).sub(1));
}

/** Bits per character from per-character log-probabilities (nats) of the true characters: -mean / ln 2. */
export function bitsPerCharacter(logProbs: Tensor | ArrayLike<number>): number {
  const fn = 'bitsPerCharacter';
  const v = logProbs instanceof Tensor ? (logProbs.dataSync() as ArrayLike<number>) : logProbs;
  if (!v || v.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no log-probabilities`);
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i]) || v[i] > 1e-9) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: log-probability ${v[i]} at ${i} is not <= 0`);
    s += v[i];
  }
  return -s / (v.length * Math.LN2);
}

/** Bits per character from logits [n, V] (unnormalised, nats) and the true character ids [n]. */
export function bitsPerCharacterFromLogits(logits: Tensor, targets: Tensor | ArrayLike<number>): number {
  const fn = 'bitsPerCharacterFromLogits';
  if (!(logits instanceof Tensor) || logits.ndim !== 2) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: logits must be [n, vocab], got ${logits instanceof Tensor ? `[${logits.shape.join(', ')}]` : typeof logits}`);
  }
  const [n, V] = logits.shape;
  const t = targets instanceof Tensor ? (targets.dataSync() as ArrayLike<number>) : targets;
  if (t.length !== n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${n} rows of logits but ${t.length} targets`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(t[i]) || t[i] < 0 || t[i] >= V) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: target ${t[i]} at ${i} is not a class in [0, ${V})`);
  }
  const lp = noGrad(() => tidy(() => {
    const ls = logits.to('float64').logSoftmax(1).dataSync() as Float64Array;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = ls[i * V + t[i]];
    return out;
  }));
  return bitsPerCharacter(lp);
}
