// Per-noise-level-bucket activation scales (the ablation of Intel's recipe, arXiv 2311.16133): a denoiser's
// activation ranges change with the noise level, so one scale per tensor for all levels wastes codes at the
// levels whose range is narrow. Here the sampler's levels are split into contiguous buckets, each calibrated on
// its own batches, and every int8 layer holds one input (and output) coding per bucket; a router on the network's
// forward picks the bucket from the call's noise level (its second argument, as lib/quant/mixed.ts reads it).
//
//   calibrateBuckets(model, n, run)  after prepareQat: the observers watch bucket b's batches (run(b, model)),
//                                    once per bucket; returns each layer's codings and the level range per bucket
//   attachBuckets(model, cal)        after convertQat: the int8 layers get the codings, the router goes on
//   routeBuckets(net, ranges)        the router alone (loadInt8Checkpoint puts it back from the file)
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { cat } from '../ops';
import { noGrad } from '../autograd';
import { tidy } from '../scope';
import { Module } from '../nn/module';
import { QuantizedConv2d, QuantizedLinear, int8Layers, type BucketQParams } from './layers';
import { wrapForward, levelsOf } from './forward-wrap';
import { qatLayers, walk } from './convert';
import { resetCallOrder } from './qat';

/** The [lowest, highest] noise-level argument a bucket's calibration batches held. */
export type LevelRange = [number, number];

export interface BucketCalibration {
  /** per bucket, the range of levels its batches held (disjoint, ordered as the buckets) */
  ranges: LevelRange[];
  /** per QAT layer (by module name), one coding per bucket */
  layers: Map<string, BucketQParams[]>;
}

/**
 * Calibrates `n` buckets: for each b, every QAT layer's observers restart, run(b, model) sends bucket b's batches
 * through the model (in eval mode, no gradients), and the observers' codings are kept as bucket b's. The level
 * ranges are read from the calls themselves; they must not overlap (the bucket of a level must be unique). The
 * layers end frozen at the last bucket's codings, with their report sample from that bucket, so convertQat's
 * report compares like with like.
 */
export function calibrateBuckets(model: Module, n: number, run: (bucket: number, model: Module) => void): BucketCalibration {
  if (!Number.isInteger(n) || n < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: need an integer count >= 2, got ${n}`);
  const layers = qatLayers(model);
  if (layers.size === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'activation buckets: the model has no QAT layer (prepareQat first)');
  for (const [name, l] of layers) {
    if (!l.calibrating) throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: layer '${name}' is already calibrated or codes dynamically`);
  }
  const out = new Map<string, BucketQParams[]>([...layers.keys()].map((k) => [k, []]));
  const ranges: LevelRange[] = [];
  let lo = Infinity, hi = -Infinity;
  const restore = wrapForward(model, (orig, a) => {
    for (const v of Array.from(levelsOf(a, 'activation buckets'))) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    return orig(...a);
  });
  const wasTraining = model.training;
  resetCallOrder();
  model.eval();
  try {
    for (let b = 0; b < n; ++b) {
      for (const l of layers.values()) {
        l.inQ.observer.reset();
        l.outQ?.observer.reset();
        l.sample?.dispose();
        l.sample = null;
      }
      lo = Infinity; hi = -Infinity;
      noGrad(() => tidy(() => run(b, model)));
      if (!(lo <= hi)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: bucket ${b}'s calibration never called the network`);
      ranges.push([lo, hi]);
      for (const [name, l] of layers) {
        if (l.inQ.observer.count === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: layer '${name}' never ran on bucket ${b}'s batches`);
        out.get(name)!.push({ input: l.inQ.observer.qparams(), output: l.outQ ? l.outQ.observer.qparams() : null });
      }
    }
  } finally {
    restore();
    model.train(wasTraining);
  }
  checkRanges(ranges);
  for (const l of layers.values()) l.freeze();
  return { ranges, layers: out };
}

/** Ranges are disjoint and monotone (increasing or decreasing bucket by bucket); else a level has no unique bucket. */
export function checkRanges(ranges: LevelRange[]): void {
  if (ranges.some(([a, b]) => !Number.isFinite(a) || !Number.isFinite(b) || a > b))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: level ranges ${JSON.stringify(ranges)} are not finite [low, high] pairs`);
  if (ranges.length < 2) return;
  const up = ranges[1][0] > ranges[0][1];
  for (let i = 1; i < ranges.length; ++i) {
    const ok = up ? ranges[i][0] > ranges[i - 1][1] : ranges[i][1] < ranges[i - 1][0];
    if (!ok) throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: the level ranges of buckets ${i - 1} and ${i} overlap or are out of order (${JSON.stringify(ranges[i - 1])}, ${JSON.stringify(ranges[i])}): calibrate each bucket on its own levels`);
  }
}

