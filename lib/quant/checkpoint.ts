// Int8 checkpoints: a converted model as one safetensors file that a float model of the same architecture loads
// back into int8 layers, so sampling needs no calibration or training again.
//   tensors   <state-dict name>             every parameter and buffer of the converted model (int8 codes, the
//                                            per-channel weight scales, float32 biases, the activation parameters
//                                            as float64 [scale, zero point], and the float layers' tensors)
//   metadata  tensorfield.format = "int8-checkpoint", tensorfield.format_version = "1",
//             tensorfield.int8.layers (JSON: name, kind, conv stride/padding/dilation, epilogue activation),
//             tensorfield.int8.buckets (JSON [[low, high], ...]: the noise-level range of each activation bucket,
//             only when the layers hold per-bucket codings as float64 [buckets, 4] `bucketQParams`),
//             tensorfield.extra (JSON, optional), tensorfield.data_sha256 (added by the writer, checked on load).
// The file is written atomically (the old one stays intact until the rename). Loading checks every layer and
// every tensor before changing the model, so a bad file leaves the float model as it was.
import { Tensor, TensorfieldError } from '../tensor';
import { Module } from '../nn/module';
import { Linear, Conv2d } from '../nn/layers';
import { loadSafetensors, saveSafetensors, type Metadata } from '../io/safetensors';
import { QuantizedConv2d, QuantizedLinear, int8Layers, type BucketQParams, type Int8LayerSpec } from './layers';
import { bucketRanges, checkRanges, routeBuckets, type LevelRange } from './buckets';
import type { ActQParams, Int8Act } from './ops';
import { walk } from './convert';

export const INT8_CHECKPOINT_FORMAT = 'int8-checkpoint';
export const INT8_CHECKPOINT_VERSION = 1;
const K = { format: 'tensorfield.format', version: 'tensorfield.format_version', layers: 'tensorfield.int8.layers', buckets: 'tensorfield.int8.buckets', extra: 'tensorfield.extra' } as const;

type Pair = [number, number];
export interface Int8LayerEntry {
  name: string;
  kind: 'linear' | 'conv2d';
  act: Int8Act;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

const pair = (v: number | Pair | undefined, d: number): Pair => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);


/** Writes a converted model (atomically). extra: anything JSON (where it came from, the report). */
export function saveInt8Checkpoint(file: string, model: Module, extra?: unknown): void {
  const layers: Int8LayerEntry[] = int8Layers(model).map(([name, l]) => (l instanceof QuantizedConv2d
    ? { name, kind: 'conv2d', act: l.act, stride: pair(l.opts.stride, 1), padding: pair(l.opts.padding, 0), dilation: pair(l.opts.dilation, 1) }
    : { name, kind: 'linear', act: l.act }));
  if (layers.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'saveInt8Checkpoint: the model has no int8 layer (convert it first)');
  const metadata: Metadata = { [K.format]: INT8_CHECKPOINT_FORMAT, [K.version]: String(INT8_CHECKPOINT_VERSION), [K.layers]: JSON.stringify(layers) };
  const ranges = bucketRanges(model);
  if (ranges) metadata[K.buckets] = JSON.stringify(ranges);
  else if (int8Layers(model).some(([, l]) => l.buckets))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', 'saveInt8Checkpoint: the layers hold activation buckets but the model has no bucket router (attachBuckets / routeBuckets)');
  if (extra !== undefined) metadata[K.extra] = JSON.stringify(extra);
  saveSafetensors(file, model.stateDict(), metadata);
}

function bad(file: string, msg: string): TensorfieldError {
  return new TensorfieldError('TF_CHECKPOINT', `int8 checkpoint '${file}': ${msg}`);
}

function parseLayers(file: string, meta: Metadata): Int8LayerEntry[] {
  if (meta[K.format] !== INT8_CHECKPOINT_FORMAT)
    throw bad(file, `not an int8 checkpoint (tensorfield.format is ${JSON.stringify(meta[K.format] ?? null)}; a training checkpoint is loaded by sample without --precision)`);
  if (meta[K.version] !== String(INT8_CHECKPOINT_VERSION))
    throw bad(file, `format version ${meta[K.version]} (this tensorfield reads version ${INT8_CHECKPOINT_VERSION})`);
  let layers: unknown;
  try { layers = JSON.parse(meta[K.layers] ?? ''); } catch { throw bad(file, 'tensorfield.int8.layers is not JSON'); }
  const isPair = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x >= 0);
  if (!Array.isArray(layers) || layers.length === 0) throw bad(file, 'tensorfield.int8.layers lists no layer');
  for (const e of layers as Int8LayerEntry[]) {
    const ok = e && typeof e.name === 'string' && ['none', 'relu', 'silu'].includes(e.act) &&
      (e.kind === 'linear' || (e.kind === 'conv2d' && isPair(e.stride) && isPair(e.padding) && isPair(e.dilation)));
    if (!ok) throw bad(file, `tensorfield.int8.layers has a malformed entry ${JSON.stringify(e)}`);
  }
  return layers as Int8LayerEntry[];
}

