// The IDX format of (Fashion-)MNIST: a 4-byte magic (two zero bytes, a type code, the number of dimensions),
// one big-endian uint32 per dimension, then the elements in row-major order. Only the unsigned-byte type
// (0x08) is used by the datasets we read; the other codes are recognised so the error can say what was found.
// Files may be gzip-compressed (detected from the content, not the name).
import * as fs from 'fs';
import * as zlib from 'zlib';
import { TensorfieldError } from '../tensor';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

function bad(file: string, problem: string): TensorfieldError {
  return new TensorfieldError('TF_BAD_FILE', `IDX file '${file}': ${problem}`);
}

/** Parses IDX bytes (gzipped or raw). `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file = '<buffer>'): IdxArray {
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw bad(file, `gzip data is corrupt or truncated (${(e as Error).message})`);
    }
  }
  if (buf.length < 4) throw bad(file, `only ${buf.length} bytes, too short for the 4-byte magic number`);
  if (buf[0] !== 0 || buf[1] !== 0) throw bad(file, 'not an IDX file (the magic number must start with two zero bytes)');
  const type = buf[2], ndim = buf[3];
  if (!(type in TYPE_NAMES)) throw bad(file, `unknown element type code 0x${type.toString(16)}`);
  if (type !== 0x08) throw bad(file, `element type ${TYPE_NAMES[type]} is not supported (only uint8)`);
  if (ndim < 1) throw bad(file, 'zero dimensions');
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) throw bad(file, `truncated header (${buf.length} bytes for ${ndim} dimensions)`);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = buf.readUInt32BE(4 + 4 * i);
    dims.push(d);
    count *= d;
  }
  const have = buf.length - headerBytes;
  if (have !== count) {
    throw bad(file, `dimensions [${dims.join(', ')}] need ${count} data bytes but the file has ${have}` +
      (have < count ? ' (truncated)' : ' (trailing bytes)'));
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, count) };
}

/** Reads an IDX file; a missing or unreadable file throws TF_BAD_FILE naming it. */
export function readIdx(file: string, hint = ''): IdxArray {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TensorfieldError('TF_BAD_FILE', `IDX file '${file}' cannot be read (${code ?? (e as Error).message})${hint}`);
  }
  return parseIdx(bytes, file);
}

/** Serialises a uint8 array as IDX (used to cut the embedded subset and by tests). */
export function encodeIdx(dims: number[], data: Uint8Array, gzip = true): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const raw = Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
  return gzip ? zlib.gzipSync(raw, { level: 9 }) : raw;
}
