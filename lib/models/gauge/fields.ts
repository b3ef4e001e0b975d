// The gauge-freedom experiment without training (Horvat & Pfister, ICLR 2024; digest B §2.2, §2.6.1): a 2-D
// Gaussian mixture under the VP-SDE has an exact score, so three fields can be compared exactly:
//   A  the score itself,
//   B  the score plus c R90 (score): non-conservative, but p_t r = c R90 grad p_t is a rotated gradient, hence
//      divergence-free, so B satisfies the gauge condition div(p_t r) = 0 and has A's marginals and likelihoods,
//   C  a conservative but wrong field (the score of N(0, 1.5^2 I)): neither.
// The probability-flow ODE x' = -beta/2 (x + s) is integrated with RK4, and the likelihood by the instantaneous
// change of variables (the divergence from forward-mode JVPs, exact in 2-D).
import { Tensor, tensor } from '../../tensor';
import type { DeviceName } from '../../tensor';
import { tidy, keep } from '../../scope';
import { divergence } from '../../func';
import { VPSchedule } from '../../samplers';

export interface Mixture2d {
  /** Component means [[x, y], ...], equal weights, isotropic std `std`. */
  means: [number, number][];
  std: number;
}

export const VP = new VPSchedule(0.1, 20);

// the component means scaled by alpha, [K, 2], in x's dtype and on x's device
function means(mix: Mixture2d, a: number, x: Tensor): Tensor {
  return tensor(Float64Array.from(mix.means.flat(), (m) => a * m), { shape: [mix.means.length, 2], dtype: x.dtype, device: x.device as DeviceName });
}
const beta = (t: number) => VP.betaMin + t * (VP.betaMax - VP.betaMin);

/** The exact score of the mixture after VP noising to time t: sum_k w_k(x) (alpha m_k - x) / v_t. */
export function mixtureScore(mix: Mixture2d, x: Tensor, t: number): Tensor {
  const a = VP.alpha(t), v = a * a * mix.std * mix.std + 1 - a * a;
  const mu = means(mix, a, x);
  const d = x.unsqueeze(1).sub(mu);                                // [n, K, 2]
  const w = d.square().sum(2).mul(-0.5 / v).softmax(1);            // responsibilities [n, K]
  return w.unsqueeze(2).mul(d).sum(1).div(-v);
}

/** log p_t of the mixture at time t (per row). */
export function mixtureLogProb(mix: Mixture2d, x: Tensor, t: number): Tensor {
  const a = VP.alpha(t), v = a * a * mix.std * mix.std + 1 - a * a;
  const mu = means(mix, a, x);
  const d = x.unsqueeze(1).sub(mu);
  return d.square().sum(2).mul(-0.5 / v).logsumexp(1).sub(Math.log(mix.means.length) + Math.log(2 * Math.PI * v));
}

export type Field = (x: Tensor, t: number) => Tensor;

/** B: the score plus c times its 90-degree rotation, (-s_y, s_x). */
export function rotated(score: Field, c: number): Field {
  return (x, t) => {
    const s = score(x, t);
    const r = tensor(Float64Array.of(0, 1, -1, 0), { shape: [2, 2], dtype: x.dtype, device: x.device as DeviceName });  // s @ [[0, 1], [-1, 0]] = (-s_y, s_x)
    return s.add(s.matmul(r).mul(c));
  };
}

/** C: the score of N(0, std^2 I) noised to time t, conservative but not the data's. */
export function gaussianScore(std: number): Field {
  return (x, t) => {
    const a = VP.alpha(t);
    return x.div(-(a * a * std * std + 1 - a * a));
  };
}

/** The PF-ODE velocity of a field. */
export function velocity(score: Field): Field {
  return (x, t) => x.add(score(x, t)).mul(-0.5 * beta(t));
}

function rk4(f: Field, x: Tensor, t0: number, t1: number, steps: number, extra?: (x: Tensor, t: number) => Tensor): { x: Tensor; acc: Tensor | null } {
  const h = (t1 - t0) / steps;
  let acc: Tensor | null = extra ? keep(tensor(new Float64Array(x.shape[0]), { dtype: x.dtype })) : null;
  for (let i = 0; i < steps; i++) {
    const t = t0 + i * h;
    const [nx, na] = tidy(() => {
      const k1 = f(x, t), k2 = f(x.add(k1.mul(h / 2)), t + h / 2), k3 = f(x.add(k2.mul(h / 2)), t + h / 2), k4 = f(x.add(k3.mul(h)), t + h);
      const next = x.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(h / 6));
      if (!extra || !acc) return [next, null];
      // the divergence integrand by Simpson's rule over the step (its stages at the RK4 points, one per end and the midpoint)
      const mid = x.add(k2.mul(h / 2));
      const integral = extra(x, t).add(extra(mid, t + h / 2).mul(4)).add(extra(next, t + h)).mul(h / 6);
      return [next, acc.add(integral)];
    }) as [Tensor, Tensor | null];
    if (i > 0) x.dispose();
    x = keep(nx);
    if (acc && na) { acc.dispose(); acc = keep(na); }
  }
  return { x, acc };
}

/** Samples: the PF-ODE from prior draws z ~ N(0, I) at t = 1 down to t = eps. */
export function sampleFlow(score: Field, z: Tensor, steps = 200, eps = 1e-3): Tensor {
  return rk4(velocity(score), z, 1, eps, steps).x;
}

/**
 * Per-point negative log-likelihood of data x0 (at t = eps) under the field's flow: integrate x to t = 1 and
 * log p_eps(x0) = log N(x_1; 0, I) + int_eps^1 div v dt.
 */
export function flowNll(score: Field, x0: Tensor, steps = 200, eps = 1e-3): Tensor {
  const v = velocity(score);
  const { x, acc } = rk4(v, x0, eps, 1, steps, (xx, t) => divergence((y) => v(y, t), xx, { method: 'exact' }));
  const a1 = VP.alpha(1), var1 = a1 * a1 + 1 - a1 * a1;  // the prior's variance (1 for VP)
  const logPrior = x.square().sum(1).mul(-0.5 / var1).sub(Math.log(2 * Math.PI * var1));
  const nll = logPrior.add(acc!).neg();
  x.dispose();
  acc!.dispose();
  return nll;
}

/** The gauge condition's residual div(p_t r) at points x, by central finite differences in float64 (h = 1e-4). */
export function gaugeResidual(mix: Mixture2d, r: Field, x: Tensor, t: number, h = 1e-4): Tensor {
  const xd = x.double();
  const pr = (y: Tensor) => r(y, t).mul(mixtureLogProb(mix, y, t).exp().unsqueeze(1));
  let total: Tensor | null = null;
  for (let i = 0; i < 2; i++) {
    const e = tensor(Float64Array.of(i === 0 ? h : 0, i === 0 ? 0 : h), { shape: [1, 2], dtype: 'float64' });
    const term = pr(xd.add(e)).select(1, i).sub(pr(xd.sub(e)).select(1, i)).div(2 * h);
    total = total ? total.add(term) : term;
  }
  return total!;
}
