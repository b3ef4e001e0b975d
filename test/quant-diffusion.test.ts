// Issue 26 (Intel's int8 diffusion recipe): int8 checkpoints (round trip, bad files), observers during QAT and
// their end, QAT + distillation against PTQ, conversion against the simulation, mixed precision routing, the
// per-level error, and the CLI (quantize --method, sample/eval --int8 / --precision, bench --run).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor, nn } from '../lib';
import {
  quantizeModel, prepareQat, calibrate, convertQat, endQat, qatLayers, saveInt8Checkpoint, loadInt8Checkpoint,
  distill, recordLevels, withEdgeSteps, RelErrorByLevel, QuantizedConv2d, QuantizedLinear, ActQuantizer,
} from '../lib/quant';
import { saveSafetensors, loadSafetensors } from '../lib/io/safetensors';
import { PAPER_SCHEME } from '../lib/models/quant-diffusion';
import { arr, expectCode } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-qd-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const quiet = () => undefined;

const makeUNet = (base = 8) => new nn.models.UNet({ inChannels: 1, baseChannels: base, channelMult: [1, 2], numResBlocks: 1, attnResolutions: [4], imageSize: 8, groups: 4 });
const bits = (t: Tensor) => Array.from(new Uint32Array(new Float32Array(arr(t)).buffer));
const isFloatLayer = ([, l]: [string, nn.Module]) => l instanceof nn.Linear || l instanceof nn.Conv2d;

async function expectCodeAsync(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

describe('int8 checkpoints', () => {
  const file = path.join(tmp, 'unet-int8.safetensors');
  let x: Tensor, t: Tensor, yq: number[];
  beforeAll(() => {
    tf.manualSeed(11);
    const m = makeUNet();
    const batches = [0, 1].map(() => [tf.randn([8, 1, 8, 8]), tf.rand([8]).mul(3)]);
    quantizeModel(m, batches, PAPER_SCHEME);
    x = tf.randn([3, 1, 8, 8]); t = tf.tensor([0.1, 1, 2.5]);
    yq = bits(m.forward(x, t));
    saveInt8Checkpoint(file, m, { note: 'test' });
  });

  test('a fresh float model of the same architecture loads it and computes the same bits', () => {
    tf.manualSeed(99);  // other float weights: everything must come from the file
    const fresh = makeUNet();
    const before = fresh.namedModules().filter(isFloatLayer).length;
    const r = loadInt8Checkpoint(file, fresh);
    expect(r.extra).toEqual({ note: 'test' });
    expect(r.layers.length).toBe(before);
    expect(r.floats.size).toBe(before);
    for (const f of r.floats.values()) f.dispose();
    expect(fresh.namedModules().filter(isFloatLayer).length).toBe(0);
    expect(fresh.namedModules().some(([, l]: [string, nn.Module]) => l instanceof QuantizedConv2d)).toBe(true);
    expect(bits(fresh.forward(x, t))).toEqual(yq);
  });

  test('a file that does not fit leaves the model as it was (TF_CHECKPOINT)', () => {
    const other = makeUNet(16);
    const w0 = arr(other.namedModules().find(([n]: [string, nn.Module]) => n === 'outc')![1].parameters()[0]);
    expectCode(() => loadInt8Checkpoint(file, other), 'TF_CHECKPOINT');
    const outc = other.namedModules().find(([n]: [string, nn.Module]) => n === 'outc')![1];
    expect(outc).toBeInstanceOf(nn.Conv2d);
    expect(arr(outc.parameters()[0])).toEqual(w0);
    // a training checkpoint is not an int8 one
    const train = path.join(tmp, 'float.safetensors');
    const m = makeUNet();
    saveSafetensors(train, m.stateDict());
    expect(() => loadInt8Checkpoint(train, makeUNet())).toThrow(/not an int8 checkpoint/);
    expectCode(() => loadInt8Checkpoint(train, makeUNet()), 'TF_CHECKPOINT');
  });

  test('torn, corrupt, missing and tampered files get TF_* errors', () => {
    const bytes = fs.readFileSync(file);
    const torn = path.join(tmp, 'torn.safetensors');
    fs.writeFileSync(torn, bytes.subarray(0, bytes.length - 100));
    expectCode(() => loadInt8Checkpoint(torn, makeUNet()), 'TF_BAD_FILE');
    const flipped = Buffer.from(bytes); flipped[flipped.length - 5] ^= 0x40;  // caught by the data hash
    const corrupt = path.join(tmp, 'corrupt.safetensors');
    fs.writeFileSync(corrupt, flipped);
    expectCode(() => loadInt8Checkpoint(corrupt, makeUNet()), 'TF_BAD_FILE');
    expectCode(() => loadInt8Checkpoint(path.join(tmp, 'nope.safetensors'), makeUNet()), 'TF_BAD_FILE');
    expect(() => loadSafetensors(tmp)).toThrow(/is a folder/);
    expectCode(() => loadSafetensors(tmp), 'TF_BAD_FILE');
    // a well-formed file with an impossible weight scale or activation coding
    const { tensors, metadata } = loadSafetensors(file);
    const name = [...tensors.keys()].find((k) => k.endsWith('.wScale'))!;
    const neg = new Map(tensors); neg.set(name, tf.full(tensors.get(name)!.shape, -1));
    const f1 = path.join(tmp, 'neg.safetensors');
    saveSafetensors(f1, neg, metadata);
    expect(() => loadInt8Checkpoint(f1, makeUNet())).toThrow(/not positive and finite/);
    const qp = [...tensors.keys()].find((k) => k.endsWith('.outputQParams'))!;
    const badZp = new Map(tensors); badZp.set(qp, tf.tensor([0.1, 300], { dtype: 'float64' }));
    const f2 = path.join(tmp, 'zp.safetensors');
    saveSafetensors(f2, badZp, metadata);
    expect(() => loadInt8Checkpoint(f2, makeUNet())).toThrow(/not a uint8 coding/);
    const f3 = path.join(tmp, 'layers.safetensors');
    saveSafetensors(f3, tensors, { ...metadata, 'tensorfield.int8.layers': '[{"name": 3}]' });
    expect(() => loadInt8Checkpoint(f3, makeUNet())).toThrow(/malformed entry/);
    for (const v of tensors.values()) v.dispose();
  });

  test('saving a model with no int8 layer is refused and the old file stays', () => {
    const before = fs.readFileSync(file);
    expectCode(() => saveInt8Checkpoint(file, makeUNet()), 'TF_INVALID_ARGUMENT');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => /\.tmp|~$/.test(f))).toEqual([]);
  });
});

