// Whole-model conversion: which layers become int8, calibration, and the per-layer error report.
//  prepareQat(model)        Linear/Conv2d -> QAT wrappers (in place), except the ones kept in float
//  calibrate(model, data)   observers watch the activations, then the scales freeze
//  convertQat(model)        QAT wrappers -> int8 layers with the same codes, plus the report
//  quantizeModel(model, data, options) = all three without training (post-training quantization)
// Norms, softmax, embeddings, attention score/value products and anything that is not a Linear or a
// groups-1 Conv2d stay in float32 (they are not GEMMs with a weight).
import { Tensor, TensorfieldError } from '../tensor';
import { noGrad } from '../autograd';
import { tidy } from '../scope';
import { Module } from '../nn/module';
import { Linear, Conv2d, MultiheadAttention } from '../nn/layers';
import { QatConv2d, QatLayer, QatLinear, QatOptions, resetCallOrder } from './qat';
import { ActQParams } from './ops';

export interface QuantizeOptions extends QatOptions {
  /** module names (as namedModules() gives them) or patterns kept in float32 */
  skip?: (string | RegExp)[];
  /** keep the first / last quantizable layer (in execution order during calibration) in float32 */
  keepFirst?: boolean;
  keepLast?: boolean;
  /** also run attention's score and value products in int8 (dynamic coding; softmax stays float32) */
  int8Attention?: boolean;
}

export type Calibration = Iterable<Tensor | Tensor[]> | ((model: Module) => void);

export interface LayerReport {
  name: string;
  kind: 'linear' | 'conv2d' | 'attention';
  quantized: boolean;
  /** why a layer stayed in float32 */
  reason?: string;
  input?: ActQParams | 'dynamic';
  output?: ActQParams | null;
  /** signal-to-quantization-noise ratio of the weight codes, dB */
  weightSqnrDb?: number;
  /** the layer's int8 output against its float output on the first calibration input */
  outputSqnrDb?: number;
  relError?: number;
}

const kindOf = (m: Module): 'linear' | 'conv2d' | null => (m instanceof Linear ? 'linear' : m instanceof Conv2d ? 'conv2d' : null);

function matches(name: string, skip: (string | RegExp)[] | undefined): boolean {
  return (skip ?? []).some((p) => (typeof p === 'string' ? p === name : p.test(name)));
}

// Every module below `model` with its full name, its parent and the key it is registered under there.
export function walk(model: Module, prefix = '', out: { name: string; m: Module; parent: Module; key: string }[] = []) {
  for (const [key, m] of model.namedChildren()) {
    const name = prefix + key;
    out.push({ name, m, parent: model, key });
    walk(m, name + '.', out);
  }
  return out;
}
function parentOf(model: Module, name: string): [Module, string] {
  const e = walk(model).find((w) => w.name === name);
  if (!e) throw new TensorfieldError('TF_INVALID_ARGUMENT', `no submodule '${name}'`);
  return [e.parent, e.key];
}

/** Wraps every quantizable layer in a QAT wrapper, in place. Returns the wrappers by name and the report of those kept. */
export function prepareQat(model: Module, opts: QuantizeOptions = {}): { layers: Map<string, QatLayer>; kept: LayerReport[] } {
  const layers = new Map<string, QatLayer>();
  const kept: LayerReport[] = [];
  for (const { name, m, parent, key } of walk(model)) {
    const kind = kindOf(m);
    if (!kind) continue;
    if (matches(name, opts.skip)) { kept.push({ name, kind, quantized: false, reason: 'skipped by option' }); continue; }
    if (m instanceof Conv2d && (m.opts.groups ?? 1) !== 1) { kept.push({ name, kind, quantized: false, reason: 'grouped convolution' }); continue; }
    const w = m instanceof Linear ? new QatLinear(m, opts) : new QatConv2d(m as Conv2d, opts);
    parent.replaceChild(key, w);
    layers.set(name, w);
  }
  if (layers.size === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'quantize: the model has no Linear or Conv2d layer to quantize');
  return { layers, kept };
}

export function qatLayers(model: Module): Map<string, QatLayer> {
  const out = new Map<string, QatLayer>();
  for (const { name, m } of walk(model)) if (m instanceof QatLayer) out.set(name, m);
  return out;
}

/** Runs the calibration data through the model with observers on, then freezes the activation scales. */
export function calibrate(model: Module, data: Calibration): void {
  const layers = qatLayers(model);
  resetCallOrder();
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      if (typeof data === 'function') data(model);
      else for (const b of data) tidy(() => { (model as unknown as { forward: (...a: Tensor[]) => Tensor }).forward(...(Array.isArray(b) ? b : [b])); });
    });
  } finally { model.train(wasTraining); }
  for (const [name, l] of layers) {
    if (l.calibrating && l.inQ.observer.count === 0)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `calibrate: layer '${name}' never ran on the calibration data`);
    l.freeze();
  }
}

