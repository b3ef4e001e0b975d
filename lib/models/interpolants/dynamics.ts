// Generative dynamics of an interpolant: the probability-flow ODE dX = b dt and the SDEs
// dX = (b ± eps s) dt + sqrt(2 eps) dW (forward from t = 0 / backward from t = 1). Solvers are generators in the
// pattern of lib/samplers/solvers.ts: they yield progress after each step and return the state with its NFE
// (field evaluations; an SDE step evaluating b and s counts once). Steps run under tidy and noGrad; the caller's
// initial state is neither modified nor disposed.
import { Tensor, TensorfieldError, full } from '../../tensor';
import { tidy, keep } from '../../scope';
import { noGrad } from '../../autograd';
import { randnLike } from '../../random';
import { interpolantSdeStep } from '../../samplers/steps';
import type { Progress, SampleResult, Solver } from '../../samplers/solvers';
import type { Field } from './objectives';

/** dy/dt for a state made of several tensors (the likelihood augments x with a log-density accumulator). */
export type OdeSystem = (t: number, y: Tensor[]) => Tensor[];
export interface OdeResult { y: Tensor[]; nfe: number; steps: number; rejected: number }
export type OdeSolver = Generator<Progress, OdeResult, void>;

/** The field at one time for every row of x. */
export function atTime(f: Field, x: Tensor, t: number): Tensor {
  // Stage times such as t + h can round a few ulps outside [0, 1].
  const tc = t < 0 && t > -1e-12 ? 0 : t > 1 && t < 1 + 1e-12 ? 1 : t;
  return f(x, full([x.shape[0]], tc, { dtype: x.dtype }));
}

function checkTimes(fn: string, times: number[]): void {
  if (!Array.isArray(times) || times.length < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: needs at least two times`);
  const dir = Math.sign(times[times.length - 1] - times[0]);
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!(t >= 0 && t <= 1) || (i > 0 && !(Math.sign(t - times[i - 1]) === dir && dir !== 0))) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: times must lie in [0, 1] and be strictly monotone (at ${i}: ${t})`);
    }
  }
}

/** A uniform grid of `steps` steps from t0 to t1. */
export function timeGrid(steps: number, t0 = 0, t1 = 1): number[] {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `timeGrid: steps must be an integer >= 1, got ${steps}`);
  return Array.from({ length: steps + 1 }, (_, i) => (i === steps ? t1 : t0 + ((t1 - t0) * i) / steps));
}

const axpy = (y: Tensor[], h: number, ks: Tensor[][], cs: number[]): Tensor[] =>
  y.map((yi, j) => {
    let acc = yi;
    cs.forEach((c, m) => { if (c !== 0) acc = acc.add(ks[m][j].mul(h * c)); });
    return acc;
  });

/** Replaces the owned state by `next`, disposing the old one if the solver created it. */
function swap(st: { y: Tensor[]; owned: boolean }, next: Tensor[]): void {
  if (st.owned) for (const t of st.y) t.dispose();
  st.y = next;
  st.owned = true;
}

const keepAll = (ys: Tensor[]) => ys.map((t) => keep(t));

export type FixedOdeMethod = 'euler' | 'heun' | 'rk4';
export const FIXED_ODE_METHODS: readonly FixedOdeMethod[] = ['euler', 'heun', 'rk4'];