class Mlp extends nn.Module {
  a: nn.Linear; b: nn.Linear; c: nn.Linear;
  constructor(w = 32) {
    super();
    this.a = this.module('a', new nn.Linear(3, w));
    this.b = this.module('b', new nn.Linear(w, w));
    this.c = this.module('c', new nn.Linear(w, 2));
  }
  // (x, level): the level joins the input as a third feature, as a denoiser's noise level does
  forward(x: Tensor, level: Tensor): Tensor {
    const h = tf.cat([x, level.reshape(-1, 1)], 1);
    return this.c.forward(this.b.forward(this.a.forward(h).silu()).silu());
  }
}
const copyOf = (m: Mlp, w = 32) => { const c = new Mlp(w); c.loadStateDict(m.stateDict()); return c; };
const inputsAt = (n: number) => [tf.randn([n, 2]).mul(2), tf.rand([n]).mul(4)];

describe('QAT observers and their end', () => {
  test('observers follow the data in training after calibration, and endQat stops them and syncs the weight scales', () => {
    tf.manualSeed(3);
    const m = new Mlp();
    prepareQat(m, { ...PAPER_SCHEME, observeInTraining: true });
    calibrate(m, [inputsAt(64)]);
    const inQ = (qatLayers(m).get('a') as unknown as { inQ: ActQuantizer }).inQ;
    const s0 = inQ.scale!.item();
    m.train();
    m.forward(tf.randn([64, 2]).mul(50), tf.rand([64]).mul(4));  // a far wider range moves the running min/max
    const s1 = inQ.scale!.item();
    // averaging constant 0.01: the range moves 1 % of the way to the batch's (about 13 times wider), about +12 %
    expect(s1).toBeGreaterThan(s0 * 1.05);
    expect(s1).toBeCloseTo(inQ.observer.qparams().scale, 12);
    // the weights move (as an optimizer step would); endQat: scales frozen, weight scales = max|w| / 127
    const a = qatLayers(m).get('a')!;
    tf.noGrad(() => a.weight.mul_(1.5));
    endQat(m);
    m.forward(tf.randn([64, 2]).mul(500), tf.rand([64]).mul(4));
    expect(inQ.scale!.item()).toBe(s1);
    const want = arr(a.weight.abs().amax(1).div(127));
    const got = arr((a as unknown as { wScale: Tensor }).wScale);
    for (let i = 0; i < want.length; ++i) expect(got[i]).toBeCloseTo(want[i], 7);
    expectCode(() => prepareQat(new Mlp(), { observeInTraining: true, learnScales: true }), 'TF_INVALID_ARGUMENT');
  });
});

