// io.saveFile(tensors, file, metadata?) / io.loadFile(file): safetensors.torch's names and argument order.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { io, nn } from '../lib';
import { arr, expectCode } from './helpers';

let dir: string;
beforeAll(() => { tf.manualSeed(5); dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-savefile-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (n: string) => path.join(dir, n);

test('saveFile takes the tensors first and writes what loadSafetensors and loadFile read back', () => {
  const tensors = new Map([['w', tf.randn([3, 2])], ['i', tf.tensor(new Int32Array([7, -1]))], ['b', tf.randn([2]).to('float64')]]);
  io.saveFile(tensors, file('a.safetensors'), { format: 'pt' });
  const c = io.loadSafetensors(file('a.safetensors'));
  expect(c.metadata.format).toBe('pt');
  expect(c.integrity).toBe('verified');
  const back = io.loadFile(file('a.safetensors'));
  expect(back).toBeInstanceOf(Map);
  expect(new Set(back.keys())).toEqual(new Set(tensors.keys()));
  for (const [k, t] of tensors) {
    expect(back.get(k)!.dtype).toBe(t.dtype);
    expect(back.get(k)!.shape).toEqual(t.shape);
    expect(arr(back.get(k)!)).toEqual(arr(t));
  }
  // a plain object works too, as Python's dict
  io.saveFile({ x: tf.ones([2]) }, file('b.safetensors'));
  expect(arr(io.loadFile(file('b.safetensors')).get('x')!)).toEqual([1, 1]);
});

test('the file-first order of saveSafetensors is refused with a message naming both, and nothing is written', () => {
  const t = new Map([['w', tf.ones([1])]]);
  const target = file('swapped.safetensors');
  expectCode(() => io.saveFile(target as unknown as Map<string, tf.Tensor>, t as unknown as string), 'TF_INVALID_ARGUMENT');
  expect(() => io.saveFile(target as unknown as Map<string, tf.Tensor>, t as unknown as string)).toThrow(/tensors first.*saveSafetensors\(file, tensors/);
  expect(fs.existsSync(target)).toBe(false);
  expectCode(() => io.loadFile(t as unknown as string), 'TF_INVALID_ARGUMENT');
});

test('loadFile reads a foreign file (no tensorfield hash) and feeds loadStateDict by name', () => {
  // Written byte by byte as Python's safetensors lays it out: u64 header length, JSON, raw little-endian data.
  const w = new Float32Array([1, 2, 3, 4, 5, 6]), b = new Float32Array([0.5, -0.5]);
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    weight: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    bias: { dtype: 'F32', shape: [2], data_offsets: [24, 32] },
  });
  const h = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, ' '));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  fs.writeFileSync(file('py.safetensors'), Buffer.concat([len, h, Buffer.from(w.buffer), Buffer.from(b.buffer)]));

  const sd = io.loadFile(file('py.safetensors'));
  const lin = new nn.Linear(3, 2);
  expect(lin.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  expect(arr(lin.weight)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(arr(lin.forward(tf.ones([1, 3])))).toEqual([6.5, 14.5]);
  // the same file into a model with other names: the report says what did not match
  const seq = new nn.Sequential(new nn.Linear(3, 2));
  expect(seq.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['0.weight', '0.bias'], unexpectedKeys: ['weight', 'bias'] });
  expectCode(() => seq.loadStateDict(sd), 'TF_STATE_DICT');
});
