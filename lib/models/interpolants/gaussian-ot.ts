// Closed forms for transport between two Gaussians N(m0, S0) -> N(m1, S1) (any dimension, full covariances): the
// oracle for the learned interpolant (learned.ts, design.ts).
//
// Optimal transport (quadratic cost). The Brenier map is x -> m1 + T (x - m0) with the symmetric positive-definite
//   T = S0^{-1/2} (S0^{1/2} S1 S0^{1/2})^{1/2} S0^{-1/2},   so T S0 T = S1,
// and the McCann (displacement) interpolation pushes x0 along x_t = m_t + T_t (x0 - m0), T_t = (1 - t) I + t T:
//   rho_t = N(m_t, T_t S0 T_t),   m_t = (1 - t) m0 + t m1,
// with the velocity b(t, x) = (m1 - m0) + (T - I) T_t^{-1} (x - m_t), a gradient field. Its kinetic energy is
//   int_0^1 E|b|² dt = |m1 - m0|² + tr((T - I) S0 (T - I)) = W2²(N0, N1)
//                    = |m1 - m0|² + tr S0 + tr S1 - 2 tr (S0^{1/2} S1 S0^{1/2})^{1/2}
// (Benamou-Brenier: no other path of densities with a velocity transporting them costs less).
//
// The linear interpolant with independent coupling, x_t = (1 - t) x0 + t x1 (gamma = 0): x_t ~ N(m_t, C_t) with
// C_t = (1 - t)² S0 + t² S1; (dI/dt, x_t) are jointly Gaussian, so b = E[x1 - x0 | x_t = x] = (m1 - m0) + A_t (x - m_t),
// A_t = Cov(x1 - x0, x_t) C_t^{-1} = (C_t'/2) C_t^{-1}, and its kinetic energy is
//   int_0^1 |m1 - m0|² + tr(A_t C_t A_t^T) dt = |m1 - m0|² + int_0^1 ¼ tr(C_t' C_t^{-1} C_t') dt,
// integrated here by composite Simpson (the integrand is smooth: C_t is positive definite on [0, 1]).
import { TensorfieldError } from '../../tensor';
import { symEig } from '../../linalg';

/** A d x d matrix, row-major. */
export type Mat = Float64Array;

function checkSpd(S: ArrayLike<number>, d: number, what: string, fn: string): Mat {
  if (!S || S.length !== d * d) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} must have ${d * d} entries (d = ${d}), got ${S ? S.length : 'none'}`);
  const A = Float64Array.from(S);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    if (!Number.isFinite(A[i * d + j])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} has a non-finite entry`);
    if (Math.abs(A[i * d + j] - A[j * d + i]) > 1e-12 * (1 + Math.abs(A[i * d + j]))) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be symmetric`);
    }
  }
  const { values } = symEig(A, d);
  for (const v of values) if (!(v > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be positive definite (eigenvalue ${v})`);
  return A;
}

export function matMul(A: ArrayLike<number>, B: ArrayLike<number>, d: number): Mat {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
    const a = A[i * d + k];
    for (let j = 0; j < d; j++) C[i * d + j] += a * B[k * d + j];
  }
  return C;
}

/** f(S) = V f(Lambda) V^T for a symmetric S (f applied to the eigenvalues). */
export function symFunc(S: ArrayLike<number>, d: number, f: (x: number) => number): Mat {
  const { values, vectors } = symEig(S, d);
  // symEig's eigenvectors are the columns of `vectors` (row-major d x d).
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const fv = f(values[k]);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] += vectors[i * d + k] * fv * vectors[j * d + k];
  }
  return out;
}

const trace = (A: Mat, d: number): number => { let s = 0; for (let i = 0; i < d; i++) s += A[i * d + i]; return s; };

export interface GaussianOT {
  dim: number;
  /** The Brenier map's linear part T (d x d, symmetric positive definite). */
  T: Mat;
  /** W2²(N(m0, S0), N(m1, S1)) by the trace formula. */
  w2sq: number;
  /** McCann interpolation: mean and covariance at time t. */
  mean(t: number): Float64Array;
  cov(t: number): Mat;
}

