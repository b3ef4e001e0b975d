// DiffusionBlocks (lib/models/diffusion-blocks): the noise partition against the digest's checked boundary values
// and an independent quadrature oracle, inverse-CDF sampling inside a block, bucketize edges, the blockwise model
// (inactive blocks neither run nor hold gradients, lazy per-block optimizers, routing at sampling), the
// allocator's resettable peak, and the sequential-vs-separate bit identity.
import * as tf from '../lib';
import { erf, erfc, normalCdf, normalPpf } from '../lib/special/normal';
import * as P from '../lib/models/diffusion-blocks/partition';
import { expectCode } from './helpers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../lib/models';
import { trainCommand, openRun } from '../lib/cli/train';
import { assembleCommand } from '../lib/cli/assemble';

describe('standard normal in float64 (lib/special/normal)', () => {
  // Reference values: Abramowitz & Stegun tables / any statistics package, quoted to 15-16 digits.
  test('Phi and Phi^-1 at known values', () => {
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300946, 15);
    expect(normalCdf(-8) / 6.220960574271785e-16 - 1).toBeLessThan(1e-12);  // relative accuracy in the tail
    expect(erfc(5) / 1.5374597944280349e-12 - 1).toBeLessThan(1e-12);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(normalPpf(0.975)).toBeCloseTo(1.959963984540054, 13);
    expect(normalPpf(0.9)).toBeCloseTo(1.2815515655446004, 13);
    expect(normalPpf(0.5)).toBe(0);
    expect(normalPpf(1e-10) / -6.361340902404056 - 1).toBeLessThan(1e-12);
  });
  test('Phi(Phi^-1(p)) = p across 25 decades', () => {
    for (let e = -25; e <= -1; e++) for (const m of [1, 3, 7]) {
      const p = m * 10 ** e;
      // Phi's relative condition at x is ~x² (<= 110 at p = 1e-25), so a few ulps of x and erfc's 1e-15 become ~1e-12
      expect(Math.abs(normalCdf(normalPpf(p)) / p - 1)).toBeLessThan(2e-12);
    }
  });
  test('bad p is TF_INVALID_ARGUMENT', () => {
    for (const p of [0, 1, -0.1, NaN]) expectCode(() => normalPpf(p), 'TF_INVALID_ARGUMENT');
  });
});

/** v rounded to as many significant digits as the printed reference has (0.0943 -> 3, 0.5050 -> 4 as written). */
function asPrinted(v: number, ref: number): number {
  const text = PRINTED.get(ref) ?? String(ref);
  const digits = text.replace(/^0\.0*/, '').replace('.', '').length;
  return Number(v.toPrecision(digits));
}
// trailing zeros that JS drops from a number literal
const PRINTED = new Map<number, string>([[0.505, '0.5050'], [0.4, '0.4']]);