/** Fixed-step explicit Runge-Kutta on a time grid (either direction). NFE: 1, 2 or 4 per step. */
export function* fixedStepOde(method: FixedOdeMethod, f: OdeSystem, y0: Tensor[], times: number[]): OdeSolver {
  if (!FIXED_ODE_METHODS.includes(method)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `fixedStepOde: unknown method '${String(method)}' (valid: ${FIXED_ODE_METHODS.join(', ')}, or use dopri5)`);
  }
  checkTimes('fixedStepOde', times);
  const st = { y: y0, owned: false };
  const n = times.length - 1;
  const per = method === 'euler' ? 1 : method === 'heun' ? 2 : 4;
  for (let i = 0; i < n; i++) {
    const t = times[i], h = times[i + 1] - t;
    const next = tidy(() => noGrad(() => {
      const y = st.y;
      const k1 = f(t, y);
      if (method === 'euler') return axpy(y, h, [k1], [1]);
      if (method === 'heun') {
        const k2 = f(t + h, axpy(y, h, [k1], [1]));
        return axpy(y, h, [k1, k2], [0.5, 0.5]);
      }
      const k2 = f(t + h / 2, axpy(y, h / 2, [k1], [1]));
      const k3 = f(t + h / 2, axpy(y, h / 2, [k2], [1]));
      const k4 = f(t + h, axpy(y, h, [k3], [1]));
      return axpy(y, h, [k1, k2, k3, k4], [1 / 6, 1 / 3, 1 / 3, 1 / 6]);
    }));
    swap(st, next);
    yield { step: i + 1, steps: n, nfe: (i + 1) * per };
  }
  return { y: st.y, nfe: n * per, steps: n, rejected: 0 };
}

export interface Dopri5Options {
  /** Absolute and relative tolerances of the local error estimate (default 1e-5 each). */
  atol?: number;
  rtol?: number;
  /** First step size (magnitude; default 1e-2 of the interval). */
  h0?: number;
  /** Give up after this many attempted steps (default 10000). */
  maxSteps?: number;
}

// Dormand-Prince 5(4) tableau: 7 stages, the 7th at (t + h, y_new) reused as the next step's first (FSAL).
const DP_C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const DP_A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
// Difference between the 5th-order weights (= DP_A[6], 0) and the embedded 4th-order ones: the error estimate.
const DP_E = [35 / 384 - 5179 / 57600, 0, 500 / 1113 - 7571 / 16695, 125 / 192 - 393 / 640,
  -2187 / 6784 + 92097 / 339200, 11 / 84 - 187 / 2100, -1 / 40];

/**
 * Adaptive Dormand-Prince 5(4) from t0 to t1 (either direction): a step is accepted when the RMS over all
 * elements of err_i / (atol + rtol max(|y_i|, |y_new,i|)) is <= 1, and the next size is
 * h · clamp(0.9 err^(-1/5), 0.2, 10) (the standard controller; the 1/5 exponent is the order of the local
 * error of the 4th-order estimate plus one). Yields after every accepted step (steps is not known in advance:
 * it reports the accepted count so far).
 */
