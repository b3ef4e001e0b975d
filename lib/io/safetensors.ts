// The safetensors format (https://github.com/huggingface/safetensors), readable by Python's safetensors and
// PyTorch: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
//   {"__metadata__": {"k": "v", ...}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
// padded with spaces so the data starts 8-byte aligned, then the tensors' raw little-endian bytes, back to back
// in header order. The writer lays tensors out by element size (largest first, then in the given order), as
// the reference implementation does, so every tensor is naturally aligned in the file; files are replaced
// atomically (lib/io/atomic.ts). The reader checks everything a corrupt, truncated or foreign file could get
// wrong and throws TensorfieldError 'TF_BAD_FILE' naming the file and the problem.
// Integrity: every file tensorfield writes carries the SHA-256 of its data section in __metadata__
// ('tensorfield.data_sha256'); the readers hash the bytes as they read them and refuse a file whose data does not
// match (flipped bits would otherwise load and surface steps later as a NaN loss). Files from other writers have
// no hash and load as before, with `integrity: 'unverified'` and a note saying so.
import * as fs from 'fs';
import { createHash, type Hash } from 'crypto';
import * as fsp from 'fs/promises';
import * as os from 'os';
import { Tensor, TensorfieldError, tensor } from '../tensor';
import type { DType } from '../tensor';
import type { TypedArray } from '../native';
import { writeFileAtomic, writeFileAtomicSync } from './atomic';

export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'I8' | 'U8';
export type TensorMap = Map<string, Tensor> | Record<string, Tensor>;
export type Metadata = Record<string, string>;

/** The metadata key holding the hex SHA-256 of the data section (the bytes after the header). */
export const DATA_SHA256_KEY = 'tensorfield.data_sha256';

export interface SafetensorsContents {
  /** In file order. */
  tensors: Map<string, Tensor>;
  metadata: Metadata;
  /** 'verified': the data matched its stored hash; 'unverified': the file has none (not written by tensorfield). */
  integrity: 'verified' | 'unverified';
  /** Set when unverified: a sentence naming the file, for the caller to show. */
  note?: string;
}

/** One tensor's header entry; offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** In data order. */
  entries: SafetensorsEntry[];
  metadata: Metadata;
  /** Byte length of the JSON header (with its padding): the data section starts at 8 + headerLength. */
  headerLength: number;
}

const TO_ST: Record<DType, SafetensorsDType> = { float32: 'F32', float64: 'F64', int32: 'I32', int8: 'I8', uint8: 'U8' };
const FROM_ST: Record<SafetensorsDType, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', I8: 'int8', U8: 'uint8' };
const ITEM: Record<SafetensorsDType, number> = { F32: 4, F64: 8, I32: 4, I8: 1, U8: 1 };
// Valid safetensors dtypes that tensorfield has no tensor type for.
const OTHER_ST = new Set(['BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16',
  'U32', 'I64', 'U64', 'C64']);
/** The reference implementation's limit on the header; larger means a foreign or corrupt file. */
export const MAX_HEADER_BYTES = 100_000_000;
const BIG_ENDIAN = os.endianness() === 'BE';

function bad(file: string, problem: string): TensorfieldError {
  return new TensorfieldError('TF_BAD_FILE', `safetensors file '${file}': ${problem}`);
}

function isSTDType(d: unknown): d is SafetensorsDType {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(ITEM, d);
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size)
    for (let j = 0, k = size - 1; j < k; j++, k--) { const t = b[i + j]; b[i + j] = b[i + k]; b[i + k] = t; }
}

// ---- writing ------------------------------------------------------------------------------------------------

interface Layout { header: Uint8Array; order: [string, Tensor][] }