function checkMean(m: ArrayLike<number>, d: number, what: string, fn: string): Float64Array {
  if (!m || m.length !== d) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} must have ${d} entries`);
  const v = Float64Array.from(m);
  for (const x of v) if (!Number.isFinite(x)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} has a non-finite entry`);
  return v;
}

function checkT(t: number, fn: string): void {
  if (!(t >= 0 && t <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: t must be in [0, 1], got ${t}`);
}

/** The optimal transport between N(m0, S0) and N(m1, S1) (covariances row-major, d x d). */
export function gaussianOT(m0: ArrayLike<number>, S0in: ArrayLike<number>, m1: ArrayLike<number>, S1in: ArrayLike<number>): GaussianOT {
  const fn = 'gaussianOT';
  const d = m0 ? m0.length : 0;
  if (!(d >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: m0 must be a non-empty array`);
  const a0 = checkMean(m0, d, 'm0', fn), a1 = checkMean(m1, d, 'm1', fn);
  const S0 = checkSpd(S0in, d, 'S0', fn), S1 = checkSpd(S1in, d, 'S1', fn);
  const r = symFunc(S0, d, Math.sqrt), ri = symFunc(S0, d, (x) => 1 / Math.sqrt(x));
  const M = symFunc(matMul(matMul(r, S1, d), r, d), d, Math.sqrt);
  const T = matMul(matMul(ri, M, d), ri, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) { const s = (T[i * d + j] + T[j * d + i]) / 2; T[i * d + j] = s; T[j * d + i] = s; }
  let dm = 0;
  for (let i = 0; i < d; i++) dm += (a1[i] - a0[i]) ** 2;
  const w2sq = dm + trace(S0, d) + trace(S1, d) - 2 * trace(M, d);
  return {
    dim: d, T, w2sq,
    mean(t: number) { checkT(t, `${fn}.mean`); return a0.map((v, i) => (1 - t) * v + t * a1[i]); },
    cov(t: number) {
      checkT(t, `${fn}.cov`);
      const Tt = new Float64Array(d * d);
      for (let i = 0; i < d * d; i++) Tt[i] = t * T[i];
      for (let i = 0; i < d; i++) Tt[i * d + i] += 1 - t;
      return matMul(matMul(Tt, S0, d), Tt, d);
    },
  };
}

/**
 * Kinetic energy int E|b|² dt of the linear interpolant x_t = (1 - t) x0 + t x1 with x0, x1 independent (gamma = 0),
 * by Simpson's rule on `intervals` (even) sub-intervals; see the header.
 */
export function linearInterpolantKineticEnergy(m0: ArrayLike<number>, S0in: ArrayLike<number>, m1: ArrayLike<number>,
  S1in: ArrayLike<number>, intervals = 2000): number {
  const fn = 'linearInterpolantKineticEnergy';
  const d = m0 ? m0.length : 0;
  if (!(d >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: m0 must be a non-empty array`);
  if (!(Number.isInteger(intervals) && intervals >= 2 && intervals % 2 === 0)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: intervals must be an even integer >= 2`);
  }
  const a0 = checkMean(m0, d, 'm0', fn), a1 = checkMean(m1, d, 'm1', fn);
  const S0 = checkSpd(S0in, d, 'S0', fn), S1 = checkSpd(S1in, d, 'S1', fn);
  const f = (t: number): number => {
    const C = new Float64Array(d * d), Cd = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) { C[i] = (1 - t) ** 2 * S0[i] + t * t * S1[i]; Cd[i] = -2 * (1 - t) * S0[i] + 2 * t * S1[i]; }
    return 0.25 * trace(matMul(matMul(Cd, symFunc(C, d, (x) => 1 / x), d), Cd, d), d);
  };
  return meanEnergy(a0, a1, d) + simpson(f, intervals);
}

