// Per-noise-level-bucket activation scales (issue 26's ablation, lib/quant/buckets.ts): calibration per bucket,
// routing by the call's level, the bucketed layer against the plain int8 path, int8 checkpoints with buckets
// (round trip and bad files), and the refusals (ONNX export, overlapping buckets, mixed-level calls).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor, nn } from '../lib';
import {
  quantizeModel, prepareQat, convertQat, calibrateBuckets, attachBuckets, routeBuckets, bucketOf, bucketRanges,
  saveInt8Checkpoint, loadInt8Checkpoint, QuantizedLinear, type QuantizeOptions,
} from '../lib/quant';
import { saveSafetensors, loadSafetensors } from '../lib/io/safetensors';
import { levelPart } from '../lib/registry';
import { arr, expectCode } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-qb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// A denoiser-shaped toy: its first layer sees x e^level, so the activation range grows ~e^level with the level,
// as a network's early activations grow with the noise.
class Toy extends nn.Module {
  l1: nn.Linear; l2: nn.Linear;
  constructor() { super(); this.l1 = this.module('l1', new nn.Linear(4, 16)); this.l2 = this.module('l2', new nn.Linear(16, 4)); }
  forward(x: Tensor, level: Tensor): Tensor {
    return this.l2.forward(this.l1.forward(x.mul(level.reshape(-1, 1).exp())).silu());
  }
}
const toy = (seed: number) => { tf.manualSeed(seed); return new Toy(); };
const OPTS: QuantizeOptions = { observer: { kind: 'minmax' }, quantizeOutputs: true };
const HIGH = [Math.log(40), Math.log(50)], LOW = [0, Math.log(1.2)];
const bits = (t: Tensor) => Array.from(new Uint32Array(new Float32Array(arr(t)).buffer));
const fwd = (m: nn.Module, x: Tensor, lv: number) => (m as unknown as Toy).forward(x, tf.full([x.shape[0]], lv));

// calibration batches: 4 per level list, fixed by seed, the same for every model below
function batches(levels: number[], seed: number): [Tensor, Tensor][] {
  tf.manualSeed(seed);
  return [0, 1, 2, 3].map((i) => [tf.randn([32, 4]), tf.full([32], levels[i % levels.length])]);
}
function bucketed(seed = 1) {
  const m = toy(seed);
  prepareQat(m, OPTS);
  const per = [batches(HIGH, 5), batches(LOW, 6)];
  const cal = calibrateBuckets(m, 2, (b, net) => { for (const [x, l] of per[b]) (net as Toy).forward(x, l); });
  convertQat(m, OPTS);
  attachBuckets(m, cal);
  return { m, cal };
}
function relErr(a: Tensor, ref: Tensor): number {
  const x = arr(a), r = arr(ref);
  let n = 0, d = 0;
  for (let i = 0; i < r.length; ++i) { n += (x[i] - r[i]) ** 2; d += r[i] ** 2; }
  return Math.sqrt(n / d);
}

