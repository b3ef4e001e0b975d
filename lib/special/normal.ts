// The standard normal in host float64: erf / erfc, the CDF Phi, its inverse Phi^-1 and the density. Used where a
// float32 kernel would not do: noise-level partitions (lib/models/diffusion-blocks), closed-form scores
// (lib/metrics/forecast). erfc keeps its relative accuracy in the tail, so Phi(-8) = 6.2e-16 is right to ~1e-14
// relatively and Phi^-1 of tiny probabilities stays accurate.
import { TensorfieldError } from '../tensor';

// Math functions bound once at module scope: inside a vm context (jest's sandbox) every global lookup is slow.
const { abs, exp, sqrt, log, PI, SQRT2 } = Math;

/** erfc(x) for x >= 2.5: exp(-x²)/sqrt(pi) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by Lentz's method. */
function erfcTail(ax: number): number {
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = ax + a * d; d = 1 / d;
    c = ax + a / c;
    const delta = c * d;
    f *= delta;
    if (abs(delta - 1) < 1e-16) break;
  }
  return exp(-ax * ax) / sqrt(PI) / f;
}

/** erf(x) by its Maclaurin series, for |x| < 2.5 (~1e-16 absolute). */
function erfSeries(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 100; n++) {
    term *= -(x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (abs(add) < 1e-17 * abs(sum)) break;
  }
  return (2 / sqrt(PI)) * sum;
}

/** erf to ~1e-15 absolute: Maclaurin series for |x| < 2.5, Lentz's continued fraction for erfc beyond. */
export function erf(x: number): number {
  const ax = abs(x);
  if (ax < 2.5) return erfSeries(x);
  const t = erfcTail(ax);
  return x > 0 ? 1 - t : t - 1;
}

/** erfc(x) = 1 - erf(x), accurate relatively for large positive x (no cancellation). */
export function erfc(x: number): number {
  if (x >= 2.5) return erfcTail(x);
  if (x > -2.5) return 1 - erfSeries(x);
  return 2 - erfcTail(-x);
}

/** Phi(z) = P(N(0,1) <= z), through erfc so the lower tail keeps its relative accuracy. */
export const normalCdf = (z: number): number => 0.5 * erfc(-z / SQRT2);
export const normalPdf = (z: number): number => exp(-0.5 * z * z) / sqrt(2 * PI);

// Acklam's rational approximation (relative error < 1.2e-9), only the starting point for the Halley steps below.
const A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
const B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
const C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
const D = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
const P_LOW = 0.02425;

function acklam(p: number): number {
  if (p < P_LOW) {
    const q = sqrt(-2 * log(p));
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  const q = p - 0.5, r = q * q;
  return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

/**
 * Phi^-1(p) for p in (0, 1): Acklam's approximation refined by two Halley steps on Phi(x) - p (each step cubes
 * the relative error, so 1e-9 becomes machine precision). The upper half is taken as -Phi^-1(1 - p), so the
 * refinement always works on the accurate lower tail of Phi.
 */
export function normalPpf(p: number): number {
  if (typeof p !== 'number' || !(p > 0 && p < 1))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `normalPpf: p must be a number in (0, 1), got ${String(p)}`);
  if (p > 0.5) return -normalPpf(1 - p);
  let x = acklam(p);
  for (let k = 0; k < 2; k++) {
    const e = normalCdf(x) - p;
    const u = e * sqrt(2 * PI) * exp(0.5 * x * x);
    x -= u / (1 + 0.5 * x * u);
  }
  return x;
}
