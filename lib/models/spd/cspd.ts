// CSPD, the continuous-time diffusion (digest B §4.3): the VP-SDE dx = -1/2 beta(s) x ds + sqrt(beta(s)) L dW with
// correlated Wiener noise, so x_s = e^(-B/2) x_0 + std(s) L eps. The score is -L^-T eps_hat / std, hence
// Sigma score = -L eps_hat / std: the probability-flow ODE dx/ds = -1/2 beta (x + Sigma score) and the reverse SDE
// need only L, never a solve. The network's time input is s in [0, 1].
import { Tensor, tensor } from '../../tensor';
import { rand, randn, randint } from '../../random';
import { tidy } from '../../scope';
import { noGrad, enableGrad, grad } from '../../autograd';
import { choleskyLogdet } from '../../linalg';
import { checkSeries, correlate, whiten, type EpsFn, type EpsTarget } from './dspd';
import { cspdBeta, cspdMarginal, CSPD_SCHEDULE, type CspdSchedule } from './schedule';

export interface CspdLossOptions { target?: EpsTarget; mask?: Tensor; /** diffusion times per item (default U(sMin, 1)) */ s?: ArrayLike<number>; sMin?: number }

/** lambda(s) ||eps_theta(x_s, s) - target||^2 with lambda = 1 - e^(-B(s)) (the code's 'exponential' weighting). */
export function cspdLoss(net: EpsFn, x0: Tensor, L: Tensor, o: CspdLossOptions = {}, c: CspdSchedule = CSPD_SCHEDULE): Tensor {
  checkSeries(x0, L, 'cspdLoss');
  const B = x0.shape[0], sMin = o.sMin ?? 1e-5;
  const s = o.s ?? Array.from(rand([B], { dtype: 'float64' }).dataSync() as ArrayLike<number>, (u) => sMin + (1 - sMin) * u);
  const dt = { dtype: x0.dtype as 'float32' | 'float64' };
  const m = Float64Array.from(s, (v) => cspdMarginal(v, c).mean), sd = Float64Array.from(s, (v) => cspdMarginal(v, c).std);
  const eps = randn(x0.shape, dt);
  const noise = correlate(L, eps);
  const xs = x0.mul(tensor(m, { ...dt, shape: [B, 1] })).add(noise.mul(tensor(sd, { ...dt, shape: [B, 1] })));
  const pred = net(xs, tensor(Float64Array.from(s), dt));
  const lam = tensor(Float64Array.from(sd, (v) => v * v), { ...dt, shape: [B, 1] });
  const err = pred.sub((o.target ?? 'gaussian') === 'gaussian' ? eps : noise).square().mul(lam);
  if (!o.mask) return err.mean();
  return err.mul(o.mask).sum().div(o.mask.sum());
}

/** The probability-flow drift -1/2 beta(s) (x - L eps_hat / std) at diffusion time s. */
export function flowDrift(net: EpsFn, x: Tensor, s: number, L: Tensor, target: EpsTarget, c: CspdSchedule = CSPD_SCHEDULE): Tensor {
  const e = net(x, tensor(new Float64Array(x.shape[0]).fill(s), { dtype: x.dtype as 'float32' }));
  const le = target === 'gaussian' ? correlate(L, e) : e;
  return x.sub(le.div(cspdMarginal(s, c).std)).mul(-0.5 * cspdBeta(s, c));
}

export interface CspdSampleOptions {
  target?: EpsTarget;
  /** 'ode' (probability flow, RK4) or 'sde' (reverse SDE, Euler-Maruyama) */
  method?: 'ode' | 'sde';
  /** integration steps from s = 1 to sEnd (the code: step 0.01 for the ODE, dt = 1/100 for the SDE) */
  steps?: number;
  sEnd?: number;
  /** start from this x_1 (default L eps) */
  x1?: Tensor;
}