function parseRanges(file: string, meta: Metadata): LevelRange[] | null {
  if (meta[K.buckets] === undefined) return null;
  let r: unknown;
  try { r = JSON.parse(meta[K.buckets]!); } catch { throw bad(file, `${K.buckets} is not JSON`); }
  const ok = Array.isArray(r) && r.length >= 2 && r.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v)) && p[0] <= p[1]);
  if (!ok) throw bad(file, `${K.buckets} must list at least 2 finite [low, high] level ranges, got ${meta[K.buckets]}`);
  try { checkRanges(r as LevelRange[]); } catch (e) { throw bad(file, (e as Error).message); }
  return r as LevelRange[];
}

// [buckets, 4] float64: input scale, input zero point, output scale, output zero point (-1, -1: no output coding)
function bucketParams(file: string, key: string, t: Tensor | undefined, n: number, coded: boolean): BucketQParams[] | null {
  if (!t) return null;
  if (t.dtype !== 'float64' || t.ndim !== 2 || t.shape[0] !== n || t.shape[1] !== 4)
    throw bad(file, `${key} must be float64 [${n}, 4] (one row per activation bucket), got ${t.dtype} [${t.shape}]`);
  const v = t.dataSync() as Float64Array;
  const coding = (s: number, z: number, what: string): ActQParams => {
    if (!(s > 0) || !Number.isFinite(s) || !Number.isInteger(z) || z < 0 || z > 255) throw bad(file, `${key}: ${what} = [${s}, ${z}] is not a uint8 coding`);
    return { scale: s, zeroPoint: z };
  };
  const out: BucketQParams[] = [];
  for (let b = 0; b < n; ++b) {
    const [is, iz, os, oz] = v.subarray(4 * b, 4 * b + 4);
    if (!coded && !(os === -1 && oz === -1)) throw bad(file, `${key}: bucket ${b} codes an output the layer does not code`);
    out.push({ input: coding(is, iz, `bucket ${b}'s input`), output: coded ? coding(os, oz, `bucket ${b}'s output`) : null });
  }
  return out;
}

function actParams(file: string, key: string, t: Tensor | undefined, allowDynamic: boolean): ActQParams | 'dynamic' | null {
  if (!t) return null;
  if (t.dtype !== 'float64' || String(t.shape) !== '2') throw bad(file, `${key} must be float64 [2] (scale, zero point), got ${t.dtype} [${t.shape}]`);
  const [scale, zeroPoint] = t.dataSync() as Float64Array;
  if (scale === -1 && allowDynamic) return 'dynamic';
  if (!(scale > 0) || !Number.isFinite(scale) || !Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255)
    throw bad(file, `${key} = [${scale}, ${zeroPoint}] is not a uint8 coding (scale > 0, zero point in 0..255)`);
  return { scale, zeroPoint };
}

function layerSpec(file: string, e: Int8LayerEntry, float: Linear | Conv2d, tensors: Map<string, Tensor>, ranges: LevelRange[] | null): Int8LayerSpec {
  const get = (k: string) => tensors.get(`${e.name}.${k}`);
  const weight = get('weight'), wScale = get('wScale'), bias = get('bias');
  const wshape = float.weight.shape;
  if (!weight || weight.dtype !== 'int8' || String(weight.shape) !== String(wshape))
    throw bad(file, `${e.name}.weight must be int8 [${wshape}], got ${weight ? `${weight.dtype} [${weight.shape}]` : 'nothing'}`);
  if (!wScale || wScale.dtype !== 'float32' || String(wScale.shape) !== String([wshape[0]]))
    throw bad(file, `${e.name}.wScale must be float32 [${wshape[0]}], got ${wScale ? `${wScale.dtype} [${wScale.shape}]` : 'nothing'}`);
  const ws = wScale.dataSync() as Float32Array;
  if (!ws.every((s) => s > 0 && Number.isFinite(s))) throw bad(file, `${e.name}.wScale has a scale that is not positive and finite`);
  if (!!bias !== !!float.bias || (bias && (bias.dtype !== 'float32' || String(bias.shape) !== String(float.bias!.shape))))
    throw bad(file, `${e.name}.bias: expected ${float.bias ? `float32 [${float.bias.shape}]` : 'none'}, got ${bias ? `${bias.dtype} [${bias.shape}]` : 'none'}`);
  const input = actParams(file, `${e.name}.inputQParams`, get('inputQParams'), true);
  if (!input) throw bad(file, `${e.name}.inputQParams is missing`);
  const output = actParams(file, `${e.name}.outputQParams`, get('outputQParams'), false) as ActQParams | null;
  const bq = get('bucketQParams');
  if (bq && !ranges) throw bad(file, `${e.name}.bucketQParams is there but ${K.buckets} (the level range of each bucket) is missing`);
  if (bq && input === 'dynamic') throw bad(file, `${e.name}: activation buckets with dynamic input coding`);
  const buckets = ranges ? bucketParams(file, `${e.name}.bucketQParams`, bq, ranges.length, !!output) : null;
  // copies: the layer owns its tensors, the file's are freed after the load
  return { weight: weight.clone(), wScale: wScale.clone(), bias: bias ? bias.clone() : null, input, output, act: e.act, buckets };
}