describe('QAT + distillation', () => {
  // A teacher with a wide input range and a small network, so PTQ's rounding shows; the task target is the
  // teacher's own output, so both terms pull toward the teacher (a converged teacher's case). One run per seed.
  function qatAgainstPtq(seed: number, observeInTraining: boolean): { qat: number; ptq: number } {
    tf.manualSeed(seed);
    const teacher = new Mlp(16);
    const ptq = copyOf(teacher, 16), student = copyOf(teacher, 16);
    const calib = [0, 1, 2, 3].map(() => inputsAt(128));
    quantizeModel(ptq, calib, PAPER_SCHEME);
    prepareQat(student, { ...PAPER_SCHEME, observeInTraining });
    calibrate(student, calib);
    const losses = distill(student, teacher, () => {
      const inputs = inputsAt(128);
      return { inputs, target: tf.noGrad(() => teacher.forward(inputs[0], inputs[1])) };
    }, { steps: 300, lr: 1e-3, weightDecay: 0 });
    expect(losses.length).toBe(300);
    expect(losses.every(Number.isFinite)).toBe(true);
    const held = inputsAt(2000);
    const yt = teacher.forward(held[0], held[1]);
    const sim = student.forward(held[0], held[1]);  // eval mode after distill: fake-quant with frozen scales
    convertQat(student, PAPER_SCHEME);
    expect(student.a).toBeInstanceOf(QuantizedLinear);
    const yq = student.forward(held[0], held[1]), yp = ptq.forward(held[0], held[1]);
    // conversion = simulation: the same codes; the fake-quant GEMM sums in float and the int8 one in integers, so
    // a value on a rounding boundary may round the other way, and that flip in an early layer can move the
    // output by a step or two in a few items (measured: 2 steps, once in 2000 items)
    const step = (student.c as unknown as QuantizedLinear).output!.scale;
    const d = yq.sub(sim).abs();
    expect(d.max().item()).toBeLessThanOrEqual(3 * step * 1.0001);
    expect(d.mean().item()).toBeLessThan(0.05 * step);
    const rel = (y: Tensor) => y.sub(yt).square().sum().item() / yt.square().sum().item();
    return { qat: rel(yq), ptq: rel(yp) };
  }

  test('with frozen observers the converted QAT+KD network is closer to the teacher than PTQ on every seed; conversion reproduces the simulation', () => {
    // measured (300 steps, lr 1e-3) QAT/PTQ relative error ratio on seeds 5-8: 0.84, 0.70, 0.99, 0.93 (mean 0.86).
    // Training starts at PTQ's solution and descends the simulated objective with fixed scales, so it should not
    // end worse; the bound (mean < 0.95, each < 1.05) leaves room for ISA-dependent float rounding in training.
    const ratios = [5, 6, 7, 8].map((s) => { const r = qatAgainstPtq(s, false); return r.qat / r.ptq; });
    expect(ratios.every((r) => r < 1.05)).toBe(true);
    expect(ratios.reduce((a, b) => a + b, 0) / ratios.length).toBeLessThan(0.95);
  });

  test('with observers moving during training (the official code) conversion still reproduces the simulation', () => {
    // QAT/PTQ ratios measured on seeds 5-8: 0.69, 1.77, 1.37, 0.68: the moving scales make the result erratic at
    // this size, so no ordering is asserted (README: the Fashion-MNIST comparison decides)
    const r = qatAgainstPtq(5, true);
    expect(Number.isFinite(r.qat) && r.qat < 0.05).toBe(true);
  });

  test('a non-finite loss stops distillation with TF_NON_FINITE, and bad steps are refused', () => {
    const t = new Mlp(8), s = copyOf(t, 8);
    prepareQat(s, PAPER_SCHEME); calibrate(s, [inputsAt(16)]);
    const inputs = inputsAt(8);
    expectCode(() => distill(s, t, () => ({ inputs, target: tf.full([8, 2], NaN) }), { steps: 3 }), 'TF_NON_FINITE');
    expectCode(() => distill(s, t, () => ({ inputs, target: tf.zeros([8, 2]) }), { steps: -1 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => distill(s, t, () => ({ inputs, target: tf.zeros([8, 2]) }), { steps: 1, taskWeight: 0, kdWeight: 0 }), 'TF_INVALID_ARGUMENT');
  });
});

// Networks whose output says which one ran: forward(x, level) = x * factor.
class Tagged extends nn.Module {
  constructor(private factor: number) { super(); }
  forward(x: Tensor, _level: Tensor): Tensor { return x.mul(this.factor); }
}

describe('mixed precision and the per-level error', () => {
  const levels = [80, 20, 5, 1, 0.2, 0.01];
  const sweep = (net: nn.Module) => levels.map((l) => (net as Tagged).forward(tf.ones([2, 1]), tf.full([2], l)).reshape(-1).slice(0, 0, 1).item());

  test('the first and last k levels go to the float network, the rest to int8; forward is restored', () => {
    const q = new Tagged(2), f = new Tagged(3);
    expect(recordLevels(q, () => sweep(q))).toEqual(levels.map(Math.fround));  // the level tensor is float32
    const seen = levels.map(Math.fround);
    const r = withEdgeSteps(q, f, seen, 2, () => sweep(q));
    expect(r.result).toEqual([3, 3, 2, 2, 3, 3]);
    expect(r.calls).toEqual({ float32: 4, bf16: 0, int8: 2 });
    expect(withEdgeSteps(q, f, seen, 0, () => sweep(q)).result).toEqual([2, 2, 2, 2, 2, 2]);
    expect(withEdgeSteps(q, f, seen, 3, () => sweep(q)).result).toEqual([3, 3, 3, 3, 3, 3]);
    expect(Object.prototype.hasOwnProperty.call(q, 'forward')).toBe(false);
    // a level the probe did not see is refused, and forward is restored after the throw as well
    expectCode(() => withEdgeSteps(q, f, [80, 20], 1, () => sweep(q)), 'TF_INVALID_ARGUMENT');
    expect(Object.prototype.hasOwnProperty.call(q, 'forward')).toBe(false);
    expectCode(() => withEdgeSteps(q, f, seen, -1, () => 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => withEdgeSteps(q, f, seen, 1, () => 0, 'fp16' as 'bf16'), 'TF_INVALID_ARGUMENT');
  });

  test('high precision bf16: the edge calls (only they) run at the matmul precision bf16, restored after, also on a throw', () => {
    class Probe extends nn.Module {
      seen: string[] = [];
      constructor(private factor: number) { super(); }
      forward(x: Tensor, _level: Tensor): Tensor { this.seen.push(tf.backend.getMatmulPrecision()); return x.mul(this.factor); }
    }
    const q = new Probe(2), f = new Probe(3);
    const seen = levels.map(Math.fround);
    const r = withEdgeSteps(q, f, seen, 2, () => sweep(q), 'bf16');
    expect(r.result).toEqual([3, 3, 2, 2, 3, 3]);
    expect(r.calls).toEqual({ float32: 0, bf16: 4, int8: 2 });
    expect(f.seen).toEqual(['bf16', 'bf16', 'bf16', 'bf16']);
    expect(q.seen).toEqual(['fp32', 'fp32']);
    expect(tf.backend.getMatmulPrecision()).toBe('fp32');
    class Boom extends nn.Module { forward(): Tensor { throw new Error('boom'); } }
    expect(() => withEdgeSteps(q, new Boom(), seen, 1, () => sweep(q), 'bf16')).toThrow('boom');
    expect(tf.backend.getMatmulPrecision()).toBe('fp32');
  });

  test('RelErrorByLevel groups by the level argument: ||f_q - f||^2 / ||f||^2 per item, averaged per level', () => {
    class Scaled extends nn.Module { forward(x: Tensor, l: Tensor): Tensor { return x.mul(l.reshape(-1, 1).add(1)); } }
    const e = new RelErrorByLevel(new Scaled(), new Tagged(1));
    e.add([tf.randn([4, 3]), tf.tensor([0.5, 0.5, 0.1, 0.1])]);
    e.add([tf.randn([2, 3]), tf.tensor([0.1, 0.1])]);
    const r = e.result();
    expect(r.levels).toEqual([0.5, Math.fround(0.1)]);
    expect(r.count).toEqual([2, 4]);
    expect(r.relMse[0]).toBeCloseTo(0.25, 5);
    expect(r.relMse[1]).toBeCloseTo(0.01, 5);
    expect(r.mean).toBeCloseTo(0.13, 5);
  });
});

describe('CLI: quantize --method, sample / eval --int8 and --precision, bench --run', () => {
  const dir = path.join(tmp, 'run');
  let ptqFile = '', qatFile = '';

  beforeAll(async () => {
    await import('../lib/models');
    const { trainCommand } = await import('../lib/cli/train');
    await trainCommand(['--method', 'edm', '--data', 'eight-gaussians', '--batch', '64', '--hidden', '32', '--layers', '2',
      '--samples', '200', '--steps', '300', '--out', dir], quiet);
  }, 120_000);

  test('ptq and qat-kd write int8 checkpoints with the report and the per-level error', async () => {
    const { quantizeRecipeCommand } = await import('../lib/cli/commands');
    const small = ['--run', dir, '--calib-batches', '4', '--batch', '64', '--eval-items', '300', '--steps', '8'];
    const p = quantizeRecipeCommand([...small, '--method', 'ptq'], quiet);
    // one step at a vanishing rate is PTQ plus one moving-observer update: the same error to within 10 %
    // (measured 8.85e-4 against PTQ's 8.76e-4); run first, so the default run's file is the one that stays
    const q0 = quantizeRecipeCommand([...small, '--method', 'qat-kd', '--qat-steps', '1', '--lr', '1e-12'], quiet);
    const q = quantizeRecipeCommand([...small, '--method', 'qat-kd', '--qat-steps', '100'], quiet);
    ptqFile = p.file; qatFile = q.file;
    expect(path.basename(ptqFile)).toBe('int8-ptq.safetensors');
    for (const f of [ptqFile, qatFile]) {
      expect(fs.existsSync(f)).toBe(true);
      const j = JSON.parse(fs.readFileSync(f.replace(/\.safetensors$/, '.json'), 'utf8'));
      expect(j.report.every((l: { quantized: boolean }) => l.quantized)).toBe(true);
      expect(j.relErr.levels.length).toBe(8);  // the sampler's 8 nonzero levels
      expect(j.record.data).toBe('eight-gaussians');
    }
    expect(Math.abs(q0.relErr.mean / p.relErr.mean - 1)).toBeLessThan(0.1);
    // int8 rounding alone: PTQ's relative error is ~1e-3 here. QAT+KD at the recipe's rate (1e-5, 100 steps)
    // measured 4.7e-3: its task term pulls this under-trained student away from the float network (0.16 at 1e-3,
    // the bug this bound catches). Not a claim that QAT+KD wins on a 2-D MLP; that is the Fashion experiment's.
    expect(p.relErr.mean).toBeLessThan(0.005);
    expect(q.relErr.mean).toBeLessThan(0.01);
    const j = JSON.parse(fs.readFileSync(qatFile.replace(/\.safetensors$/, '.json'), 'utf8'));
    expect([j.info.steps, j.info.lr, j.info.taskWeight, j.info.losses.length]).toEqual([100, 1e-5, 1, 100]);
    expectCode(() => quantizeRecipeCommand([...small, '--method', 'nope'], quiet), 'TF_INVALID_ARGUMENT');
    expectCode(() => quantizeRecipeCommand([...small, '--method', 'qat-kd', '--qat-steps', '0'], quiet), 'TF_INVALID_ARGUMENT');
    expectCode(() => quantizeRecipeCommand([...small, '--method', 'qat-kd', '--task-weight', '-1'], quiet), 'TF_INVALID_ARGUMENT');
  }, 120_000);

  test('ptq --act-buckets 4: one calibration per quarter of the levels, a checkpoint that samples with its router', async () => {
    const { quantizeRecipeCommand } = await import('../lib/cli/commands');
    const { openPrecision } = await import('../lib/cli/int8');
    const small = ['--run', dir, '--calib-batches', '4', '--batch', '64', '--eval-items', '300', '--steps', '8'];
    const b = quantizeRecipeCommand([...small, '--method', 'ptq', '--act-buckets', '4'], quiet);
    expect(path.basename(b.file)).toBe('int8-ptq-b4.safetensors');
    const j = JSON.parse(fs.readFileSync(b.file.replace(/\.safetensors$/, '.json'), 'utf8'));
    // 8 levels in 4 parts: each bucket saw exactly its 2 levels (c_noise = ln(sigma)/4, highest first)
    const lv = [...j.relErr.levels].sort((x: number, y: number) => y - x);
    expect(j.info.levelRanges.map((r: number[]) => r.map((v) => Math.fround(v)))).toEqual([0, 1, 2, 3].map((k) => [lv[2 * k + 1], lv[2 * k]].map((v) => Math.fround(v))));
    expect(b.relErr.mean).toBeLessThan(0.005);
    const pr = openPrecision(dir, 'int8', b.file, 0, quiet);
    tf.manualSeed(21);
    const r = pr.sample(50, { steps: 8 });
    expect(arr(r.x).every(Number.isFinite)).toBe(true);
    r.x.dispose(); pr.dispose();
    expectCode(() => quantizeRecipeCommand([...small, '--method', 'qat-kd', '--act-buckets', '2'], quiet), 'TF_UNSUPPORTED');
    expectCode(() => quantizeRecipeCommand([...small, '--method', 'ptq', '--act-buckets', '9'], quiet), 'TF_INVALID_ARGUMENT');
  }, 120_000);

  test('int8 and mixed sampling: k = 0 is int8, k past the grid is float32, both bit for bit', async () => {
    const { openPrecision } = await import('../lib/cli/int8');
    const draw = (mode: 'float32' | 'int8' | 'mixed' | 'mixed-bf16', k: number) => {
      const pr = openPrecision(dir, mode, ptqFile, k, quiet);
      tf.manualSeed(21);
      const r = pr.sample(200, { steps: 8 });
      const out = { x: arr(r.x), calls: r.calls };
      r.x.dispose(); pr.dispose();
      return out;
    };
    const f32 = draw('float32', 0), i8 = draw('int8', 0), m0 = draw('mixed', 0), m99 = draw('mixed', 99), m2 = draw('mixed', 2);
    expect(m0.x).toEqual(i8.x);
    expect(m99.x).toEqual(f32.x);
    expect(m0.calls).toEqual({ float32: 0, bf16: 0, int8: 15 });  // Heun over 8 levels: 2 * 8 - 1 calls
    expect(m2.calls!.float32 + m2.calls!.int8).toBe(15);
    expect(m2.calls!.float32).toBeGreaterThan(0);
    expect(i8.x).not.toEqual(f32.x);
    // int8 samples stay near the float32 ones from the same noise
    const rel = (a: number[]) => { let num = 0, den = 0; for (let i = 0; i < f32.x.length; ++i) { num += (a[i] - f32.x[i]) ** 2; den += f32.x[i] ** 2; } return Math.sqrt(num / den); };
    expect(rel(i8.x)).toBeLessThan(0.1);
    // mixed-bf16 past the grid: every call the float network at bf16 where this CPU has bf16 instructions (close to
    // float32: bf16 operands, float32 sums), else exactly float32
    const b99 = draw('mixed-bf16', 99);
    expect(b99.calls).toEqual({ float32: 0, bf16: 15, int8: 0 });
    if (tf.info().bf16Matmul === 'none (fp32)') expect(b99.x).toEqual(f32.x);
    else { expect(b99.x).not.toEqual(f32.x); expect(rel(b99.x)).toBeLessThan(0.02); }
  });

  test('eval --int8 / --precision mixed write tagged metrics; bad precision flags get TF_* errors', async () => {
    const { evalCommand, sampleCommand } = await import('../lib/cli/commands');
    const m = await evalCommand(['--run', dir, '--n', '200', '--steps', '8', '--int8', qatFile], quiet) as unknown as Record<string, number>;
    expect(Number.isFinite(m.slicedW2)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'metrics-8-int8-int8-qat-kd.json'))).toBe(true);
    const mm = await evalCommand(['--run', dir, '--n', '200', '--steps', '8', '--precision', 'mixed', '--high-steps', '2', '--int8', qatFile], quiet) as unknown as Record<string, number>;
    expect(mm.float32Calls).toBeGreaterThan(0);
    expect(mm.float32Calls + mm.int8Calls).toBe(15);
    sampleCommand(['--run', dir, '--n', '20', '--steps', '8', '--int8', ptqFile], quiet);
    await expectCodeAsync(evalCommand(['--run', dir, '--n', '20', '--precision', 'int8'], quiet), 'TF_INVALID_ARGUMENT');
    await expectCodeAsync(evalCommand(['--run', dir, '--n', '20', '--int8', path.join(dir, 'missing.safetensors')], quiet), 'TF_BAD_FILE');
    await expectCodeAsync(evalCommand(['--run', dir, '--n', '20', '--int8', path.join(dir, 'checkpoint.safetensors')], quiet), 'TF_CHECKPOINT');
    await expectCodeAsync(evalCommand(['--run', dir, '--n', '20', '--int8', ptqFile, '--precision', 'mixed', '--high-steps', '-1'], quiet), 'TF_INVALID_ARGUMENT');
  });

  test('bench --run times float32, int8 and mixed steps and writes bench-int8.json', async () => {
    const { benchCommand } = await import('../lib/cli/commands');
    const r = benchCommand(['--run', dir, '--int8', ptqFile, '--n', '32', '--steps', '4', '--reps', '1'], quiet);
    for (const k of ['float32_ms_per_nfe', 'int8_ms_per_nfe', 'mixed_ms_per_nfe', 'int8_speedup']) expect(r[k]).toBeGreaterThan(0);
    const j = JSON.parse(fs.readFileSync(path.join(dir, 'bench-int8.json'), 'utf8'));
    expect(typeof j.int8Kernel).toBe('string');
    expectCode(() => benchCommand(['--int8', ptqFile], quiet), 'TF_INVALID_ARGUMENT');
  });
});

describe('CLI on an image run: the U-Net (conv, attention, dotted module names) through quantize, sample and eval', () => {
  test('ptq on a Fashion-MNIST 14x14 EDM U-Net writes a checkpoint that sample loads; int8 samples stay near float32', async () => {
    await import('../lib/models');
    const { trainCommand } = await import('../lib/cli/train');
    const { quantizeRecipeCommand } = await import('../lib/cli/commands');
    const { openPrecision } = await import('../lib/cli/int8');
    const dir = path.join(tmp, 'img');
    await trainCommand(['--method', 'edm', '--data', 'fashion14', '--channels', '8', '--batch', '8', '--steps', '20', '--samples', '16', '--out', dir], quiet);
    const r = quantizeRecipeCommand(['--run', dir, '--method', 'ptq', '--calib-batches', '2', '--batch', '16', '--eval-items', '32', '--steps', '4'], quiet);
    expect(r.report.length).toBeGreaterThan(10);
    expect(r.report.every((l) => l.quantized)).toBe(true);
    const draw = (mode: 'float32' | 'int8') => {
      const pr = openPrecision(dir, mode, r.file, 0, quiet);
      tf.manualSeed(4);
      const s = pr.sample(8, { steps: 4 });
      const out = arr(s.x);
      s.x.dispose(); pr.dispose();
      return out;
    };
    const f = draw('float32'), q = draw('int8');
    let num = 0, den = 0;
    for (let i = 0; i < f.length; ++i) { num += (q[i] - f[i]) ** 2; den += f[i] ** 2; }
    // relative distance of the samples from the same noise, measured 0.035 (8-bit activations through ~20 layers
    // and 7 network calls); 0.1 leaves room for other ISAs' rounding, a wrong layer mapping gives O(1)
    expect(Math.sqrt(num / den)).toBeLessThan(0.1);
  }, 120_000);
});
