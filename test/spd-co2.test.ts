// The SPD weekly imputation pieces (lib/models/spd/impute-*.ts): the real missing runs are found and mimicked, the
// windows lie wholly inside their split's years and the scales see the training years only; linear filling, the
// two baselines and the model batch (block-diagonal noise factor, residual targets) against closed forms; a short
// training lowers a fixed batch's loss; bad input is a TF_* error. The real statsmodels co2 file is used where
// python3-statsmodels is installed; those tests skip with a message when not.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../lib';
import {
  weeklyImputationData, co2ImputationData, gapRuns, linearFill, drawBlock, fixedTasks, realGapTask, contextMask, taskFill,
  linearResidualStd, linearPredictive, harmonicPredictive, SpdImputer, BlockFactors, imputeBatch, imputeLoss, trainImputer, sampleImputer,
  NoiseProcess, dspdSchedule,
} from '../lib/models/spd';
import { SeededRandom } from '../lib/data/prng';
import { STATSMODELS_DATASETS_DIR, type TimeSeries } from '../lib/data/timeseries';
import { arr, expectCode } from './helpers';

const CO2 = path.join(STATSMODELS_DATASETS_DIR, 'co2', 'co2.csv');
const haveCo2 = fs.existsSync(CO2);
if (!haveCo2) console.warn('spd-co2: statsmodels co2.csv is not installed (apt-get install -y python3-statsmodels); the real-data tests are skipped');
const withCo2 = haveCo2 ? test : test.skip;

const WEEK0 = Date.UTC(1980, 0, 5) / 86400000;
/**
 * `n` weeks from 1980-01-05: level + 0.03 ppm a week + a 3 ppm yearly cycle + N(0, noise); missing runs of lengths
 * 1, 1, 3 and 6 early on (in 1980); the values of `scaleYear` multiplied by 10 when given.
 */
function synthetic(n = 520, noise = 0.3, scaleYear?: number): TimeSeries {
  const rng = new SeededRandom(3), times = new Float64Array(n), values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = WEEK0 + 7 * i;
    const y = new Date(times[i] * 86400000).getUTCFullYear();
    values[i] = (330 + 0.03 * i + 3 * Math.sin(2 * Math.PI * times[i] / 365.25) + noise * rng.normal()) * (y === scaleYear ? 10 : 1);
  }
  for (const [s, l] of [[5, 1], [9, 1], [20, 3], [30, 6]]) for (let i = s; i < s + l; i++) values[i] = Number.NaN;
  return { name: 'synthetic', times, values, columns: ['co2'], timeUnit: 'day' };
}
const SPLITS = { window: 32, train: { from: 1980, to: 1985 }, val: { from: 1986, to: 1987 }, test: { from: 1988, to: 1989 } };

beforeAll(() => tf.manualSeed(25));