/**
 * Loads an int8 checkpoint into `model`, a float model of the architecture it was converted from: each listed
 * Linear / Conv2d becomes its int8 layer, and every other parameter and buffer is loaded as in loadStateDict
 * (strict). Returns the layer list, the file's extra and the float layers it replaced (by name: the caller frees
 * them, or keeps them for mixed precision). TF_CHECKPOINT (or TF_BAD_FILE for a torn or corrupt
 * file) before anything changes when the file does not fit the model.
 */
export function loadInt8Checkpoint(file: string, model: Module): { layers: Int8LayerEntry[]; extra: unknown; floats: Map<string, Module> } {
  const { tensors, metadata } = loadSafetensors(file);
  const replaced: [Module, string, QuantizedLinear | QuantizedConv2d, string][] = [];
  let entries: Int8LayerEntry[] = [];
  let ranges: LevelRange[] | null = null;
  try {
    entries = parseLayers(file, metadata);
    ranges = parseRanges(file, metadata);
    if (ranges && !entries.some((e) => tensors.has(`${e.name}.bucketQParams`))) throw bad(file, `${K.buckets} is set but no layer holds bucketQParams`);
    // module names may hold dots (U-Net levels register 'down0.pool'), so parents come from the walk, not the name
    const where = new Map(walk(model).map((w) => [w.name, w] as const));
    const expected = new Map<string, Tensor>(model.stateDict());
    for (const e of entries) {
      const float = where.get(e.name)?.m;
      const want = e.kind === 'linear' ? Linear : Conv2d;
      if (!(float instanceof want)) throw bad(file, `layer '${e.name}' is a ${e.kind} in the file but ${float ? float.constructor.name : 'absent'} in the model`);
      if (float instanceof Conv2d) {
        const o = float.opts;
        if (String(pair(o.stride, 1)) !== String(e.stride) || String(pair(o.padding, 0)) !== String(e.padding) || String(pair(o.dilation, 1)) !== String(e.dilation))
          throw bad(file, `layer '${e.name}': stride/padding/dilation ${JSON.stringify([e.stride, e.padding, e.dilation])} differ from the model's`);
      }
      const spec = layerSpec(file, e, float, tensors, ranges);
      const q = e.kind === 'linear' ? new QuantizedLinear(spec) : new QuantizedConv2d(spec, { stride: e.stride, padding: e.padding, dilation: e.dilation });
      replaced.push([where.get(e.name)!.parent, where.get(e.name)!.key, q, e.name]);
      for (const k of [...expected.keys()]) if (k.startsWith(`${e.name}.`)) expected.delete(k);
      for (const [k, t] of q.stateDict()) expected.set(`${e.name}.${k}`, t);
    }
    // the rest of the model: same names, shapes and dtypes as the file's, checked before anything is replaced
    const missing = [...expected.keys()].filter((k) => !tensors.has(k)), extra = [...tensors.keys()].filter((k) => !expected.has(k));
    const mismatch = [...expected].filter(([k, t]) => tensors.has(k) && (String(tensors.get(k)!.shape) !== String(t.shape) || tensors.get(k)!.dtype !== t.dtype)).map(([k]) => k);
    if (missing.length || extra.length || mismatch.length)
      throw bad(file, `does not fit the model: ${[missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `unexpected ${extra.join(', ')}` : '',
        mismatch.length ? `shape or dtype differs for ${mismatch.join(', ')}` : ''].filter(Boolean).join('; ')}`);
  } catch (e) {
    for (const [, , q] of replaced) q.dispose();
    for (const t of tensors.values()) t.dispose();
    throw e;
  }
  const floats = new Map<string, Module>();
  for (const [parent, key, q, name] of replaced) {
    floats.set(name, parent.namedChildren().find(([k]) => k === key)![1]);
    parent.replaceChild(key, q);
  }
  model.loadStateDict(tensors);
  for (const t of tensors.values()) t.dispose();
  // a bucketed network routes each call by its level, as the one that was saved did
  if (ranges) routeBuckets(model, ranges);
  return { layers: entries, floats, extra: metadata[K.extra] !== undefined ? JSON.parse(metadata[K.extra]) : undefined };
}
