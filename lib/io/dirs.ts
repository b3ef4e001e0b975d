// Creating a folder and its missing parents without Node's recursive mkdir, which on a pseudo file system loops
// forever: under /proc, mkdir answers ENOENT although the parent exists, and the recursive form retries the
// parent (`train --out /proc/run` hung). Here each missing level is made once, in order, so every failure is
// final and names the folder that could not be made; a pseudo file system (/proc, /sys, cgroups, ...) is named
// as the cause before anything is tried.
import * as fs from 'fs';
import * as path from 'path';
import { TensorfieldError } from '../tensor';

// statfs f_type of Linux file systems that hold kernel state, not files (linux/magic.h).
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: 'proc', 0x62656572: 'sysfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x64626720: 'debugfs',
  0x74726163: 'tracefs', 0x73636673: 'securityfs', 0x1cd1: 'devpts', 0xcafe4a11: 'bpf', 0x62656570: 'configfs',
  0x6165676c: 'pstore', 0xde5e81e4: 'efivarfs',
};

function pseudoFs(dir: string): string | null {
  if (typeof fs.statfsSync !== 'function') return null;
  try { return PSEUDO_FS[fs.statfsSync(dir).type] ?? null; } catch { return null; }
}

function ioError(dir: string, cause: string): TensorfieldError {
  return new TensorfieldError('TF_IO', `cannot create the folder '${dir}': ${cause}`);
}

/**
 * Makes `dir` and its missing parents (like mkdir -p). Throws TF_IO for a pseudo file system and for a level
 * that cannot be made although its parent exists; other errors (ENOTDIR, EACCES, ENOSPC, ...) are Node's own,
 * naming the path.
 */
export function makeDirs(dir: string): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let st: fs.Stats | undefined;
    try { st = fs.statSync(at); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a file on the way; the mkdir below reports it, naming the level. Others (EACCES, ...) now.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
    if (st) {
      if (at === target) {
        if (st.isDirectory()) return;
        throw ioError(dir, 'it exists and is a file, not a folder');
      }
      const kind = pseudoFs(at);
      if (kind) throw ioError(dir, `'${at}' is on ${kind}, a pseudo file system that holds no files or folders of a run`);
      break;
    }
    missing.push(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const level of missing.reverse()) {
    try {
      fs.mkdirSync(level);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(level).isDirectory()) continue;  // made meanwhile by someone else
      if (code === 'ENOENT') throw ioError(dir, `mkdir '${level}' answered ENOENT although its parent exists (a special file system?)`);
      throw e;
    }
  }
}
