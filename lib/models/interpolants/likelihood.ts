// Likelihoods under an interpolant's dynamics.
//
// ODE: along dX/dt = b(t, X), d/dt log rho_t(X_t) = -div b(t, X_t) (continuity equation), so
//   log rho1(x) = log rho0(X_0) - ∫_0^1 div b(t, X_t) dt,   X_1 = x, integrated backward from t = 1 to 0
// on the augmented state (X, l) with dl/dt = div b, l(1) = 0, so that l(0) = -∫_0^1 div b dt.
//
// SDE: run the backward SDE dY = (b - eps s) dt + sqrt(2 eps) dW from Y_1 = x to Y_0. In reversed time
// tau = 1 - t, Itô's formula for log rho_t(Y) with the transport equation d_t log rho = -div b - b·s gives
//   d log rho_t(Y) = (div b + eps |s|² + eps div s) dtau + sqrt(2 eps) s·dW = (div b_F + eps |s|²) dtau + dM,
// b_F = b + eps s, so log rho1(x) = E[ log rho0(Y_0) - ∫_0^1 (div b_F + eps |s|²)(t, Y_t) dt ] (the martingale
// M has mean zero). The estimator averages `paths` independent Euler-Maruyama paths per point; it is unbiased
// up to the discretisation and its variance falls as 1/paths.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { tidy, keep } from '../../scope';
import { noGrad } from '../../autograd';
import { divergence } from '../../func';
import { interpolantSdeStep } from '../../samplers/steps';
import type { Distribution } from '../../data/gmm';
import type { Field } from './objectives';
import { atTime, dopri5, fixedStepOde, timeGrid, type EpsSchedule, type OdeMethod, type OdeSystem } from './dynamics';

export interface DivergenceChoice {
  /** 'exact' (one forward-mode pass per dimension) or 'hutchinson' (Rademacher probes); default exact up to 32 dims. */
  divergence?: 'exact' | 'hutchinson';
  probes?: number;
}

export interface OdeLikelihoodOptions extends DivergenceChoice {
  /** Default 'rk4'. */
  method?: OdeMethod;
  /** Steps of a fixed-step method (default 100). */
  steps?: number;
  atol?: number;
  rtol?: number;
}

export interface OdeLikelihoodResult {
  /** log rho1(x), [n] float64 values. */
  logProb: Float64Array;
  /** The base points X_0. */
  x0: Tensor;
  nfe: number;
}

function divAt(f: Field, x: Tensor, t: number, opts: DivergenceChoice): Tensor {
  return divergence((y) => atTime(f, y, t), x, { method: opts.divergence, probes: opts.probes });
}

function checkX(x: Tensor, fn: string): void {
  if (!(x instanceof Tensor) || x.ndim < 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: x must be a [n, ...] tensor`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x must be float32 or float64`);
}

/**
 * log rho1(x) by the probability-flow ODE, integrated backward from x at t = 1 to the base, where
 * rho0.logProb scores X_0. With Hutchinson the divergence estimate is unbiased, so is the log-density
 * (one probe draw per step).
 */
export function odeLogLikelihood(b: Field, rho0: Pick<Distribution, 'logProb'>, x: Tensor,
  opts: OdeLikelihoodOptions = {}): OdeLikelihoodResult {
  const fn = 'odeLogLikelihood';
  checkX(x, fn);
  const n = x.shape[0];
  const sys: OdeSystem = (t, [y]) => [atTime(b, y, t), divAt(b, y, t, opts)];
  const l0 = tensor(new Float64Array(n), { shape: [n], dtype: x.dtype });
  const method = opts.method ?? 'rk4';
  const solver = method === 'dopri5'
    ? dopri5(sys, [x, l0], 1, 0, { atol: opts.atol, rtol: opts.rtol })
    : fixedStepOde(method, sys, [x, l0], timeGrid(opts.steps ?? 100, 1, 0));
  let r = solver.next();
  while (!r.done) r = solver.next();
  const [xb, l] = r.value.y;
  const base = Float64Array.from(rho0.logProb(xb).dataSync() as ArrayLike<number>);
  const lv = l.dataSync() as ArrayLike<number>;
  const logProb = base.map((v, i) => v + lv[i]);
  l.dispose();
  l0.dispose();
  return { logProb, x0: xb, nfe: r.value.nfe };
}

