// One run at a time per run folder: `train` (and `train --resume`) hold <out>/train.lock while they write there.
// Two runs into one folder would interleave their checkpoints, configs and metrics (both exited 0). The lock
// file holds the owner's pid; it is made complete and then linked into place (link fails if the name exists),
// so a reader never sees a half-written lock. A lock whose process is gone (killed) is taken over. It is
// removed when the run ends, also on errors and on process.exit (an 'exit' handler).
import * as fs from 'fs';
import * as path from 'path';
import { TensorfieldError } from '../tensor';
import { processAlive, tempPathFor } from '../io/atomic';

export const LOCK_NAME = 'train.lock';

interface LockInfo { pid: number; started: string; command: string }

/** Locks this process holds (a process may run trainCommand more than once: the tests do, one after another). */
const held = new Set<string>();

function readLock(file: string): LockInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return Number.isSafeInteger(v?.pid) && v.pid > 0 ? v : null;
  } catch {
    return null;
  }
}

function tryCreate(file: string, info: LockInfo): boolean {
  const tmp = tempPathFor(file);
  fs.writeFileSync(tmp, JSON.stringify(info) + '\n', { flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    try { fs.unlinkSync(tmp); } catch { /* already gone */ }
  }
}

/**
 * Takes `dir`'s lock (the folder must exist) and returns the function that releases it. Throws TF_LOCKED naming
 * the process that holds it.
 */
export function lockRunDir(dir: string, log: (s: string) => void = (s) => console.error(s)): () => void {
  const file = path.resolve(dir, LOCK_NAME);
  if (held.has(file)) throw new TensorfieldError('TF_LOCKED', `run folder '${dir}' is in use by another run in this process (pid ${process.pid}); wait for it to finish`);
  const info: LockInfo = { pid: process.pid, started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  for (let attempt = 0; !tryCreate(file, info); attempt++) {
    const other = readLock(file);
    // Our own pid without our hold: left by an earlier run of this process that could not remove it.
    const stale = other === null || other.pid === process.pid || !processAlive(other.pid);
    if (!stale || attempt >= 2) {
      throw new TensorfieldError('TF_LOCKED', `run folder '${dir}' is in use by another run: process ${other?.pid ?? '?'}` +
        `${other?.started ? ` (started ${other.started}${other.command ? `: ${other.command}` : ''})` : ''} holds ${file}; ` +
        'wait for it to finish, stop it, or use another --out');
    }
    // Unreadable (torn by a crash of an older writer) or its process is gone: take it over.
    log(`taking over ${file}${other ? ` left by process ${other.pid}, which is gone` : ' (unreadable)'}`);
    try { fs.unlinkSync(file); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
  }
  held.add(file);
  const release = () => {
    if (!held.delete(file)) return;
    process.off('exit', release);
    // Only our own: a lock someone took over after us (we were thought dead) is theirs.
    if (readLock(file)?.pid === process.pid) try { fs.unlinkSync(file); } catch { /* already gone */ }
  };
  process.on('exit', release);
  return release;
}
