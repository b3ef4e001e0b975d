// Estimator B2 (digest B §2.4): the Jacobian of the probability-flow map. Encode x0 to t = 1 with the VE PF-ODE
// x' = -g(t)^2 / 2 s(x, sigma(t)), g^2 = d sigma^2 / dt = 2 sigma^2 log(sigmaMax / sigmaMin), then integrate back to
// t = 0 together with the variational equation Y' = (dv/dx) Y, Y(1) = I. Y(t) = d x_t / d x_1: its singular values
// in the manifold's directions saturate while the off-manifold ones fall to 0 (the paper's figure), so the
// dimension is the number of singular values above the largest log-gap at the end.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { tidy, keep } from '../../scope';
import { jacobian } from '../../func';
import { singularValues } from '../../linalg';
import { largestGap } from './id';

/** A score at a noise level: x [n, D], sigma -> [n, D]. */
export type VeScore = (x: Tensor, sigma: number) => Tensor;

export interface FlowMapOptions {
  sigmaMin?: number;
  sigmaMax?: number;
  /** RK4 steps each way (default 100). */
  steps?: number;
}

export interface FlowMapResult {
  dim: number;
  /** Times of the backward pass, from 1 down to 0. */
  t: number[];
  /** Singular values of Y(t) (descending) at each of those times. */
  singularValues: Float64Array[];
}

export function flowMapDimension(score: VeScore, x0: Tensor, o: FlowMapOptions = {}): FlowMapResult {
  const lo = o.sigmaMin ?? 0.01, hi = o.sigmaMax ?? 4, steps = o.steps ?? 100;
  if (!(lo > 0 && hi > lo) || !Number.isInteger(steps) || steps < 1)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `flowMapDimension: need 0 < sigmaMin < sigmaMax and steps >= 1`);
  const D = x0.numel();
  const L = Math.log(hi / lo);
  const sigma = (t: number) => lo * Math.exp(t * L);
  const v = (x: Tensor, t: number) => score(x, sigma(t)).mul(-(sigma(t) ** 2) * L);  // -g^2/2 s
  const vRow = (x: Tensor, t: number) => v(x.reshape(1, D), t).reshape(D);
  const J = (x: Tensor, t: number) => tidy(() => jacobian((y) => vRow(y, t), x).double().dataSync() as Float64Array);
  const h = 1 / steps;
  // encode: x from t = 0 to 1 (RK4)
  let x = keep(x0.reshape(D).detach());
  for (let i = 0; i < steps; i++) {
    const t = i * h;
    const next = tidy(() => {
      const k1 = vRow(x, t).detach(), k2 = vRow(x.add(k1.mul(h / 2)), t + h / 2).detach();
      const k3 = vRow(x.add(k2.mul(h / 2)), t + h / 2).detach(), k4 = vRow(x.add(k3.mul(h)), t + h).detach();
      return x.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(h / 6)).detach();
    });
    x.dispose();
    x = keep(next);
  }
  // decode with the variational equation, Y a D x D row-major float64 matrix (host), x on the engine
  let Y = new Float64Array(D * D);
  for (let i = 0; i < D; i++) Y[i * D + i] = 1;
  const mul = (A: Float64Array, B: Float64Array) => {
    const C = new Float64Array(D * D);
    for (let i = 0; i < D; i++) for (let k = 0; k < D; k++) {
      const a = A[i * D + k];
      if (a !== 0) for (let j = 0; j < D; j++) C[i * D + j] += a * B[k * D + j];
    }
    return C;
  };
  const axpy = (Yb: Float64Array, K: Float64Array, s: number) => Yb.map((y, i) => y + s * K[i]);
  const ts = [1], svs = [singularValues(Y, D, D)];
  for (let i = 0; i < steps; i++) {
    const t = 1 - i * h, dt = -h;
    const xs: Tensor[] = [];
    const stage = (xx: Tensor, tt: number) => vRow(xx, tt).detach();
    const k1 = keep(stage(x, t)), x2 = keep(x.add(k1.mul(dt / 2))), k2 = keep(stage(x2, t + dt / 2));
    const x3 = keep(x.add(k2.mul(dt / 2))), k3 = keep(stage(x3, t + dt / 2)), x4 = keep(x.add(k3.mul(dt))), k4 = keep(stage(x4, t + dt));
    xs.push(k1, x2, k2, x3, k3, x4, k4);
    const K1 = mul(J(x, t), Y), K2 = mul(J(x2, t + dt / 2), axpy(Y, K1, dt / 2));
    const K3 = mul(J(x3, t + dt / 2), axpy(Y, K2, dt / 2)), K4 = mul(J(x4, t + dt), axpy(Y, K3, dt));
    Y = Y.map((y, j) => y + (dt / 6) * (K1[j] + 2 * K2[j] + 2 * K3[j] + K4[j]));
    const next = keep(tidy(() => x.add(k1.add(k2.mul(2)).add(k3.mul(2)).add(k4).mul(dt / 6)).detach()));
    for (const z of xs) z.dispose();
    x.dispose();
    x = next;
    ts.push(Math.max(0, t + dt));
    svs.push(singularValues(Y, D, D));
  }
  x.dispose();
  const last = svs[svs.length - 1];
  const logs = Array.from(last, (s) => Math.log(Math.max(s, 1e-300)));
  return { dim: largestGap(logs) + 1, t: ts, singularValues: svs };
}

/** The exact VE score of a standard Gaussian on a subspace (Q: D x k orthonormal columns, row-major). */
export function subspaceGaussianVeScore(Q: Float64Array, D: number, k: number): VeScore {
  const q = tensor(Q, { shape: [D, k] });
  return (x, s) => {
    const qq = q.to(x.dtype);
    const px = x.matmul(qq).matmul(qq.transpose(0, 1));
    return px.div(-(1 + s * s)).add(x.sub(px).div(-(s * s)));
  };
}
