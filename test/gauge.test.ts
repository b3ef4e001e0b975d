// Gauge freedom and intrinsic dimension (lib/models/gauge, lib/linalg): the gauge experiment without training
// against exact fields, the dimension estimators against exact scores, the conservative net's symmetric Jacobian
// and its double-backward training gradient against float64 finite differences.
import * as tf from '../lib';
import * as g from '../lib/models/gauge';
import { singularValues, symEig } from '../lib/linalg';
import { expectCode, paramFdWorst } from './helpers';

describe('host linear algebra (float64 Jacobi)', () => {
  test('symEig reconstructs a symmetric matrix with orthonormal vectors and ascending values', () => {
    tf.manualSeed(3);
    const n = 12;
    const B = tf.randn([n, n], { dtype: 'float64' });
    const A = B.add(B.transpose(0, 1)).dataSync() as Float64Array;
    const { values, vectors: V } = symEig(A, n);
    for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    let err = 0, orth = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let r = 0, o = 0;
      for (let k = 0; k < n; k++) { r += V[i * n + k] * values[k] * V[j * n + k]; o += V[k * n + i] * V[k * n + j]; }
      err = Math.max(err, Math.abs(r - A[i * n + j]));
      orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
    }
    // Jacobi is backward stable: errors of a few ulps times the norm (|A| ~ 10 here)
    expect(err).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-13);
    // a known spectrum: diag(1..n) conjugated by a rotation
    const d = symEig([2, 1, 0, 1, 2, 0, 0, 0, 5], 3).values;
    expect(Array.from(d).map((v) => +v.toFixed(12))).toEqual([1, 3, 5]);
  });

  test('singularValues match the square roots of the eigenvalues of A^T A, for A and A^T, and see a rank drop', () => {
    tf.manualSeed(4);
    const m = 9, n = 5;
    const A = tf.randn([m, n], { dtype: 'float64' });
    const a = A.dataSync() as Float64Array;
    const sv = singularValues(a, m, n);
    const ata = A.transpose(0, 1).matmul(A).dataSync() as Float64Array;
    const ev = Array.from(symEig(ata, n).values).reverse().map(Math.sqrt);
    ev.forEach((v, i) => expect(Math.abs(sv[i] - v)).toBeLessThan(1e-12 * sv[0]));
    const svT = singularValues(A.transpose(0, 1).contiguous().dataSync() as Float64Array, n, m);
    svT.forEach((v, i) => expect(Math.abs(v - sv[i])).toBeLessThan(1e-12 * sv[0]));
    // rank 2: three singular values vanish (to rounding)
    const low = tf.randn([m, 2], { dtype: 'float64' }).matmul(tf.randn([2, n], { dtype: 'float64' }));
    const s2 = singularValues(low.dataSync() as Float64Array, m, n);
    expect(s2[1]).toBeGreaterThan(1e-3);
    expect(s2[2]).toBeLessThan(1e-13 * s2[0]);
    expect(tf.linalg.svdvals(A).shape).toEqual([n]);
    expectCode(() => tf.linalg.eigh(A), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.linalg.svdvals(tf.tensor([NaN, 1, 2, 3], { shape: [2, 2] } as never).reshape(2, 2)), 'TF_NON_FINITE');
  });
});

