// Safetensors files and training checkpoints: exact round trips, the on-disk layout, rejection of damaged and
// foreign files, atomic replacement, RNG state, and bit-identical resumption of training.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor, io, nn, optim } from '../lib';
import { writeFaults, removeStaleTemps, tempPathFor } from '../lib/io/atomic';
import { spawnSync } from 'child_process';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-ckpt-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });
afterEach(() => { writeFaults.hook = null; });

const file = (name: string) => path.join(dir, name);
const bytes = (t: Tensor) => { const a = t.dataSync(); return Buffer.from(a.buffer, a.byteOffset, a.byteLength); };
const sameBits = (a: Tensor, b: Tensor) => a.dtype === b.dtype && String(a.shape) === String(b.shape) && bytes(a).equals(bytes(b));

function expectBad(fn: () => unknown, fragment: RegExp | string, fileName?: string): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  if (!err) throw new Error('expected TF_BAD_FILE, nothing was thrown');
  const e = err as Error & { code?: string };
  if (e.code !== 'TF_BAD_FILE') throw new Error(`expected TF_BAD_FILE, got ${e.code}: ${e.message}`);
  if (fileName !== undefined) expect(e.message).toContain(fileName);
  expect(e.message).toMatch(fragment);
}

/** A file from a header (object or raw JSON text) and a data section, with a correct length prefix. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0)): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function sample(): Map<string, Tensor> {
  return new Map<string, Tensor>([
    ['f32', tf.tensor(new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, -2.5e-39]), { shape: [2, 4] })],
    ['f64', tf.tensor(new Float64Array([Math.PI, -0, 5e-324, -Number.MAX_VALUE, NaN, 1 / 3]), { shape: [3, 1, 2] })],
    ['i32', tf.tensor(new Int32Array([-2147483648, 2147483647, 0, -1, 7]), { shape: [5] })],
    ['i8', tf.tensor(new Int8Array([-128, 127, 0, -1]), { shape: [2, 2] })],
    ['u8', tf.tensor(new Uint8Array([0, 255, 128]), { shape: [3] })],
    ['scalar', tf.tensor(new Float64Array([-7.25]), { shape: [] })],
    ['empty', tf.zeros([0])],
    ['empty3d', tf.zeros([2, 0, 3], { dtype: 'int32' })],
    ['ones4d', tf.tensor(new Uint8Array([9]), { shape: [1, 1, 1, 1] })],
    // non-contiguous: saved in logical (row-major) order
    ['transposed', tf.arange(6, undefined, 1, { dtype: 'float32' }).reshape([2, 3]).transpose(0, 1)],
    // integer-like and unicode names keep their order within a dtype
    ['10', tf.tensor(new Float32Array([10]))],
    ['2', tf.tensor(new Float32Array([2]))],
    ['böse "name"/x.y', tf.tensor(new Int8Array([3]))],
  ]);
}

function expectSameMap(got: Map<string, Tensor>, want: Map<string, Tensor>): void {
  expect(new Set(got.keys())).toEqual(new Set(want.keys()));
  for (const [k, t] of want) {
    const g = got.get(k)!;
    expect([k, g.dtype, g.shape]).toEqual([k, t.dtype, t.shape]);
    if (!sameBits(g, t)) throw new Error(`tensor '${k}' differs: ${Array.from(g.dataSync() as ArrayLike<number>)} vs ${Array.from(t.dataSync() as ArrayLike<number>)}`);
  }
}

describe('RNG state', () => {
  const draw = () => [tf.rand([5]), tf.randn([3], { dtype: 'float64' }), tf.randint(0, 1000, [4]),
    tf.bernoulli(tf.full([6], 0.5)), tf.multinomial(tf.ones([5]), 2)].map((t) => Array.from(t.dataSync() as ArrayLike<number>));

  test('restoring the state repeats every generator exactly', () => {
    tf.manualSeed(123);
    tf.rand([7]);
    const s = tf.getRngState();
    expect(s.seed).toMatch(/^[0-9a-f]{16}$/);
    expect(s.calls).toBe('0000000000000001');
    const a = draw();
    tf.manualSeed(999);  // anything in between
    tf.randn([3]);
    tf.setRngState(s);
    expect(draw()).toEqual(a);
    expect(tf.getRngState().calls).toBe('0000000000000006');
    // a JSON round trip (how checkpoints carry it)
    tf.setRngState(JSON.parse(JSON.stringify(s)));
    expect(draw()).toEqual(a);
  });

  test('64-bit values survive, including call counts past 2^32', () => {
    const st = { seed: 'fedcba9876543210', calls: '00000001fffffffe' };
    tf.setRngState(st);
    expect(tf.getRngState()).toEqual(st);
    const a = [tf.rand([3]), tf.rand([3]), tf.rand([3])].map((t) => Array.from(t.dataSync() as ArrayLike<number>));
    expect(tf.getRngState().calls).toBe('0000000200000001');
    tf.setRngState(st);
    const b = [tf.rand([3]), tf.rand([3]), tf.rand([3])].map((t) => Array.from(t.dataSync() as ArrayLike<number>));
    expect(b).toEqual(a);
    expect(a[1]).not.toEqual(a[2]);  // the call crossing 2^32 switches key, not a repeat
  });

  test('bad states are rejected', () => {
    for (const bad of [{ seed: '12g', calls: '0' }, { seed: '1', calls: '' }, { seed: '1', calls: '11111111111111111' },
      { seed: 1, calls: '0' }, null, {}])
      expect(() => tf.setRngState(bad as unknown as tf.RngState)).toThrow(expect.objectContaining({ code: 'TF_INVALID_ARGUMENT' }));
  });
});

describe('safetensors round trips', () => {
  test('every dtype, special values, 0-d, empty and non-contiguous tensors, metadata (sync and async)', async () => {
    const t = sample();
    const md = { note: 'hé', empty: '', '0': 'zero' };
    io.saveSafetensors(file('a.safetensors'), t, md);
    const back = io.loadSafetensors(file('a.safetensors'));
    expectSameMap(back.tensors, t);
    // the writer adds the data section's hash; the loader checks it
    expect(back.metadata).toEqual({ ...md, [io.DATA_SHA256_KEY]: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(back.integrity).toBe('verified');
    await io.saveSafetensorsAsync(file('b.safetensors'), t, md);
    expect(fs.readFileSync(file('b.safetensors')).equals(fs.readFileSync(file('a.safetensors')))).toBe(true);
    const back2 = await io.loadSafetensorsAsync(file('b.safetensors'));
    expectSameMap(back2.tensors, t);
    expect(back2.metadata).toEqual(back.metadata);
    // in memory: the same bytes
    const mem = io.serializeSafetensors(t, md);
    expect(Buffer.from(mem).equals(fs.readFileSync(file('a.safetensors')))).toBe(true);
    expectSameMap(io.parseSafetensors(mem).tensors, t);
    // the loaded tensors are independent of the file
    expect(back.tensors.get('scalar')!.item()).toBe(-7.25);
    // a plain object works too (JS orders its integer-like keys first)
    const obj = { b: tf.ones([2]), a: tf.zeros([1], { dtype: 'uint8' }) };
    io.saveSafetensors(file('obj.safetensors'), obj);
    expectSameMap(io.loadSafetensors(file('obj.safetensors')).tensors, new Map(Object.entries(obj)));
  });

  test('no metadata, no tensors', () => {
    io.saveSafetensors(file('none.safetensors'), new Map());
    const r = io.loadSafetensors(file('none.safetensors'));
    expect(r.tensors.size).toBe(0);
    // the hash of the empty data section: e3b0c442...
    expect(r.metadata).toEqual({ [io.DATA_SHA256_KEY]: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
  });

  test('the writer refuses what the format cannot hold', () => {
    expect(() => io.saveSafetensors(file('x'), { __metadata__: tf.zeros([1]) })).toThrow(/reserved/);
    expect(() => io.saveSafetensors(file('x'), { a: tf.zeros([1]) }, { k: 3 as unknown as string })).toThrow(/strings/);
    const d = tf.zeros([1]);
    d.dispose();
    expect(() => io.saveSafetensors(file('x'), { a: d })).toThrow(/disposed/);
    expect(fs.existsSync(file('x'))).toBe(false);
  });
});

describe('on-disk layout', () => {
  test('length prefix, space padding to 8 bytes, metadata first, tensors tiled by element size, data little-endian', () => {
    const t = sample();
    io.saveSafetensors(file('layout.safetensors'), t, { a: 'b' });
    const buf = fs.readFileSync(file('layout.safetensors'));
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const text = buf.subarray(8, 8 + n).toString('utf8');
    const json = text.trimEnd();
    expect(text.slice(json.length)).toMatch(/^ *$/);
    expect(text.length - json.length).toBeLessThan(8);
    expect(json.startsWith('{"__metadata__":{"a":"b","tensorfield.data_sha256":"')).toBe(true);
    const header = JSON.parse(json);
    // key order in the text is the layout order
    const order = [...json.matchAll(/"((?:[^"\\]|\\.)*)":\{"dtype"/g)].map((m) => JSON.parse(`"${m[1]}"`));
    // largest element size first, the given order within a size
    expect(order).toEqual(['f64', 'scalar', 'f32', 'i32', 'empty', 'empty3d', 'transposed', '10', '2', 'i8', 'u8', 'ones4d', 'böse "name"/x.y']);
    let cursor = 0;
    const item: Record<string, number> = { F64: 8, F32: 4, I32: 4, I8: 1, U8: 1 };
    for (const name of order) {
      const e = header[name];
      const src = t.get(name)!;
      expect(e.shape).toEqual(src.shape);
      expect(e.dtype).toBe({ float32: 'F32', float64: 'F64', int32: 'I32', int8: 'I8', uint8: 'U8' }[src.dtype]);
      expect(e.data_offsets[0]).toBe(cursor);
      cursor = e.data_offsets[1];
      expect(cursor - e.data_offsets[0]).toBe(src.numel() * item[e.dtype]);
      expect((8 + n + e.data_offsets[0]) % item[e.dtype]).toBe(0);  // naturally aligned in the file
      // raw little-endian bytes in row-major order
      const raw = buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
      expect(Buffer.from(raw).equals(bytes(src))).toBe(true);
    }
    expect(buf.length).toBe(8 + n + cursor);
    expect(Array.from(buf.subarray(8 + n + header.transposed.data_offsets[0], 8 + n + header.transposed.data_offsets[1])))
      .toEqual(Array.from(new Uint8Array(new Float32Array([0, 3, 1, 4, 2, 5]).buffer)));
    const h = io.readSafetensorsHeader(file('layout.safetensors'));
    expect(h.headerLength).toBe(n);
    expect(h.entries.map((e) => e.name)).toEqual(order);
  });

  test('files from other writers: no padding, keys in any order, no metadata', () => {
    const data = Buffer.concat([Buffer.from(new Int8Array([1, 2, 3]).buffer), Buffer.from(new Float32Array([0.5]).buffer)]);
    fs.writeFileSync(file('other.safetensors'), craft({ w: { dtype: 'F32', shape: [], data_offsets: [3, 7] }, b: { dtype: 'I8', shape: [3], data_offsets: [0, 3] } }, data));
    const r = io.loadSafetensors(file('other.safetensors'));
    expect([...r.tensors.keys()]).toEqual(['b', 'w']);  // file order
    expect(Array.from(r.tensors.get('b')!.dataSync())).toEqual([1, 2, 3]);
    expect(r.tensors.get('w')!.item()).toBe(0.5);
    expect(r.tensors.get('w')!.shape).toEqual([]);
  });
});

describe('damaged and foreign files are TF_BAD_FILE', () => {
  const write = (name: string, b: Uint8Array) => { fs.writeFileSync(file(name), b); return file(name); };
  const good = () => { io.saveSafetensors(file('good.safetensors'), sample(), { k: 'v' }); return fs.readFileSync(file('good.safetensors')); };
  const f32 = (n: number) => new Uint8Array(4 * n);

  test('a header naming a tensor or a metadata key twice is refused, not resolved silently', () => {
    const file8 = (header: string, data: number) => {
      const h = Buffer.from(header, 'utf8'), b = Buffer.alloc(8 + h.length + data);
      b.writeBigUInt64LE(BigInt(h.length), 0);
      h.copy(b, 8);
      return new Uint8Array(b);
    };
    const t = (o: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${o},${o + 4}]}`;
    expectBad(() => io.parseSafetensors(file8(`{"a":${t(0)},"a":${t(4)}}`, 8), 'dup'), /names 'a' twice/, 'dup');
    expectBad(() => io.parseSafetensors(file8(`{"__metadata__":{"k":"1","k":"2"},"a":${t(0)}}`, 4), 'dupmeta'), /names 'k' twice/, 'dupmeta');
    expectBad(() => io.parseSafetensors(file8(`{"__metadata__":{"k":"1"},"__metadata__":{"j":"2"},"a":${t(0)}}`, 4), 'dup2'), /names '__metadata__' twice/, 'dup2');
    // the same name in different objects, escaped quotes and commas inside strings are not duplicates
    const ok = io.parseSafetensors(file8(`{"__metadata__":{"a":"x\\",\\"a","b":"{,}"},"a":${t(0)}}`, 4), 'ok');
    expect([...ok.tensors.keys()]).toEqual(['a']);
    expect(ok.metadata).toEqual({ a: 'x","a', b: '{,}' });
  });

  test('every truncation of a valid file (sync and async)', async () => {
    const buf = good();
    const n = Number(buf.readBigUInt64LE(0));
    for (let len = 0; len < buf.length; len++) expectBad(() => io.parseSafetensors(buf.subarray(0, len), 'cut'), /./, 'cut');
    for (const len of [0, 7, 8, 9, 8 + n, buf.length - 1]) {
      const p = write('trunc.safetensors', buf.subarray(0, len));
      expectBad(() => io.loadSafetensors(p), /./, p);
    }
    const p = write('trunc.safetensors', buf.subarray(0, buf.length - 1));
    expectBad(() => io.loadSafetensors(p), /data_offsets \[\d+,\d+\] run past the end of the \d+-byte data section: truncated/);
    write('trunc.safetensors', buf.subarray(0, 3));
    expectBad(() => io.loadSafetensors(p), /too short/);
    write('trunc.safetensors', buf.subarray(0, 8 + n - 1));
    expectBad(() => io.loadSafetensors(p), /runs past the end of the \d+-byte file/);
    await expect(io.loadSafetensorsAsync(p)).rejects.toMatchObject({ code: 'TF_BAD_FILE' });
    write('trunc.safetensors', new Uint8Array(0));
    expectBad(() => io.loadSafetensors(p), /only 0 bytes/);
    await expect(io.loadSafetensorsAsync(p)).rejects.toMatchObject({ code: 'TF_BAD_FILE' });
  });

  test('trailing bytes after the last tensor', () => {
    const buf = good();
    expectBad(() => io.loadSafetensors(write('tail.safetensors', Buffer.concat([buf, Buffer.from([0])]))), /1 bytes of trailing data/);
  });

  test('flipped header bytes: specific damage is caught, no flip anywhere gives anything but TF_BAD_FILE or a valid load', () => {
    const buf = good();
    const n = Number(buf.readBigUInt64LE(0));
    const flip = (i: number, x = 0x01) => { const c = Buffer.from(buf); c[i] ^= x; return c; };
    const p = file('flip.safetensors');
    fs.writeFileSync(p, flip(8));  // '{' -> 'z'
    expectBad(() => io.loadSafetensors(p), /does not start with '\{'/);
    fs.writeFileSync(p, flip(9, 0x80));  // breaks UTF-8 / JSON
    expectBad(() => io.loadSafetensors(p), /UTF-8|JSON/);
    fs.writeFileSync(p, flip(8 + n - 1));  // padding ' ' -> '!': text after the JSON
    expectBad(() => io.loadSafetensors(p), /not valid JSON/);
    fs.writeFileSync(p, flip(7, 0x10));  // the length's top byte
    expectBad(() => io.loadSafetensors(p), /over the 100000000-byte limit/);
    fs.writeFileSync(p, flip(0, 0x02));  // length off by 2: JSON cut or extended
    expectBad(() => io.loadSafetensors(p), /./);
    let valid = 0, rejected = 0;
    for (let i = 0; i < 8 + n; i++) {
      for (const x of [0x01, 0x20, 0x80]) {
        try {
          const r = io.parseSafetensors(flip(i, x), p);
          for (const t of r.tensors.values()) t.dispose();
          valid++;  // e.g. a changed letter in a name or a metadata value
        } catch (e) {
          if ((e as { code?: string }).code !== 'TF_BAD_FILE') throw new Error(`byte ${i} ^ ${x}: ${(e as Error).message}`);
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(valid);
  });

  test('foreign files', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0]);
    expectBad(() => io.loadSafetensors(write('img.png', png)), /over the 100000000-byte limit|runs past the end/, 'img.png');
    let seed = 12345;
    const rnd = Buffer.alloc(4096).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    expectBad(() => io.loadSafetensors(write('random.bin', rnd)), /./, 'random.bin');
    expectBad(() => io.loadSafetensors(write('zip.zip', Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a zip file', 'latin1'))), /./);
    expectBad(() => io.loadSafetensors(write('text.txt', Buffer.from('hello world, this is a text file\n'))), /./);
    // a PyTorch pickle zip / JSON / empty header
    expectBad(() => io.loadSafetensors(write('arr.st', craft('[1, 2, 3]'))), /does not start with '\{'/);
    expectBad(() => io.loadSafetensors(write('null.st', craft('null'))), /does not start/);
    expectBad(() => io.loadSafetensors(write('tiny.st', craft('{'))), /too small/);
  });

  test('header length larger than the file, or absurd', () => {
    const b = craft({});
    b.writeBigUInt64LE(BigInt(b.length), 0);
    expectBad(() => io.loadSafetensors(write('long.st', b)), /header length 10 runs past the end of the 10-byte file/);
    b.writeBigUInt64LE(2n ** 64n - 1n, 0);
    expectBad(() => io.loadSafetensors(write('huge.st', b)), /18446744073709551615 is over/);
  });

  test('bad JSON, dtypes, shapes and offsets', () => {
    const cases: [unknown, Uint8Array, RegExp][] = [
      ['{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}', f32(1), /not valid JSON/],
      ['{"a": 1,}', f32(0), /not valid JSON/],
      [{ a: [1, 2] }, f32(0), /tensor 'a': header entry is not an object/],
      [{ a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2), /dtype F16 is not supported/],
      [{ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, f32(1), /unknown dtype "Q7"/],
      [{ a: { shape: [1], data_offsets: [0, 4] } }, f32(1), /unknown dtype undefined/],
      [{ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1), /shape \[-1\] is not a list of non-negative integers/],
      [{ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1), /not a list of non-negative integers/],
      [{ a: { dtype: 'F32', shape: '4', data_offsets: [0, 4] } }, f32(1), /not a list/],
      [{ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, f32(1), /impossibly large/],
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1), /needs 8 bytes but data_offsets \[0,4\] hold 4/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1), /0 <= begin <= end/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1), /not a \[begin, end\] pair/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1), /\[4,8\] run past the end of the 4-byte data section/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [1e300, 1e300 + 4] } }, f32(1), /not a \[begin, end\] pair/],
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2),
        /tensor 'b' \(bytes 4..8\) overlaps tensor 'a'/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2),
        /overlaps/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2), /gap in the data section: bytes 0..4/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2), /4 bytes of trailing data/],
      [{ __metadata__: { k: 1 }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1), /__metadata__ value 'k' is not a string/],
      [{ __metadata__: ['x'] }, f32(0), /__metadata__ is not an object/],
    ];
    for (const [header, data, msg] of cases) {
      const p = write('case.st', craft(header, data));
      try {
        expectBad(() => io.loadSafetensors(p), msg, p);
        expectBad(() => io.parseSafetensors(craft(header, data), 'mem'), msg, 'mem');
      } catch (e) {
        throw new Error(`${JSON.stringify(header)}: ${(e as Error).message}`);
      }
    }
  });
});

describe('atomic replacement', () => {
  test('stale temporary files of dead writers are removed when a run opens its folder; a live writer\'s are kept', () => {
    const d = fs.mkdtempSync(path.join(dir, 'stale-'));
    const target = path.join(d, 'checkpoint.safetensors');
    fs.writeFileSync(target, 'intact');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);  // exited: its pid names no process now (reuse within the test is not expected)
    const stale = `${target}.tmp-${deadPid}-0123456789ab`, live = tempPathFor(target), other = path.join(d, 'notes.tmp-1-x');
    for (const f of [stale, live, other]) fs.writeFileSync(f, 'partial');
    expect(removeStaleTemps(d)).toEqual([stale]);
    expect([fs.existsSync(stale), fs.existsSync(live), fs.existsSync(other), fs.readFileSync(target, 'utf8')]).toEqual([false, true, true, 'intact']);
    expect(removeStaleTemps(path.join(d, 'missing'))).toEqual([]);
  });

  const tmpLeft = () => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));
  const big = () => new Map([['a', tf.rand([1000])], ['b', tf.rand([1000], { dtype: 'float64' })]]);

  test('a failure mid-write leaves the previous file intact and no temporary file (sync and async)', async () => {
    const target = file('atomic.safetensors');
    io.saveSafetensors(target, { old: tf.ones([3]) }, { gen: '1' });
    const before = fs.readFileSync(target);
    for (const stage of ['write', 'rename'] as const) {
      for (const save of [io.saveSafetensors, io.saveSafetensorsAsync]) {
        let seen = 0;
        writeFaults.hook = (s, written) => {
          if (s !== stage || (stage === 'write' && written < 100)) return;
          // the moment of the "crash": the new bytes are only in the temporary file, the target is untouched
          const tmps = tmpLeft();
          expect(tmps).toHaveLength(1);
          expect(tmps[0].startsWith(`atomic.safetensors.tmp-${process.pid}-`)).toBe(true);
          expect(fs.statSync(path.join(dir, tmps[0])).size).toBe(written);
          expect(fs.readFileSync(target).equals(before)).toBe(true);
          seen++;
          throw new Error('injected failure');
        };
        await expect(Promise.resolve().then(() => save(target, big(), { gen: '2' }))).rejects.toThrow('injected failure');
        writeFaults.hook = null;
        expect(seen).toBe(1);
        expect(fs.readFileSync(target).equals(before)).toBe(true);
        expect(tmpLeft()).toEqual([]);
        expectSameMap(io.loadSafetensors(target).tensors, new Map([['old', tf.ones([3])]]));
      }
    }
  });

  test('failures of the filesystem itself clean up too', async () => {
    // the rename fails: the target is a directory
    fs.mkdirSync(file('adir'));
    fs.writeFileSync(file('adir/keep'), 'x');
    expect(() => io.saveSafetensors(file('adir'), big())).toThrow();
    await expect(io.saveSafetensorsAsync(file('adir'), big())).rejects.toThrow();
    expect(tmpLeft()).toEqual([]);
    // the temporary file cannot be created: no such directory
    expect(() => io.saveSafetensors(file('missing/x.safetensors'), big())).toThrow(/ENOENT/);
    expect(tmpLeft()).toEqual([]);
  });

  test('a save replaces the previous file completely', () => {
    const target = file('replace.safetensors');
    io.saveSafetensors(target, big());
    io.saveSafetensors(target, { small: tf.zeros([1]) });
    expect([...io.loadSafetensors(target).tensors.keys()]).toEqual(['small']);
    expect(tmpLeft()).toEqual([]);
  });
});

// ---- training checkpoints ----------------------------------------------------------------------------------

function makeModel(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(4, 16), new nn.Activation('silu'), new nn.Dropout(0.1), new nn.Linear(16, 16),
    new nn.LayerNorm(16), new nn.Activation('silu'), new nn.Linear(16, 1));
}

interface Run { model: nn.Sequential; opt: optim.Adam; ema: optim.EMA; sched: optim.LRScheduler }
function makeRun(): Run {
  const model = makeModel();
  const opt = new optim.Adam(model.parameters(), { lr: 3e-3, weightDecay: 1e-4 });
  const ema = new optim.EMA(model, { gamma: 6.94 });
  const sched = new optim.LRScheduler(opt, optim.warmupCosine(3, 20));
  return { model, opt, ema, sched };
}

/** One step: data drawn from the engine's RNG, dropout active; returns the loss. */
function trainStep(r: Run, step: number): number {
  return tf.tidy(() => {
    r.sched.apply(step);
    const x = tf.randn([32, 4]);
    const noise = tf.randn([32, 1]).mul(0.05);
    const y = x.narrow(1, 0, 1).mul(x.narrow(1, 1, 1)).sin().add(x.narrow(1, 2, 2).sum(1, true).mul(0.3)).add(noise);
    r.opt.zeroGrad();
    const loss = r.model.forward(x).sub(y).square().mean();
    loss.backward();
    optim.clipGradNorm(r.model.parameters(), 1.0);
    r.opt.step();
    r.ema.update();
    return loss.item();
  });
}

