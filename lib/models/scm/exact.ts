// Exact TrigFlow quantities for Gaussian-mixture data: the ideal teacher F*(x/sigmaD, t) and, from it, exact
// PF-ODE trajectories and the exact consistency map. Oracles for tests and for measuring consistency error.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import type { GaussianMixture } from '../../data/gmm';
import { checkSigmaD, checkTime } from './trigflow';
import { trigflowDdimStep } from '../../samplers/steps';
import { tidy } from '../../scope';

/**
 * The exact TrigFlow velocity field in F units for data from `gmm`: F*(xIn, t) = E[v_t | x_t]/sigmaD with
 * x_t = sigmaD·xIn and v_t = cos t·z - sin t·x0. From the posterior mean E[x0|x_t] (closed form per component),
 * E[z|x_t] = (x_t - cos t·E[x0|x_t]) / sin t, so F* = (cos t·x_t - E[x0|x_t]) / (sigmaD·sin t).
 * t is one value per row [B] in (0, pi/2].
 */
export function exactTeacher(gmm: GaussianMixture, sigmaD: number): (xIn: Tensor, t: Tensor) => Tensor {
  checkSigmaD(sigmaD, 'exactTeacher');
  return (xIn: Tensor, t: Tensor) => {
    if (t.ndim !== 1 || t.shape[0] !== xIn.shape[0]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `exactTeacher: t must be [${xIn.shape[0]}], got [${t.shape}]`);
    const tv = Float64Array.from(t.dataSync() as ArrayLike<number>);
    for (const v of tv) if (!(v > 0 && v <= Math.PI / 2)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `exactTeacher: t must lie in (0, pi/2], got ${v}`);
    const x = xIn.to('float64').mul(sigmaD);
    const n = tv.length;
    const col = (f: (v: number) => number) => tensor(tv.map(f), { shape: [n, 1] });
    const cos = col(Math.cos), sin = col(Math.sin);
    const x0 = gmm.posteriorMean(x, col(Math.cos), col((v) => sigmaD * Math.sin(v)));
    return cos.mul(x).sub(x0).div(sin.mul(sigmaD)).to(xIn.dtype);
  };
}

/**
 * Integrates the PF-ODE dx/dt = sigmaD·F(x/sigmaD, t) from t to s (t > s >= 0, the same for all rows) with
 * `steps` trig-DDIM steps on a uniform grid in t. trig-DDIM is exact when F is constant along the path, so it is
 * the natural one-step integrator here (the teacher sampler); otherwise it is first order (global error O(h)).
 */
export function integrateOde(F: (xIn: Tensor, t: Tensor) => Tensor, x: Tensor, t: number, s: number, sigmaD: number, steps: number): Tensor {
  const fn = 'integrateOde';
  checkSigmaD(sigmaD, fn);
  checkTime(t, fn); checkTime(s, fn, 's');
  if (!(s <= t)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: needs s <= t, got t = ${t}, s = ${s}`);
  if (!Number.isInteger(steps) || steps < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: steps must be a positive integer, got ${steps}`);
  const B = x.shape[0];
  let cur = x;
  for (let i = 0; i < steps; i++) {
    const a = t + ((s - t) * i) / steps, b = t + ((s - t) * (i + 1)) / steps;
    // Each step in its own scope, the previous state freed: under one enclosing tidy() the network's
    // intermediates of every step would otherwise live until the end (tens of GB for 20k points at 64 NFE).
    const prev = cur;
    cur = tidy(() => {
      const tt = tensor(new Float64Array(B).fill(a), { shape: [B] }).to(x.dtype);
      return trigflowDdimStep(prev, F(prev.div(sigmaD), tt), a, b, sigmaD);
    });
    if (prev !== x) prev.dispose();
  }
  return cur;
}

/**
 * The exact consistency map x_t -> x_0 along the exact PF-ODE. trig-DDIM is first order, so two runs (steps and
 * 2·steps) are Richardson-extrapolated, 2·x_{2N} - x_N, cancelling the O(h) term: global error O(h²).
 */
export function exactConsistencyMap(gmm: GaussianMixture, sigmaD: number, x: Tensor, t: number, steps = 64): Tensor {
  const F = exactTeacher(gmm, sigmaD);
  const coarse = integrateOde(F, x, t, 0, sigmaD, steps), fine = integrateOde(F, x, t, 0, sigmaD, 2 * steps);
  return fine.mul(2).sub(coarse);
}

/**
 * The F a perfect consistency model outputs at (x_t, t): solving f = cos t·x - sin t·sigmaD·F for F with
 * f the exact map, F = (cos t·x_t - f*(x_t, t)) / (sigmaD·sin t).
 */
export function exactConsistencyF(gmm: GaussianMixture, sigmaD: number, x: Tensor, t: number, steps = 64): Tensor {
  checkTime(t, 'exactConsistencyF');
  if (!(t > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'exactConsistencyF: t must be > 0');
  const f = exactConsistencyMap(gmm, sigmaD, x, t, steps);
  return x.mul(Math.cos(t)).sub(f).div(sigmaD * Math.sin(t));
}

/**
 * Closed forms for x0 ~ N(0, s² I) (digest §2.7 item 3): v_t = cos²t·s² + sin²t·sigmaD²; the teacher in F units
 * F*(xIn, t) = a_diff(t)·xIn with a_diff = sin t cos t (sigmaD² - s²)/v_t; the consistency map f* = x·s/sqrt(v_t),
 * so a consistency model F = a_cm(t)·xIn with a_cm = (cos t - s/sqrt(v_t)) / sin t.
 */
export const gaussianCase = {
  variance: (t: number, s: number, sigmaD: number): number => Math.cos(t) ** 2 * s * s + Math.sin(t) ** 2 * sigmaD * sigmaD,
  teacherSlope(t: number, s: number, sigmaD: number): number {
    return (Math.sin(t) * Math.cos(t) * (sigmaD * sigmaD - s * s)) / gaussianCase.variance(t, s, sigmaD);
  },
  consistencySlope(t: number, s: number, sigmaD: number): number {
    if (t === 0) return 0; // the limit: cos t - s/sqrt(v) = O(t²)
    return (Math.cos(t) - s / Math.sqrt(gaussianCase.variance(t, s, sigmaD))) / Math.sin(t);
  },
};