describe('gauge freedom without training (digest B §2.6.1)', () => {
  // Same prior draws through each field's probability-flow ODE (RK4, 200 steps; 100 and 400 steps give the same
  // moments to 1e-4, so the integration error is far below the tolerances).
  const moments = (x: tf.Tensor) => {
    const m = x.mean(0), c = x.sub(m).transpose(0, 1).matmul(x.sub(m)).div(x.shape[0]);
    return [...(m.toArray() as number[]), ...(c.toArray() as number[][]).flat()];
  };
  const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

  test('isotropic Gaussian: the rotated field B has the score A\'s samples and likelihoods; the wrong conservative C does not', () => {
    const mix: g.Mixture2d = { means: [[0, 0]], std: 0.5 };
    const A: g.Field = (x, t) => g.mixtureScore(mix, x, t);
    tf.manualSeed(1);
    const z = tf.randn([20000, 2]);
    const mA = moments(g.sampleFlow(A, z));
    for (const c of [1, 2]) expect(maxDiff(moments(g.sampleFlow(g.rotated(A, c), z)), mA)).toBeLessThan(0.02);
    expect(maxDiff(moments(g.sampleFlow(g.gaussianScore(1.5), z)), mA)).toBeGreaterThan(0.5);
    // per-point likelihoods on 2,000 data points
    const pts = tf.randn([2000, 2]).mul(0.5);
    const nA = g.flowNll(A, pts), nB = g.flowNll(g.rotated(A, 1), pts), nC = g.flowNll(g.gaussianScore(1.5), pts);
    const exact = g.mixtureLogProb(mix, pts, 1e-3).neg();
    expect(nA.sub(nB).abs().mean().item()).toBeLessThan(0.01);
    expect(nA.sub(exact).abs().mean().item()).toBeLessThan(0.01);
    expect(nC.sub(nA).abs().mean().item()).toBeGreaterThan(0.1);
  });

  test('two-mode mixture: B keeps the marginals (moments within Monte Carlo error of the exact ones) and the likelihoods', () => {
    const mix: g.Mixture2d = { means: [[-1.5, 0], [1.5, 0.5]], std: 0.5 };
    const A: g.Field = (x, t) => g.mixtureScore(mix, x, t);
    // The two flows send the same draws to different places, so their sample moments differ by Monte Carlo error
    // (the standard error of a variance of 2.5 from 20,000 draws is ~0.025), not by 0.02; each is compared with
    // the exact moments of p_eps at 4 standard errors instead.
    const a = g.VP.alpha(1e-3), v = a * a * 0.25 + 1 - a * a;
    const m = [0, 0.25 * a], dx = 1.5 * a, dy = 0.25 * a;  // half the distance between the scaled means
    const exact = [m[0], m[1], v + dx * dx, dx * dy, dx * dy, v + dy * dy];
    const se = exact.map((_, i) => 4 * Math.sqrt((i < 2 ? 1 : 2) * (v + dx * dx) ** (i < 2 ? 1 : 2) / 20000));
    tf.manualSeed(2);
    const z = tf.randn([20000, 2]);
    for (const f of [A, g.rotated(A, 1), g.rotated(A, 2)]) {
      const got = moments(g.sampleFlow(f, z));
      got.forEach((val, i) => expect(Math.abs(val - exact[i])).toBeLessThan(se[i]));
    }
    expect(Math.abs(moments(g.sampleFlow(g.gaussianScore(1.5), z))[2] - exact[2])).toBeGreaterThan(0.1);
    const comp = Array.from({ length: 2000 }, (_, i) => i % 2);
    const pts = tf.randn([2000, 2]).mul(0.5).add(tf.tensor(Float32Array.from(comp.flatMap((k) => mix.means[k])), { shape: [2000, 2] }));
    const nA = g.flowNll(A, pts), nB = g.flowNll(g.rotated(A, 1), pts), nC = g.flowNll(g.gaussianScore(1.5), pts);
    expect(nA.sub(nB).abs().mean().item()).toBeLessThan(0.01);
    expect(nA.sub(g.mixtureLogProb(mix, pts, 1e-3).neg()).abs().mean().item()).toBeLessThan(0.01);
    expect(nC.sub(nA).abs().mean().item()).toBeGreaterThan(0.1);
  });

  test('the rotated part satisfies the gauge condition div(p_t r) = 0 (finite differences, float64)', () => {
    const mix: g.Mixture2d = { means: [[-1.5, 0], [1.5, 0.5]], std: 0.5 };
    const A: g.Field = (x, t) => g.mixtureScore(mix, x, t);
    const r: g.Field = (x, t) => g.rotated(A, 1)(x, t).sub(A(x, t));
    tf.manualSeed(5);
    for (const t of [0.05, 0.3, 0.9]) {
      // central differences with h = 1e-4 on p r of size ~0.1: truncation ~h^2 |p r'''| ~ 1e-9, rounding ~1e-12 / h
      expect(g.gaugeResidual(mix, r, tf.randn([200, 2]).mul(1.5), t).abs().amax().item()).toBeLessThan(1e-6);
      // and a non-gauge field (the score itself as r) is far from it
      expect(g.gaugeResidual(mix, A, tf.randn([200, 2]).mul(1.5), t).abs().amax().item()).toBeGreaterThan(1e-2);
    }
  });
});