describe('weekly imputation tasks', () => {
  test('runs of missing weeks; windows inside their years; blocks mimic the runs; scales from the training years only', () => {
    expect(gapRuns([1, 0, 1, 1, 0, 0, 0, 1, 0])).toEqual([{ start: 1, length: 1 }, { start: 4, length: 3 }, { start: 8, length: 1 }]);
    const d = weeklyImputationData(synthetic(), SPLITS);
    expect(Array.from(d.gapLengths)).toEqual([1, 1, 3, 6]);
    for (const k of ['train', 'val', 'test'] as const) {
      const r = d.splits[k];
      expect(d.starts[k].length).toBeGreaterThan(0);
      let outside = 0;  // counted, not expect()ed per week: jest's expect costs ~50 us a call
      for (const s of d.starts[k]) for (let i = s; i < s + 32; i++) if (d.year[i] < r.from || d.year[i] > r.to) outside++;
      expect(outside).toBe(0);
    }
    // the spread of a 32-week window of this series (trend and cycle) is ~2.2 ppm; the linear-interpolation residual
    // is ~ the weekly noise 0.3 sqrt(1.5) plus the cycle's curvature over longer blocks
    expect(d.ctxScale).toBeGreaterThan(1.5); expect(d.ctxScale).toBeLessThan(3);
    expect(d.resScale).toBeGreaterThan(0.3); expect(d.resScale).toBeLessThan(0.8);
    // multiplying the test years by 10 leaves every training-year quantity as it was
    const e = weeklyImputationData(synthetic(520, 0.3, 1989), SPLITS);
    expect(e.ctxScale).toBe(d.ctxScale);
    expect(e.resScale).toBe(d.resScale);
    // blocks: a real run's length, context on both sides, every week observed; fixed tasks depend on the seed only
    const rng = new SeededRandom(1), seen = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const t = drawBlock(rng, d, d.starts.train[k % d.starts.train.length])!;
      seen.add(t.length);
      expect([1, 3, 6]).toContain(t.length);
      expect(t.offset).toBeGreaterThanOrEqual(1);
      expect(t.offset + t.length).toBeLessThanOrEqual(31);
      for (let i = 0; i < t.length; i++) expect(d.observed[t.start + t.offset + i]).toBe(1);
    }
    expect(seen).toEqual(new Set([1, 3, 6]));
    const u = new SeededRandom(2), lens = new Set<number>();
    for (let k = 0; k < 300; k++) lens.add(drawBlock(u, d, d.starts.val[0], 1)!.length);
    expect(lens).toEqual(new Set([1, 2, 3, 4, 5, 6]));  // uniformShare 1: every length up to the longest run
    expect(fixedTasks(d, 'test', 9)).toEqual(fixedTasks(d, 'test', 9));
    expect(fixedTasks(d, 'test', 9)).not.toEqual(fixedTasks(d, 'test', 10));
    expect(fixedTasks(d, 'test', 9, 4).length).toBe(Math.ceil(d.starts.test.length / 4));
    // a real run's task is centred on it, or moved inside the series at its start
    expect(realGapTask(d, { start: 30, length: 6 })).toEqual({ start: 17, offset: 13, length: 6 });
    expect(realGapTask(d, { start: 5, length: 1 })).toEqual({ start: 0, offset: 5, length: 1 });
  });

  test('linear fill and the two baselines against closed forms', () => {
    // exact on a line, flat beyond the first / last context week
    const f = linearFill([9, 2, 9, 9, 8, 9, 14, 9], [0, 1, 0, 0, 1, 0, 1, 0]);
    expect(Array.from(f)).toEqual([2, 2, 4, 6, 8, 11, 14, 14]);
    // a noiseless trend + 2-harmonic series is reproduced by the regression on any block
    const s = synthetic(520, 0), d = weeklyImputationData(s, SPLITS);
    const t = { start: d.starts.val[3], offset: 10, length: 6 };
    const h = harmonicPredictive(d, t);
    for (let j = 0; j < 6; j++) expect(h.mean[j]).toBeCloseTo(d.raw[t.start + 10 + j], 6);
    // with noise sd 0.3 the regression's predictive sd is ~0.3 (32 - 6 context weeks, 6 coefficients)
    const dn = weeklyImputationData(synthetic(520, 0.3), SPLITS);
    const hn = harmonicPredictive(dn, t);
    for (const v of hn.std) { expect(v).toBeGreaterThan(0.18); expect(v).toBeLessThan(0.5); }
    // linear interpolation: mean = the fill, sd = the training residual RMS at that (length, position)
    const r = linearResidualStd(dn, 200);
    expect([...r.byLength.keys()].sort()).toEqual([1, 3, 6]);
    const g = linearPredictive(dn, { start: t.start, offset: 10, length: 3 }, r);
    const fill = taskFill(dn, { start: t.start, offset: 10, length: 3 });
    expect(Array.from(g.mean)).toEqual(Array.from(fill.slice(10, 13)));
    expect(Array.from(g.std)).toEqual(Array.from(r.byLength.get(3)!));
    // a single week's residual: noise of the week and half of each neighbour's, 0.3 sqrt(1.5) = 0.37 (+ curvature)
    expect(r.byLength.get(1)![0]).toBeGreaterThan(0.3); expect(r.byLength.get(1)![0]).toBeLessThan(0.5);
    expectCode(() => linearPredictive(dn, { start: t.start, offset: 10, length: 2 }, r), 'TF_INVALID_ARGUMENT');
  });

  test('model batch: block-diagonal factor (the GP Cholesky on the block times, identity elsewhere), residual targets, masks', () => {
    const d = weeklyImputationData(synthetic(), SPLITS), noise = new NoiseProcess({ kind: 'gp', sigma: 0.05 });
    const tasks = [{ start: d.starts.train[40], offset: 4, length: 3 }, { start: d.starts.val[2], offset: 20, length: 1 }];
    const b = imputeBatch(d, tasks, new BlockFactors(noise, 32));
    const L = arr(b.L), x0 = arr(b.x0), cond = arr(b.cond), mask = arr(b.mask);
    // the block's factor times its transpose is exp(-((i - j) / 31 / 0.05)^2) + 1e-4 on the diagonal
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += L[(4 + i) * 32 + 4 + k] * L[(4 + j) * 32 + 4 + k];
      expect(s).toBeCloseTo(Math.exp(-(((i - j) / 31 / 0.05) ** 2)) + (i === j ? 1e-4 : 0), 5);
    }
    for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) {
      const inBlock = i >= 4 && i < 7 && j >= 4 && j < 7;
      if (!inBlock) expect(L[i * 32 + j]).toBe(i === j ? 1 : 0);
    }
    tasks.forEach((t, w) => {
      const fill = taskFill(d, t), ctx = contextMask(d, t);
      for (let i = 0; i < 32; i++) {
        const inB = i >= t.offset && i < t.offset + t.length;
        expect(mask[w * 32 + i]).toBe(inB ? 1 : 0);
        expect(cond[w * 98 + 32 + i]).toBe(ctx[i]);
        expect(cond[w * 98 + 64 + i]).toBe(inB ? 1 : 0);
        expect(x0[w * 32 + i]).toBeCloseTo(inB ? (d.raw[t.start + i] - fill[i]) / d.resScale : 0, 5);
      }
    });
    // the context channel is centred on the context weeks' mean
    let c = 0, n = 0;
    for (let i = 0; i < 32; i++) if (cond[32 + i]) { c += cond[i]; n++; }
    expect(Math.abs(c / n)).toBeLessThan(1e-5);
  });

  test('150 training steps lower a fixed batch loss (MLP and conv); samples have the block shape', () => {
    const d = weeklyImputationData(synthetic(), SPLITS), noise = new NoiseProcess({ kind: 'gp', sigma: 0.02 }), s = dspdSchedule(100);
    const tasks = fixedTasks(d, 'train', 4, 8), f = new BlockFactors(noise, 32);
    const kFixed = Array.from({ length: tasks.length }, (_, i) => (i * 37) % 100);
    for (const arch of ['mlp', 'conv'] as const) {
      tf.manualSeed(5);
      const net = new SpdImputer({ window: 32, arch, width: arch === 'mlp' ? 64 : 16 });
      const lossAt = () => tf.noGrad(() => { tf.manualSeed(6); return imputeLoss(net, imputeBatch(d, tasks, f), s, kFixed).item() as number; });
      const before = lossAt();
      trainImputer(net, d, noise, { steps: 150, batch: 32, lr: 3e-3, seed: 1 });
      const after = lossAt();
      // measured (this seed): mlp 0.90 -> 0.43, conv 0.86 -> 0.36 (x 0.48, 0.42); 0.8 leaves room for other machines' arithmetic
      expect(after).toBeLessThan(0.8 * before);
    }
    const net = new SpdImputer({ window: 32 });
    const out = sampleImputer(net, d, tasks.slice(0, 2), noise, 3, { schedule: dspdSchedule(25) });
    expect(out.map((o) => o.length)).toEqual([3 * tasks[0].length, 3 * tasks[1].length]);
    for (const o of out) expect(o.every(Number.isFinite)).toBe(true);
  });

  test('bad input is a TF_* error', () => {
    const s = synthetic();
    expectCode(() => weeklyImputationData(s, { ...SPLITS, window: 4 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => weeklyImputationData(s, { ...SPLITS, val: { from: 1985, to: 1987 } }), 'TF_INVALID_ARGUMENT');
    expectCode(() => weeklyImputationData(s, { ...SPLITS, column: 'nope' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => weeklyImputationData({ ...s, times: s.times.map((t, i) => (i > 100 ? t + 1 : t)) }, SPLITS), 'TF_INVALID_ARGUMENT');
    expectCode(() => weeklyImputationData({ ...s, values: s.values.map((v) => (Number.isNaN(v) ? v : 1)).map((v) => v) }, SPLITS), 'TF_INVALID_ARGUMENT');
    expectCode(() => weeklyImputationData({ ...s, values: s.values.map((v) => (Number.isNaN(v) ? 0 : v)) }, SPLITS), 'TF_INVALID_ARGUMENT');
    expectCode(() => linearFill([1, 2], [0, 0]), 'TF_INVALID_ARGUMENT');
    const d = weeklyImputationData(s, SPLITS);
    expectCode(() => imputeBatch(d, [{ start: 0, offset: 30, length: 5 }], new BlockFactors(new NoiseProcess({ kind: 'white' }), 32)), 'TF_INVALID_ARGUMENT');
    expectCode(() => imputeBatch(d, [{ start: 0, offset: 3, length: 2 }], new BlockFactors(new NoiseProcess({ kind: 'white' }), 16)), 'TF_SHAPE_MISMATCH');
    expectCode(() => new SpdImputer({ window: 32, arch: 'rnn' as 'mlp' }), 'TF_INVALID_ARGUMENT');
    const net = new SpdImputer({ window: 32 });
    expectCode(() => net.forward(tf.zeros([2, 31]), tf.zeros([2]), tf.zeros([2, 98]), tf.zeros([2, 32])), 'TF_SHAPE_MISMATCH');
    expectCode(() => co2ImputationData({ dir: '/nonexistent/statsmodels' }), 'TF_BAD_FILE');
  });

  withCo2('statsmodels co2: 22 missing runs (14 single weeks ... one of 18), splits by year, no scored week missing', () => {
    const d = co2ImputationData();
    expect(d.raw.length).toBe(2284);
    const counts: Record<number, number> = {};
    for (const l of d.gapLengths) counts[l] = (counts[l] ?? 0) + 1;
    expect(counts).toEqual({ 1: 14, 2: 2, 3: 2, 4: 1, 5: 1, 8: 1, 18: 1 });
    expect(d.gapLengths.reduce((a, l) => a + l, 0)).toBe(59);
    expect(d.year[d.starts.train[0]]).toBe(1958);
    expect(d.year[d.starts.test[d.starts.test.length - 1] + 63]).toBe(2001);
    // every real run lies in the training years; the validation and test windows have no missing week
    for (const g of d.gaps) expect(d.year[g.start]).toBeLessThanOrEqual(1987);
    let missing = 0;
    for (const k of ['val', 'test'] as const) for (const s of d.starts[k]) for (let i = s; i < s + 64; i++) missing += 1 - d.observed[i];
    expect(missing).toBe(0);
    // each real run's task holds it as its block, with context on both sides
    for (const g of d.gaps) {
      const t = realGapTask(d, g);
      expect(t.start + t.offset).toBe(g.start);
      expect(t.offset).toBeGreaterThanOrEqual(1);
      expect(t.offset + t.length).toBeLessThanOrEqual(63);
    }
  });
});
