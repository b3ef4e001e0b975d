// tf.io.exportOnnx: a module's eval-mode forward as an ONNX model (opset 17, IR version 8).
//
// How: every module class has an emitter that writes the ONNX nodes of its forward() (emitters/*.ts, keyed by
// class; a custom module may define onnx(ctx, inputs) instead). This is explicit rather than traced: the engine
// runs eagerly and records no graph without autograd, forward() methods branch on options (adaptive norms,
// attention levels, labels), and a trace would silently bake one branch and every shape in. An emitter either
// writes its class's computation or the export stops with TF_UNSUPPORTED naming the module that has none.
// Int8 layers (quantizeModel / convertQat) are written as QDQ with their own codes and parameters (emitters/quant.ts).
//
// The example inputs fix the dtypes and every dim but the first, which is a symbolic 'batch' unless
// dynamicBatch is false; dynamicAxes (torch.onnx.export's dynamic_axes) names more symbolic dims, e.g. a
// Transformer's sequence length. The emitters write no static shapes, so such dims really vary at run time. The model is run once on them to find the output's shape (and returned as `output`).
import { Tensor, TensorfieldError } from '../../tensor';
import { noGrad } from '../../autograd';
import { tidy, keep } from '../../scope';
import { Module } from '../../nn/module';
import { writeFileAtomicSync } from '../atomic';
import { OnnxContext } from './graph';
import { encodeModel, type OnnxDType, type ValueInfoData } from './proto';
import * as fs from 'fs';
import * as path from 'path';
import './emitters/layers';
import './emitters/quant';
import './emitters/models';

/** The ONNX operator set the exporter writes (and the IR version that goes with it). */
export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

export interface ExportOnnxOptions {
  /** Write the model here (atomically). Without it, only the bytes are returned. */
  file?: string;
  /** Graph input names, one per example input (default input_0, input_1, ...). */
  inputNames?: string[];
  /** Graph output name (default 'output'). */
  outputName?: string;
  /** First dim of every input and of the output symbolic ('batch'), so any batch size runs (default true). */
  dynamicBatch?: boolean;
  /**
   * More symbolic dims, by input or output name: { tokens: { 1: 'seq' }, output: { 1: 'seq' } } (as
   * torch.onnx.export's dynamic_axes). Negative axes count from the end.
   */
  dynamicAxes?: Record<string, Record<number, string>>;
  /** Extra key/value pairs stored in the model's metadata_props. */
  metadata?: Record<string, string>;
}

export interface ExportOnnxResult {
  /** The serialized ModelProto (what was written to `file`). */
  bytes: Uint8Array;
  inputNames: string[];
  outputName: string;
  /** tensorfield's output on the example inputs (eval mode); the caller owns it. */
  output: Tensor;
  nodeCount: number;
  opset: number;
}

const DTYPES: Record<string, OnnxDType> = { float32: 'float32', int32: 'int32', float64: 'float32' };

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch { return 'unknown'; }
}

/**
 * Exports `module`'s forward (eval mode) on inputs like `exampleInputs` as an ONNX model. Supported: the nn
 * layers (Linear, Conv2d, GroupNorm, LayerNorm, RMSNorm, attention, embeddings, activations, Sequential, ...),
 * the UNet, MLPDenoiser, Transformer and ConvDenoiser families, EDM's network, and the int8 layers of
 * quantizeModel (as QDQ). Anything else: TF_UNSUPPORTED naming the module.
 */
