#!/usr/bin/env node
// The `tensorfield` command. Every method is reached through the registry (lib/registry.ts); importing
// lib/models registers them.
import '../models';
import { TensorfieldError } from '../tensor';
import { helpText } from './args';
import { trainCommand, TRAIN_FLAGS } from './train';
import { sampleCommand, evalCommand, infoCommand, benchCommand, quantizeCommand, quantizeRecipeCommand, SAMPLE_FLAGS, EVAL_FLAGS, QUANTIZE_FLAGS, BENCH_FLAGS } from './commands';
import { demoCommand, DEMO_FLAGS } from './demo';
import { idCommand, ID_FLAGS } from './id';
import { assembleCommand, ASSEMBLE_FLAGS } from './assemble';
import { exportCommand, EXPORT_FLAGS } from './export';
import { listMethods } from '../registry';

const COMMANDS: Record<string, { help: string; flags?: Record<string, import('./args').FlagSpec>; run: (argv: string[]) => unknown }> = {
  train: { help: 'train a method on a dataset; writes checkpoint, samples.png (text: samples.txt), loss.svg, metrics.json', flags: TRAIN_FLAGS, run: trainCommand },
  sample: { help: 'draw samples from a trained run into a PNG (forecasting / imputation methods: forecasts of the held-out windows as JSON and fan charts)', flags: SAMPLE_FLAGS, run: sampleCommand },
  eval: { help: 'sample a trained run and compute its metrics (forecasting / imputation methods: CRPS and pinball loss on a held-out split, baselines beside)', flags: EVAL_FLAGS, run: evalCommand },
  quantize: { help: 'int8 quantization of a trained run: --method ptq|qat-kd writes an int8 checkpoint (sample/eval/bench --int8 load it); without --method, in-memory PTQ compared with float32', flags: QUANTIZE_FLAGS, run: (a) => (a.includes('--method') || a.some((x) => x.startsWith('--method=')) ? quantizeRecipeCommand(a) : quantizeCommand(a)) },
  export: { help: 'write a trained run\'s network as an ONNX model (--onnx file; --int8 for the quantized network as QDQ)', flags: EXPORT_FLAGS, run: exportCommand },
  assemble: { help: 'join dblocks runs that each trained one block (--block i) into one run folder for sample / eval', flags: ASSEMBLE_FLAGS, run: assembleCommand },
  id: { help: 'intrinsic-dimension estimates (per point, histogram) from a trained score field (method gauge)', flags: ID_FLAGS, run: idCommand },
  bench: { help: 'quick engine figures on this machine (GEMM, op overhead, fused steps); --int8: the int8 engine\'s paths, GOP/s and % of the core\'s measured peak; --run: sampling-step latency float32 / int8 / mixed', flags: BENCH_FLAGS, run: benchCommand },
  info: { help: 'version, ISA path, threads, CUDA availability, methods and data', run: infoCommand },
  demo: { help: 'train, sample and evaluate two small models on the shipped data (a few minutes)', flags: DEMO_FLAGS, run: demoCommand },
};

function usage(): string {
  const lines = ['usage: tensorfield <command> [--flag value ...]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${c.help}`);
  lines.push('', 'tensorfield <command> --help lists its flags; method options are flags too (tensorfield train --method edm --help).');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`tensorfield: unknown command '${cmd}' (valid: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`tensorfield ${cmd}: ${c.help}\n${c.flags ? helpText(c.flags) : '  (no flags)'}`);
    if (cmd === 'train') {
      for (const m of listMethods()) {
        console.log(`\nmethod ${m.name} (${m.source}; ${m.kinds.join('/')}): ${m.description}`);
        for (const [k, o] of Object.entries(m.options)) {
          console.log(`  --${k.padEnd(14)} ${o.help}${o.choices ? ` [${o.choices.join('|')}]` : ''} (default ${String(o.default)})${o.resumable ? ' [may change on --resume]' : ''}`);
        }
      }
    }
    return 0;
  }
  await c.run(rest);
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

// What a file-system error means, said in a line instead of a Node stack trace.
const FS_CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device (files are replaced atomically: what was there before is intact)',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  EDQUOT: 'disk quota exceeded (files are replaced atomically: what was there before is intact)',
};

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  const sys = e as NodeJS.ErrnoException & { dest?: string };
  if (e instanceof TensorfieldError || (e as { code?: string })?.code?.startsWith?.('TF_')) {
    const err = e as TensorfieldError;
    console.error(`tensorfield: ${err.message} [${err.code}]`);
    process.exitCode = err.code === 'TF_INVALID_ARGUMENT' ? 2 : 1;
  } else if (sys && typeof sys.code === 'string' && FS_CAUSES[sys.code]) {
    const where = sys.path ? ` '${sys.path}'${sys.dest ? ` -> '${sys.dest}'` : ''}` : '';
    console.error(`tensorfield: ${sys.syscall ?? 'file operation'}${where}: ${FS_CAUSES[sys.code]} [TF_IO]`);
    process.exitCode = 1;
  } else {
    console.error(e);
    process.exitCode = 1;
  }
});