// Schrödinger bridge between N(m0, S0) and N(m1, S1) for the reference Brownian motion dX = sigma dW (variance
// sigma² per unit time). The bridge is the mixture of reference Brownian bridges over the static entropic coupling
// pi(x0, x1) ∝ a(x0) c(x1) exp(-|x0 - x1|² / (2 sigma²)); for Gaussians pi is Gaussian with cross-covariance
//   C = ½ (S0^{1/2} D S0^{-1/2} - sigma² I),   D = (4 S0^{1/2} S1 S0^{1/2} + sigma⁴ I)^{1/2}
// (the exponent's cross term x0·x1 / sigma² means the joint precision's off-diagonal block is -I / sigma²; the test
// checks that, not this formula). A Brownian bridge from x0 to x1 at time t is (1 - t) x0 + t x1 + sigma sqrt(t(1-t)) z,
// so rho_t = N(m_t, Sigma_t) with
//   Sigma_t = (1 - t)² S0 + t² S1 + t (1 - t) (C + C^T + sigma² I).
// That is exactly a stochastic interpolant: linear path, *entropic* coupling, gamma = sigma sqrt(t (1 - t)).
// Its fluid form (Chen, Georgiou & Pavon): KL(bridge || reference) differs by constants fixed by rho0, rho1 from
// (1 / 2 sigma²) J with
//   J = int_0^1 E[ |v|² + (sigma⁴ / 4) |grad log rho_t|² ] dt,   d/dt rho + div(rho v) = 0,
// v the probability-flow velocity (expand u = v + (sigma²/2) grad log rho; the cross term integrates to the entropy
// difference of the ends). So the bridge minimises J over all density paths; `gaussianPathEnergy` evaluates J for
// a Gaussian path with its minimal (gradient) velocity v = m' + B (x - m_t), B Sigma + Sigma B = Sigma'.

/** J of a Gaussian path (mean linear from m0 to m1): int |m'|² + tr(B Sigma B) + (sigma⁴/4) tr(Sigma^{-1}) dt. */
export function gaussianPathEnergy(dm2: number, cov: (t: number) => Mat, dcov: (t: number) => Mat, d: number, sigma2: number,
  intervals = 2000): number {
  const f = (t: number): number => {
    const S = cov(t), Sd = dcov(t);
    const { values, vectors } = symEig(S, d);
    // In S's eigenbasis the Lyapunov equation B S + S B = S' is diagonal: B~_ij = S'~_ij / (l_i + l_j).
    const Vt = (i: number, j: number) => vectors[j * d + i]; // V^T
    const Sdt = matMul(matMul(Array.from({ length: d * d }, (_, k) => Vt(Math.floor(k / d), k % d)), Sd, d), vectors, d);
    let e = 0, inv = 0;
    for (let i = 0; i < d; i++) {
      inv += 1 / values[i];
      for (let j = 0; j < d; j++) { const b = Sdt[i * d + j] / (values[i] + values[j]); e += b * b * values[j]; }
    }
    return dm2 + e + (sigma2 * sigma2 / 4) * inv;
  };
  const h = 1 / intervals;
  let s = f(0) + f(1);
  for (let k = 1; k < intervals; k++) s += (k % 2 ? 4 : 2) * f(k * h);
  return (s * h) / 3;
}

export interface GaussianSB {
  dim: number;
  sigma2: number;
  /** Cross-covariance Cov(x0, x1) of the entropic coupling. */
  C: Mat;
  mean(t: number): Float64Array;
  cov(t: number): Mat;
  dcov(t: number): Mat;
  /** J (see above) of the bridge, by Simpson. */
  energy: number;
}

