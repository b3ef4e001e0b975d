// The Blackout forward (pure-death) process and the network's input. Each of a pixel's n_0 units dies
// independently at rate 1, so at time t its count is n_t ~ Binomial(n_0, p_t), p_t = e^{-t}: no Gaussian noise and
// no dequantisation, the states stay integers, and t -> inf empties the image.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { binomial } from '../../random';
import { tidy } from '../../scope';

/** Throws TF_INVALID_ARGUMENT unless every value of x is an integer count in [0, nMax] (checked on the host). */
export function checkCounts(x: Tensor, nMax: number, what: string): void {
  const d = x.dataSync();
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!(v >= 0 && v <= nMax && Math.floor(v) === v)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: counts must be integers in [0, ${nMax}], got ${v} at flat index ${i}`);
    }
  }
}

/** Per-item survival probabilities as a float32 column [B, 1, ...] that broadcasts over an item of `itemDims` dims. */
export function perItem(values: ArrayLike<number>, itemDims: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  return tensor(Float64Array.from(values), { shape: [values.length, ...new Array(itemDims).fill(1)], dtype });
}

/**
 * n_t ~ Binomial(n_0, p) per element, p one survival probability per item ([B], in [0, 1]). n0 is float
 * (integer-valued), as the engine's binomial sampler takes it; the result has n0's dtype and shape.
 */
export function forwardSample(n0: Tensor, p: ArrayLike<number>): Tensor {
  if (n0.ndim < 1 || n0.shape[0] !== p.length) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `blackout forwardSample: ${p.length} survival probabilities for a batch of shape [${n0.shape}]`);
  }
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout forwardSample: p[${i}] = ${p[i]} is not a probability`);
  }
  return tidy(() => binomial(n0, perItem(p, n0.ndim - 1, n0.dtype as 'float32' | 'float64').expand(n0.shape).contiguous()));
}

/**
 * What the network sees: n_t - (nMax / 2) p_t (the official code, with no further scaling). Subtracting half the
 * expected survivors of a mid-range pixel centres the input at every time without hiding the integer state.
 */
export function modelInput(nt: Tensor, p: ArrayLike<number>, nMax: number): Tensor {
  return tidy(() => nt.sub(perItem(p, nt.ndim - 1, nt.dtype as 'float32' | 'float64').mul(nMax / 2)));
}
