// Designing the interpolant: the max-min over the interpolant and the velocity (issue 17b; the reading of
// the paper's design section, whose text was not checked here: the objectives below are derived, and pinned by
// test/interpolants-learned.test.ts), for the learned interpolant of learned.ts.
//
// Derivation. For a fixed interpolant I, L_b[b^] = E_t E[½|b^(t, x_t)|² - (dI/dt + gamma' z)·b^(t, x_t)] is minimised by
// b = E[dI/dt + gamma' z | x_t], and expanding ½|b^ - b|² gives
//   L_b[b^] = ½ int E|b^ - b|² dt - ½ int E|b|² dt,   so   min_b^ L_b = -½ int_0^1 E_{x~rho_t}|b(t, x)|² dt.
// int E|b|² is the kinetic energy of the flow dX/dt = b(t, X) that carries rho_0 to rho_1 through the interpolant's
// marginals rho_t. Hence
//   max_theta min_b^ L_b[b^; theta]   <=>   min_theta int_0^1 E|b_theta|² dt,
// and by Benamou-Brenier every (rho_t, b) pair solving the continuity equation between rho_0 and rho_1 has
// int E|b|² >= W2²(rho_0, rho_1), with equality only on the McCann interpolation with the gradient (OT) velocity.
// So the max-min's value is -½ W2² when the family of interpolants can reach the OT marginals (for two Gaussians it
// can, with independent x0, x1: see learned.ts), and the learned rho_t should then be the McCann path
// (gaussian-ot.ts). Note what is minimised: the energy of the *conditional mean* b = E[dI/dt | x_t], not
// E|dI/dt|² of the pairs. By Jensen int E|b|² <= int E|dI/dt|², and with independent x0, x1 the second cannot reach
// W2² (dI/dt cannot be a function of x_t for all t when x1 is independent of x0), while the first can.
//
// Algorithm (alternating, as for any max-min): the inner problem is convex in b^ (quadratic), so a few Adam steps
// on L_b in b^'s parameters track its minimiser as theta moves; by the envelope theorem
//   d/dtheta min_b^ L_b[b^; theta] = dL_b/dtheta at b^ = b (b's own dependence on theta contributes nothing
//   to first order, since dL_b/db^ = 0 there),
// so the outer step is gradient *ascent* on L_b in theta with b^ held fixed: the gradient reaches theta through
// dI/dt in the target and through x_t = I_theta in b^'s argument. `innerSteps` b-steps per theta-step.
//
// The noisy case (gamma > 0): the Schrödinger bridge for the reference dX = sigma dW minimises, over density paths
// with their probability-flow velocity v, J = int E[|v|² + (sigma⁴/4)|grad log rho_t|²] dt (gaussian-ot.ts, header;
// the constant is checked there: the closed-form bridge is stationary for this J and not for sigma⁴/2). With
// min L_s = -½ int E|s|² (objectives.ts's score objective, s = grad log rho_t), J = -2 min_(b^, s^) (L_b + (sigma⁴/4) L_s),
// so the same alternating scheme, with s^ fitted beside b^ and the ascent on L_b + (sigma⁴/4) L_s, targets the
// bridge when gamma = sigma sqrt(t (1 - t)) (the bridge's own noise; its marginals should then be reachable by
// I_theta with independent x0, x1 by the construction in learned.ts applied to the deterministic part's covariance:
// derived, not checked separately).
// `InnerFields` carries s^ and the weight; `bridgeEnergyEstimate` measures J^.
//
// Measuring the result: after training, a fresh b^ is fitted to the frozen interpolant (`fitVelocity`), and
//   KE^ = -2 L_b[b^] = int E[2 (dI/dt)·b^ - |b^|²] dt = int E|b|² - int E|b^ - b|² dt
// is a lower bound on the interpolant's kinetic energy whose bias is second order in the fit error (the plain
// int E|b^|² errs at first order). `kineticEnergyEstimate` returns it with its Monte-Carlo SE, and the upper bound
// int E|dI/dt|² beside it.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { cat } from '../../ops';
import { rand, randnLike } from '../../random';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/layers';
import { Adam } from '../../optim/optimizer';
import { LearnedInterpolant, learnedBLoss, learnedSLoss } from './learned';
import type { GammaSchedule } from './schedules';

