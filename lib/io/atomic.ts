// Crash-safe file replacement: the bytes go to a temporary file in the target's directory, which is flushed to
// disk (fsync), renamed over the target (atomic on POSIX filesystems) and the directory entry flushed too. A
// crash at any point leaves either the old file or the new one, never a mix; on an error the temporary file
// is removed. (After a hard kill the temporary `<name>.tmp-<pid>-<hex>` may remain beside the intact target.)
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { randomBytes } from 'crypto';

/** @internal A test hook called after each chunk written (`bytes` so far) and before the rename; may throw. */
export const writeFaults: { hook: ((stage: 'write' | 'rename', bytes: number) => void) | null } = { hook: null };

export function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Whether a process with this pid exists (EPERM: it does, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';  // exists, owned by someone else
  }
}

/**
 * Removes the temporary files (`<name>.tmp-<pid>-<hex>`) that writers killed mid-save left in `dir`: those whose
 * process is gone. A live writer's file is kept. Returns the removed paths. (A run folder holds one checkpoint's
 * worth of them per hard kill; 22 kills left 4 x 51 MB.)
 */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return removed; }
  for (const name of names) {
    const m = /\.tmp-(\d+)-[0-9a-f]{12}$/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(path.join(dir, name));
    } catch { /* gone already, or not ours to remove */ }
  }
  return removed;
}

// Filesystems (and platforms) that cannot fsync a directory say so with one of these; the rename itself has
// happened, so they are not failures of the save.
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EISDIR', 'EPERM', 'EACCES', 'EBADF']);

function syncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let fh: fsp.FileHandle | null = null;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fh) await fh.close();
  }
}

/** Writes the chunks, in order, as the new contents of `target` (see the file comment). */
export function writeFileAtomicSync(target: string, chunks: Iterable<Uint8Array>): void {
  const tmp = tempPathFor(target);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666);
    let total = 0;
    for (const c of chunks) {
      let off = 0;
      while (off < c.byteLength) off += fs.writeSync(fd, c, off, c.byteLength - off);
      total += c.byteLength;
      writeFaults.hook?.('write', total);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    writeFaults.hook?.('rename', total);
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== null) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.unlinkSync(tmp); } catch { /* never created, or already gone */ }
    throw e;
  }
  syncDirSync(path.dirname(path.resolve(target)));
}

export async function writeFileAtomic(target: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const tmp = tempPathFor(target);
  let fh: fsp.FileHandle | null = null;
  try {
    fh = await fsp.open(tmp, 'wx', 0o666);
    let total = 0;
    for (const c of chunks) {
      let off = 0;
      while (off < c.byteLength) off += (await fh.write(c, off, c.byteLength - off)).bytesWritten;
      total += c.byteLength;
      writeFaults.hook?.('write', total);
    }
    await fh.sync();
    await fh.close();
    fh = null;
    writeFaults.hook?.('rename', total);
    await fsp.rename(tmp, target);
  } catch (e) {
    if (fh) try { await fh.close(); } catch { /* already failing */ }
    try { await fsp.unlink(tmp); } catch { /* never created, or already gone */ }
    throw e;
  }
  await syncDir(path.dirname(path.resolve(target)));
}