/** The Schrödinger bridge between N(m0, S0) and N(m1, S1) for reference variance sigma2 per unit time. */
export function gaussianSB(m0: ArrayLike<number>, S0in: ArrayLike<number>, m1: ArrayLike<number>, S1in: ArrayLike<number>, sigma2: number): GaussianSB {
  const fn = 'gaussianSB';
  const d = m0 ? m0.length : 0;
  if (!(d >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: m0 must be a non-empty array`);
  if (!(sigma2 > 0 && Number.isFinite(sigma2))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: sigma2 must be a positive number, got ${sigma2}`);
  const a0 = checkMean(m0, d, 'm0', fn), a1 = checkMean(m1, d, 'm1', fn);
  const S0 = checkSpd(S0in, d, 'S0', fn), S1 = checkSpd(S1in, d, 'S1', fn);
  const r = symFunc(S0, d, Math.sqrt), ri = symFunc(S0, d, (x) => 1 / Math.sqrt(x));
  const inner = matMul(matMul(r, S1, d), r, d);
  for (let i = 0; i < d * d; i++) inner[i] *= 4;
  for (let i = 0; i < d; i++) inner[i * d + i] += sigma2 * sigma2;
  const D = symFunc(inner, d, Math.sqrt);
  const C = matMul(matMul(r, D, d), ri, d);
  for (let i = 0; i < d * d; i++) C[i] *= 0.5;
  for (let i = 0; i < d; i++) C[i * d + i] -= sigma2 / 2;
  const mid = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) mid[i * d + j] = C[i * d + j] + C[j * d + i] + (i === j ? sigma2 : 0);
  const cov = (t: number): Mat => S0.map((v, i) => (1 - t) ** 2 * v + t * t * S1[i] + t * (1 - t) * mid[i]);
  const dcov = (t: number): Mat => S0.map((v, i) => -2 * (1 - t) * v + 2 * t * S1[i] + (1 - 2 * t) * mid[i]);
  let dm2 = 0;
  for (let i = 0; i < d; i++) dm2 += (a1[i] - a0[i]) ** 2;
  return {
    dim: d, sigma2, C,
    mean(t: number) { checkT(t, `${fn}.mean`); return a0.map((v, i) => (1 - t) * v + t * a1[i]); },
    cov(t: number) { checkT(t, `${fn}.cov`); return cov(t); },
    dcov(t: number) { checkT(t, `${fn}.dcov`); return dcov(t); },
    energy: gaussianPathEnergy(dm2, cov, dcov, d, sigma2),
  };
}

/**
 * J for the linear interpolant with independent coupling and gamma = sigma sqrt(t (1 - t)): Sigma_t = (1 - t)² S0 +
 * t² S1 + sigma² t (1 - t) I and its velocity b = m' + (Sigma'/2) Sigma^{-1} (x - m_t) (not the gradient one):
 * int |m'|² + ¼ tr(Sigma' Sigma^{-1} Sigma') + (sigma⁴/4) tr(Sigma^{-1}) dt.
 */
export function linearInterpolantSBEnergy(m0: ArrayLike<number>, S0in: ArrayLike<number>, m1: ArrayLike<number>, S1in: ArrayLike<number>,
  sigma2: number, intervals = 2000): number {
  const fn = 'linearInterpolantSBEnergy';
  const d = m0 ? m0.length : 0;
  if (!(d >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: m0 must be a non-empty array`);
  if (!(sigma2 > 0 && Number.isFinite(sigma2))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: sigma2 must be a positive number`);
  const a0 = checkMean(m0, d, 'm0', fn), a1 = checkMean(m1, d, 'm1', fn);
  const S0 = checkSpd(S0in, d, 'S0', fn), S1 = checkSpd(S1in, d, 'S1', fn);
  const f = (t: number): number => {
    const S = new Float64Array(d * d), Sd = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) { S[i] = (1 - t) ** 2 * S0[i] + t * t * S1[i]; Sd[i] = -2 * (1 - t) * S0[i] + 2 * t * S1[i]; }
    for (let i = 0; i < d; i++) { S[i * d + i] += sigma2 * t * (1 - t); Sd[i * d + i] += sigma2 * (1 - 2 * t); }
    const Si = symFunc(S, d, (x) => 1 / x);
    return 0.25 * trace(matMul(matMul(Sd, Si, d), Sd, d), d) + (sigma2 * sigma2 / 4) * trace(Si, d);
  };
  return meanEnergy(a0, a1, d) + simpson(f, intervals);
}

// Simpson's rule for the integral of f over [0, 1] on an even number of intervals.
function simpson(f: (t: number) => number, intervals: number): number {
  const h = 1 / intervals;
  let s = f(0) + f(1);
  for (let k = 1; k < intervals; k++) s += (k % 2 ? 4 : 2) * f(k * h);
  return (s * h) / 3;
}

// |a1 - a0|^2: the kinetic energy of the means' straight path.
function meanEnergy(a0: ArrayLike<number>, a1: ArrayLike<number>, d: number): number {
  let dm = 0;
  for (let i = 0; i < d; i++) dm += (a1[i] - a0[i]) ** 2;
  return dm;
}
