// Per-row interpolant coefficients as tensors: losses draw one t per sample, so alpha(t), beta(t), ... become
// [n, 1, ..., 1] columns that broadcast against [n, ...] data.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import type { Coefficients, Interpolant } from './schedules';

export type CoefName = keyof Coefficients;

/** t as n float64 values: a number (broadcast) or a tensor of n values ([n] or [n, 1]). */
export function timesOf(t: number | Tensor, n: number, fn: string): Float64Array {
  if (typeof t === 'number') {
    if (!(t >= 0 && t <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: t must be in [0, 1], got ${t}`);
    return new Float64Array(n).fill(t);
  }
  if (!(t instanceof Tensor) || t.numel() !== n || !(t.ndim === 1 || (t.ndim === 2 && t.shape[1] === 1))) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: t must be a number or a tensor of ${n} values ([n] or [n, 1])`);
  }
  const v = Float64Array.from(t.dataSync() as ArrayLike<number>);
  for (const x of v) if (!(x >= 0 && x <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: t must be in [0, 1], got ${x}`);
  return v;
}

/** The named coefficients at per-row times, each an [n, 1, ...] column (rank `rank`) in `dtype`. */
export function coefColumns<K extends CoefName>(I: Interpolant, ts: Float64Array, names: K[], rank: number,
  dtype: 'float32' | 'float64'): Record<K, Tensor> {
  const n = ts.length;
  const shape = [n, ...new Array(Math.max(rank - 1, 0)).fill(1)];
  const vals = {} as Record<K, Float64Array>;
  for (const k of names) vals[k] = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = I.coefficients(ts[i]);
    for (const k of names) vals[k][i] = c[k];
  }
  const out = {} as Record<K, Tensor>;
  for (const k of names) out[k] = tensor(dtype === 'float64' ? vals[k] : Float32Array.from(vals[k]), { shape });
  return out;
}

export function floatDtype(x: Tensor, fn: string): 'float32' | 'float64' {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: expected a float32 or float64 tensor, got ${x.dtype}`);
  }
  return x.dtype;
}
