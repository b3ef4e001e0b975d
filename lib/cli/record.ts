// What a result was computed on, written next to it (metrics.json, the paper scripts' JSON): the data set
// (for Fashion-MNIST: the full set from the Debian package or the 3,000-image subset shipped in assets/), the
// sample count, the seeds, the git commit of the code and the command line. A result without these cannot be
// checked or compared, so every writer of metrics adds one.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { TensorfieldError } from '../tensor';
import type { FashionDatasetInfo } from '../data/fashion_mnist';
import type { DataSource } from '../data/sources';
import { version } from './run-dir';

export interface GitState {
  /** `git rev-parse HEAD` of the package's checkout. */
  commit: string;
  /** Whether tracked files differed from that commit when the result was made. */
  dirty: boolean;
}

export interface RunRecord {
  /** The data the model was trained / evaluated on: a toy density's name, or the Fashion-MNIST files used. */
  data: string;
  dataset?: FashionDatasetInfo;
  /** How many samples the metrics were computed from. */
  n?: number;
  seeds: Record<string, number>;
  /** Null outside a git checkout (an installed package), or without git. */
  git: GitState | null;
  /** The process's command line. */
  command: string;
  /** The tensorfield sub-command and its arguments when they differ from the command line (the demo's train calls). */
  call?: string;
  version: string;
  node: string;
  date: string;
}

const PACKAGE_ROOT = path.join(__dirname, '..', '..');
let gitCache: GitState | null | undefined;

/** The commit of the checkout whose top level is `dir` (the package root), or null when it is not one (or git is missing). */
export function gitState(dir: string = PACKAGE_ROOT): GitState | null {
  if (dir === PACKAGE_ROOT && gitCache !== undefined) return gitCache;
  let out: GitState | null = null;
  try {
    const opts = { cwd: dir, encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'], timeout: 10000 };
    // Only the package's own checkout: an installed copy inside someone else's repository is not at their commit.
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], opts).trim();
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], opts).trim();
    if (fs.realpathSync(top) === fs.realpathSync(dir) && /^[0-9a-f]{40}$/.test(commit)) {
      const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts);
      out = { commit, dirty: status.trim().length > 0 };
    }
  } catch {
    out = null;
  }
  if (dir === PACKAGE_ROOT) gitCache = out;
  return out;
}

/** The command line as a shell would take it back (arguments with spaces or quotes are quoted). */
export function commandLine(argv: readonly string[] = process.argv): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const [node, script, ...rest] = argv;
  const parts = [path.basename(node ?? 'node')];
  if (script !== undefined) parts.push(path.relative(process.cwd(), script) || script);
  return [...parts, ...rest].map(quote).join(' ');
}

/** The record of a result on `src` (a DataSource, or a data name), from `n` samples with the given seeds. */
export function runRecord(src: DataSource | string, opts: { n?: number; seeds?: Record<string, number>; argv?: readonly string[]; call?: string } = {}): RunRecord {
  const seeds = opts.seeds ?? {};
  for (const [k, v] of Object.entries(seeds)) {
    if (!Number.isInteger(v)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `runRecord: seed '${k}' must be an integer, got ${v}`);
  }
  if (opts.n !== undefined && !(Number.isInteger(opts.n) && opts.n >= 0)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `runRecord: n must be a non-negative integer, got ${opts.n}`);
  }
  const name = typeof src === 'string' ? src : src.name;
  const dataset = typeof src === 'string' ? undefined : src.dataset;
  return {
    data: name, ...(dataset ? { dataset } : {}), ...(opts.n !== undefined ? { n: opts.n } : {}), seeds,
    git: gitState(), command: commandLine(opts.argv), ...(opts.call ? { call: opts.call } : {}), version: version(), node: process.version, date: new Date().toISOString(),
  };
}