describe('activation buckets', () => {
  test('the buckets get their own ranges; a bucket computes the bits of a network calibrated on its levels alone', () => {
    const { m, cal } = bucketed();
    expect(cal.ranges.length).toBe(2);
    expect(cal.ranges[0][0]).toBeCloseTo(HIGH[0], 5);
    expect(cal.ranges[1][1]).toBeCloseTo(LOW[1], 5);
    // bucket 0 codes a ~40-50x wider input range than bucket 1
    const [b0, b1] = cal.layers.get('l1')!;
    expect(b0.input.scale / b1.input.scale).toBeGreaterThan(20);
    // oracle: the plain (bucket-less) int8 path, calibrated on one bucket's batches only
    const onlyHigh = toy(1), onlyLow = toy(1);
    quantizeModel(onlyHigh, batches(HIGH, 5), OPTS);
    quantizeModel(onlyLow, batches(LOW, 6), OPTS);
    tf.manualSeed(7);
    const x = tf.randn([16, 4]);
    for (const lv of HIGH) expect(bits(fwd(m, x, lv))).toEqual(bits(fwd(onlyHigh, x, lv)));
    for (const lv of LOW) expect(bits(fwd(m, x, lv))).toEqual(bits(fwd(onlyLow, x, lv)));
  });

  test('at the low levels the bucketed network is far closer to float32 than one scale for all levels', () => {
    const { m } = bucketed();
    const single = toy(1), float = toy(1);
    quantizeModel(single, [...batches(HIGH, 5), ...batches(LOW, 6)], OPTS);
    tf.manualSeed(8);
    const x = tf.randn([256, 4]);
    const low = [relErr(fwd(m, x, 0), fwd(float, x, 0)), relErr(fwd(single, x, 0), fwd(float, x, 0))];
    const high = [relErr(fwd(m, x, HIGH[1]), fwd(float, x, HIGH[1])), relErr(fwd(single, x, HIGH[1]), fwd(float, x, HIGH[1]))];
    // the one-scale coding's step is ~50x the low bucket's at level 0, so its rounding error is tens of times
    // larger; 0.2 leaves room for the second layer, whose range shrinks less
    expect(low[0]).toBeLessThan(0.2 * low[1]);
    // at the high levels both code the same (widest) range: the bucket's error is no worse (10 %: rounding ties)
    expect(high[0]).toBeLessThanOrEqual(1.1 * high[1]);
  });

  test('routing: a level goes to the range that holds it, else the nearest; a mixed call runs per bucket', () => {
    const r: [number, number][] = [[3, 4], [1, 2], [-1, 0]];
    expect([3.5, 4, 5, 2.6, 2.4, 1.5, 0.4, -5].map((l) => bucketOf(r, l))).toEqual([0, 0, 0, 0, 1, 1, 2, 2]);
    const { m } = bucketed();
    expect(bucketRanges(m)!.length).toBe(2);
    // a call with items of both buckets: each item as if called alone at its level
    tf.manualSeed(4);
    const xs = tf.randn([5, 4]), lvs = [0, HIGH[0], LOW[1], HIGH[1], 0];
    const mixed = arr((m as Toy).forward(xs, tf.tensor(lvs)));
    const alone = lvs.flatMap((lv, i) => arr(fwd(m, xs.slice(0, i, i + 1), lv)));
    expect(mixed).toEqual(alone);
    expectCode(() => (m as Toy).forward(tf.randn([3, 4]), tf.tensor([0, HIGH[0]])), 'TF_INVALID_ARGUMENT');
    expectCode(() => (m as Toy).forward(tf.randn([2, 4]), tf.tensor([])), 'TF_INVALID_ARGUMENT');
    const l1 = m.namedModules().find(([n]) => n === 'l1')![1] as QuantizedLinear;
    (m as Toy).forward(tf.randn([2, 4]), tf.full([2], 0));
    expect(l1.bucket).toBe(1);
    expectCode(() => l1.useBucket(2), 'TF_INVALID_ARGUMENT');
    // removing the router restores forward and the layers' own codings
    const remove = routeBuckets(m, [[-2, -1], [5, 6]]);
    remove();
    expect(Object.prototype.hasOwnProperty.call(m, 'forward')).toBe(false);
    expect(l1.bucket).toBe(-1);
  });

  test('calibration refuses overlapping buckets, a bucket that never ran, and fewer than 2 buckets', () => {
    const overl = toy(1);
    prepareQat(overl, OPTS);
    expectCode(() => calibrateBuckets(overl, 2, (b, net) => { for (const [x, l] of batches([0, 1], 3)) (net as Toy).forward(x, l); }), 'TF_INVALID_ARGUMENT');
    const idle = toy(1);
    prepareQat(idle, OPTS);
    expectCode(() => calibrateBuckets(idle, 2, (b, net) => { if (b === 0) for (const [x, l] of batches(HIGH, 3)) (net as Toy).forward(x, l); }), 'TF_INVALID_ARGUMENT');
    expectCode(() => calibrateBuckets(toy(1), 2, () => undefined), 'TF_INVALID_ARGUMENT');  // no QAT layer
    const one = toy(1);
    prepareQat(one, OPTS);
    expectCode(() => calibrateBuckets(one, 1, () => undefined), 'TF_INVALID_ARGUMENT');
  });

  test('levelPart splits the sampler levels into contiguous parts that cover each once', () => {
    for (const [len, n] of [[50, 4], [8, 8], [7, 3], [1, 1]]) {
      const seen: number[] = [];
      for (let b = 0; b < n; ++b) { const [a, e] = levelPart(len, { part: b, of: n }); expect(e).toBeGreaterThan(a); for (let i = a; i < e; ++i) seen.push(i); }
      expect(seen).toEqual([...Array(len).keys()]);
    }
    expectCode(() => levelPart(8, { part: 2, of: 2 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => levelPart(8, { part: 0, of: 9 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => levelPart(8, { part: 0.5, of: 2 }), 'TF_INVALID_ARGUMENT');
  });
});

describe('int8 checkpoints with buckets', () => {
  const file = path.join(tmp, 'toy-b2.safetensors');
  let x: Tensor;
  let want: number[][];
  beforeAll(() => {
    const { m } = bucketed();
    tf.manualSeed(9);
    x = tf.randn([8, 4]);
    want = [HIGH[0], LOW[0], 2].map((lv) => bits(fwd(m, x, lv)));
    saveInt8Checkpoint(file, m);
  });

  test('a fresh float model loads the buckets and the router and computes the same bits at every level', () => {
    const fresh = toy(42);
    loadInt8Checkpoint(file, fresh);
    expect(bucketRanges(fresh)!.length).toBe(2);
    expect([HIGH[0], LOW[0], 2].map((lv) => bits(fwd(fresh, x, lv)))).toEqual(want);
  });

  // rewrites the file's tensors / metadata, then loads it into a float toy that must stay as it was
  function tampered(name: string, edit: (t: Map<string, Tensor>, meta: Record<string, string>) => void): void {
    const { tensors, metadata } = loadSafetensors(file);
    const meta = { ...metadata } as Record<string, string>;
    delete meta['tensorfield.data_sha256'];
    edit(tensors, meta);
    const f = path.join(tmp, `${name}.safetensors`);
    saveSafetensors(f, tensors, meta);
    const m = toy(3);
    const w = arr(m.l1.weight);
    expectCode(() => loadInt8Checkpoint(f, m), 'TF_CHECKPOINT');
    expect(m.namedModules().find(([n]) => n === 'l1')![1]).toBeInstanceOf(nn.Linear);
    expect(arr(m.l1.weight)).toEqual(w);
    expect(Object.prototype.hasOwnProperty.call(m, 'forward')).toBe(false);
  }

  test('missing or overlapping ranges, a wrong bucket count and a bad zero point get TF_CHECKPOINT', () => {
    tampered('no-ranges', (_t, meta) => { delete meta['tensorfield.int8.buckets']; });
    tampered('overlap', (_t, meta) => { meta['tensorfield.int8.buckets'] = JSON.stringify([[0, 2], [1, 3]]); });
    tampered('three', (_t, meta) => { meta['tensorfield.int8.buckets'] = JSON.stringify([[5, 6], [3, 4], [0, 1]]); });
    tampered('zero-point', (t) => {
      const q = Float64Array.from(arr(t.get('l1.bucketQParams')!));
      q[1] = 300;
      t.set('l1.bucketQParams', tf.tensor(Array.from(q), { dtype: 'float64' }).reshape(2, 4));
    });
    tampered('ranges-without-buckets', (t) => { t.delete('l1.bucketQParams'); t.delete('l2.bucketQParams'); });
  });

  test('ONNX export refuses a bucketed layer (one QDQ graph has one coding) with TF_UNSUPPORTED', () => {
    const { m } = bucketed();
    const l1 = m.namedModules().find(([n]) => n === 'l1')![1] as QuantizedLinear;
    expectCode(() => tf.io.exportOnnx(new nn.Sequential(l1), tf.randn([2, 4])), 'TF_UNSUPPORTED');
  });
});