export interface SdeLikelihoodOptions extends DivergenceChoice {
  eps: EpsSchedule;
  /** Euler-Maruyama steps (default 200). */
  steps?: number;
  /** Independent backward paths per point (default 16), run together as one batch of n * paths rows. */
  paths?: number;
}

export interface SdeLikelihoodResult {
  /** The per-point average over paths. */
  logProb: Float64Array;
  /** Standard error of each point's average (sample std over paths / sqrt(paths)); NaN for one path. */
  stdErr: Float64Array;
  /** Evaluations of the drift per row (steps). */
  nfe: number;
}

/** The backward-SDE log-likelihood estimator (see the header). */
export function sdeLogLikelihood(b: Field, s: Field, rho0: Pick<Distribution, 'logProb'>, x: Tensor,
  opts: SdeLikelihoodOptions): SdeLikelihoodResult {
  const fn = 'sdeLogLikelihood';
  checkX(x, fn);
  const n = x.shape[0], paths = opts.paths ?? 16, steps = opts.steps ?? 200;
  if (!(Number.isInteger(paths) && paths >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: paths must be an integer >= 1`);
  const times = timeGrid(steps, 1, 0);
  // Row r * paths + p is path p of point r.
  const idx = tensor(Int32Array.from({ length: n * paths }, (_, i) => Math.floor(i / paths)), { shape: [n * paths], dtype: 'int32' });
  let y = x.indexSelect(0, idx);
  idx.dispose();
  const N = n * paths;
  const acc = new Float64Array(N);
  for (let i = 0; i < steps; i++) {
    const t = times[i], dt = times[i + 1] - t;
    const e = typeof opts.eps === 'number' ? opts.eps : opts.eps(t);
    if (!(e >= 0 && Number.isFinite(e))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: eps(t) must be finite and >= 0, got ${e} at t = ${t}`);
    const cur = y;
    const next = tidy(() => {
      const { bx, sx, sqs } = noGrad(() => {
        const bx = atTime(b, cur, t), sx = atTime(s, cur, t);
        return { bx, sx, sqs: sx.mul(sx).reshape(N, -1).sum(1) };
      });
      // div b_F = div b + eps div s, at the left point of each backward step (Itô in reversed time).
      const bF: Field = (u, tt) => (e > 0 ? b(u, tt).add(s(u, tt).mul(e)) : b(u, tt));
      const r = divAt(bF, cur, t, opts).add(sqs.mul(e)).dataSync() as ArrayLike<number>;
      for (let j = 0; j < N; j++) acc[j] += r[j] * Math.abs(dt);
      return keep(noGrad(() => interpolantSdeStep(cur, bx, sx, e, dt, -1)));
    });
    cur.dispose();
    y = next;
  }
  const base = rho0.logProb(y).dataSync() as ArrayLike<number>;
  y.dispose();
  const logProb = new Float64Array(n), stdErr = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let m = 0, q = 0;
    for (let p = 0; p < paths; p++) m += base[r * paths + p] - acc[r * paths + p];
    m /= paths;
    for (let p = 0; p < paths; p++) q += (base[r * paths + p] - acc[r * paths + p] - m) ** 2;
    logProb[r] = m;
    stdErr[r] = paths > 1 ? Math.sqrt(q / (paths - 1) / paths) : NaN;
  }
  return { logProb, stdErr, nfe: steps };
}

/**
 * Bits per dimension of 8-bit images from log-densities of their scaled values x = u / scale - 1 (u in
 * [0, 255], scale 127.5 maps to [-1, 1]): the change of variables adds D ln(1/scale) to log p, so
 *   bpd = (-log p(x) / D + ln scale) / ln 2.
 * (A density on continuous values bounds the discrete likelihood only after dequantisation: add uniform noise of
 * one grey level, 1/scale, to the data before scoring it.) Returns one value per input log-density.
 */
export function bitsPerDim(logProb: ArrayLike<number>, dims: number, scale = 127.5): Float64Array {
  if (!(Number.isInteger(dims) && dims >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `bitsPerDim: dims must be an integer >= 1, got ${dims}`);
  if (!(scale > 0 && Number.isFinite(scale))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `bitsPerDim: scale must be finite and > 0, got ${scale}`);
  return Float64Array.from(logProb, (lp) => (-lp / dims + Math.log(scale)) / Math.LN2);
}
