// Files written by tensorfield read in Python with PyTorch (test/python/read_safetensors.py) give identical
// tensors. Runs when /usr/bin/python3 with torch is installed; skipped otherwise.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor, io, nn, optim } from '../lib';

const PY = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'python', 'read_safetensors.py');
const hasTorch = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import torch'], { timeout: 60000 }).status === 0;
const maybe = hasTorch ? test : test.skip;
if (!hasTorch) console.log(`safetensors-python: skipped (${PY} with torch is not available)`);

const ST: Record<string, string> = { float32: 'F32', float64: 'F64', int32: 'I32', int8: 'I8', uint8: 'U8' };
const enc = (v: number): number | string =>
  Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : v;

/** What Python must find: taken from the live tensors, not from tensorfield's reader. */
function expected(tensors: Map<string, Tensor>, metadata: Record<string, string>) {
  const out: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }> = {};
  for (const [k, t] of tensors) out[k] = { dtype: ST[t.dtype], shape: t.shape, values: Array.from(t.dataSync() as ArrayLike<number>, enc) };
  return { metadata, tensors: out };
}

function runScript(...args: string[]) {
  const r = spawnSync(PY, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-py-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

maybe('PyTorch reads tensorfield files and checkpoints as identical tensors; mismatches are caught', () => {
  const file = (n: string) => path.join(dir, n);
  const writeJson = (n: string, v: unknown) => { fs.writeFileSync(file(n), JSON.stringify(v)); return file(n); };

  // every dtype, special values, odd shapes, a non-contiguous tensor
  const tensors = new Map<string, Tensor>([
    ['f32', tf.tensor(new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, 0.1]), { shape: [2, 2, 2] })],
    ['f64', tf.tensor(new Float64Array([Math.PI, -0, 5e-324, -Number.MAX_VALUE, NaN, 1 / 3]), { shape: [3, 2] })],
    ['i32', tf.tensor(new Int32Array([-2147483648, 2147483647, 0, -1]), { shape: [4] })],
    ['i8', tf.tensor(new Int8Array([-128, 127, 0, -1]), { shape: [2, 2] })],
    ['u8', tf.tensor(new Uint8Array([0, 255, 128]), { shape: [3] })],
    ['scalar', tf.tensor(new Float32Array([-7.25]), { shape: [] })],
    ['empty', tf.zeros([2, 0, 3], { dtype: 'float64' })],
    ['transposed', tf.randn([3, 5]).transpose(0, 1)],
    ['2', tf.tensor(new Int32Array([2]))],
    ['10', tf.tensor(new Int32Array([10]))],
  ]);
  const md = { note: 'hé', '0': 'zero' };
  io.saveSafetensors(file('all.safetensors'), tensors, md);

  // a training checkpoint: model, EMA, Adam state
  tf.manualSeed(11);
  const model = new nn.Sequential(new nn.Linear(3, 8), new nn.Activation('gelu'), new nn.GroupNorm(2, 8), new nn.Linear(8, 2));
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
  const ema = new optim.EMA(model, { decay: 0.9 });
  for (let s = 0; s < 3; s++) {
    tf.tidy(() => {
      opt.zeroGrad();
      model.forward(tf.randn([4, 3])).square().mean().backward();
      opt.step();
      ema.update();
    });
  }
  io.saveCheckpoint(file('ckpt.safetensors'), { model, ema, optimizer: opt, step: 3, extra: { run: 'py' } });
  const live = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) live.set(`model.${k}`, t);
  for (const [k, t] of ema.shadow) live.set(`ema.${k}`, t);
  for (const [k, t] of opt.stateDict().tensors) live.set(`optim.${k}`, t);
  expect(live.size).toBeGreaterThan(10);
  const ckptMd = io.readSafetensorsHeader(file('ckpt.safetensors')).metadata;
  expect(ckptMd['tensorfield.step']).toBe('3');

  // the writer adds the SHA-256 of the data section, which the script checks with hashlib
  const allMd = io.readSafetensorsHeader(file('all.safetensors')).metadata;
  expect(allMd).toEqual({ ...md, [io.DATA_SHA256_KEY]: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const good = runScript(file('all.safetensors'), writeJson('all.json', expected(tensors, allMd)),
    file('ckpt.safetensors'), writeJson('ckpt.json', expected(live, ckptMd)));
  if (good.status !== 0) throw new Error(`read_safetensors.py failed (${good.status}):\n${good.out}`);
  expect(good.out).toMatch(/OK .*all\.safetensors: 10 tensors, 3 metadata keys/);
  expect(good.out).toMatch(new RegExp(`OK .*ckpt\\.safetensors: ${live.size} tensors`));

  // negative controls: a wrong expected value, a wrong sign of zero, a damaged data byte
  const wrong = expected(tensors, allMd);
  wrong.tensors.f64.values[0] = Math.PI + 4.440892098500626e-16;
  wrong.tensors.f32.values[1] = 0;
  const buf = fs.readFileSync(file('ckpt.safetensors'));
  buf[buf.length - 1] ^= 0x01;
  fs.writeFileSync(file('damaged.safetensors'), buf);
  const bad = runScript(file('all.safetensors'), writeJson('wrong.json', wrong),
    file('damaged.safetensors'), file('ckpt.json'));
  expect(bad.status).toBe(1);
  expect(bad.out).toMatch(/MISMATCH .*all\.safetensors: f64: element 0/);
  expect(bad.out).toMatch(/MISMATCH .*all\.safetensors: f32: element 1/);
  expect(bad.out).toMatch(/MISMATCH .*damaged\.safetensors: .*element/);
  expect(bad.out).toMatch(/MISMATCH .*damaged\.safetensors: .*the data section does not match tensorfield\.data_sha256/);
});