describe('checkpoints', () => {
  test('resuming from a checkpoint is bit-identical to an uninterrupted run', async () => {
    const N = 14, K = 6;
    // uninterrupted, checkpointing at step K (sync) and K + 3 (async)
    tf.manualSeed(2024);
    const a = makeRun();
    const lossA: number[] = [];
    for (let s = 0; s < N; s++) {
      if (s === K) io.saveCheckpoint(file('run.ckpt'), { model: a.model, ema: a.ema, optimizer: a.opt, step: s, extra: { epoch: 1, note: 'k' } });
      if (s === K + 3) await io.saveCheckpointAsync(file('run-async.ckpt'), { model: a.model, ema: a.ema, optimizer: a.opt, step: s });
      lossA.push(trainStep(a, s));
    }
    const rngA = tf.getRngState();

    for (const [ckpt, loadFn] of [['run.ckpt', io.loadCheckpoint], ['run-async.ckpt', io.loadCheckpointAsync]] as const) {
      // a fresh process-like start: different seed, so the fresh weights differ until the load
      tf.manualSeed(7);
      const b = makeRun();
      tf.rand([100]);
      const got = await loadFn(file(ckpt), { model: b.model, ema: b.ema, optimizer: b.opt });
      const start = got.step;
      expect(start).toBe(ckpt === 'run.ckpt' ? K : K + 3);
      if (ckpt === 'run.ckpt') expect(got.extra).toEqual({ epoch: 1, note: 'k' });
      else expect(got.extra).toBeUndefined();
      expect(b.opt.stepCount).toBe(start);
      expect(b.ema.steps).toBe(start);
      const lossB: number[] = [];
      for (let s = start; s < N; s++) lossB.push(trainStep(b, s));
      for (let i = 0; i < lossB.length; i++) expect(Object.is(lossB[i], lossA[start + i])).toBe(true);
      for (const [k, t] of a.model.stateDict()) if (!sameBits(b.model.stateDict().get(k)!, t)) throw new Error(`model ${k} differs`);
      for (const [k, t] of a.ema.shadow) if (!sameBits(b.ema.shadow.get(k)!, t)) throw new Error(`ema ${k} differs`);
      const oa = a.opt.stateDict(), ob = b.opt.stateDict();
      expect(ob.stepCount).toBe(oa.stepCount);
      expect([...ob.tensors.keys()]).toEqual([...oa.tensors.keys()]);
      for (const [k, t] of oa.tensors) if (!sameBits(ob.tensors.get(k)!, t)) throw new Error(`optimizer ${k} differs`);
      expect(tf.getRngState()).toEqual(rngA);
      b.model.dispose();
    }
  });

  test('a state with NaN or infinite weights is never written; the earlier checkpoint stays (TF_NON_FINITE)', async () => {
    tf.manualSeed(3);
    const r = makeRun();
    trainStep(r, 0);
    const f = file('poison.ckpt');
    io.saveCheckpoint(f, { model: r.model, ema: r.ema, optimizer: r.opt, step: 1 });
    const good = fs.readFileSync(f);
    const [name, p] = [...r.model.namedParameters()][0];
    const saved = Array.from(p.data());
    (p.data() as Float32Array)[0] = NaN;
    expect(() => io.saveCheckpoint(f, { model: r.model, ema: r.ema, optimizer: r.opt, step: 2 }))
      .toThrow(expect.objectContaining({ code: 'TF_NON_FINITE', message: expect.stringContaining(`model.${name}`) }));
    await expect(io.saveCheckpointAsync(f, { model: r.model, step: 2 })).rejects.toMatchObject({ code: 'TF_NON_FINITE' });
    (p.data() as Float32Array)[0] = Infinity;
    expect(() => io.saveCheckpoint(f, { model: r.model, step: 2 })).toThrow(expect.objectContaining({ code: 'TF_NON_FINITE' }));
    expect(fs.readFileSync(f).equals(good)).toBe(true);
    (p.data() as Float32Array).set(saved);
    // an optimizer slot or an EMA shadow poisoned is refused too
    const [, m] = [...r.opt.stateDict().tensors][0];
    (m.data() as Float32Array)[0] = NaN;
    expect(() => io.saveCheckpoint(f, { model: r.model, optimizer: r.opt, step: 2 })).toThrow(expect.objectContaining({ code: 'TF_NON_FINITE' }));
    expect(fs.readFileSync(f).equals(good)).toBe(true);
  });

  test('integrity check of the data section: 3 flipped bits in a saved checkpoint make the load refuse it', async () => {
    tf.manualSeed(4);
    const r = makeRun();
    trainStep(r, 0);
    const f = file('flip.ckpt');
    io.saveCheckpoint(f, { model: r.model, ema: r.ema, optimizer: r.opt, step: 1 });
    const good = fs.readFileSync(f);
    const n = Number(good.readBigUInt64LE(0));
    const md = JSON.parse(good.subarray(8, 8 + n).toString('utf8')).__metadata__;
    // the hash stored is the SHA-256 of the bytes after the header
    const { createHash } = await import('crypto');
    expect(md[io.DATA_SHA256_KEY]).toBe(createHash('sha256').update(good.subarray(8 + n)).digest('hex'));
    expect(io.loadCheckpoint(f, { model: r.model }).integrity).toBe('verified');
    // three single-bit flips spread over the data section (low mantissa bits: the values stay finite and plausible)
    const bad = Buffer.from(good);
    const data = good.length - 8 - n;
    for (const at of [0.1, 0.5, 0.9]) bad[8 + n + Math.floor(data * at / 4) * 4] ^= 1 << (1 + Math.floor(at * 3));
    expect(bad.equals(good)).toBe(false);
    fs.writeFileSync(f, bad);
    const before = r.model.parameters().map((p) => Buffer.from(bytes(p)));
    const refused = expect.objectContaining({ code: 'TF_BAD_FILE', message: expect.stringMatching(/flip\.ckpt'.*the data does not match its hash/) });
    expect(() => io.loadCheckpoint(f, { model: r.model, ema: r.ema, optimizer: r.opt })).toThrow(refused);
    await expect(io.loadCheckpointAsync(f, { model: r.model })).rejects.toThrow(refused);
    expect(() => io.loadSafetensors(f)).toThrow(refused);
    expect(() => io.parseSafetensors(bad, 'flip.ckpt\'')).toThrow(refused);
    // nothing was loaded
    r.model.parameters().forEach((p, i) => expect(bytes(p).equals(before[i])).toBe(true));
  });

  test('integrity check of the data section: a file without the hash (another writer) loads, with a note', () => {
    const x = tf.tensor(new Float32Array([1, 2, 3]));
    const data = Buffer.from(bytes(x));
    fs.writeFileSync(file('nohash.safetensors'), craft({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, data));
    const r = io.loadSafetensors(file('nohash.safetensors'));
    expect(Array.from(r.tensors.get('x')!.dataSync())).toEqual([1, 2, 3]);
    expect(r.integrity).toBe('unverified');
    expect(r.note).toMatch(/nohash\.safetensors' has no data hash .*could not be verified/);
    // a hash that is not a SHA-256 is damage, not absence
    fs.writeFileSync(file('badhash.safetensors'), craft({ __metadata__: { [io.DATA_SHA256_KEY]: 'xyz' }, x: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, data));
    expectBad(() => io.loadSafetensors(file('badhash.safetensors')), /not a hex SHA-256/);
  });

  test('file contents: prefixed names and metadata', () => {
    tf.manualSeed(1);
    const r = makeRun();
    trainStep(r, 0);
    const rng = tf.getRngState();
    io.saveCheckpoint(file('c.ckpt'), { model: r.model, ema: r.ema, optimizer: r.opt, step: 1 });
    const { tensors, metadata } = io.loadSafetensors(file('c.ckpt'));
    const names = [...tensors.keys()];
    expect(names.filter((n) => n.startsWith('model.')).sort()).toEqual([...r.model.stateDict().keys()].map((k) => `model.${k}`).sort());
    expect(names.filter((n) => n.startsWith('ema.')).sort()).toEqual([...r.ema.shadow.keys()].map((k) => `ema.${k}`).sort());
    expect(names.filter((n) => n.startsWith('optim.')).sort()).toEqual([...r.opt.stateDict().tensors.keys()].map((k) => `optim.${k}`).sort());
    expect(names).toContain('model.0.weight');
    expect(names).toContain('optim.0.0.m');
    expect(metadata['tensorfield.format']).toBe('checkpoint');
    expect(metadata['tensorfield.format_version']).toBe('1');
    expect(metadata['tensorfield.step']).toBe('1');
    expect(JSON.parse(metadata['tensorfield.parts'])).toEqual(['model', 'ema', 'optim']);
    expect(JSON.parse(metadata['tensorfield.rng'])).toEqual({ generator: 'philox4x32-10', ...rng });
    expect(metadata['tensorfield.optim.class']).toBe('Adam');
    expect(metadata['tensorfield.optim.step_count']).toBe('1');
    expect(JSON.parse(metadata['tensorfield.optim.groups'])[0]).toMatchObject({ numParams: r.model.parameters().length, eps: 1e-8 });
    expect(metadata['tensorfield.ema.steps']).toBe('1');
    expect(JSON.parse(metadata['tensorfield.ema.options'])).toEqual({ gamma: 6.94 });
    for (const t of tensors.values()) t.dispose();
    // loading frees everything it read, also when it fails
    const other = new nn.Linear(4, 2);
    const live = tf.memory().tensors;
    io.loadCheckpoint(file('c.ckpt'), { model: r.model, ema: r.ema, optimizer: r.opt });
    expect(() => io.loadCheckpoint(file('c.ckpt'), { model: other })).toThrow(expect.objectContaining({ code: 'TF_STATE_DICT' }));
    expect(tf.memory().tensors).toBe(live);
  });

  test('clear errors: not a checkpoint, newer version, missing parts, mismatched targets; failed loads change nothing', () => {
    tf.manualSeed(3);
    const r = makeRun();
    io.saveCheckpoint(file('m.ckpt'), { model: r.model, step: 0 });  // model only
    const code = (fn: () => unknown, c: string, re: RegExp) => {
      let err: (Error & { code?: string }) | undefined;
      try { fn(); } catch (e) { err = e as Error & { code?: string }; }
      expect(err).toBeDefined();
      expect(`${err!.code}: ${err!.message}`).toMatch(new RegExp(`^${c}: .*${re.source}`));
    };
    const snapshot = () => [...r.model.stateDict().values()].map((t) => bytes(t));
    const before = snapshot();
    code(() => io.loadCheckpoint(file('m.ckpt'), { model: r.model, ema: r.ema }), 'TF_CHECKPOINT', /m\.ckpt.*has no EMA state \(it holds: model\)/);
    code(() => io.loadCheckpoint(file('m.ckpt'), { model: r.model, optimizer: r.opt }), 'TF_CHECKPOINT', /has no optimizer state/);
    io.saveSafetensors(file('plain.st'), { w: tf.zeros([1]) });
    code(() => io.loadCheckpoint(file('plain.st'), { model: r.model }), 'TF_CHECKPOINT', /not a tensorfield checkpoint/);
    const { tensors, metadata } = io.loadSafetensors(file('m.ckpt'));
    io.saveSafetensors(file('v2.ckpt'), tensors, { ...metadata, 'tensorfield.format_version': '2' });
    code(() => io.loadCheckpoint(file('v2.ckpt'), { model: r.model }), 'TF_CHECKPOINT', /format version 2 was written by a newer tensorfield/);
    io.saveSafetensors(file('nostep.ckpt'), tensors, { ...metadata, 'tensorfield.step': '-1' });
    code(() => io.loadCheckpoint(file('nostep.ckpt'), { model: r.model }), 'TF_CHECKPOINT', /'tensorfield.step' is "-1"/);
    fs.writeFileSync(file('broken.ckpt'), fs.readFileSync(file('m.ckpt')).subarray(0, 100));
    code(() => io.loadCheckpoint(file('broken.ckpt'), { model: r.model }), 'TF_BAD_FILE', /broken\.ckpt/);
    // another architecture: every problem named at once
    const other = new nn.Sequential(new nn.Linear(4, 8), new nn.Activation('silu'), new nn.Linear(8, 1));
    code(() => io.loadCheckpoint(file('m.ckpt'), { model: other }), 'TF_STATE_DICT',
      /model state does not match: .*not in the model: .*4\.weight.*0\.weight: checkpoint has shape \[16,4\], model \[8,4\]/);
    // a dtype mismatch is an error, not a silent conversion
    const { tensors: t2, metadata: m2 } = io.loadSafetensors(file('m.ckpt'));
    t2.set('model.0.bias', t2.get('model.0.bias')!.to('float64'));
    io.saveSafetensors(file('f64.ckpt'), t2, m2);
    code(() => io.loadCheckpoint(file('f64.ckpt'), { model: r.model }), 'TF_STATE_DICT', /0\.bias: checkpoint has dtype float64, model float32/);
    // optimizer of another kind
    trainStep(r, 0);
    io.saveCheckpoint(file('full.ckpt'), { model: r.model, ema: r.ema, optimizer: r.opt, step: 1 });
    const after = snapshot();
    const sgd = new optim.SGD(r.model.parameters(), { lr: 0.1, momentum: 0.9 });
    code(() => io.loadCheckpoint(file('full.ckpt'), { model: r.model, optimizer: sgd }), 'TF_STATE_DICT', /optimizer state is for Adam, not SGD/);
    const twoGroups = new optim.Adam([{ params: r.model.parameters().slice(0, 2), lr: 1 }, { params: r.model.parameters().slice(2), lr: 1 }]);
    code(() => io.loadCheckpoint(file('full.ckpt'), { model: r.model, optimizer: twoGroups }), 'TF_STATE_DICT', /2 parameter group\(s\)/);
    expect(snapshot()).toEqual(after);  // the failed loads left the model alone
    expect(after).not.toEqual(before);
    // model-only loads of a full checkpoint are fine (inference), and restoreRng: false keeps the generator
    tf.manualSeed(5);
    const rng = tf.getRngState();
    expect(io.loadCheckpoint(file('full.ckpt'), { model: r.model, restoreRng: false }).step).toBe(1);
    expect(tf.getRngState()).toEqual(rng);
    expect(() => io.saveCheckpoint(file('bad.ckpt'), { model: r.model, step: 1.5 })).toThrow(/step must be a non-negative integer/);
    expect(() => io.saveCheckpoint(file('bad.ckpt'), { model: r.model, step: 1, extra: () => 1 })).toThrow(/JSON/);
  });
});