/** A small velocity network b^(t, x): [x, t] -> SiLU MLP -> d (t enters raw: the fields here are smooth in t). */
export class TimeField extends Module {
  readonly layers: Linear[];
  constructor(readonly dim: number, hidden = 64, layers = 3) {
    super();
    for (const [k, v] of [['dim', dim], ['hidden', hidden], ['layers', layers]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `TimeField: ${k} must be a positive integer, got ${v}`);
    }
    const dims = [dim + 1, ...new Array(layers).fill(hidden), dim];
    this.layers = dims.slice(1).map((o, i) => this.module(`fc${i}`, new Linear(dims[i], o)));
  }
  forward(x: Tensor, t: Tensor): Tensor {
    let h = cat([x, t.reshape(x.shape[0], 1)], 1);
    this.layers.forEach((l, i) => { h = l.forward(h); if (i < this.layers.length - 1) h = h.silu(); });
    return h;
  }
}

/** Draws n samples [n, d] of rho_0 or rho_1. */
export type Draw = (n: number) => Tensor;

export interface MaxMinOptions {
  /** Outer (theta) steps. */
  outerSteps: number;
  /** b^ steps per theta step (default 5). */
  innerSteps?: number;
  /** b^ steps before the first theta step, so the first ascent sees a fitted velocity (default 500). */
  warmup?: number;
  batch?: number;
  lrB?: number;
  lrI?: number;
  gamma?: GammaSchedule;
  /** Called every `logEvery` outer steps with the step and the last L_b. */
  onLog?: (step: number, Lb: number) => void;
  logEvery?: number;
}

function positiveInt(v: unknown, what: string, fn: string, min = 1): number {
  if (!(Number.isInteger(v) && (v as number) >= min)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be an integer >= ${min}, got ${String(v)}`);
  return v as number;
}

/** The fields the inner problem fits: the velocity, and (for the bridge objective) the score with its weight. */
export interface InnerFields {
  /** s^ for the Schrödinger-bridge objective L_b + sWeight L_s (gamma > 0); omit for the OT objective L_b. */
  s?: TimeField;
  /** sigma⁴ / 4 for the bridge with reference variance sigma² per unit time (see the header). */
  sWeight?: number;
}

function innerObjective(P: LearnedInterpolant, b: TimeField, x0: Tensor, x1: Tensor, gamma: GammaSchedule | undefined, f: InnerFields): Tensor {
  const L = learnedBLoss(P, (x, t) => b.forward(x, t), x0, x1, { gamma });
  if (!f.s) return L;
  return L.add(learnedSLoss(P, (x, t) => f.s!.forward(x, t), x0, x1, { gamma }).mul(f.sWeight ?? 1));
}

function checkInner(f: InnerFields, gamma: GammaSchedule | undefined, fn: string): void {
  if (f.s && (!gamma || gamma.isZero)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: a score field needs gamma > 0`);
  if (f.sWeight !== undefined && !(f.sWeight >= 0 && Number.isFinite(f.sWeight))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: sWeight must be >= 0`);
}

/** Fits b^ (and s^) to the (frozen) interpolant P by `steps` Adam steps; returns the last (<= 100) losses' mean. */
export function fitVelocity(P: LearnedInterpolant, b: TimeField, draw0: Draw, draw1: Draw,
  opts: { steps: number; batch?: number; lr?: number; gamma?: GammaSchedule; optimizer?: Adam } & InnerFields): number {
  const fn = 'fitVelocity';
  const steps = positiveInt(opts.steps, 'steps', fn, 0), batch = positiveInt(opts.batch ?? 512, 'batch', fn);
  checkInner(opts, opts.gamma, fn);
  const params = opts.s ? [...b.parameters(), ...opts.s.parameters()] : b.parameters();
  const opt = opts.optimizer ?? new Adam(params, { lr: opts.lr ?? 2e-3 });
  let tail = 0, k = 0;
  for (let i = 0; i < steps; i++) {
    const l = tidy(() => {
      // The interpolant is frozen here: no gradient reaches its parameters.
      const L = frozen(P.parameters(), () => innerObjective(P, b, draw0(batch), draw1(batch), opts.gamma, opts));
      opt.zeroGrad();
      L.backward();
      opt.step();
      return L.item();
    });
    if (i >= steps - Math.min(100, steps)) { tail += l; k++; }
  }
  return k ? tail / k : NaN;
}

/** Runs fn with these parameters excluded from the tape. */
function frozen<R>(ps: Tensor[], fn: () => R): R {
  const was = ps.map((p) => p.requiresGrad);
  ps.forEach((p) => p.requiresGrad_(false));
  try { return fn(); } finally { ps.forEach((p, i) => p.requiresGrad_(was[i])); }
}

/**
 * The alternating max-min (see the header): `warmup` inner steps, then per outer step `innerSteps` inner steps and
 * one ascent step on the inner objective (L_b, or L_b + sWeight L_s with a score field) in theta. Returns the
 * objective of every outer step.
 */
export function maxMinTrain(P: LearnedInterpolant, b: TimeField, draw0: Draw, draw1: Draw, opts: MaxMinOptions & InnerFields): number[] {
  const fn = 'maxMinTrain';
  const outer = positiveInt(opts.outerSteps, 'outerSteps', fn, 0), inner = positiveInt(opts.innerSteps ?? 5, 'innerSteps', fn);
  const warmup = positiveInt(opts.warmup ?? 500, 'warmup', fn, 0), batch = positiveInt(opts.batch ?? 512, 'batch', fn);
  const lrB = opts.lrB ?? 2e-3, lrI = opts.lrI ?? 1e-3;
  if (!(lrB > 0 && lrI > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: learning rates must be > 0`);
  checkInner(opts, opts.gamma, fn);
  const fieldParams = opts.s ? [...b.parameters(), ...opts.s.parameters()] : b.parameters();
  const optB = new Adam(fieldParams, { lr: lrB }), optI = new Adam(P.parameters(), { lr: lrI });
  const fields: InnerFields = { s: opts.s, sWeight: opts.sWeight };
  fitVelocity(P, b, draw0, draw1, { steps: warmup, batch, gamma: opts.gamma, optimizer: optB, ...fields });
  const history: number[] = [];
  for (let s = 0; s < outer; s++) {
    fitVelocity(P, b, draw0, draw1, { steps: inner, batch, gamma: opts.gamma, optimizer: optB, ...fields });
    const L = tidy(() => frozen(fieldParams, () => {
      const l = innerObjective(P, b, draw0(batch), draw1(batch), opts.gamma, fields);
      optI.zeroGrad();
      // Ascent on the inner objective in theta: minimise its negative.
      l.neg().backward();
      optI.step();
      return l.item();
    }));
    history.push(L);
    if (opts.onLog && (s + 1) % (opts.logEvery ?? 100) === 0) opts.onLog(s + 1, L);
  }
  return history;
}

