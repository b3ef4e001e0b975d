// Time-step grids. Solvers in EDM form take a decreasing list of noise levels ending at 0.
import { TensorfieldError } from '../tensor';
import type { Schedule } from './schedules';

function checkN(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the number of steps must be a positive integer, got ${n}`);
}
function checkRange(fn: string, lo: number, hi: number): void {
  if (!(lo > 0 && hi > lo && Number.isFinite(hi))) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: needs 0 < sigmaMin < sigmaMax < Infinity, got ${lo}, ${hi}`);
  }
}

/** Karras et al. (2022) eq. 5: n levels from sigmaMax to sigmaMin spaced uniformly in sigma^(1/rho), then 0. */
export function edmSigmas(n: number, opts: { sigmaMin?: number; sigmaMax?: number; rho?: number } = {}): number[] {
  checkN('edmSigmas', n);
  const { sigmaMin = 0.002, sigmaMax = 80, rho = 7 } = opts;
  checkRange('edmSigmas', sigmaMin, sigmaMax);
  const a = Math.pow(sigmaMax, 1 / rho), b = Math.pow(sigmaMin, 1 / rho);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.pow(a + (n === 1 ? 0 : i / (n - 1)) * (b - a), rho));
  out.push(0);
  return out;
}

/** n levels uniform in log sigma (= uniform in log-SNR when alpha = 1), then 0. */
export function logSnrSigmas(n: number, opts: { sigmaMin?: number; sigmaMax?: number } = {}): number[] {
  checkN('logSnrSigmas', n);
  const { sigmaMin = 0.002, sigmaMax = 80 } = opts;
  checkRange('logSnrSigmas', sigmaMin, sigmaMax);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.exp(Math.log(sigmaMax) + (n === 1 ? 0 : i / (n - 1)) * (Math.log(sigmaMin) - Math.log(sigmaMax))));
  out.push(0);
  return out;
}

/** n + 1 times uniform from t0 to t1 (either direction). */
export function uniformTimes(n: number, t0: number, t1: number): number[] {
  checkN('uniformTimes', n);
  return Array.from({ length: n + 1 }, (_, i) => (i === n ? t1 : t0 + (i / n) * (t1 - t0)));
}

/** The EDM noise levels of a schedule at the given times (time 0 maps to 0). */
export function edmSigmasOf(schedule: Schedule, times: number[]): number[] {
  return times.map((t) => (t === 0 ? 0 : schedule.edmSigma(t)));
}
