// DSPD and CSPD (lib/models/spd) against independent Gaussian oracles. The data are draws of a GP with the
// neural-process benchmark's kernel exp(-dt^2 / 0.05) on 8 irregular times, so the exact denoiser is known in closed
// form (oracle.ts: E[eps | x] = b L^T (a^2 K + b^2 Sigma)^-1 x) and a correct sampler must return covariance K.
// Tolerances: the empirical covariance of n draws has standard error sqrt((1 + rho^2)/n) <= 0.018 per entry at
// n = 6,000, so 0.075 is four standard errors (the discretisation bias of 100 steps, measured at n = 20,000, is
// < 0.03). The probability-flow ODE is deterministic and linear in x_1 for the oracle, so its output covariance is
// computed exactly by pushing the columns of L through it; 4e-3 is RK4's error at 100 steps (measured <= 2e-3).
import * as tf from '../lib';
import {
  NoiseProcess, dspdSchedule, sampleDspd, dspdLoss, dspdElbo, gaussianOracle, dspdCoefficients, cspdCoefficients,
  sampleCspd, cspdLoss, cspdLogLikelihood, cspdMarginal,
} from '../lib/models/spd';
import { MLPDenoiser } from '../lib/nn/models/mlp_denoiser';
import { Adam } from '../lib/optim/optimizer';
import { expectClose, expectCode } from './helpers';

beforeAll(() => tf.manualSeed(25));

const t = tf.tensor(new Float64Array([0, 0.07, 0.2, 0.26, 0.5, 0.71, 0.74, 1]), { dtype: 'float64' });
const n = 8;
const f64 = { dtype: 'float64' as const };
const rep = (m: tf.Tensor, B: number) => m.unsqueeze(0).expand([B, n, n]).contiguous();
/** the benchmark's data kernel exp(-dt^2 / 0.05) (rbf with 2 l^2 = 0.05) plus the code's jitter */
const K1 = tf.linalg.rbfKernel(t.unsqueeze(-1), t.unsqueeze(-1), { lengthscale: Math.sqrt(0.025) }).add(tf.eye(n, n, f64).mul(1e-4));
const noiseFactor = (kind: 'gp' | 'ou' | 'white') => new NoiseProcess({ kind, sigma: 0.2, theta: 2 }).factor(t);
const cov = (x: tf.Tensor) => Float64Array.from(x.transpose(0, 1).matmul(x).div(x.shape[0]).dataSync() as Float64Array);
const Kv = Float64Array.from(K1.dataSync() as Float64Array);
/** log N(x0; 0, K) per row, by K's own Cholesky factor */
function exactLogp(x0: tf.Tensor, K: tf.Tensor): Float64Array {
  const Lk = tf.linalg.cholesky(K);
  return Float64Array.from(tf.linalg.solveTriangular(Lk, x0.unsqueeze(-1), { upper: false }).square().sum([1, 2])
    .add(tf.linalg.choleskyLogdet(Lk)).add(n * Math.log(2 * Math.PI)).mul(-0.5).dataSync() as Float64Array);
}
const meanSe = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) / v.length)];
};

describe('samplers driven by the oracle reproduce the data covariance', () => {
  const B = 6000;
  test('DSPD (100 steps, beta 1e-4 -> 0.2), GP noise, both targets', () => {
    const s = dspdSchedule(100);
    expect(s.beta[0]).toBeCloseTo(1e-4, 12);
    expect(s.beta[99]).toBeCloseTo(0.2, 12);
    const L = rep(noiseFactor('gp'), B), K = rep(K1, B);
    for (const target of ['gaussian', 'correlated'] as const) {
      const x = sampleDspd(gaussianOracle(K, L, dspdCoefficients(s), target), L, s, { target });
      expectClose(cov(x), Kv, 0.075, 0, `dspd ${target}`);
    }
  });
  test('CSPD reverse SDE (Euler-Maruyama, 100 steps), OU noise', () => {
    const L = rep(noiseFactor('ou'), B), K = rep(K1, B);
    const x = sampleCspd(gaussianOracle(K, L, cspdCoefficients), L, { method: 'sde', steps: 100 });
    expectClose(cov(x), Kv, 0.075, 0, 'cspd sde');
  });
  test.each(['gp', 'ou', 'white'] as const)('CSPD probability-flow ODE (RK4, 100 steps), %s noise: exact output covariance', (kind) => {
    // x_1 = the columns of L: the outputs M L e_j give M Sigma M^T = sum_j (M L e_j)(M L e_j)^T, the flow's covariance
    const L1 = noiseFactor(kind);
    const L = rep(L1, n), K = rep(K1, n);
    const y = sampleCspd(gaussianOracle(K, L, cspdCoefficients), L, { method: 'ode', steps: 100, x1: L1.transpose(0, 1).contiguous() });
    const P = Float64Array.from(y.transpose(0, 1).matmul(y).dataSync() as Float64Array);
    // the flow ends at s = 1e-3, whose marginal is m^2 K + std^2 Sigma
    const { mean, std } = cspdMarginal(1e-3);
    const S = L1.matmul(L1.transpose(0, 1)).dataSync() as Float64Array;
    expectClose(P, Kv.map((k, i) => mean * mean * k + std * std * S[i]), 4e-3, 0, `cspd ode ${kind}`);
  });
});