describe('noise partition', () => {
  // The digest's checked values, as printed (rounding ours to the printed significant digits must give them), defaults sigma in [0.002, 80], P_mean -1.2, P_std 1.2.
  const REF: Record<number, number[]> = {
    2: [0.002, 0.3012, 80],
    3: [0.002, 0.1796, 0.5050, 80],
    4: [0.002, 0.1341, 0.3012, 0.6766, 80],
    6: [0.002, 0.0943, 0.1796, 0.3012, 0.5050, 0.9617, 80],
  };
  test.each([2, 3, 4, 6])('equi-probability edges for B = %i match the digest to 4 digits', (B) => {
    const e = P.partitionEdges(B);
    expect(e.length).toBe(B + 1);
    e.forEach((v, i) => expect(asPrinted(v, REF[B][i])).toBe(REF[B][i]));
  });
  test('every equi-probability block holds 1/B of the truncated mass (Simpson quadrature of the density in ln sigma)', () => {
    // independent of Phi: integrate the Gaussian density of ln sigma numerically
    const d = P.DEFAULT_NOISE, pdf = (t: number) => Math.exp(-0.5 * ((t - d.pMean) / d.pStd) ** 2);
    const simpson = (a: number, b: number) => {
      const n = 2000, h = (b - a) / n;
      let s = pdf(a) + pdf(b);
      for (let k = 1; k < n; k++) s += (k % 2 ? 4 : 2) * pdf(a + k * h);
      return (s * h) / 3;
    };
    const e = P.partitionEdges(5).map(Math.log);
    const total = simpson(e[0], e[5]);
    for (let i = 0; i < 5; i++) expect(simpson(e[i], e[i + 1]) / total).toBeCloseTo(0.2, 9);
  });
  test('the uniform-log-sigma ablation for B = 4', () => {
    const e = P.partitionEdges(4, 'uniform');
    [0.002, 0.0283, 0.4, 5.657, 80].forEach((v, i) => expect(asPrinted(e[i], v)).toBe(v));
  });
  test('overlap widens by gamma of the log-width and clips to the global range', () => {
    const e = P.partitionEdges(4);
    const [lo, hi] = P.overlapRange(e, 1, 0.1);
    const a = (e[2] / e[1]) ** 0.1;
    expect(lo).toBeCloseTo(e[1] / a, 14);
    expect(hi).toBeCloseTo(e[2] * a, 14);
    expect(P.overlapRange(e, 0, 0.1)[0]).toBe(0.002);
    expect(P.overlapRange(e, 3, 0.1)[1]).toBe(80);
    expect(P.overlapRange(e, 2, 0)).toEqual([e[2], e[3]]);
  });
  test('inverse-CDF sigmas fall inside the block with the block mass split as the log-normal says', () => {
    // The block [e1, e2] of B = 4 is cut at its own probability midpoint m (by Phi, the sampler's inverse):
    // half the draws must fall below m. With n = 20000 the standard error of a frequency is 0.0035; 0.015 is 4 of them.
    tf.manualSeed(11);
    const e = P.partitionEdges(4);
    const u = tf.rand([20000], { dtype: 'float64' }).dataSync() as Float64Array;
    const s = P.sampleSigmaInRange(u, e[1], e[2]);
    const d = P.DEFAULT_NOISE, q = (x: number) => normalCdf((Math.log(x) - d.pMean) / d.pStd);
    const qm = (q(e[1]) + q(e[2])) / 2;
    const m = Math.exp(d.pMean + d.pStd * normalPpf(qm));
    let below = 0, quarter = 0;
    const q1 = Math.exp(d.pMean + d.pStd * normalPpf(q(e[1]) + 0.25 * (q(e[2]) - q(e[1]))));
    let outside = 0;
    for (const v of s) {
      if (v < e[1] || v > e[2]) outside++;
      if (v < m) below++;
      if (v < q1) quarter++;
    }
    expect(outside).toBe(0);
    expect(Math.abs(below / s.length - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(quarter / s.length - 0.25)).toBeLessThan(0.013);  // sd 0.0031
    // the endpoints of u map onto the range's ends
    const ends = P.sampleSigmaInRange([0, 1], e[1], e[2]);
    expect(ends[0] / e[1]).toBeCloseTo(1, 10);
    expect(ends[1] / e[2]).toBeCloseTo(1, 10);
  });
  test('blockOf: edges belong to the interval above them; block 0 owns the largest sigmas; outside clamps', () => {
    const e = P.partitionEdges(4);
    expect(P.blockOf(80, e)).toBe(0);
    expect(P.blockOf(1e3, e)).toBe(0);
    expect(P.blockOf(e[3], e)).toBe(0);                 // right=True: an edge starts the interval above it
    expect(P.blockOf(e[3] * (1 - 1e-12), e)).toBe(1);
    expect(P.blockOf(e[1], e)).toBe(2);
    expect(P.blockOf(0.002, e)).toBe(3);
    expect(P.blockOf(1e-5, e)).toBe(3);
    for (let b = 0; b < 4; b++) {
      const k = P.intervalOfBlock(b, 4);
      expect(P.blockOf(Math.sqrt(e[k] * e[k + 1]), e)).toBe(b);
    }
    expect(P.blockLayers(2, 12, 4)).toEqual([6, 9]);
  });
  test('bad input is TF_INVALID_ARGUMENT', () => {
    expectCode(() => P.partitionEdges(0), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.partitionEdges(2.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.partitionEdges(3, 'log' as P.PartitionKind), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.partitionEdges(3, 'equiprob', { ...P.DEFAULT_NOISE, sigmaMin: 100 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.partitionEdges(3, 'equiprob', { ...P.DEFAULT_NOISE, pStd: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.overlapRange(P.partitionEdges(3), 3, 0.1), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.overlapRange(P.partitionEdges(3), 0, -0.1), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.sampleSigmaInRange([0.5], 1, 0.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.sampleSigmaInRange([1.5], 0.5, 1), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.blockOf(0, P.partitionEdges(3)), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.blockOf(NaN, P.partitionEdges(3)), 'TF_INVALID_ARGUMENT');
    expectCode(() => P.blockLayers(0, 10, 4), 'TF_INVALID_ARGUMENT');
  });
});

describe('resettable allocator peak (tf.resetPeakMemory)', () => {
  test('reset brings the peak to the live bytes; a step raises it; freeing does not lower it', () => {
    const before = tf.memory();
    const closed = tf.resetPeakMemory();
    expect(closed).toBeGreaterThanOrEqual(before.bytes);
    const m0 = tf.memory();
    expect(m0.peakBytes).toBe(m0.bytes);
    // a 1 MiB float32 buffer and its square: both live at once inside tidy -> at least 8 MiB above the start
    tf.tidy(() => { const a = tf.zeros([1 << 20]); a.square(); });
    const m1 = tf.memory();
    expect(m1.bytes).toBe(m0.bytes);
    expect(m1.peakBytes).toBeGreaterThanOrEqual(m0.bytes + 8 * (1 << 20));
    expect(tf.resetPeakMemory()).toBe(m1.peakBytes);
    expect(tf.memory().peakBytes).toBe(m0.bytes);
  });
});

import * as DB from '../lib/models/diffusion-blocks';
import { eightGaussians } from '../lib/data/gmm';
import { edmSigmas } from '../lib/samplers/grids';
import type { DataSpec, OptionValue } from '../lib/registry';

const ring = eightGaussians();
const spec: DataSpec = { name: 'eight-gaussians', kind: 'points', itemShape: [2], draw: (n) => ring.sample(n) };
function options(over: Record<string, OptionValue> = {}): Record<string, OptionValue> {
  const o: Record<string, OptionValue> = {};
  for (const [k, v] of Object.entries(DB.DBLOCKS_OPTIONS)) o[k] = v.default;
  return { ...o, layers: 6, width: 16, embDim: 16, blocks: 3, sigmaData: 1, ...over };
}

describe('blockwise model and training', () => {
  test('a block step runs only that block; inactive layers get no gradient', () => {
    tf.manualSeed(1);
    const run = DB.createDblocks(spec, options());
    const net = run.model;
    const x = ring.sample(32);
    run.trainStep(x, 1);  // round robin: step 1 trains block 1 = layers 2, 3
    expect(net.layerRuns).toEqual([0, 0, 1, 1, 0, 0]);
    expect(net.forwards).toEqual([0, 1, 0]);
    // gradients of one block's forward: its layers and the shared stem/head only
    tf.tidy(() => net.forwardBlock(2, x, tf.zeros([32])).square().sum().backward());
    const has = (ps: tf.Tensor[]) => ps.map((p) => p.grad !== null);
    expect(has(net.blockParameters(2)).every(Boolean)).toBe(true);
    expect(has(net.sharedParameters()).every(Boolean)).toBe(true);
    expect(has([...net.blockParameters(0), ...net.blockParameters(1)]).some(Boolean)).toBe(false);
    run.optimizer.zeroGrad();
    x.dispose();
  });

  test('optimizer moments are made only for blocks that have stepped; training drops every gradient', () => {
    tf.manualSeed(2);
    const run = DB.createDblocks(spec, options());
    const opt = run.optimizer, net = run.model;
    expect(opt.adams.every((a) => a === null)).toBe(true);
    expect(opt.stateBytes()).toBe(0);
    const x = ring.sample(16);
    run.trainStep(x, 2);  // block 2
    expect(opt.adams.map((a) => a !== null)).toEqual([false, false, true, true]);  // block 2 and the shared group
    const numel = (ps: tf.Tensor[]) => ps.reduce((s, p) => s + p.numel(), 0);
    expect(opt.stateBytes()).toBe(2 * 4 * (numel(net.blockParameters(2)) + numel(net.sharedParameters())));
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    // checkpoint layout: group g = block g, slots only for the stepped groups; a reload restores them
    const sd = opt.stateDict();
    expect([...new Set([...sd.tensors.keys()].map((k) => k.split('.')[0]))].sort()).toEqual(['2', '3']);
    const run2 = DB.createDblocks(spec, options());
    run2.optimizer.loadStateDict(sd);
    expect(run2.optimizer.adams.map((a) => a !== null)).toEqual([false, false, true, true]);
    expect(run2.optimizer.adams[2]!.stepCount).toBe(DB.stepsOfBlock(2, sd.stepCount, 3, -1));
    x.dispose();
  });

  test('the step peak from the allocator falls with the block size', () => {
    // same batch and width: B = 1 runs 6 layers, B = 3 runs 2; activations and gradients of layers dominate
    const peak = (blocks: number) => {
      tf.manualSeed(3);
      const run = DB.createDblocks(spec, options({ blocks, width: 64, embDim: 64 }));
      const x = ring.sample(512);
      for (let s = 0; s < blocks + 1; s++) run.trainStep(x, s);
      x.dispose();
      return run.reports[run.reports.length - 1].stepBytes;
    };
    const p1 = peak(1), p3 = peak(3);
    expect(p3).toBeLessThan(0.6 * p1);
    expect(p3).toBeGreaterThan(0);
  });

  test('sampling runs one block per solver evaluation, the block that owns each sigma', () => {
    tf.manualSeed(4);
    const run = DB.createDblocks(spec, options({ sampleSteps: 24 }));
    const net = run.model, edges = run.trainer.edges;
    const r = run.sample(50, { solver: 'euler' });
    // expected owner of each evaluated sigma, by direct comparison with the edges (not blockOf)
    const want = [0, 0, 0];
    for (const s of edmSigmas(24, { sigmaMin: 0.002, sigmaMax: 80 }).filter((s) => s > 0)) {
      let k = 0;
      while (k < 2 && s >= edges[k + 1]) k++;
      want[2 - k]++;
    }
    expect(net.forwards).toEqual(want);
    expect(want.every((c) => c > 0)).toBe(true);
    expect(r.nfe).toBe(24);
    expect(net.layerRuns.reduce((a, b) => a + b, 0)).toBe(24 * 2);  // 2 layers per evaluation, not 6
    r.x.dispose();
  });

  test('blocks trained apart then assembled are bit-identical to blocks trained one after another', () => {
    const o = { stem: 'own', blocks: 3 } as Record<string, OptionValue>;
    const steps = 4;
    // a stand-in for the CLI: the global generator draws a batch before every step (own mode ignores it)
    const cliStep = (run: DB.DblocksRun, step: number) => tf.tidy(() => { run.trainStep(ring.sample(8), step); });
    tf.manualSeed(7);
    const seq = DB.createDblocks(spec, options(o));
    for (let s = 0; s < 3 * steps; s++) cliStep(seq, s);
    const apart = [2, 0, 1].map((block) => {  // in another order, each in a fresh run
      tf.manualSeed(7);
      const run = DB.createDblocks(spec, options({ ...o, block }));
      for (let s = 0; s < steps; s++) cliStep(run, s);
      return { block, net: run.model };
    });
    tf.manualSeed(7);
    const joined = DB.createDblocks(spec, options(o)).model;
    const before = joined.parameters().map((p) => Float32Array.from(p.dataSync() as Float32Array));
    DB.assembleBlocks(joined, apart);
    const a = seq.model.namedParameters(), b = joined.namedParameters();
    expect(b.map(([k]) => k)).toEqual(a.map(([k]) => k));
    let changed = 0;
    a.forEach(([k, p], i) => {
      expect([k, Buffer.from((b[i][1].dataSync() as Float32Array).buffer).equals(Buffer.from((p.dataSync() as Float32Array).buffer))]).toEqual([k, true]);
      if (Buffer.from(before[i].buffer).compare(Buffer.from((p.dataSync() as Float32Array).buffer)) !== 0) changed++;
    });
    expect(changed).toBeGreaterThan(a.length / 2);  // training moved the weights (the identity is not the init's)
  });

  test('--ema-sigma-rel: each block averages over its own updates (apart + assembled = sequential, bit for bit); samples come from the average', () => {
    const o = { stem: 'own', blocks: 3, emaSigmaRel: 0.1 } as Record<string, OptionValue>;
    const steps = 5;
    const cliStep = (run: DB.DblocksRun, step: number) => tf.tidy(() => { run.trainStep(ring.sample(8), step); });
    tf.manualSeed(9);
    const seq = DB.createDblocks(spec, options(o));
    for (let s = 0; s < 3 * steps; s++) cliStep(seq, s);
    const apart = [1, 2, 0].map((block) => {
      tf.manualSeed(9);
      const run = DB.createDblocks(spec, options({ ...o, block }));
      for (let s = 0; s < steps; s++) cliStep(run, s);
      return { block, net: run.model, ema: run.ema };
    });
    tf.manualSeed(9);
    const joined = DB.createDblocks(spec, options(o));
    DB.assembleBlocks(joined.model, apart, joined.ema);
    const bytes = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer);
    const names = [...seq.ema!.shadow.keys()];
    expect(names.length).toBe(seq.model.namedParameters().length);
    expect(names.filter((k) => !bytes(seq.ema!.shadow.get(k)!).equals(bytes(joined.ema!.shadow.get(k)!)))).toEqual([]);
    // the average is not the trained weights (5 updates of Adam moved them), nor the initial ones
    const moved = names.filter((k) => !bytes(seq.ema!.shadow.get(k)!).equals(bytes(new Map(seq.model.namedParameters()).get(k)!)));
    expect(moved.length).toBeGreaterThan(names.length / 2);
    // sampling: exactly the samples of a network holding the average; the trained weights are back afterwards
    const trained = seq.model.namedParameters().map(([, p]) => bytes(p));
    tf.manualSeed(31);
    const r = seq.sample(40, { steps: 6 });
    expect(seq.model.namedParameters().map(([, p]) => bytes(p))).toEqual(trained);
    const plain = DB.createDblocks(spec, options({ ...o, emaSigmaRel: 0 }));
    expect(plain.ema).toBeUndefined();
    seq.ema!.copyTo(plain.model);
    tf.manualSeed(31);
    const r2 = plain.sample(40, { steps: 6 });
    expect(bytes(r.x).equals(bytes(r2.x))).toBe(true);
    r.x.dispose(); r2.x.dispose();
    // a target with an average needs one from every source
    tf.manualSeed(9);
    const noAvg = [0, 1, 2].map((block) => ({ block, net: DB.createDblocks(spec, options({ ...o, emaSigmaRel: 0, block })).model }));
    expectCode(() => DB.assembleBlocks(joined.model, noAvg, joined.ema), 'TF_INVALID_ARGUMENT');
    expectCode(() => DB.createDblocks(spec, options({ emaSigmaRel: 0.5 })), 'TF_INVALID_ARGUMENT');  // above sqrt(1/12)
  });

  test('images are denoised as flat vectors: a block step and samples of the item shape', () => {
    tf.manualSeed(6);
    const img: DataSpec = { name: 'tiny', kind: 'images', itemShape: [1, 4, 4], draw: (n) => tf.rand([n, 1, 4, 4]).mul(2).sub(1) };
    const run = DB.createDblocks(img, options({ stem: 'own' }));
    expect(run.model.cfg.dim).toBe(16);
    const l = tf.tidy(() => run.trainStep(tf.zeros([8, 1, 4, 4]), 0));
    expect(Number.isFinite(l)).toBe(true);
    const r = run.sample(5, { steps: 4 });
    expect(r.x.shape).toEqual([5, 1, 4, 4]);
    r.x.dispose();
  });

  test('bad input is a TF_* error', () => {
    const check = (over: Record<string, OptionValue>) => () => DB.checkDblocksOptions(options(over));
    expectCode(check({ layers: 7 }), 'TF_INVALID_ARGUMENT');
    expectCode(check({ block: 3 }), 'TF_INVALID_ARGUMENT');
    expectCode(check({ block: 1 }), 'TF_INVALID_ARGUMENT');  // a shared stem cannot train apart
    expectCode(check({ sigmaMin: 100 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new DB.BlockwiseDenoiser({ dim: 2, layers: 5, blocks: 2, width: 8 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new DB.BlockwiseDenoiser({ dim: 2, layers: 4, blocks: 2, width: 0 }), 'TF_INVALID_ARGUMENT');
    const run = DB.createDblocks(spec, options());
    expectCode(() => run.model.forwardBlock(3, tf.zeros([2, 2]), tf.zeros([2])), 'TF_INVALID_ARGUMENT');
    expectCode(() => run.model.forwardBlock(0, tf.zeros([2, 3]), tf.zeros([2])), 'TF_SHAPE_MISMATCH');
    expectCode(() => run.trainer.step(0, tf.zeros([4, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => run.optimizer.step(), 'TF_INVALID_ARGUMENT');
    expectCode(() => DB.createDblocks({ ...spec, kind: 'counts', itemShape: [4], maxCount: 3 }, options()), 'TF_INVALID_ARGUMENT');
    expectCode(() => DB.assembleBlocks(run.model, []), 'TF_INVALID_ARGUMENT');  // shared stem
    const own = () => DB.createDblocks(spec, options({ stem: 'own' })).model;
    const t = own();
    expectCode(() => DB.assembleBlocks(t, [{ block: 0, net: own() }, { block: 1, net: own() }]), 'TF_INVALID_ARGUMENT');  // block 2 missing
    expectCode(() => DB.assembleBlocks(t, [{ block: 0, net: own() }, { block: 0, net: own() }]), 'TF_INVALID_ARGUMENT');
    expectCode(() => DB.assembleBlocks(t, [{ block: 0, net: DB.createDblocks(spec, options({ stem: 'own', width: 8 })).model }]), 'TF_INVALID_ARGUMENT');
  });
});

describe('the CLI method dblocks', () => {
  // in-process `tensorfield train`; runs of one block each joined by `tensorfield assemble`
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-dblocks-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  test('train reports the step peak; runs of one block each, joined, equal a run of every block bit for bit', async () => {
    const base = ['--method', 'dblocks', '--data', 'eight-gaussians', '--stem', 'own', '--blocks', '2', '--layers', '2', '--width', '16',
      '--emb-dim', '16', '--batch', '32', '--seed', '5', '--samples', '100', '--threads', '1'];
    const quiet = () => undefined;
    await trainCommand([...base, '--steps', '12', '--out', path.join(tmp, 'seq')], quiet);
    const m = JSON.parse(fs.readFileSync(path.join(tmp, 'seq', 'metrics.json'), 'utf8'));
    expect(m.stepPeakBytes).toBeGreaterThan(0);
    expect(m.optimizerStateBytes).toBeGreaterThan(0);
    for (const b of [1, 0]) await trainCommand([...base, '--steps', '6', '--block', String(b), '--out', path.join(tmp, `b${b}`)], quiet);
    const seq = openRun(path.join(tmp, 'seq'), quiet).run as DB.DblocksRun;
    // tensorfield assemble (runs in any order) writes a run folder that opens like any other
    const r = assembleCommand(['--out', path.join(tmp, 'joined'), '--runs', [1, 0].map((b) => path.join(tmp, `b${b}`)).join(',')], quiet);
    expect(r.blocks).toEqual([0, 1]);
    const target = (openRun(path.join(tmp, 'joined'), quiet).run as DB.DblocksRun).model;
    // bad input: an existing checkpoint, a missing block, a run of every block, no runs
    expectCode(() => assembleCommand(['--out', path.join(tmp, 'joined'), '--runs', path.join(tmp, 'b0')], quiet), 'TF_INVALID_ARGUMENT');
    expectCode(() => assembleCommand(['--out', path.join(tmp, 'j2'), '--runs', path.join(tmp, 'b0')], quiet), 'TF_INVALID_ARGUMENT');
    expectCode(() => assembleCommand(['--out', path.join(tmp, 'j3'), '--runs', [path.join(tmp, 'b0'), path.join(tmp, 'seq')].join(',')], quiet), 'TF_INVALID_ARGUMENT');
    expectCode(() => assembleCommand(['--out', path.join(tmp, 'j4')], quiet), 'TF_INVALID_ARGUMENT');
    expect(fs.existsSync(path.join(tmp, 'j2', 'checkpoint.safetensors')) || fs.existsSync(path.join(tmp, 'j3'))).toBe(false);
    const bytes = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer);
    const differ = seq.model.namedParameters().filter(([, p], i) => !bytes(p).equals(bytes(target.namedParameters()[i][1])));
    expect(differ.map(([k]) => k)).toEqual([]);
    // --stem own keeps every block's stream position in the checkpoint: a resumed run continues it exactly
    await trainCommand([...base, '--steps', '6', '--out', path.join(tmp, 'res')], quiet);
    await trainCommand([...base, '--steps', '12', '--resume', '--out', path.join(tmp, 'res')], quiet);
    const res = (openRun(path.join(tmp, 'res'), quiet).run as DB.DblocksRun).model;
    const differRes = seq.model.namedParameters().filter(([, p], i) => !bytes(p).equals(bytes(res.namedParameters()[i][1])));
    expect(differRes.map(([k]) => k)).toEqual([]);
  });

  test('--ema-sigma-rel through the CLI: the average is checkpointed, assembled from runs of one block each and resumed exactly', async () => {
    const base = ['--method', 'dblocks', '--data', 'eight-gaussians', '--stem', 'own', '--blocks', '2', '--layers', '2', '--width', '16',
      '--emb-dim', '16', '--batch', '32', '--seed', '6', '--samples', '50', '--threads', '1', '--ema-sigma-rel', '0.1'];
    const quiet = () => undefined, dir = (n: string) => path.join(tmp, `ema-${n}`);
    await trainCommand([...base, '--steps', '10', '--out', dir('seq')], quiet);
    for (const b of [0, 1]) await trainCommand([...base, '--steps', '5', '--block', String(b), '--out', dir(`b${b}`)], quiet);
    assembleCommand(['--out', dir('joined'), '--runs', [dir('b1'), dir('b0')].join(',')], quiet);
    await trainCommand([...base, '--steps', '4', '--out', dir('res')], quiet);
    await trainCommand([...base, '--steps', '10', '--resume', '--out', dir('res')], quiet);
    const ema = (n: string) => (openRun(dir(n), quiet).run as DB.DblocksRun).ema!;
    const bytes = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer);
    const seq = ema('seq');
    expect(seq.steps).toBe(10);
    for (const other of ['joined', 'res']) {
      const e = ema(other);
      expect([other, [...seq.shadow].filter(([k, t]) => !bytes(t).equals(bytes(e.shadow.get(k)!))).map(([k]) => k)]).toEqual([other, []]);
    }
    // a run without the average cannot resume into one that has it (the checkpoint lacks it): a TF_ error, not garbage
    await trainCommand([...base.slice(0, -2), '--steps', '2', '--out', dir('plain')], quiet);
    await expect(trainCommand([...base, '--steps', '4', '--resume', '--out', dir('plain')], quiet)).rejects.toMatchObject({ code: expect.stringMatching(/^TF_/) });
  });
});