/** The bucket of a level: the range that holds it, else the nearest range (levels between or beyond the ranges). */
export function bucketOf(ranges: readonly LevelRange[], level: number): number {
  let best = 0, bestD = Infinity;
  for (let i = 0; i < ranges.length; ++i) {
    const [a, b] = ranges[i];
    const d = level < a ? a - level : level > b ? level - b : 0;
    if (d < bestD) { bestD = d; best = i; }
  }
  return best;
}

const routers = new WeakMap<Module, { ranges: LevelRange[]; remove: () => void }>();

/**
 * A call whose items hold levels of several buckets (training-style batches, the per-level error): the items of
 * each bucket run as one sub-batch with that bucket's codings, and the outputs go back in item order. Arguments
 * whose first dimension is the batch are split; the others pass whole.
 */
function splitByBucket(a: Tensor[], ids: number[], run: (b: number, a: Tensor[]) => Tensor): Tensor {
  const B = ids.length;
  if (a[0].ndim === 0 || a[0].shape[0] !== B)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: a call with levels of several buckets needs one level per item (${B} levels for input [${a[0].shape}])`);
  return tidy(() => {
    const parts: Tensor[] = [], order: number[] = [];
    for (const b of [...new Set(ids)].sort((x, y) => x - y)) {
      const rows = ids.flatMap((v, i) => (v === b ? [i] : []));
      const idx = tensor(Int32Array.from(rows), { shape: [rows.length], dtype: 'int32' });
      parts.push(run(b, a.map((t) => (t.ndim > 0 && t.shape[0] === B ? t.indexSelect(0, idx) : t))));
      order.push(...rows);
    }
    const back = new Int32Array(B);
    order.forEach((item, k) => { back[item] = k; });
    return cat(parts, 0).indexSelect(0, tensor(back, { shape: [B], dtype: 'int32' }));
  });
}

/**
 * Routes every call of net.forward to the bucket of its level (samplers evaluate one level per call; a call with
 * several levels runs as one sub-batch per bucket). Replaces an earlier router. Returns the function that removes it.
 */
export function routeBuckets(net: Module, ranges: LevelRange[]): () => void {
  checkRanges(ranges);
  const layers = int8Layers(net).map(([, l]) => l);
  const n = ranges.length;
  for (const l of layers) if (l.buckets && l.buckets.length !== n)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `activation buckets: a layer holds ${l.buckets.length} buckets, the router ${n}`);
  const bucketed = layers.filter((l) => l.buckets);
  if (bucketed.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'activation buckets: no int8 layer of the network holds buckets');
  routers.get(net)?.remove();
  const unwrap = wrapForward(net, (orig, a) => {
    const run = (b: number, args: Tensor[]) => { for (const l of bucketed) l.useBucket(b); return orig(...args); };
    const ids = Array.from(levelsOf(a, 'activation buckets'), (l) => bucketOf(ranges, l));
    if (ids.every((b) => b === ids[0])) return run(ids[0], a);  // a sampler's call: one level
    return splitByBucket(a, ids, run);
  });
  const remove = () => {
    if (routers.get(net)?.remove !== remove) return;
    routers.delete(net);
    unwrap();
    for (const l of bucketed) l.useBucket(-1);
  };
  routers.set(net, { ranges: ranges.map((r) => [r[0], r[1]] as LevelRange), remove });
  return remove;
}

/** The level ranges of the router on `net`, if it has one (int8 checkpoints save them). */
export function bucketRanges(net: Module): LevelRange[] | null { return routers.get(net)?.ranges ?? null; }

/**
 * After convertQat: each int8 layer made from a calibrated QAT layer gets its codings per bucket (a fresh layer
 * with the same codes), and the router goes on the model. Returns the number of layers bucketed.
 */
export function attachBuckets(model: Module, cal: BucketCalibration): number {
  const where = new Map(int8Layers(model));
  // module names may hold dots (U-Net levels register 'down0.pool'), so parents come from the walk
  const parents = new Map(walk(model).map((w) => [w.name, [w.parent, w.key] as const]));
  let count = 0;
  for (const [name, buckets] of cal.layers) {
    const q = where.get(name);
    if (!q) continue;  // kept in float32 (keepFirst / keepLast)
    // copies: q (and its tensors) is freed below
    const spec = {
      weight: q.weight.clone(), wScale: q.wScale.clone(), bias: q.bias ? q.bias.clone() : null, act: q.act,
      // the layer's own coding stays the last bucket's (the one convertQat saw); the buckets hold them all
      input: q.input, output: q.output, buckets,
    };
    const fresh = q instanceof QuantizedConv2d ? new QuantizedConv2d(spec, q.opts) : new QuantizedLinear(spec);
    const [parent, key] = parents.get(name)!;
    parent.replaceChild(key, fresh);
    q.dispose();
    count++;
  }
  if (count === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'activation buckets: no calibrated layer became int8');
  routeBuckets(model, cal.ranges);
  return count;
}

