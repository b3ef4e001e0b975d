// The small commands: sample, eval, info, bench, quantize.
import * as path from 'path';
import * as tf from '../index';
import { listMethods } from '../registry';
import { DATA_SOURCES } from '../data/sources';
import * as steps from '../samplers/steps';
import { parseFlags, usageError, type FlagSpec } from './args';
import { evaluateSamples } from './evaluate';
import { files, writeJson, version } from './run-dir';
import { openRun, drawSamples } from './train';

export const SAMPLE_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'run folder of a tensorfield train' },
  n: { type: 'number', default: 64, help: 'how many samples' },
  steps: { type: 'number', help: 'sampler steps (default: the method\'s)' },
  solver: { type: 'string', help: 'sampler (default: the method\'s)' },
  seed: { type: 'number', default: 1, help: 'seed of the sampling noise' },
  out: { type: 'string', help: 'PNG file (default <run>/samples-<steps>.png)' },
};

export const EVAL_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'run folder of a tensorfield train' },
  n: { type: 'number', default: 1000, help: 'samples to evaluate' },
  steps: { type: 'number', help: 'sampler steps (default: the method\'s)' },
  solver: { type: 'string', help: 'sampler (default: the method\'s)' },
  seed: { type: 'number', default: 2, help: 'seed of the sampling noise' },
};

function requireRun(flags: Record<string, unknown>): string {
  if (typeof flags.run !== 'string') throw usageError('--run <folder> is required (the --out folder of a tensorfield train)');
  return flags.run;
}

function count(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < 1) throw usageError(`--${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

export function sampleCommand(argv: string[], log = (s: string) => console.log(s)): string {
  const { flags } = parseFlags(argv, SAMPLE_FLAGS);
  const dir = requireRun(flags);
  const n = count('n', flags.n)!, st = count('steps', flags.steps);
  const { src, run, step } = openRun(dir);
  tf.manualSeed(flags.seed as number);
  const out = (flags.out as string | undefined) ?? path.join(dir, `samples-${st ?? 'default'}.png`);
  const t0 = Date.now();
  const r = drawSamples(src, run, n, out, { steps: st, solver: flags.solver as string | undefined });
  log(`${n} samples from ${dir} (step ${step}) in ${((Date.now() - t0) / 1000).toFixed(2)} s, ${r.nfe} NFE -> ${out}`);
  r.x.dispose();
  return out;
}

export async function evalCommand(argv: string[], log = (s: string) => console.log(s)): Promise<Record<string, number>> {
  const { flags } = parseFlags(argv, EVAL_FLAGS);
  const dir = requireRun(flags);
  const n = count('n', flags.n)!, st = count('steps', flags.steps);
  const { src, run, step } = openRun(dir);
  tf.manualSeed(flags.seed as number);
  const r = run.sample(n, { steps: st, solver: flags.solver as string | undefined });
  const m = { step, nfe: r.nfe, ...(await evaluateSamples(src, r.x, log)) };
  r.x.dispose();
  const file = st ? path.join(dir, `metrics-${st}.json`) : files(dir).metrics;
  writeJson(file, m);
  log(JSON.stringify(m, null, 2));
  log(`wrote ${file}`);
  return m;
}

export function infoCommand(argv: string[], log = (s: string) => console.log(s)): void {
  parseFlags(argv, {});
  const i = tf.info();
  const cuda = tf.cuda.isAvailable();
  log(`tensorfield ${version()} (node ${process.version}, ${process.platform}-${process.arch})`);
  log(`cpu:      ${i.cpu}`);
  log(`isa:      ${i.isa} (supported: ${i.supportedIsas.join(', ')}; force one with TENSORFIELD_ISA)`);
  log(`threads:  ${i.threads} (TENSORFIELD_NUM_THREADS or --threads)`);
  log(`cuda:     ${cuda ? 'available' : 'not available'} — ${tf.cuda.status().reason}`);
  log(`methods:  ${listMethods().map((m) => `${m.name} [${m.kinds.join('/')}] (${m.source})`).join('; ')}`);
  log(`data:     ${DATA_SOURCES.join(', ')}`);
}

function timeIt(fn: () => void, minMs = 300): number {
  fn();
  const times: number[] = [];
  const end = Date.now() + minMs;
  while (Date.now() < end || times.length < 5) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** Quick figures on this machine (medians): GEMM, a tiny op's overhead, a fused step against its composition. */
export function benchCommand(argv: string[], log = (s: string) => console.log(s)): Record<string, number> {
  parseFlags(argv, {});
  const out: Record<string, number> = {};
  tf.tidy(() => {
    for (const n of [256, 512, 1024]) {
      const a = tf.randn([n, n]), b = tf.randn([n, n]);
      const ms = timeIt(() => tf.tidy(() => { a.matmul(b); }));
      out[`gemm${n}_gflops`] = (2 * n ** 3) / (ms * 1e6);
      log(`fp32 GEMM ${n}x${n}x${n}: ${out[`gemm${n}_gflops`].toFixed(1)} GFLOP/s (${ms.toFixed(3)} ms)`);
    }
    const x = tf.randn([4]), y = tf.randn([4]);
    const reps = 10000;
    const ms = timeIt(() => { for (let i = 0; i < reps; i++) x.add(y).dispose(); });
    out.tiny_add_us = (ms * 1000) / reps;
    log(`add of two 4-element tensors: ${out.tiny_add_us.toFixed(2)} µs per op (JS call, allocation, dispose)`);
    const s = tf.randn([256, 1, 28, 28]), d = tf.randn([256, 1, 28, 28]), p = tf.randn([256, 1, 28, 28]);
    const fused = timeIt(() => tf.tidy(() => { steps.heunStep(s, d, p, d, 1.5, 1); }));
    const composed = timeIt(() => tf.tidy(() => { s.add(s.sub(d).div(1.5).add(p.sub(d).div(1)).mul(-0.25)); }));
    out.heun_fused_ms = fused;
    out.heun_composed_ms = composed;
    log(`Heun correction, 256x1x28x28: fused ${fused.toFixed(3)} ms, composed from ops ${composed.toFixed(3)} ms (${(composed / fused).toFixed(1)}x)`);
  });
  log('full benchmarks against PyTorch and onnxruntime: see bench/ and bench/RESULTS.md');
  return out;
}

export function quantizeCommand(): never {
  throw new tf.TensorfieldError('TF_NOT_IMPLEMENTED', 'tensorfield quantize: the int8 engine (quantized layers, calibration) is not ' +
    'built yet in this version; it is planned with the int8 kernels');
}