describe('intrinsic-dimension estimators on exact scores', () => {
  test('a 3-D Gaussian in R^10: score-SVD (A) and the Jacobian spectrum (B1) both give 3 at every point', () => {
    const D = 10, k = 3, s = 0.01;
    const man = new tf.data.SubspaceManifold({ intrinsicDim: k, ambientDim: D, seed: 7 });
    const score = g.subspaceGaussianScore(man.embedding, D, k, s);
    tf.manualSeed(6);
    const pts = man.sample(20);
    for (let i = 0; i < 20; i++) {
      const x0 = pts.select(0, i);
      const a = g.scoreSvdDimension(score, x0, s);
      expect(a.dim).toBe(3);
      const b = g.jacobianDimension(score, x0, s);
      expect(b.dim).toBe(3);
      expect(b.asymmetry).toBeLessThan(1e-6);
    }
    expectCode(() => g.scoreSvdDimension(score, pts.select(0, 0), 0), 'TF_INVALID_ARGUMENT');
  });
});

describe('the flow-map estimator (B2)', () => {
  test("on a 3-D Gaussian in R^10 with its exact score, Y(t)'s singular values are the closed form and the dimension is 3", () => {
    const D = 10, k = 3;
    const man = new tf.data.SubspaceManifold({ intrinsicDim: k, ambientDim: D, seed: 7 });
    tf.manualSeed(1);
    const x0 = man.sample(1).reshape(D).double();  // float64, so the Jacobian (entries up to 1/sigma^2 = 1e4) is exact
    const r = g.flowMapDimension(g.subspaceGaussianVeScore(man.embedding, D, k), x0, { steps: 100 });
    expect(r.dim).toBe(3);
    // dx/dt is linear with a known solution: along the subspace Y scales by sqrt((1 + s_t^2) / (1 + s_1^2)), off it by
    // s_t / s_1 (VE, sigma in [0.01, 4]). Off the subspace Y' = L Y with L = ln 400 ~ 6: RK4's global relative error is
    // about L (hL)^4 / 120 = 3e-7 at h = 1/100 (1e-5 at h = 1/50, measured), so 1e-5 bounds it with room
    const s = (t: number) => 0.01 * Math.exp(t * Math.log(400));
    r.t.forEach((t, i) => {
      const tan = Math.sqrt((1 + s(t) ** 2) / 17), nor = s(t) / 4;
      const sv = r.singularValues[i];
      for (let j = 0; j < 3; j++) expect(Math.abs(sv[j] / tan - 1)).toBeLessThan(1e-5);
      for (let j = 3; j < D; j++) expect(Math.abs(sv[j] / nor - 1)).toBeLessThan(1e-5);
    });
    expectCode(() => g.flowMapDimension(g.subspaceGaussianVeScore(man.embedding, D, k), x0, { steps: 0 }), 'TF_INVALID_ARGUMENT');
  });
});