describe('likelihoods', () => {
  test('DSPD ELBO equals log p exactly in expectation when the data are the noise process (K = Sigma)', () => {
    // then every marginal is N(0, Sigma), the oracle reverse kernels are the true ones, and log p - ELBO = 0
    const s = dspdSchedule(100), B = 64, R = 20;
    const L = rep(noiseFactor('gp'), B), K = L.matmul(L.transpose(-2, -1));
    const x0 = L.matmul(tf.randn([B, n, 1], f64)).squeeze([-1]);
    const exact = exactLogp(x0, K);
    const gaps: number[] = [];
    for (let r = 0; r < R; r++) {
      const e = dspdElbo(gaussianOracle(K, L, dspdCoefficients(s)), x0, L, s);
      for (let b = 0; b < B; b++) gaps.push(exact[b] - e[b]);
    }
    const [m, se] = meanSe(gaps);
    expect(Math.abs(m)).toBeLessThan(4 * se + 1e-9);
    expect(se).toBeLessThan(0.1);
  });
  test('DSPD ELBO is below log p for GP data (noise != data), and the matched GP noise has the smaller gap', () => {
    const s = dspdSchedule(100), B = 64, R = 20;
    const K = rep(K1, B);
    const x0 = tf.linalg.cholesky(K).matmul(tf.randn([B, n, 1], f64)).squeeze([-1]);
    const exact = exactLogp(x0, K);
    const gap = (kind: 'gp' | 'white') => {
      const L = rep(noiseFactor(kind), B), g: number[] = [];
      for (let r = 0; r < R; r++) { const e = dspdElbo(gaussianOracle(K, L, dspdCoefficients(s)), x0, L, s); for (let b = 0; b < B; b++) g.push(exact[b] - e[b]); }
      return meanSe(g);
    };
    const [gGp, seGp] = gap('gp'), [gWhite, seWhite] = gap('white');
    expect(gGp).toBeGreaterThan(-4 * seGp);
    expect(gWhite).toBeGreaterThan(-4 * seWhite);
    expect(gWhite - gGp).toBeGreaterThan(0);
  });
  test.each([['exact', 2e-3], ['hutchinson', 0.3]] as const)('CSPD log-likelihood by the ODE (%s divergence) matches log N(x0; 0, K)', (divergence, tol) => {
    // exact: RK4 error at 50 steps (measured 5e-4). Hutchinson: one Rademacher probe per series; its error is the
    // probe's variance 2 sum_{i != j} J_ij^2 integrated, ~0.1 nats here, so 0.3 on the mean over 32 series is loose
    // but still catches a wrong sign or a missing prior term (each of which is > 1 nat).
    const B = 32;
    const L = rep(noiseFactor('gp'), B), K = rep(K1, B);
    const x0 = tf.linalg.cholesky(K).matmul(tf.randn([B, n, 1], f64)).squeeze([-1]);
    const exact = exactLogp(x0, K);
    const ll = cspdLogLikelihood(gaussianOracle(K, L, cspdCoefficients), x0, L, { steps: 50, divergence });
    if (divergence === 'exact') expectClose(ll, exact, tol, 0, 'cspd ll');
    else expect(Math.abs(meanSe(Array.from(ll, (v, b) => v - exact[b]))[0])).toBeLessThan(tol);
  });
});

describe('training', () => {
  test.each(['dspd', 'cspd'] as const)('%s: the loss of a small MLP on GP data decreases (GP noise)', (which) => {
    tf.manualSeed(7);
    const B = 64, s = dspdSchedule(100);
    const L = rep(noiseFactor('gp'), B).float(), Lk = tf.linalg.cholesky(rep(K1, B)).float();
    const net = new MLPDenoiser({ dim: n, hidden: 64, layers: 2, timeEmbedDim: 16, timeScale: which === 'dspd' ? 1 : 100 });
    const opt = new Adam(net.parameters(), { lr: 2e-3 });
    const eps = (x: tf.Tensor, k: tf.Tensor) => net.forward(x, k);
    const losses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const l = tf.tidy(() => {
        const x0 = Lk.matmul(tf.randn([B, n, 1])).squeeze([-1]);
        const loss = which === 'dspd' ? dspdLoss(eps, x0, L, s) : cspdLoss(eps, x0, L);
        opt.zeroGrad(); loss.backward(); opt.step();
        return loss.item();
      });
      losses.push(l);
    }
    const avg = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
    const first = avg(losses.slice(0, 30)), last = avg(losses.slice(-50));
    expect(last).toBeLessThan(0.75 * first);
  }, 30000);
});

test('bad input is a clear error', () => {
  expectCode(() => dspdSchedule(1), 'TF_INVALID_ARGUMENT');
  expectCode(() => dspdSchedule(100, 0.3, 0.2), 'TF_INVALID_ARGUMENT');
  const L = rep(noiseFactor('gp'), 2);
  const net = (x: tf.Tensor) => x;
  expectCode(() => dspdLoss(net, tf.zeros([2, n + 1], f64), L, dspdSchedule(10, 1e-4, 0.2)), 'TF_SHAPE_MISMATCH');
  expectCode(() => cspdLoss(net, tf.zeros([3, n], f64), L), 'TF_SHAPE_MISMATCH');
  expectCode(() => dspdElbo(net, tf.zeros([n], f64), L, dspdSchedule(10, 1e-4, 0.2)), 'TF_SHAPE_MISMATCH');
});