/** Samples from x_1 = L eps down to s = sEnd; without gradients. */
export function sampleCspd(net: EpsFn, L: Tensor, o: CspdSampleOptions = {}, c: CspdSchedule = CSPD_SCHEDULE): Tensor {
  const [B, N] = [L.shape[0], L.shape[1]];
  const steps = o.steps ?? 100, sEnd = o.sEnd ?? 1e-3, target = o.target ?? 'gaussian';
  const h = (1 - sEnd) / steps;
  return noGrad(() => {
    let x = o.x1 ?? tidy(() => correlate(L, randn([B, N], { dtype: L.dtype as 'float32' })));
    for (let i = 0; i < steps; i++) {
      const s = 1 - i * h;
      const next = tidy(() => {
        const f = (y: Tensor, t: number): Tensor => flowDrift(net, y, t, L, target, c);
        if ((o.method ?? 'ode') === 'ode') {
          // RK4 backwards in s (step -h)
          const k1 = f(x, s), k2 = f(x.sub(k1.mul(h / 2)), s - h / 2), k3 = f(x.sub(k2.mul(h / 2)), s - h / 2), k4 = f(x.sub(k3.mul(h)), s - h);
          return x.sub(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(h / 6));
        }
        // reverse SDE drift -1/2 beta x - beta Sigma score = 2 * flow drift + 1/2 beta x; Euler-Maruyama backwards, no noise on the last step
        const beta = cspdBeta(s, c);
        const drift = f(x, s).mul(2).add(x.mul(0.5 * beta));
        const y = x.sub(drift.mul(h));
        return i < steps - 1 ? y.add(correlate(L, randn([B, N], { dtype: L.dtype as 'float32' })).mul(Math.sqrt(beta * h))) : y;
      });
      if (x !== o.x1) x.dispose();
      x = next;
    }
    return x;
  });
}

export interface CspdLikelihoodOptions {
  target?: EpsTarget;
  steps?: number;
  sEnd?: number;
  /** 'exact' (one VJP per point) or 'hutchinson' (one Rademacher probe per integration) */
  divergence?: 'exact' | 'hutchinson';
}

/** d/ds [x, log p]: the drift and its divergence (minus the change of log-density) at (x, s). */
function driftAndDivergence(net: EpsFn, x: Tensor, s: number, L: Tensor, o: CspdLikelihoodOptions, probe: Tensor | null, c: CspdSchedule): [Tensor, Float64Array] {
  const xr = x.detach();
  xr.requiresGrad = true;
  return enableGrad(() => {
    const f = flowDrift(net, xr, s, L, o.target ?? 'gaussian', c);
    const [B, N] = x.shape;
    const div = new Float64Array(B);
    if (probe) {
      const g = grad(f, xr, { gradOutputs: probe })[0]!;
      const d = g.mul(probe).sum(-1).dataSync() as ArrayLike<number>;
      for (let b = 0; b < B; b++) div[b] = d[b];
    } else {
      for (let j = 0; j < N; j++) {
        const e = new Float64Array(B * N);
        for (let b = 0; b < B; b++) e[b * N + j] = 1;
        const g = grad(f, xr, { gradOutputs: tensor(e, { dtype: x.dtype as 'float32', shape: [B, N] }), retainGraph: j < N - 1 })[0]!;
        const d = g.narrow(1, j, 1).dataSync() as ArrayLike<number>;
        for (let b = 0; b < B; b++) div[b] += d[b];
      }
    }
    return [f.detach(), div] as [Tensor, Float64Array];
  });
}

/**
 * log p(x_0) (nats per series) by the probability-flow ODE: integrate x from s = sEnd to 1 with RK4, accumulating
 * the drift's divergence, and add the prior log N(x_1; 0, Sigma). Exact divergence or Hutchinson's estimate.
 */
export function cspdLogLikelihood(net: EpsFn, x0: Tensor, L: Tensor, o: CspdLikelihoodOptions = {}, c: CspdSchedule = CSPD_SCHEDULE): Float64Array {
  checkSeries(x0, L, 'cspdLogLikelihood');
  const [B, N] = x0.shape;
  const steps = o.steps ?? 100, sEnd = o.sEnd ?? 1e-3, h = (1 - sEnd) / steps;
  const probe = o.divergence === 'hutchinson' ? randint(0, 2, [B, N], { dtype: x0.dtype as 'float32' }).mul(2).sub(1) : null;
  const acc = new Float64Array(B);
  let x = x0;
  for (let i = 0; i < steps; i++) {
    const s = sEnd + i * h;
    const next = tidy(() => {
      const [k1, d1] = driftAndDivergence(net, x, s, L, o, probe, c);
      const [k2, d2] = driftAndDivergence(net, x.add(k1.mul(h / 2)), s + h / 2, L, o, probe, c);
      const [k3, d3] = driftAndDivergence(net, x.add(k2.mul(h / 2)), s + h / 2, L, o, probe, c);
      const [k4, d4] = driftAndDivergence(net, x.add(k3.mul(h)), s + h, L, o, probe, c);
      for (let b = 0; b < B; b++) acc[b] += h / 6 * (d1[b] + 2 * d2[b] + 2 * d3[b] + d4[b]);
      return x.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(h / 6)).detach();
    });
    if (x !== x0) x.dispose();
    x = next;
  }
  const quad = whiten(L, x).square().sum(-1).dataSync() as ArrayLike<number>;
  const logdet = choleskyLogdet(L).dataSync() as ArrayLike<number>;
  for (let b = 0; b < B; b++) acc[b] += -0.5 * (quad[b] + logdet[b] + N * Math.log(2 * Math.PI));
  return acc;
}