export interface KineticEnergyEstimate {
  /** -2 L_b[b^]: a lower bound on int E|b|² dt (second-order bias in b^'s error). */
  value: number;
  stdErr: number;
  /** int E|dI/dt|² dt: an upper bound (Jensen), gamma = 0 only. */
  pathEnergy: number;
  pathEnergyStdErr: number;
  n: number;
}

/**
 * KE^ on n fresh pairs with stratified times t_i = (i + u_i) / n (gamma = 0); with `atTime`, the integrand
 * E[2 (dI/dt)·b^ - |b^|²] at that one time instead (the energy profile over t).
 */
export function kineticEnergyEstimate(P: LearnedInterpolant, b: (x: Tensor, t: Tensor) => Tensor, x0: Tensor, x1: Tensor,
  opts: { atTime?: number } = {}): KineticEnergyEstimate {
  const fn = 'kineticEnergyEstimate';
  if (!(x0 instanceof Tensor) || x0.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: x0 must be [n, d]`);
  const n = x0.shape[0];
  if (n < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need n >= 2 pairs`);
  if (opts.atTime !== undefined && !(opts.atTime >= 0 && opts.atTime <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: atTime must be in [0, 1]`);
  return noGrad(() => tidy(() => {
    // Stratified times: one per interval [i/n, (i+1)/n), so the t-integral's quadrature error is O(1/n²).
    const idx = new Float64Array(n).map((_, i) => i);
    const t = opts.atTime !== undefined
      ? tensor(x0.dtype === 'float64' ? new Float64Array(n).fill(opts.atTime) : new Float32Array(n).fill(opts.atTime), { shape: [n] })
      : rand([n], { dtype: x0.dtype }).add(tensor(x0.dtype === 'float64' ? idx : Float32Array.from(idx), { shape: [n] })).div(n);
    const { I, dI } = P.path(t, x0, x1);
    const y = b(I, t);
    const q = dI.mul(y).sum(1).mul(2).sub(y.mul(y).sum(1));
    const p = dI.mul(dI).sum(1);
    const ms = (v: Tensor) => {
      const a = v.dataSync() as ArrayLike<number>;
      let m = 0; for (let i = 0; i < n; i++) m += a[i]; m /= n;
      let s = 0; for (let i = 0; i < n; i++) s += (a[i] - m) ** 2;
      return { m, se: Math.sqrt(s / (n - 1) / n) };
    };
    const a = ms(q), c = ms(p);
    return { value: a.m, stdErr: a.se, pathEnergy: c.m, pathEnergyStdErr: c.se, n };
  }));
}

export interface BridgeEnergyEstimate {
  /** -2 L_b[b^]: int E|b|² (a lower bound, as for KE^). */
  kinetic: { value: number; stdErr: number };
  /** -2 L_s[s^]: int E|s|² (the path's Fisher information; a lower bound likewise). */
  fisher: { value: number; stdErr: number };
  /** J^ = kinetic + sWeight fisher, with the SE of the per-sample sum. */
  total: { value: number; stdErr: number };
  n: number;
}

/**
 * The bridge objective J = int E|b|² + sWeight E|s|² dt for x_t = I + gamma z, estimated as -2 (L_b[b^] + sWeight
 * L_s[s^]) on n pairs with stratified t in [1e-4, 1 - 1e-4] (gamma' and 1/gamma are infinite at the ends; the
 * antithetic estimators stay bounded) and shared z; `atTime` gives the integrand at one time instead.
 */
export function bridgeEnergyEstimate(P: LearnedInterpolant, b: (x: Tensor, t: Tensor) => Tensor, s: (x: Tensor, t: Tensor) => Tensor,
  x0: Tensor, x1: Tensor, opts: { gamma: GammaSchedule; sWeight: number; atTime?: number }): BridgeEnergyEstimate {
  const fn = 'bridgeEnergyEstimate';
  if (!(x0 instanceof Tensor) || x0.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: x0 must be [n, d]`);
  const n = x0.shape[0];
  if (n < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need n >= 2 pairs`);
  if (!opts || !opts.gamma || opts.gamma.isZero) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: needs gamma > 0`);
  if (!(opts.sWeight >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: sWeight must be >= 0`);
  if (opts.atTime !== undefined && !(opts.atTime > 0 && opts.atTime < 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: atTime must be in (0, 1)`);
  return noGrad(() => tidy(() => {
    const lo = 1e-4, hi = 1 - 1e-4;
    const dt = x0.dtype as 'float32' | 'float64';
    const idx = new Float64Array(n).map((_, i) => i);
    const t = opts.atTime !== undefined
      ? tensor(dt === 'float64' ? new Float64Array(n).fill(opts.atTime) : new Float32Array(n).fill(opts.atTime), { shape: [n] })
      : rand([n], { dtype: dt }).add(tensor(dt === 'float64' ? idx : Float32Array.from(idx), { shape: [n] })).div(n).mul(hi - lo).add(lo);
    const z = randnLike(x0);
    const lb = learnedBLoss(P, b, x0, x1, { t, z, gamma: opts.gamma, reduction: 'none' }).dataSync() as ArrayLike<number>;
    const ls = learnedSLoss(P, s, x0, x1, { t, z, gamma: opts.gamma, reduction: 'none' }).dataSync() as ArrayLike<number>;
    const ms = (f: (i: number) => number) => {
      let m = 0; for (let i = 0; i < n; i++) m += f(i); m /= n;
      let v = 0; for (let i = 0; i < n; i++) v += (f(i) - m) ** 2;
      return { value: m, stdErr: Math.sqrt(v / (n - 1) / n) };
    };
    // The t-integral over [lo, hi] is the mean times (hi - lo).
    const w = opts.atTime !== undefined ? 1 : hi - lo;
    const scale = (e: { value: number; stdErr: number }) => ({ value: e.value * w, stdErr: e.stdErr * w });
    return {
      kinetic: scale(ms((i) => -2 * lb[i])), fisher: scale(ms((i) => -2 * ls[i])),
      total: scale(ms((i) => -2 * (lb[i] + opts.sWeight * ls[i]))), n,
    };
  }));
}