/**
 * The end of QAT (PyTorch's disable_all_observers + sync): observers stop moving the activation scales, and the
 * weight scales are taken from the final weights, so evaluation, the simulation and convertQat use the same codes.
 */
export function endQat(model: Module): void {
  for (const l of qatLayers(model).values()) {
    l.inQ.observing = false;
    if (l.outQ) l.outQ.observing = false;
    l.syncWeightScale();
  }
}

function sqnr(ref: Tensor, approx: Tensor): { db: number; rel: number } {
  return tidy(() => {
    const s = ref.square().sum().item(), n = approx.sub(ref).square().sum().item();
    return { db: n > 0 ? 10 * Math.log10(s / n) : Infinity, rel: s > 0 ? Math.sqrt(n / s) : Math.sqrt(n) };
  });
}

/**
 * Replaces every QAT wrapper by its int8 layer (keepFirst / keepLast put the first / last layer back in float32).
 * The report compares each int8 layer with its float layer on the first calibration input.
 */
export function convertQat(model: Module, opts: Pick<QuantizeOptions, 'keepFirst' | 'keepLast'> = {}): LayerReport[] {
  const layers = [...qatLayers(model)];
  const order = [...layers].filter(([, l]) => Number.isFinite(l.firstCall)).sort((a, b) => a[1].firstCall - b[1].firstCall);
  const keep = new Set<string>();
  if (opts.keepFirst && order.length) keep.add(order[0][0]);
  if (opts.keepLast && order.length) keep.add(order[order.length - 1][0]);
  const report: LayerReport[] = [];
  for (const [name, l] of layers) {
    const kind = l instanceof QatLinear ? 'linear' : 'conv2d';
    const [parent, key] = parentOf(model, name);
    if (keep.has(name)) {
      parent.replaceChild(key, l.float);
      report.push({ name, kind, quantized: false, reason: opts.keepFirst && name === order[0][0] ? 'first layer kept in float32' : 'last layer kept in float32' });
      l.sample?.dispose();
      continue;
    }
    const q = l.toInt8();
    const entry: LayerReport = { name, kind, quantized: true, input: q.input, output: q.output };
    noGrad(() => tidy(() => {
      const wd = q.weight.to('float32').mul(q.wScale.reshape(-1, ...new Array(q.weight.ndim - 1).fill(1)));
      entry.weightSqnrDb = sqnr(l.weight.detach(), wd).db;
      if (l.sample) {
        const yf = (l.float as unknown as { forward: (x: Tensor) => Tensor }).forward(l.sample);
        const r = sqnr(yf, q.forward(l.sample));
        entry.outputSqnrDb = r.db;
        entry.relError = r.rel;
      }
    }));
    l.sample?.dispose();
    l.sample = null;
    parent.replaceChild(key, q);
    report.push(entry);
  }
  return report;
}

/**
 * Post-training quantization, in place: every Linear and groups-1 Conv2d becomes int8 (weights int8 per output
 * channel, inputs uint8 per tensor with scales from `calibration`), except the layers `options` keeps in float32.
 * The float layers' tensors are left to the caller. Returns the per-layer report.
 */
export function quantizeModel(model: Module, calibration: Calibration, options: QuantizeOptions = {}): LayerReport[] {
  const { kept } = prepareQat(model, { ...options, learnScales: false });
  calibrate(model, calibration);
  const attention: LayerReport[] = [];
  if (options.int8Attention)
    for (const { name, m } of walk(model))
      if (m instanceof MultiheadAttention) { m.int8Products = true; attention.push({ name, kind: 'attention', quantized: true, input: 'dynamic' }); }
  return [...kept, ...convertQat(model, options), ...attention];
}

/** A table of the report for logs and the CLI. */
export function formatReport(report: LayerReport[]): string {
  const rows = report.map((r) => {
    const inq = r.input === 'dynamic' ? 'dynamic' : r.input ? `${r.input.scale.toPrecision(3)}/${r.input.zeroPoint}` : '';
    return `| ${r.name} | ${r.kind} | ${r.quantized ? 'int8' : `float32 (${r.reason})`} | ${inq} | ${r.weightSqnrDb?.toFixed(1) ?? ''} | ${r.outputSqnrDb?.toFixed(1) ?? ''} |`;
  });
  return ['| layer | kind | precision | input scale/zero | weight SQNR dB | output SQNR dB |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
