// tensorfield assemble: joins dblocks runs that each trained one block (`train --method dblocks --stem own
// --block i`, on one machine after another or on several at once) into one run folder that sample / eval open
// like any other. Its config is the runs' with block -1 and the list it came from; its checkpoint holds block i's
// parameters (and their weight average, with --ema-sigma-rel) from the run that trained block i (assembleBlocks) and no optimizer moments (an assembled run
// samples; it does not resume training). Every run is checked before anything is written.
import * as fs from 'fs';
import { TensorfieldError } from '../tensor';
import { parseFlags, usageError, type FlagSpec } from './args';
import { openRun } from './train';
import { files, writeJson } from './run-dir';
import { saveCheckpoint } from '../io/checkpoint';
import { assembleBlocks } from '../models/diffusion-blocks/assemble';
import type { DblocksRun } from '../models/diffusion-blocks';

export const ASSEMBLE_FLAGS: Record<string, FlagSpec> = {
  runs: { type: 'string', help: 'comma-separated run folders, one block each (any order)' },
  out: { type: 'string', help: 'new run folder for the assembled model' },
};

export function assembleCommand(argv: string[], log = (s: string) => console.log(s)): { out: string; blocks: number[] } {
  const { flags } = parseFlags(argv, ASSEMBLE_FLAGS);
  if (typeof flags.out !== 'string' || !flags.out) throw usageError('--out <folder> is required');
  if (typeof flags.runs !== 'string' || !flags.runs) throw usageError('--runs <run,run,...> is required (the --out folders of train --method dblocks --block i)');
  const out = flags.out, dirs = flags.runs.split(',').filter(Boolean);
  if (dirs.length === 0) throw usageError('--runs lists no run folder');
  if (dirs.includes(out)) throw usageError(`--out ${out} is one of the runs; choose a new folder`);
  if (fs.existsSync(files(out).checkpoint)) throw usageError(`${out} already holds a checkpoint; choose a new folder`);
  const bad = (m: string) => new TensorfieldError('TF_INVALID_ARGUMENT', `tensorfield assemble: ${m}`);
  const opened = dirs.map((dir) => ({ dir, ...openRun(dir, () => {}) }));
  const first = opened[0].cfg;
  for (const { dir, cfg } of opened) {
    if (cfg.method !== 'dblocks') throw bad(`${dir}: method '${cfg.method}', not dblocks`);
    const block = cfg.options.block as number;
    if (!(block >= 0)) throw bad(`${dir} trained every block (block ${block}); pass runs of one block each`);
    const a = { ...cfg.options, block: 0 }, b = { ...first.options, block: 0 };
    if (JSON.stringify(a) !== JSON.stringify(b) || cfg.data !== first.data)
      throw bad(`${dir}: options or data differ from ${opened[0].dir}'s; the blocks of one model share them`);
  }
  const target = opened[0].run as DblocksRun;  // its own block is in place already; assembleBlocks copies every block
  const sources = opened.map(({ cfg, run }) => ({ block: cfg.options.block as number, net: (run as DblocksRun).model, ema: (run as DblocksRun).ema }));
  assembleBlocks(target.model, sources, target.ema);  // refuses a missing or repeated block, or a shared stem
  target.optimizer.adams.fill(null);
  const cfg = { ...first, options: { ...first.options, block: -1 }, train: { ...first.train, assembledFrom: dirs.join(',') } };
  writeJson(files(out).config, cfg);
  saveCheckpoint(files(out).checkpoint, { model: target.model, ema: target.ema, optimizer: target.optimizer, step: Math.max(...opened.map((r) => r.step)) });
  const blocks = sources.map((s) => s.block).sort((x, y) => x - y);
  log(`assembled blocks ${blocks.join(', ')} from ${dirs.join(', ')} into ${out}`);
  return { out, blocks };
}