describe('the two parameterisations', () => {
  test("the conservative net's Jacobian is symmetric to 1e-5 in float32; a free net's is not", () => {
    tf.manualSeed(8);
    const D = 6, sig = tf.full([1], 0.1);
    const cons = new g.ConservativeScoreNet(D, 32, 2), free = new g.FreeScoreNet(D, 32, 2);
    const x0 = tf.randn([D]);
    const jc = g.jacobianDimension((x) => cons.score(x, sig, true), x0, 0.1);
    const jf = g.jacobianDimension((x) => free.score(x, sig), x0, 0.1);
    expect(jc.asymmetry).toBeLessThan(1e-5);
    expect(jf.asymmetry).toBeGreaterThan(0.1);
  });

  test('the double-backward DSM gradient matches float64 central differences', () => {
    tf.manualSeed(9);
    const D = 3;
    const net = new g.ConservativeScoreNet(D, 8, 2).toDtype('float64');
    const x0 = tf.randn([5, D], { dtype: 'float64' });
    // the loss's own draws (sigma, z) are fixed by reseeding before each evaluation
    const loss = () => { tf.manualSeed(10); return g.dsmLoss(net, x0); };
    const l = loss();
    l.backward();
    const worst = paramFdWorst(net.parameters().slice(0, 4), loss);
    // central differences in float64 with h = 1e-5: truncation ~h^2 = 1e-10 relative, rounding ~eps |L| / (h |g|)
    // ~1e-16 * 10 / (1e-5 * 1e-3) = 1e-7 for the smallest entries checked; a wrong double backward is off by O(1)
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('CLI: method gauge and tensorfield id', () => {
  test('trains a conservative field on subspace3-r10 and id finds 3; a run without a score field is refused', async () => {
    await import('../lib/models');  // registers the methods, as the CLI's main does
    const { trainCommand } = await import('../lib/cli/train');
    const { idCommand } = await import('../lib/cli/id');
    const fs = await import('fs'), os = await import('os'), path = await import('path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-gauge-'));
    const quiet = () => undefined;
    try {
      await trainCommand(['--method', 'gauge', '--data', 'subspace3-r10', '--steps', '1500', '--seed', '1', '--out', path.join(dir, 'g')], quiet);
      const lines: string[] = [];
      const r = idCommand(['--run', path.join(dir, 'g'), '--n', '10'], (s) => lines.push(s));
      expect(r.trueDim).toBe(3);
      // measured: 10 of 10 at 1,500 steps (the script's 4,000-step runs: 50 of 50 over 3 seeds)
      expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(lines.some((l) => /histogram/.test(l))).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'g', 'id.json'), 'utf8')).dims).toHaveLength(10);
      // B1 at its own noise level (--jacobian-sigma; the S^5 runs use 0.02)
      const j = idCommand(['--run', path.join(dir, 'g'), '--n', '3', '--jacobian', '--jacobian-sigma', '0.02'], quiet);
      expect(j.jacobianSigma).toBe(0.02);
      expect(j.dimsJacobian).toHaveLength(3);
      expectCode(() => idCommand(['--run', path.join(dir, 'g'), '--jacobian', '--jacobian-sigma', '-1'], quiet), 'TF_INVALID_ARGUMENT');
      await trainCommand(['--method', 'edm', '--data', 'eight-gaussians', '--steps', '5', '--out', path.join(dir, 'e')], quiet);
      expectCode(() => idCommand(['--run', path.join(dir, 'e')], quiet), 'TF_INVALID_ARGUMENT');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the training noise levels (sampleVeSigma)', () => {
  test('t = u^p: P(t < q) = q^(1/p), so at p = 3 half the draws lie below sigma(0.125); bad p is TF_INVALID_ARGUMENT', () => {
    tf.manualSeed(3);
    const lo = 0.01, hi = 4, n = 4000;
    const frac = (p: number, q: number) => {
      const s = Array.from(g.sampleVeSigma(n, { sigmaMin: lo, sigmaMax: hi, tPower: p }).dataSync() as Float32Array);
      return s.filter((v) => v < lo * (hi / lo) ** q).length / n;
    };
    // binomial standard error at n = 4000 is <= 0.008; 0.04 is 5 of them
    expect(Math.abs(frac(3, 0.125) - 0.5)).toBeLessThan(0.04);
    expect(Math.abs(frac(1, 0.125) - 0.125)).toBeLessThan(0.04);
    expect(Math.abs(frac(3, 0.001) - 0.1)).toBeLessThan(0.04);
    expectCode(() => g.sampleVeSigma(4, { tPower: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => g.sampleVeSigma(4, { tPower: NaN }), 'TF_INVALID_ARGUMENT');
  });
});