export function* dopri5(f: OdeSystem, y0: Tensor[], t0: number, t1: number, opts: Dopri5Options = {}): OdeSolver {
  const atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-5, maxSteps = opts.maxSteps ?? 10000;
  if (!(atol >= 0 && rtol >= 0 && atol + rtol > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'dopri5: atol and rtol must be >= 0, not both 0');
  if (!(t0 >= 0 && t0 <= 1 && t1 >= 0 && t1 <= 1 && t0 !== t1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dopri5: need distinct t0, t1 in [0, 1] (got ${t0}, ${t1})`);
  const dir = Math.sign(t1 - t0), span = Math.abs(t1 - t0);
  let h = Math.min(opts.h0 ?? 1e-2 * span, span);
  if (!(h > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'dopri5: h0 must be > 0');
  const st = { y: y0, owned: false };
  let k1: Tensor[] = tidy(() => noGrad(() => keepAll(f(t0, y0))));
  let t = t0, nfe = 1, accepted = 0, rejected = 0, attempts = 0;
  while (dir * (t1 - t) > 1e-12 * span) {
    if (++attempts > maxSteps) {
      for (const k of k1) k.dispose();
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `dopri5: more than ${maxSteps} steps (tolerances too tight or the field too stiff)`);
    }
    const hs = dir * Math.min(h, Math.abs(t1 - t));
    const last = Math.abs(t1 - t) <= h;
    const res = tidy(() => noGrad(() => {
      const ks: Tensor[][] = [k1];
      for (let s = 1; s < 7; s++) ks.push(f(last && s >= 5 ? t + hs : t + DP_C[s] * hs, axpy(st.y, hs, ks, DP_A[s])));
      const yNew = axpy(st.y, hs, ks, DP_A[6]);
      // ks[6] was evaluated at yNew (DP_A[6] are the 5th-order weights), so it is the next k1.
      let sq = 0, count = 0;
      st.y.forEach((yi, j) => {
        let err: Tensor | null = null;
        DP_E.forEach((c, m) => { if (c !== 0) { const term = ks[m][j].mul(hs * c); err = err ? err.add(term) : term; } });
        const scale = yi.abs().maximum(yNew[j].abs()).mul(rtol).add(atol);
        const r = err!.div(scale);
        sq += r.mul(r).sum().item();
        count += yi.numel();
      });
      return { yNew, k7: ks[6], err: Math.sqrt(sq / Math.max(count, 1)) };
    }));
    nfe += 6;
    const err = Number.isFinite(res.err) ? res.err : Infinity;
    if (err <= 1) {
      t = last ? t1 : t + hs;
      swap(st, res.yNew);
      for (const k of k1) k.dispose();
      k1 = res.k7;
      accepted++;
      yield { step: accepted, steps: accepted, nfe };
    } else {
      for (const x of [...res.yNew, ...res.k7]) x.dispose();
      rejected++;
    }
    const factor = err === 0 ? 10 : Math.min(10, Math.max(0.2, 0.9 * err ** -0.2));
    h = Math.abs(hs) * (err <= 1 ? factor : Math.min(1, factor));
  }
  for (const k of k1) k.dispose();
  return { y: st.y, nfe, steps: accepted, rejected };
}

export type OdeMethod = FixedOdeMethod | 'dopri5';

export interface OdeSampleOptions extends Dopri5Options {
  /** Default 'rk4'. */
  method?: OdeMethod;
  /** Steps of the fixed-step methods (default 100). */
  steps?: number;
  /** Integration interval, default 0 -> 1 (pass t0 = 1, t1 = 0 to go backwards). */
  t0?: number;
  t1?: number;
}

function* asSample(s: OdeSolver): Solver {
  const r = yield* s;
  return { x: r.y[0], nfe: r.nfe };
}

/** Probability-flow ODE dX/dt = b(t, X) from x (at t0) to t1: a Solver in the lib/samplers sense. */
export function odeSampler(b: Field, x: Tensor, opts: OdeSampleOptions = {}): Solver {
  const t0 = opts.t0 ?? 0, t1 = opts.t1 ?? 1, method = opts.method ?? 'rk4';
  const sys: OdeSystem = (t, [y]) => [atTime(b, y, t)];
  if (method === 'dopri5') return asSample(dopri5(sys, [x], t0, t1, opts));
  return asSample(fixedStepOde(method, sys, [x], timeGrid(opts.steps ?? 100, t0, t1)));
}

/** The diffusion coefficient eps(t) >= 0: a constant or a function of t. */
export type EpsSchedule = number | ((t: number) => number);

function epsAt(eps: EpsSchedule, t: number, fn: string): number {
  const e = typeof eps === 'number' ? eps : eps(t);
  if (!(e >= 0 && Number.isFinite(e))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: eps(t) must be finite and >= 0, got ${e} at t = ${t}`);
  return e;
}

export type SdeMethod = 'euler-maruyama' | 'heun';
export const SDE_METHODS: readonly SdeMethod[] = ['euler-maruyama', 'heun'];

export interface SdeSampleOptions {
  eps: EpsSchedule;
  /** Default 'euler-maruyama'. */
  method?: SdeMethod;
  /** Steps (default 100). */
  steps?: number;
  /** +1: forward SDE from t0 = 0 to t1 = 1 with drift b + eps s (default); -1: backward from 1 to 0 with b - eps s. */
  direction?: 1 | -1;
  /** Explicit time grid (monotone in the SDE's direction); overrides steps. */
  times?: number[];
  /** b and s from one call (when they share work, as exact fields or a two-headed network do); replaces b, s. */
  joint?: JointField;
}

/** b and s evaluated together. */
export type JointField = (x: Tensor, t: Tensor) => { b: Tensor; s: Tensor };

/**
 * The interpolant SDE dX = (b + direction·eps·s) dt + sqrt(2 eps) dW from x.
 * - euler-maruyama: one fused interpolantSdeStep per step (1 evaluation of b and s).
 * - heun: the additive-noise stochastic Heun (noise-free predictor-corrector on the drift plus the same
 *   Brownian increment; strong order 1 for additive noise): with xi ~ N(0, I) and dW = sqrt(|dt|) xi,
 *   x' = x + f(t, x) dt + g dW, x <- x + (f(t, x) + f(t + dt, x')) dt / 2 + g dW, g = sqrt(2 eps(t)) (the
 *   left-point value, as Itô requires). 2 evaluations per step.
 */
export function* sdeSampler(b: Field, s: Field, x0: Tensor, opts: SdeSampleOptions): Solver {
  const fn = 'sdeSampler';
  const dir = opts.direction ?? 1;
  if (dir !== 1 && dir !== -1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: direction must be 1 or -1`);
  const method = opts.method ?? 'euler-maruyama';
  if (!SDE_METHODS.includes(method)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: unknown method '${String(method)}' (valid: ${SDE_METHODS.join(', ')})`);
  const times = opts.times ?? (dir === 1 ? timeGrid(opts.steps ?? 100, 0, 1) : timeGrid(opts.steps ?? 100, 1, 0));
  checkTimes(fn, times);
  if (Math.sign(times[times.length - 1] - times[0]) !== dir) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the times must run in the SDE's direction`);
  const joint = opts.joint;
  const evalBS = (x: Tensor, t: number, needS: boolean): [Tensor, Tensor | null] => {
    if (joint) {
      const tc = t < 0 && t > -1e-12 ? 0 : t > 1 && t < 1 + 1e-12 ? 1 : t;
      const r = joint(x, full([x.shape[0]], tc, { dtype: x.dtype }));
      return [r.b, needS ? r.s : null];
    }
    return [atTime(b, x, t), needS ? atTime(s, x, t) : null];
  };
  const st = { y: [x0], owned: false };
  const n = times.length - 1, per = method === 'heun' ? 2 : 1;
  for (let i = 0; i < n; i++) {
    const t = times[i], dt = times[i + 1] - t;
    const e = epsAt(opts.eps, t, fn);
    const next = tidy(() => noGrad(() => {
      const x = st.y[0];
      const [bx, sx] = evalBS(x, t, e > 0);
      if (method === 'euler-maruyama') return [interpolantSdeStep(x, bx, sx, e, dt, dir)];
      const e1 = epsAt(opts.eps, t + dt, fn);
      const drift = (bb: Tensor, ss: Tensor | null, ee: number) => (ss && ee > 0 ? bb.add(ss.mul(dir * ee)) : bb);
      const f0 = drift(bx, sx, e);
      const noise = randnLike(x).mul(Math.sqrt(2 * e * Math.abs(dt)));
      const xp = x.add(f0.mul(dt)).add(noise);
      const f1 = drift(...evalBS(xp, t + dt, e1 > 0), e1);
      return [x.add(f0.add(f1).mul(dt / 2)).add(noise)];
    }));
    swap(st, next);
    yield { step: i + 1, steps: n, nfe: (i + 1) * per };
  }
  return { x: st.y[0], nfe: n * per };
}

export type { SampleResult };
