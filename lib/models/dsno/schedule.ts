// DSNO's time grid and loss weights (digest A §4.2, §4.4; the official code's get_idx and loss). The teacher's
// cosine log-SNR schedule is TrigFlow with a clipped range: for DSNO time u in [0, 1],
//   logsnr(u) = -2 ln tan(a u + b),  b = atan(exp(-logsnr_max / 2)),  a = atan(exp(-logsnr_min / 2)) - b,
// so the TrigFlow angle is tau(u) = a u + b and, on sigma_d-normalised data, alpha / sigma = cot(tau). u = 1 is
// (almost exactly) pure noise and u = 0 (almost exactly) data.
import { TensorfieldError } from '../../tensor';

export interface LogSnrRange { logsnrMin: number; logsnrMax: number }
export const DEFAULT_RANGE: LogSnrRange = { logsnrMin: -20, logsnrMax: 20 };

export function tauOf(u: number, r: LogSnrRange = DEFAULT_RANGE): number {
  if (!(u >= 0 && u <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsno: times must lie in [0, 1], got ${u}`);
  if (!(r.logsnrMin < r.logsnrMax)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsno: logsnrMin must be < logsnrMax, got ${r.logsnrMin}, ${r.logsnrMax}`);
  const b = Math.atan(Math.exp(-r.logsnrMax / 2)), a = Math.atan(Math.exp(-r.logsnrMin / 2)) - b;
  return a * u + b;
}

export function logsnrOf(u: number, r: LogSnrRange = DEFAULT_RANGE): number {
  return -2 * Math.log(Math.tan(tauOf(u, r)));
}

/**
 * The stored times, first the input noise (u = 1), then the M target slices. 'quad' is the CIFAR grid of the
 * code (teacher step indices 512 - 2 k^2, k = 16, 12, 8, 4, 0: u = 1, 0.5625, 0.25, 0.0625, 0); 'uniform' the
 * ImageNet one (u = 1, 0.75, 0.5, 0.25, 0). Both for M = 4; other M: u_k = (1 - k/M)^2 or 1 - k/M.
 */
export type GridKind = 'quad' | 'uniform';
export function timeGrid(kind: GridKind, M = 4): number[] {
  if (!Number.isInteger(M) || M < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsno: M must be a positive integer, got ${M}`);
  if (kind !== 'quad' && kind !== 'uniform') throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsno: grid must be 'quad' or 'uniform', got ${JSON.stringify(kind)}`);
  const u: number[] = [];
  for (let k = 0; k <= M; k++) u.push(kind === 'quad' ? (1 - k / M) ** 2 : 1 - k / M);
  return u;
}

/** The code's per-slice loss weights: clamp(exp(logsnr / 2), 1, 1e4) = clamp(alpha / sigma, 1, 1e4). */
export function sliceWeights(u: number[], r: LogSnrRange = DEFAULT_RANGE): number[] {
  return u.map((v) => Math.min(1e4, Math.max(1, Math.exp(logsnrOf(v, r) / 2))));
}