function layout(tensors: TensorMap, userMetadata: Metadata | undefined): Layout {
  const list: [string, Tensor][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const fail = (m: string) => new TensorfieldError('TF_INVALID_ARGUMENT', `saveSafetensors: ${m}`);
  for (const [name, t] of list) {
    if (typeof name !== 'string') throw fail(`tensor names must be strings, got ${typeof name}`);
    if (name === '__metadata__') throw fail(`'__metadata__' is reserved and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw fail(`'${name}' is not a Tensor`);
    if (t.isDisposed) throw fail(`tensor '${name}' has been disposed`);
    if (!TO_ST[t.dtype]) throw fail(`tensor '${name}' has dtype ${t.dtype}, which safetensors cannot hold`);
  }
  if (userMetadata !== undefined) {
    if (userMetadata === null || typeof userMetadata !== 'object' || Array.isArray(userMetadata)) throw fail('metadata must be an object of strings');
    for (const [k, v] of Object.entries(userMetadata))
      if (typeof v !== 'string') throw fail(`metadata values must be strings; '${k}' is ${typeof v}`);
  }
  // largest elements first (stable), so each tensor starts at a multiple of its element size
  const order = list.map((e, i) => [e, i] as const)
    .sort((a, b) => ITEM[TO_ST[b[0][1].dtype]] - ITEM[TO_ST[a[0][1].dtype]] || a[1] - b[1]).map(([e]) => e);
  // The hash goes in the header, which precedes the data: one extra read pass over the (zero-copy) tensor
  // bytes before anything is written. A caller's own value for the key is replaced: it would not match.
  const hash = createHash('sha256');
  for (const [, t] of order) if (t.numel() > 0) hash.update(tensorBytes(t, false));
  const metadata: Metadata = { ...(userMetadata ?? {}), [DATA_SHA256_KEY]: hash.digest('hex') };
  // Built by hand: JSON.stringify of an object would move integer-like names ("0", "1") to the front.
  const parts: string[] = [];
  parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const [name, t] of order) {
    const dtype = TO_ST[t.dtype];
    const nbytes = t.numel() * ITEM[dtype];
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: t.shape, data_offsets: [offset, offset + nbytes] })}`);
    offset += nbytes;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const n = Math.ceil(json.length / 8) * 8;
  const header = Buffer.alloc(8 + n, 0x20);
  header.writeBigUInt64LE(BigInt(n), 0);
  json.copy(header, 8);
  return { header, order };
}

function tensorBytes(t: Tensor, copy: boolean): Uint8Array {
  const a = copy ? t.dataSync() : t.data();
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (!BIG_ENDIAN || a.BYTES_PER_ELEMENT === 1) return b;
  const c = copy ? b : new Uint8Array(b);
  swapBytes(c, a.BYTES_PER_ELEMENT);
  return c;
}

function* chunks(l: Layout, copy: boolean): Generator<Uint8Array> {
  yield l.header;
  for (const [, t] of l.order) if (t.numel() > 0) yield tensorBytes(t, copy);
}

/** The file's bytes in memory. */
export function serializeSafetensors(tensors: TensorMap, metadata?: Metadata): Uint8Array {
  const parts = [...chunks(layout(tensors, metadata), true)];
  return Buffer.concat(parts);
}

/** Writes the tensors (any dtype, shape or strides) atomically: the old file stays intact until the rename. */
export function saveSafetensors(file: string, tensors: TensorMap, metadata?: Metadata): void {
  // Tensor bytes are zero-copy views, streamed as written: nothing runs in between, so they cannot change.
  writeFileAtomicSync(file, chunks(layout(tensors, metadata), false));
}

/**
 * Async form. The tensors are copied before it returns the promise (a consistent snapshot: training may go
 * on while the file is written).
 */
export async function saveSafetensorsAsync(file: string, tensors: TensorMap, metadata?: Metadata): Promise<void> {
  const parts = [...chunks(layout(tensors, metadata), true)];
  await writeFileAtomic(file, parts);
}

// ---- reading ------------------------------------------------------------------------------------------------

/** Checks the 8-byte prefix against the file size; returns the header length. */
function headerLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) throw bad(file, `only ${fileSize} bytes: too short for a safetensors file (truncated or empty?)`);
  const n = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw bad(file, `header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit: not a safetensors file, or corrupt`);
  if (8n + n > BigInt(fileSize))
    throw bad(file, `header length ${n} runs past the end of the ${fileSize}-byte file: truncated, or not a safetensors file`);
  if (n < 2n) throw bad(file, `header length ${n} is too small to hold a JSON header`);
  return Number(n);
}

/** Validates the JSON header against the size of the data section that follows it. */
// JSON.parse keeps the last of two equal keys without a word, so a header naming a tensor (or a metadata key)
// twice would load one of them silently. The header is valid JSON by the time this runs; it walks it once,
// keeping the keys of each open object.
function firstDuplicateKey(text: string): string | null {
  const stack: { keys: Set<string> | null; expectKey: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && top.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    } else if (ch === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (ch === '[') stack.push({ keys: null, expectKey: false });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top && top.keys) top.expectKey = true;
    }
  }
  return null;
}