export function exportOnnx(module: Module, exampleInputs: Tensor | Tensor[], options: ExportOnnxOptions = {}): ExportOnnxResult {
  if (!(module instanceof Module)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `exportOnnx: expected a Module, got ${module === null ? 'null' : typeof module}`);
  const inputs = Array.isArray(exampleInputs) ? exampleInputs : [exampleInputs];
  if (!inputs.length || inputs.some((t) => !(t instanceof Tensor)))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', 'exportOnnx: exampleInputs must be a tensor or a non-empty array of tensors');
  for (const [i, t] of inputs.entries()) {
    if (!DTYPES[t.dtype]) throw new TensorfieldError('TF_DTYPE', `exportOnnx: example input ${i} is ${t.dtype}; inputs must be float32 or int32`);
    if (t.dtype === 'float64') throw new TensorfieldError('TF_DTYPE', `exportOnnx: example input ${i} is float64; the exported model is float32 (cast the module and inputs with toDtype('float32'))`);
  }
  const dynamicBatch = options.dynamicBatch ?? true;
  if (dynamicBatch && inputs.some((t) => t.ndim === 0 || t.shape[0] !== inputs[0].shape[0]))
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `exportOnnx: with dynamicBatch every input needs the same first (batch) dim, got ${inputs.map((t) => `[${t.shape}]`).join(', ')}`);
  const inputNames = options.inputNames ?? inputs.map((_, i) => `input_${i}`);
  const outputName = options.outputName ?? 'output';
  if (inputNames.length !== inputs.length)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `exportOnnx: ${inputNames.length} input names for ${inputs.length} inputs`);
  if (new Set([...inputNames, outputName]).size !== inputNames.length + 1 || [...inputNames, outputName].some((n) => typeof n !== 'string' || !n))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `exportOnnx: input and output names must be distinct non-empty strings, got ${JSON.stringify([...inputNames, outputName])}`);
  if (options.file !== undefined && (typeof options.file !== 'string' || !options.file))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', 'exportOnnx: file must be a non-empty path');
  for (const [name, axes] of Object.entries(options.dynamicAxes ?? {})) {
    const rank = name === outputName ? null : inputs[inputNames.indexOf(name)]?.ndim;
    if (rank === undefined) throw new TensorfieldError('TF_INVALID_ARGUMENT', `exportOnnx: dynamicAxes names '${name}', which is not an input or the output (${[...inputNames, outputName].join(', ')})`);
    for (const [axis, sym] of Object.entries(axes ?? {})) {
      const a = Number(axis);
      if (!Number.isInteger(a) || (rank !== null && (a >= rank || a < -rank)) || typeof sym !== 'string' || !sym)
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `exportOnnx: dynamicAxes['${name}'][${axis}] = ${JSON.stringify(sym)}: need an axis of the tensor and a non-empty name`);
    }
  }
  const fwd = (module as unknown as { forward?: (...a: Tensor[]) => unknown }).forward;
  if (typeof fwd !== 'function') throw new TensorfieldError('TF_UNSUPPORTED', `exportOnnx: ${module.constructor.name} has no forward()`);

  // the graph first: a module without an emitter fails here with TF_UNSUPPORTED naming it, before its
  // forward runs on inputs it may not take
  const ctx = new OnnxContext(module);
  for (const n of [...inputNames, outputName]) ctx.reserve(n);
  const last = ctx.emit(module, inputNames);
  // the graph's output gets its own name (an Identity also covers a module that returns its input)
  ctx.nodes.push({ op: 'Identity', inputs: [last], outputs: [outputName], name: ctx.fresh('output/Identity') });

  // the reference run, in eval mode like the exported graph (dropout off), restoring the caller's mode
  const wasTraining = module.training;
  module.eval();
  let output: Tensor;
  try {
    output = keep(noGrad(() => tidy(() => {
      const y = fwd.apply(module, inputs);
      if (!(y instanceof Tensor)) throw new TensorfieldError('TF_UNSUPPORTED', `exportOnnx: ${module.constructor.name}.forward returns ${Array.isArray(y) ? 'an array' : typeof y}; only one output tensor is exported`);
      return y;
    })));
  } finally { module.train(wasTraining); }
  try {
    const dims = (name: string, shape: number[]): (number | string)[] => {
      const d: (number | string)[] = dynamicBatch ? ['batch', ...shape.slice(1)] : [...shape];
      for (const [axis, sym] of Object.entries(options.dynamicAxes?.[name] ?? {})) {
        const a = Number(axis) < 0 ? Number(axis) + shape.length : Number(axis);
        if (a < 0 || a >= shape.length) throw new TensorfieldError('TF_INVALID_ARGUMENT', `exportOnnx: dynamicAxes['${name}'] has axis ${axis}, but '${name}' has ${shape.length} dims`);
        d[a] = sym;
      }
      return d;
    };
    const vin: ValueInfoData[] = inputs.map((t, i) => ({ name: inputNames[i], dtype: DTYPES[t.dtype], dims: dims(inputNames[i], t.shape) }));
    const vout: ValueInfoData = { name: outputName, dtype: DTYPES[output.dtype] ?? 'float32', dims: dims(outputName, output.shape) };
    if (options.dynamicAxes?.[outputName] === undefined && Object.keys(options.dynamicAxes ?? {}).length) {
      // an input dim that varies may make output dims vary too: leave the output's non-batch dims unnamed
      // rather than declare sizes that would be wrong at other lengths
      vout.dims = vout.dims.map((d, i) => (i === 0 && dynamicBatch ? d : `${outputName}_dim${i}`));
    }
    const bytes = encodeModel({
      irVersion: ONNX_IR_VERSION,
      opsets: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'tensorfield',
      producerVersion: packageVersion(),
      docString: `${module.constructor.name} exported by tensorfield.io.exportOnnx`,
      graph: { name: module.constructor.name, nodes: ctx.nodes, initializers: ctx.initializers, inputs: vin, outputs: [vout] },
      metadata: options.metadata,
    });
    if (options.file !== undefined) writeFileAtomicSync(options.file, [bytes]);
    return { bytes, inputNames, outputName, output, nodeCount: ctx.nodes.length, opset: ONNX_OPSET };
  } catch (e) {
    output.dispose();
    throw e;
  }
}
