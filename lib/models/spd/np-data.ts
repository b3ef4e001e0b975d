// The neural-process benchmark of the SPD paper (digest B §4.4): each curve is a draw of a GP with kernel
// exp(-dt^2 / 0.05) (the data's form: dt^2 over 0.05, not over 0.05^2) plus jitter 1e-4 at n ~ Poisson(8) clipped to
// [5, 50] uniform times in [0, 1]; the first floor(n/2) points are the context, the rest the target. Generated in
// float64 from a seeded JS generator so a data seed fixes the curves independently of the engine's RNG.
// The oracle is the GP posterior given the context (the code's observation noise 1e-2).
import { TensorfieldError } from '../../tensor';
import { cholesky } from '../../metrics/gaussian';
import { mulberry32 } from '../../data/prng';

export const NP_DATA_SCALE = 0.05;
export const NP_JITTER = 1e-4;
export const NP_ORACLE_NOISE = 1e-2;

/** A seeded uniform generator on [0, 1) (mulberry32, lib/data/prng.ts: the recorded curves were drawn with it). */
export const seededUniform = mulberry32;

/** Standard normal draws by Box-Muller from a uniform generator. */
export function seededNormal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function poisson(rate: number, u: () => number): number {
  // Knuth's product of uniforms: fine for a rate of 8
  const L = Math.exp(-rate);
  let k = 0, p = u();
  while (p > L) { k++; p *= u(); }
  return k;
}

/** The data kernel exp(-(a_i - b_j)^2 / 0.05) as a row-major [a.length, b.length] matrix. */
export function npKernel(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const K = new Float64Array(a.length * b.length);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) K[i * b.length + j] = Math.exp(-((a[i] - b[j]) ** 2) / NP_DATA_SCALE);
  return K;
}

export interface NpCurve { tc: Float64Array; yc: Float64Array; tt: Float64Array; yt: Float64Array }

/** `count` curves from data seed `seed`. */
export function npCurves(count: number, seed: number): NpCurve[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `npCurves: count must be a positive integer, got ${count}`);
  const u = seededUniform(seed), z = seededNormal(u);
  const out: NpCurve[] = [];
  for (let c = 0; c < count; c++) {
    const n = Math.min(50, Math.max(5, poisson(8, u)));
    const t = Float64Array.from({ length: n }, () => u());
    const K = npKernel(t, t);
    for (let i = 0; i < n; i++) K[i * n + i] += NP_JITTER;
    const L = cholesky(K, n, 'npCurves');
    const e = Float64Array.from({ length: n }, () => z());
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j <= i; j++) s += L[i * n + j] * e[j]; y[i] = s; }
    const h = Math.floor(n / 2);
    out.push({ tc: t.slice(0, h), yc: y.slice(0, h), tt: t.slice(h), yt: y.slice(h) });
  }
  return out;
}

/** Lower-triangular solve L x = b (row-major L [n, n]). */
function forward(L: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = b[i]; for (let j = 0; j < i; j++) s -= L[i * n + j] * x[j]; x[i] = s / L[i * n + i]; }
  return x;
}

/**
 * The GP posterior at query times tq given the context (tc, yc) with observation noise `noise` on the context:
 * mean K_qc (K_cc + noise I)^-1 y_c and covariance K_qq + jitter I - K_qc (K_cc + noise I)^-1 K_cq.
 */
export function npPosterior(tc: Float64Array, yc: Float64Array, tq: Float64Array, noise = NP_ORACLE_NOISE): { mean: Float64Array; cov: Float64Array } {
  const c = tc.length, q = tq.length;
  const Kcc = npKernel(tc, tc);
  for (let i = 0; i < c; i++) Kcc[i * c + i] += noise;
  const Lc = cholesky(Kcc, c, 'npPosterior');
  const Kqc = npKernel(tq, tc);
  // V = Lc^-1 K_cq (column j is Lc^-1 k_c(t_q_j)), alpha = Lc^-1 y_c
  const V: Float64Array[] = [];
  for (let j = 0; j < q; j++) V.push(forward(Lc, Kqc.subarray(j * c, (j + 1) * c), c));
  const alpha = forward(Lc, yc, c);
  const mean = new Float64Array(q), cov = npKernel(tq, tq);
  for (let j = 0; j < q; j++) {
    let s = 0;
    for (let i = 0; i < c; i++) s += V[j][i] * alpha[i];
    mean[j] = s;
    for (let k = 0; k <= j; k++) {
      let d = 0;
      for (let i = 0; i < c; i++) d += V[j][i] * V[k][i];
      cov[j * q + k] -= d;
      cov[k * q + j] = cov[j * q + k];
    }
    cov[j * q + j] += NP_JITTER;
  }
  return { mean, cov };
}

/** `m` draws [m, q] of the posterior (float64, from normal generator z). */
export function samplePosterior(p: { mean: Float64Array; cov: Float64Array }, m: number, z: () => number): Float64Array {
  const q = p.mean.length;
  const L = cholesky(p.cov, q, 'samplePosterior');
  const out = new Float64Array(m * q);
  for (let r = 0; r < m; r++) {
    const e = Float64Array.from({ length: q }, () => z());
    for (let i = 0; i < q; i++) { let s = p.mean[i]; for (let j = 0; j <= i; j++) s += L[i * q + j] * e[j]; out[r * q + i] = s; }
  }
  return out;
}
