// The SPD neural-process benchmark's pieces (lib/models/spd/np-*.ts): the seeded curves follow the paper's recipe,
// the oracle posterior equals the Gaussian conditioning formula computed independently (the engine's batched
// Cholesky on the joint covariance), the padded batch keeps pads out of the noise and the attention, and a short
// training lowers the loss. Small sizes: the whole file runs in a few seconds.
import * as tf from '../lib';
import {
  npCurves, npPosterior, npKernel, npBatch, NpDenoiser, trainNp, sampleNp, npScores, oracleSamples,
  meanSquaredIncrement, NoiseProcess, seededUniform, NP_ORACLE_NOISE,
} from '../lib/models/spd';
import { expectClose, expectCode } from './helpers';

beforeAll(() => tf.manualSeed(25));

test('curves: n in [5, 50] with mean ~8, times in [0, 1], context the first floor(n/2) points, reproducible by seed', () => {
  const c = npCurves(400, 3);
  const ns = c.map((x) => x.tc.length + x.tt.length);
  expect(Math.min(...ns)).toBeGreaterThanOrEqual(5);
  expect(Math.max(...ns)).toBeLessThanOrEqual(50);
  // Poisson(8) clipped below at 5: mean ~8.1, SE sqrt(8/400) = 0.14
  expect(Math.abs(ns.reduce((a, b) => a + b) / ns.length - 8.1)).toBeLessThan(0.6);
  c.forEach((x, i) => expect(x.tc.length).toBe(Math.floor(ns[i] / 2)));
  expect(npCurves(3, 3)[2].yt).toEqual(c[2].yt);
  // unit marginal variance (kernel 1 + jitter): mean y^2 over all points within ~4 SE
  const ys = c.flatMap((x) => [...x.yc, ...x.yt]);
  expect(Math.abs(ys.reduce((a, v) => a + v * v, 0) / ys.length - 1)).toBeLessThan(0.15);
});

test('oracle posterior equals Gaussian conditioning of the joint covariance (engine Cholesky, float64)', () => {
  const tc = Float64Array.of(0.1, 0.35, 0.8), yc = Float64Array.of(0.5, -0.2, 1.1), tq = Float64Array.of(0.2, 0.6, 0.95, 0.36);
  const p = npPosterior(tc, yc, tq);
  // conditioning: mean = K_qc A^-1 y, cov = K_qq + 1e-4 I - K_qc A^-1 K_cq with A = K_cc + noise I (choleskySolve)
  const A = tf.tensor(npKernel(tc, tc), { dtype: 'float64', shape: [3, 3] }).add(tf.eye(3, 3, { dtype: 'float64' }).mul(NP_ORACLE_NOISE));
  const Kqc = tf.tensor(npKernel(tq, tc), { dtype: 'float64', shape: [4, 3] });
  const La = tf.linalg.cholesky(A);
  const mean = Kqc.matmul(tf.linalg.choleskySolve(tf.tensor(yc, { dtype: 'float64', shape: [3, 1] }), La)).squeeze([-1]);
  const cov = tf.tensor(npKernel(tq, tq), { dtype: 'float64', shape: [4, 4] }).add(tf.eye(4, 4, { dtype: 'float64' }).mul(1e-4))
    .sub(Kqc.matmul(tf.linalg.choleskySolve(Kqc.transpose(0, 1).contiguous(), La)));
  expectClose(p.mean, mean.dataSync() as Float64Array, 1e-12, 1e-10, 'mean');
  expectClose(p.cov, cov.dataSync() as Float64Array, 1e-12, 1e-10, 'cov');
});

test('padded batches: pads get identity noise rows and no attention weight', () => {
  const c = npCurves(6, 4);
  const b = npBatch(c, new NoiseProcess({ kind: 'gp', sigma: 0.2 }));
  const [B, M] = b.tT.shape;
  const L = b.L.dataSync() as Float32Array, m = b.mT.dataSync() as Float32Array;
  for (let i = 0; i < B; i++) for (let j = 0; j < M; j++) {
    if (m[i * M + j]) continue;
    for (let k = 0; k < M; k++) expect(L[(i * M + j) * M + k]).toBe(j === k ? 1 : 0);
  }
  // the network's output at a real target point does not depend on the values at padded points
  const net = new NpDenoiser({ hidden: 8, heads: 2 });
  const x = tf.randn([B, M]), k = tf.zeros([B]);
  const y1 = net.forward(x, k, b).mul(b.mT).dataSync() as Float32Array;
  const y2 = net.forward(x.add(tf.ones([B, M]).sub(b.mT).mul(100)), k, b).mul(b.mT).dataSync() as Float32Array;
  expectClose(y1, y2, 1e-6, 0, 'pads');
});

test('a short training lowers the loss; samples and scores have the right layout', () => {
  tf.manualSeed(1);
  const train = npCurves(128, 5), test = npCurves(4, 6);
  const noise = new NoiseProcess({ kind: 'gp', sigma: 0.2 });
  const net = new NpDenoiser({ hidden: 16, heads: 2 });
  const losses = trainNp(net, train, noise, { epochs: 30, batch: 64, seed: 1 });
  expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
  const s = sampleNp(net, test, noise, 5);
  expect(s.values.length).toBe(4 * 5 * s.M);
  const sc = npScores(test, { ...s, m: 5 });
  expect(Number.isFinite(sc.ql) && sc.ql > 0 && Number.isFinite(sc.energy)).toBe(true);
  const o = oracleSamples(test, 5, 1, Float64Array.of(0, 0.5, 1));
  expect(o.M).toBe(3);
  expect(meanSquaredIncrement(Float64Array.of(0, 1, 3, 0, 0, 0), 3)).toBeCloseTo((1 + 4) / 4, 12);
});

test('the seeded generator is uniform on [0, 1) and bad counts are clear errors', () => {
  const u = seededUniform(9);
  let s = 0;
  for (let i = 0; i < 10000; i++) { const v = u(); expect(v >= 0 && v < 1).toBe(true); s += v; }
  expect(Math.abs(s / 10000 - 0.5)).toBeLessThan(0.012);  // SE 0.0029
  expectCode(() => npCurves(0, 1), 'TF_INVALID_ARGUMENT');
  expectCode(() => trainNp(new NpDenoiser(), npCurves(2, 1), new NoiseProcess({ kind: 'white' }), { epochs: 0 }), 'TF_INVALID_ARGUMENT');
});