export function parseHeader(json: Uint8Array, dataLength: number, file: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw bad(file, 'the header is not valid UTF-8: corrupt, or not a safetensors file');
  }
  if (!text.startsWith('{')) throw bad(file, `the header does not start with '{': corrupt, or not a safetensors file`);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw bad(file, `the header is not valid JSON (${(e as Error).message}): corrupt, or not a safetensors file`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw bad(file, 'the header is not a JSON object');
  const dup = firstDuplicateKey(text);
  if (dup !== null) throw bad(file, `the header names '${dup}' twice (a tensor or a __metadata__ key): ambiguous, refused`);
  const metadata: Metadata = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(obj as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) throw bad(file, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(file, `__metadata__ value '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) throw bad(file, `${where}: header entry is not an object`);
    const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
    if (!isSTDType(dtype)) {
      if (typeof dtype === 'string' && OTHER_ST.has(dtype))
        throw bad(file, `${where}: dtype ${dtype} is not supported by tensorfield (F32, F64, I32, I8, U8)`);
      throw bad(file, `${where}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(file, `${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1])
      throw bad(file, `${where}: data_offsets ${JSON.stringify(off)} is not a [begin, end] pair with 0 <= begin <= end`);
    let nbytes = ITEM[dtype];
    for (const d of shape as number[]) {
      nbytes *= d;
      if (!Number.isSafeInteger(nbytes)) throw bad(file, `${where}: shape [${shape}] is impossibly large`);
    }
    if (off[1] - off[0] !== nbytes)
      throw bad(file, `${where}: shape [${shape}] of ${dtype} needs ${nbytes} bytes but data_offsets [${off}] hold ${off[1] - off[0]}`);
    if (off[1] > dataLength)
      throw bad(file, `${where}: data_offsets [${off}] run past the end of the ${dataLength}-byte data section: truncated?`);
    entries.push({ name, dtype, shape: shape as number[], dataOffsets: [off[0], off[1]] });
  }
  // The tensors must tile the data section exactly: no gaps, no overlaps, nothing after the last.
  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0, prev = '';
  for (const e of entries) {
    const [b, end] = e.dataOffsets;
    if (b < cursor) throw bad(file, `tensor '${e.name}' (bytes ${b}..${end}) overlaps tensor '${prev}' (ending at ${cursor})`);
    if (b > cursor) throw bad(file, `gap in the data section: bytes ${cursor}..${b} before tensor '${e.name}' belong to no tensor`);
    cursor = end;
    prev = e.name;
  }
  if (cursor !== dataLength)
    throw bad(file, `${dataLength - cursor} bytes of trailing data after the last tensor (data section ${dataLength} bytes, tensors end at ${cursor})`);
  return { entries, metadata, headerLength: json.byteLength };
}

function allocFor(e: SafetensorsEntry): TypedArray {
  const n = e.shape.reduce((a, b) => a * b, 1);
  switch (e.dtype) {
    case 'F32': return new Float32Array(n);
    case 'F64': return new Float64Array(n);
    case 'I32': return new Int32Array(n);
    case 'I8': return new Int8Array(n);
    case 'U8': return new Uint8Array(n);
  }
}

function makeTensor(e: SafetensorsEntry, a: TypedArray): Tensor {
  if (BIG_ENDIAN && ITEM[e.dtype] > 1) swapBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), ITEM[e.dtype]);
  return tensor(a, { shape: e.shape, dtype: FROM_ST[e.dtype] });
}

function bytesOf(a: TypedArray): Uint8Array { return new Uint8Array(a.buffer, a.byteOffset, a.byteLength); }

function disposeAll(m: Map<string, Tensor>): void { for (const t of m.values()) t.dispose(); }

/**
 * Hashes the data section as it is read (in data order, which tiles it exactly: parseHeader checks that) and
 * compares with the stored hash at the end. A file without one is 'unverified'.
 */
class DataCheck {
  private readonly hash: Hash | null;
  private readonly expected: string | undefined;
  constructor(private readonly h: SafetensorsHeader, private readonly file: string) {
    this.expected = h.metadata[DATA_SHA256_KEY];
    if (this.expected !== undefined && !/^[0-9a-f]{64}$/.test(this.expected))
      throw bad(file, `__metadata__ '${DATA_SHA256_KEY}' is ${JSON.stringify(this.expected)}, not a hex SHA-256`);
    this.hash = this.expected === undefined ? null : createHash('sha256');
  }
  update(bytes: Uint8Array): void { this.hash?.update(bytes); }
  finish(): Pick<SafetensorsContents, 'integrity' | 'note'> {
    if (!this.hash) {
      return { integrity: 'unverified', note: `safetensors file '${this.file}' has no data hash ('${DATA_SHA256_KEY}': not written by tensorfield), so its data could not be verified` };
    }
    const got = this.hash.digest('hex');
    if (got !== this.expected)
      throw bad(this.file, `the data does not match its hash (${DATA_SHA256_KEY} ${this.expected!.slice(0, 12)}..., the data hashes to ${got.slice(0, 12)}...): the file is corrupt (changed on disk or in transfer); refused`);
    return { integrity: 'verified' };
  }
}

/** Parses a whole file held in memory. */
export function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): SafetensorsContents {
  const n = headerLength(bytes.subarray(0, 8), bytes.byteLength, name);
  const h = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n, name);
  const check = new DataCheck(h, name);
  check.update(bytes.subarray(8 + n));
  const integrity = check.finish();
  const tensors = new Map<string, Tensor>();
  try {
    for (const e of h.entries) {
      const a = allocFor(e);
      bytesOf(a).set(bytes.subarray(8 + n + e.dataOffsets[0], 8 + n + e.dataOffsets[1]));
      tensors.set(e.name, makeTensor(e, a));
    }
  } catch (err) {
    disposeAll(tensors);
    throw err;
  }
  return { tensors, metadata: h.metadata, ...integrity };
}

function readFullySync(fd: number, dst: Uint8Array, pos: number, file: string): void {
  let off = 0;
  while (off < dst.byteLength) {
    const got = fs.readSync(fd, dst, off, dst.byteLength - off, pos + off);
    if (got === 0) throw bad(file, `unexpected end of file at byte ${pos + off} (was it truncated while being read?)`);
    off += got;
  }
}

async function readFully(fh: fsp.FileHandle, dst: Uint8Array, pos: number, file: string): Promise<void> {
  let off = 0;
  while (off < dst.byteLength) {
    const { bytesRead } = await fh.read(dst, off, dst.byteLength - off, pos + off);
    if (bytesRead === 0) throw bad(file, `unexpected end of file at byte ${pos + off} (was it truncated while being read?)`);
    off += bytesRead;
  }
}

function readHeaderFd(fd: number, file: string): SafetensorsHeader {
  const size = fs.fstatSync(fd).size;
  const prefix = new Uint8Array(8);
  if (size >= 8) readFullySync(fd, prefix, 0, file);
  const n = headerLength(prefix, size, file);
  const json = new Uint8Array(n);
  readFullySync(fd, json, 8, file);
  return parseHeader(json, size - 8 - n, file);
}

// A file that cannot be opened (missing, a folder, no permission) is bad input too: TF_BAD_FILE with the reason,
// not the raw system error.
function cannotOpen(file: string, e: unknown): TensorfieldError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be opened (${(e as Error).message})`;
  return new TensorfieldError('TF_BAD_FILE', `safetensors file '${file}' ${why}`);
}
function openSyncChecked(file: string): number {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch (e) { throw cannotOpen(file, e); }
  if (fs.fstatSync(fd).isDirectory()) { fs.closeSync(fd); throw cannotOpen(file, { code: 'EISDIR' }); }  // Linux opens folders
  return fd;
}

/** The validated header alone (names, dtypes, shapes, offsets, metadata), without reading tensor data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openSyncChecked(file);
  try { return readHeaderFd(fd, file); } finally { fs.closeSync(fd); }
}

/** Reads a file written by tensorfield, Python's safetensors or anything else that follows the format. */
export function loadSafetensors(file: string): SafetensorsContents {
  const fd = openSyncChecked(file);
  const arrays: [SafetensorsEntry, TypedArray][] = [];
  let h: SafetensorsHeader;
  let integrity: Pick<SafetensorsContents, 'integrity' | 'note'>;
  try {
    h = readHeaderFd(fd, file);
    const check = new DataCheck(h, file);
    for (const e of h.entries) {
      const a = allocFor(e);
      readFullySync(fd, bytesOf(a), 8 + h.headerLength + e.dataOffsets[0], file);
      check.update(bytesOf(a));
      arrays.push([e, a]);
    }
    integrity = check.finish();
  } finally {
    fs.closeSync(fd);
  }
  // tensors are made only once everything is read and verified, so a failure leaves nothing to dispose
  return { tensors: new Map(arrays.map(([e, a]) => [e.name, makeTensor(e, a)])), metadata: h.metadata, ...integrity };
}

export async function loadSafetensorsAsync(file: string): Promise<SafetensorsContents> {
  const fh = await fsp.open(file, 'r').catch((e: unknown) => { throw cannotOpen(file, e); });
  if ((await fh.stat()).isDirectory()) { await fh.close(); throw cannotOpen(file, { code: 'EISDIR' }); }
  const arrays: [SafetensorsEntry, TypedArray][] = [];
  let h: SafetensorsHeader;
  let integrity: Pick<SafetensorsContents, 'integrity' | 'note'>;
  try {
    const size = (await fh.stat()).size;
    const prefix = new Uint8Array(8);
    if (size >= 8) await readFully(fh, prefix, 0, file);
    const n = headerLength(prefix, size, file);
    const json = new Uint8Array(n);
    await readFully(fh, json, 8, file);
    h = parseHeader(json, size - 8 - n, file);
    const check = new DataCheck(h, file);
    for (const e of h.entries) {
      const a = allocFor(e);
      await readFully(fh, bytesOf(a), 8 + n + e.dataOffsets[0], file);
      check.update(bytesOf(a));
      arrays.push([e, a]);
    }
    integrity = check.finish();
  } finally {
    await fh.close();
  }
  return { tensors: new Map(arrays.map(([e, a]) => [e.name, makeTensor(e, a)])), metadata: h.metadata, ...integrity };
}
