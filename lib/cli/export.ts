// `tensorfield export --run DIR --onnx model.onnx [--int8]`: a trained run's evaluation network (the EMA weights,
// eval mode) as an ONNX model, F(x, c_noise) with inputs 'x' [batch, ...item] and 'c_noise' [batch]. With --int8
// the network is first quantized exactly as `tensorfield quantize` does it (calibrated on the sampler's own
// inputs, the same flags), and the int8 layers are written as QuantizeLinear/DequantizeLinear around them.
// The method's preconditioning stays outside the graph, as in sampling (its metadata says which).
import * as tf from '../index';
import { exportOnnx } from '../io/onnx/export';
import { parseFlags, usageError, type FlagSpec } from './args';
import { QUANTIZE_FLAGS } from './commands';
import { openRun } from './train';

export const EXPORT_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'run folder of a tensorfield train' },
  onnx: { type: 'string', help: 'ONNX file to write (opset 17)' },
  int8: { type: 'boolean', default: false, help: 'quantize first (as tensorfield quantize) and export the int8 layers as QDQ' },
  batch: { type: 'number', default: 1, help: 'batch of the example run that checks the export (the graph\'s batch dim is dynamic)' },
  calib: QUANTIZE_FLAGS.calib,
  observer: QUANTIZE_FLAGS.observer,
  weights: QUANTIZE_FLAGS.weights,
  'keep-first': QUANTIZE_FLAGS['keep-first'],
  'keep-last': QUANTIZE_FLAGS['keep-last'],
  'quantize-outputs': QUANTIZE_FLAGS['quantize-outputs'],
  steps: QUANTIZE_FLAGS.steps,
  solver: QUANTIZE_FLAGS.solver,
  seed: QUANTIZE_FLAGS.seed,
};

export interface ExportCommandResult {
  file: string; int8: boolean; bytes: number; nodes: number;
  /** the network that was exported (quantized in place with --int8) */
  network: tf.nn.Module;
  report?: tf.quant.LayerReport[];
}

export function exportCommand(argv: string[], log = (s: string) => console.log(s)): ExportCommandResult {
  const { flags } = parseFlags(argv, EXPORT_FLAGS);
  if (typeof flags.run !== 'string') throw usageError('--run <folder> is required (the --out folder of a tensorfield train)');
  if (typeof flags.onnx !== 'string') throw usageError('--onnx <file> is required (where to write the model)');
  const batch = flags.batch as number, calibN = flags.calib as number;
  if (!Number.isInteger(batch) || batch < 1) throw usageError(`--batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(calibN) || calibN < 1) throw usageError(`--calib must be a positive integer, got ${calibN}`);
  const { src, run, step, cfg } = openRun(flags.run, log);
  if (!run.evalNetwork) throw new tf.TensorfieldError('TF_UNSUPPORTED', `method '${cfg.method}' does not expose its evaluation network, so it cannot be exported`);
  const net = run.evalNetwork();
  let report: tf.quant.LayerReport[] | undefined;
  if (flags.int8) {
    const sopts = { steps: flags.steps as number | undefined, solver: flags.solver as string | undefined };
    const qopts = {
      observer: { kind: flags.observer as tf.quant.ObserverKind }, weights: flags.weights as 'minmax' | 'mse',
      keepFirst: flags['keep-first'] as boolean, keepLast: flags['keep-last'] as boolean, quantizeOutputs: flags['quantize-outputs'] as boolean,
    };
    const { kept } = tf.quant.prepareQat(net, qopts);
    tf.quant.calibrate(net, () => {
      tf.manualSeed((flags.seed as number) + 1);  // the calibration noise `tensorfield quantize` uses
      for (let done = 0; done < calibN; done += 256) run.sample(Math.min(256, calibN - done), { ...sopts, asIs: true }).x.dispose();
    });
    report = [...kept, ...tf.quant.convertQat(net, qopts)];
    log(`int8: ${report.filter((r) => r.quantized).length} of ${report.length} layers quantized (calibrated on ${calibN} samples)`);
  }
  tf.manualSeed(flags.seed as number);
  const x = tf.randn([batch, ...src.itemShape]), cNoise = tf.randn([batch]);
  try {
    const r = exportOnnx(net, [x, cNoise], {
      file: flags.onnx, inputNames: ['x', 'c_noise'], outputName: 'F',
      metadata: {
        method: cfg.method, data: src.name, step: String(step), precision: flags.int8 ? 'int8-qdq' : 'float32',
        note: 'F(x, c_noise): the network before the method\'s preconditioning, as evalNetwork() runs it',
      },
    });
    r.output.dispose();
    log(`wrote ${flags.onnx}: ${net.constructor.name} of ${flags.run} (step ${step}), ${flags.int8 ? 'int8 QDQ' : 'float32'}, ` +
      `opset ${r.opset}, ${r.nodeCount} nodes, ${(r.bytes.length / 1024).toFixed(0)} KiB; inputs x [batch, ${src.itemShape.join(', ')}], c_noise [batch]`);
    return { file: flags.onnx, int8: flags.int8 as boolean, bytes: r.bytes.length, nodes: r.nodeCount, network: net, report };
  } finally { x.dispose(); cNoise.dispose(); }
}
