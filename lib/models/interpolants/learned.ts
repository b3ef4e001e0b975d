// A learnable, spatially nonlinear interpolant (issue 17b):
//   I_theta(t, x0, x1) = (1 - t) x0 + t x1 + t (1 - t) g_theta(t, x0, x1),   x_t = I_theta + gamma(t) z,
// with g_theta a small tanh MLP of [t, x0, x1].
//
// Why this form. The factor t (1 - t) pins I(0) = x0 and I(1) = x1 for every bounded g, so any theta is a valid
// interpolant and no constraint or penalty is needed; g = 0 is the linear interpolant, and the last layer starts
// at zero so training starts there. The family is rich enough for the check in design.ts: between Gaussians the
// McCann (optimal-transport) marginals are reachable with independent x0, x1, e.g. by
//   I = m_t + T_t [cos(theta_t) (x0 - m0) + sin(theta_t) T^{-1} (x1 - m1)],  theta_0 = 0, theta_1 = pi/2,
// whose t(1 - t)-scaled remainder g is smooth up to the ends; and since the "rotation" part
// -sin(theta) (x0 - m0) + cos(theta) T^{-1}(x1 - m1) is independent of x_t for Gaussians, its conditional mean
// given x_t vanishes and b = E[dI/dt | x_t] is exactly the OT velocity. tanh keeps g smooth in t, so dI/dt is
// continuous.
//
// The time derivative is exact: dI/dt = x1 - x0 + (1 - 2t) g + t (1 - t) dg/dt, with dg/dt from the engine's
// forward-mode JVP (tangent 1 on the t input, 0 on x0, x1). The JVP's outputs stay on the reverse-mode tape, so
// objectives built from dI/dt are differentiable in theta (the outer step of design.ts needs that).
//
// `learnedBLoss` is objectives.ts's b objective with the spatially linear alpha x0 + beta x1 replaced by I_theta:
//   L_b[b^] = E_t E[ ½|b^(t, x_t)|² - (dI/dt + gamma' z) · b^(t, x_t) ],
// antithetic in z as there (x_t^± = I ± gamma z with targets dI/dt ± gamma' z). With g = 0 it equals
// interpolantLoss(linear, 'b') on the same draws (test/interpolants-learned.test.ts).
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { cat } from '../../ops';
import { rand, randnLike } from '../../random';
import { noGrad } from '../../autograd';
import { jvp } from '../../func';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/layers';
import { floatDtype, timesOf } from './coeffs';
import type { GammaSchedule } from './schedules';
import type { Field } from './objectives';

export interface LearnedInterpolantConfig {
  /** Data dimension d (x0, x1 are [n, d]). */
  dim: number;
  /** MLP width (default 32). */
  hidden?: number;
  /** Hidden layers (default 2). */
  layers?: number;
}

export class LearnedInterpolant extends Module {
  readonly dim: number;
  readonly layers: Linear[];
  constructor(cfg: LearnedInterpolantConfig) {
    super();
    const fn = 'LearnedInterpolant';
    const d = cfg.dim, h = cfg.hidden ?? 32, n = cfg.layers ?? 2;
    for (const [k, v] of [['dim', d], ['hidden', h], ['layers', n]] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${k} must be a positive integer, got ${v}`);
    }
    this.dim = d;
    const dims = [1 + 2 * d, ...new Array(n).fill(h), d];
    this.layers = dims.slice(1).map((o, i) => this.module(`fc${i}`, new Linear(dims[i], o)));
    // Start at the linear interpolant (g = 0).
    noGrad(() => { const last = this.layers[this.layers.length - 1]; last.weight.zero_(); last.bias?.zero_(); });
  }

  /** g_theta on [n, 1 + 2d] inputs [t, x0, x1]. */
  private g(inp: Tensor): Tensor {
    let h = inp;
    this.layers.forEach((l, i) => { h = l.forward(h); if (i < this.layers.length - 1) h = h.tanh(); });
    return h;
  }

  private check(t: Tensor | number, x0: Tensor, x1: Tensor, fn: string): Tensor {
    if (!(x0 instanceof Tensor) || !(x1 instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x0 and x1 must be tensors`);
    if (x0.ndim !== 2 || x0.shape[1] !== this.dim || x0.shape.join(',') !== x1.shape.join(',')) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: x0 and x1 must both be [n, ${this.dim}], got [${x0.shape.join(', ')}] and [${x1.shape.join(', ')}]`);
    }
    if (x0.dtype !== x1.dtype) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x0 is ${x0.dtype}, x1 ${x1.dtype}`);
    const dt = floatDtype(x0, fn);
    const pdt = this.layers[0].weight.dtype;
    if (pdt !== dt) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the data is ${dt} but the parameters are ${pdt} (toDtype)`);
    const n = x0.shape[0];
    const ts = timesOf(t, n, fn);
    return tensor(dt === 'float64' ? ts : Float32Array.from(ts), { shape: [n, 1] });
  }

  /** I_theta and dI/dt, each [n, d], at per-row times t ([n] / [n, 1] tensor, or one number). */
  path(t: Tensor | number, x0: Tensor, x1: Tensor): { I: Tensor; dI: Tensor } {
    const tc = this.check(t, x0, x1, 'LearnedInterpolant.path');
    const inp = cat([tc, x0, x1], 1);
    const tangent = cat([tc.mul(0).add(1), x0.mul(0), x1.mul(0)], 1);
    const [[g], [dg]] = jvp((u) => this.g(u), inp, tangent);
    const w = tc.mul(tc.neg().add(1));
    const I = x0.mul(tc.neg().add(1)).add(x1.mul(tc)).add(g.mul(w));
    const dI = x1.sub(x0).add(g.mul(tc.mul(-2).add(1))).add(dg.mul(w));
    return { I, dI };
  }
}

export interface LearnedLossOptions {
  /** Per-row times [n]; default uniform on [tMin, tMax] (default [0, 1] for gamma = 0, else [1e-4, 1 - 1e-4]). */
  t?: Tensor;
  tMin?: number;
  tMax?: number;
  /** gamma(t) of x_t = I + gamma z; default none (gamma = 0, the deterministic case). */
  gamma?: GammaSchedule;
  z?: Tensor;
  /** 'mean' (default) or the [n] per-sample losses. */
  reduction?: 'mean' | 'none';
}

/** The b objective for the learned interpolant (see the header); differentiable in b's and in P's parameters. */
export function learnedBLoss(P: LearnedInterpolant, b: Field, x0: Tensor, x1: Tensor, opts: LearnedLossOptions = {}): Tensor {
  const fn = 'learnedBLoss';
  if (!(P instanceof LearnedInterpolant)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: P must be a LearnedInterpolant`);
  if (!(x0 instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x0 must be a tensor`);
  if (typeof b !== 'function') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: b must be a field (x, t) => tensor`);
  const n = x0.shape[0], dt = floatDtype(x0, fn);
  const G = opts.gamma;
  const noisy = !!G && !G.isZero;
  // With gamma, gamma' may be infinite at the ends (brownian): draw inside, as objectives.ts does.
  const tMin = opts.tMin ?? (noisy ? 1e-4 : 0), tMax = opts.tMax ?? (noisy ? 1 - 1e-4 : 1);
  if (!(tMin >= 0 && tMax <= 1 && tMin <= tMax)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need 0 <= tMin <= tMax <= 1`);
  const tT = opts.t ?? rand([n], { dtype: dt }).mul(tMax - tMin).add(tMin);
  const t = tT.reshape(n);
  const { I, dI } = P.path(t, x0, x1);
  const half = (xt: Tensor, target: Tensor): Tensor => {
    const y = b(xt, t);
    if (y.shape.join(',') !== xt.shape.join(',')) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: the field returned [${y.shape.join(', ')}] for x of shape [${xt.shape.join(', ')}]`);
    }
    return y.mul(y).mul(0.5).sub(y.mul(target)).sum(1);
  };
  let L: Tensor;
  if (!noisy) {
    L = half(I, dI);
  } else {
    const ts = timesOf(t, n, fn);
    const gv = new Float64Array(n), gd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      gv[i] = G.gamma(ts[i]); gd[i] = G.dGamma(ts[i]);
      if (!Number.isFinite(gd[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: gamma' is infinite at t = ${ts[i]} (draw t inside (0, 1))`);
    }
    const col = (v: Float64Array) => tensor(dt === 'float64' ? v : Float32Array.from(v), { shape: [n, 1] });
    const z = opts.z ?? randnLike(x0);
    if (z.shape.join(',') !== x0.shape.join(',')) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: z must have x0's shape`);
    const noise = col(gv).mul(z), tn = col(gd).mul(z);
    L = half(I.add(noise), dI.add(tn)).add(half(I.sub(noise), dI.sub(tn))).mul(0.5);
  }
  return (opts.reduction ?? 'mean') === 'none' ? L : L.mean();
}

/**
 * The score objective for the learned interpolant with gamma > 0 (objectives.ts's s with alpha x0 + beta x1 replaced
 * by I_theta): L_s[s^] = E_t E[½|s^(t, x_t)|² + gamma^{-1} z · s^(t, x_t)], minimised by s = grad log rho_t, with
 * min L_s = -½ int E|s|² dt (the Fisher information of the path). Antithetic: x_t^± = I ± gamma z with targets ∓ z / gamma.
 */
export function learnedSLoss(P: LearnedInterpolant, s: Field, x0: Tensor, x1: Tensor, opts: LearnedLossOptions = {}): Tensor {
  const fn = 'learnedSLoss';
  if (!(P instanceof LearnedInterpolant)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: P must be a LearnedInterpolant`);
  if (typeof s !== 'function') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: s must be a field (x, t) => tensor`);
  if (!(x0 instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x0 must be a tensor`);
  const G = opts.gamma;
  if (!G || G.isZero) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the score objective needs gamma > 0 (its target is -z / gamma)`);
  const n = x0.shape[0], dt = floatDtype(x0, fn);
  const tMin = opts.tMin ?? 1e-4, tMax = opts.tMax ?? 1 - 1e-4;
  if (!(tMin >= 0 && tMax <= 1 && tMin <= tMax)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need 0 <= tMin <= tMax <= 1`);
  const t = (opts.t ?? rand([n], { dtype: dt }).mul(tMax - tMin).add(tMin)).reshape(n);
  const ts = timesOf(t, n, fn);
  const gv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    gv[i] = G.gamma(ts[i]);
    if (!(gv[i] > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the score target divides by gamma, which is 0 at t = ${ts[i]}`);
  }
  const col = tensor(dt === 'float64' ? gv : Float32Array.from(gv), { shape: [n, 1] });
  const z = opts.z ?? randnLike(x0);
  if (z.shape.join(',') !== x0.shape.join(',')) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: z must have x0's shape`);
  const { I } = P.path(t, x0, x1);
  const noise = col.mul(z), target = z.div(col).neg();
  const half = (xt: Tensor, tg: Tensor): Tensor => {
    const y = s(xt, t);
    if (y.shape.join(',') !== xt.shape.join(',')) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: the field returned [${y.shape.join(', ')}] for x of shape [${xt.shape.join(', ')}]`);
    }
    return y.mul(y).mul(0.5).sub(y.mul(tg)).sum(1);
  };
  const L = half(I.add(noise), target).add(half(I.sub(noise), target.neg())).mul(0.5);
  return (opts.reduction ?? 'mean') === 'none' ? L : L.mean();
}
