// Calibration observers, int8 layers, model conversion and QAT:
//  - observers against their definitions on data with known quantiles;
//  - quantizeModel: the int8 model equals its fake-quant simulation (the calibrated QAT wrappers) within one
//    output quantization step, on an MLP and on a small U-Net (conv, GroupNorm, attention kept in float);
//  - keepFirst / keepLast / skip, the report, the state dict;
//  - QAT with LSQ scales: the loss falls, the scales learn, and conversion is exact to the same step.
import * as tf from '../lib';
import { Tensor, nn } from '../lib';
import { Observer, affineU8, weightScales, quantizeModel, prepareQat, calibrate, convertQat, QuantizedLinear, QuantizedConv2d,
  QatLinear, formatReport, quantize, dequantize, int8Attention, dynamicInt8Matmul } from '../lib/quant';
import { arr } from './helpers';

beforeEach(() => tf.manualSeed(3));

describe('observers', () => {
  test('minmax and moving average', () => {
    const o = new Observer({ kind: 'minmax' });
    o.observe(tf.tensor([-1, 2])); o.observe(tf.tensor([0.5, 3]));
    expect(o.range()).toEqual([-1, 3]);
    const q = o.qparams();
    expect(q).toEqual(affineU8(-1, 3));
    expect(q.scale).toBeCloseTo(4 / 255, 7);
    expect(q.zeroPoint).toBe(Math.round(255 / 4));
    const m = new Observer({ kind: 'moving', momentum: 0.25 });
    m.observe(tf.tensor([-1, 1])); m.observe(tf.tensor([-3, 5]));
    expect(m.range()).toEqual([-1 * 0.75 - 3 * 0.25, 0.75 + 5 * 0.25]);
  });
  test('percentile clips at the requested quantile of the data seen', () => {
    const o = new Observer({ kind: 'percentile', percentile: 0.99 });
    // 10 batches of uniform(0, 1) plus a few huge outliers
    for (let i = 0; i < 10; i++) o.observe(tf.rand([10000]));
    o.observe(tf.tensor([50, 60]));
    const [lo, hi] = o.range();
    expect(lo).toBe(0);
    expect(Math.abs(hi - 0.99)).toBeLessThan(0.04);  // one histogram bin is 60/2048 = 0.03 wide
  });
  test('mse: its range codes the data with the least squared error among the ranges it searches (brute-force oracle)', () => {
    const x = tf.randn([20000]).pow(3);  // heavy tails: the best range is not the full one
    const mse = new Observer({ kind: 'mse' }), mm = new Observer({ kind: 'minmax' });
    mse.observe(x); mm.observe(x);
    const err = (lo: number, hi: number) => { const q = affineU8(lo, hi); return dequantize(quantize(x, q.scale, q.zeroPoint), q.scale, q.zeroPoint).sub(x).square().mean().item(); };
    const [lo, hi] = mm.range();
    let best = Infinity;
    for (let k = 0; k < 200; k += 2) best = Math.min(best, err(lo * (1 - k / 200), hi * (1 - k / 200)));
    const got = err(...mse.range());
    expect(mse.range()[1]).toBeLessThan(hi);
    expect(got).toBeLessThanOrEqual(err(lo, hi));
    // the histogram (2048 bins) estimates the error; a 2 % gap to the exact search is the bin resolution
    expect(got).toBeLessThan(1.02 * best);
  });
  test('weight scales: max |w| / 127 per output channel; mse never worse', () => {
    const w = tf.randn([4, 50]);
    const s = weightScales(w);
    const v = arr(w);
    for (let r = 0; r < 4; r++) expect(s[r]).toBe(Math.fround(Math.max(...v.slice(r * 50, r * 50 + 50).map(Math.abs)) / 127));
    const e = (sc: Float32Array) => dequantize(quantize(w, tf.tensor(sc), 0, { axis: 0, dtype: 'int8' }), tf.tensor(sc), 0, { axis: 0 }).sub(w).square().sum().item();
    expect(e(weightScales(w, 'mse'))).toBeLessThanOrEqual(e(s) * (1 + 1e-6));
  });
  test('errors', () => {
    expect(() => new Observer().range()).toThrow(/nothing observed/);
    expect(() => new Observer().observe(tf.tensor([NaN]))).toThrow(/non-finite/);
    expect(() => new Observer({ kind: 'bogus' as 'mse' })).toThrow(/unknown observer/);
  });
});

class Mlp extends nn.Module {
  a: nn.Linear; b: nn.Linear; c: nn.Linear;
  constructor() {
    super();
    this.a = this.module('a', new nn.Linear(6, 32));
    this.b = this.module('b', new nn.Linear(32, 32));
    this.c = this.module('c', new nn.Linear(32, 3));
  }
  forward(x: Tensor): Tensor { return this.c.forward(this.b.forward(this.a.forward(x).silu()).silu()); }
}
const twins = <M extends nn.Module>(make: () => M): [M, M] => {
  const a = make(), b = make();
  b.loadStateDict(a.stateDict());
  return [a, b];
};
const maxAbs = (t: Tensor) => Math.max(...arr(t.abs()));

describe('quantizeModel', () => {
  test('MLP: int8 equals the fake-quant simulation within one output step; the report', () => {
    const [m, sim] = twins(() => new Mlp());
    const data = [0, 1, 2, 3].map(() => tf.randn([64, 6]));
    const opts = { quantizeOutputs: true, observer: { kind: 'minmax' as const } };
    const report = quantizeModel(m, data, opts);
    prepareQat(sim, opts); calibrate(sim, data); sim.eval();
    expect(report.map((r) => [r.name, r.quantized])).toEqual([['a', true], ['b', true], ['c', true]]);
    for (const r of report) { expect(r.outputSqnrDb!).toBeGreaterThan(25); expect(r.weightSqnrDb!).toBeGreaterThan(30); }
    expect(m.a).toBeInstanceOf(QuantizedLinear);
    const x = tf.randn([100, 6]);
    const step = (m.c as unknown as QuantizedLinear).output!.scale;
    const d = m.forward(x).sub(sim.forward(x)).abs();
    expect(maxAbs(d)).toBeLessThanOrEqual(step * 1.0001);
    expect(d.mean().item()).toBeLessThan(0.05 * step);
    expect(formatReport(report)).toMatch(/\| a \| linear \| int8 \|/);
    // the state dict carries the codes and their parameters
    const sd = m.stateDict();
    expect(sd.get('a.weight')!.dtype).toBe('int8');
    expect(sd.has('a.wScale') && sd.has('a.inputQParams') && sd.has('a.outputQParams')).toBe(true);
  });
  test('keepFirst, keepLast and skip leave layers in float32', () => {
    const m = new Mlp();
    const report = quantizeModel(m, [tf.randn([16, 6])], { keepFirst: true, keepLast: true });
    expect(m.a).toBeInstanceOf(nn.Linear);
    expect(m.c).toBeInstanceOf(nn.Linear);
    expect(m.b).toBeInstanceOf(QuantizedLinear);
    expect(report.filter((r) => !r.quantized).map((r) => r.reason)).toEqual(['first layer kept in float32', 'last layer kept in float32']);
    const m2 = new Mlp();
    quantizeModel(m2, [tf.randn([16, 6])], { skip: [/^b$/] });
    expect(m2.b).toBeInstanceOf(nn.Linear);
  });
  test('U-Net (conv, GroupNorm, attention): every Linear/Conv2d int8, output close to the simulation', () => {
    const make = () => new nn.models.UNet({ inChannels: 1, baseChannels: 8, channelMult: [1, 2], numResBlocks: 1, attnResolutions: [4], imageSize: 8, groups: 4 });
    const [m, sim] = twins(make);
    const float = make(); float.loadStateDict(m.stateDict());
    const batches = [0, 1].map(() => [tf.randn([8, 1, 8, 8]), tf.rand([8]).mul(3)]);
    const opts = { quantizeOutputs: true };
    const report = quantizeModel(m, batches, opts);
    prepareQat(sim, opts); calibrate(sim, batches); sim.eval();
    const nLayers = float.namedModules().filter(([, l]: [string, nn.Module]) => l instanceof nn.Linear || l instanceof nn.Conv2d).length;
    expect(report.length).toBe(nLayers);
    expect(report.every((r) => r.quantized)).toBe(true);
    expect(m.namedModules().some(([, l]: [string, nn.Module]) => l instanceof QuantizedConv2d)).toBe(true);
    const x = tf.randn([4, 1, 8, 8]), t = tf.rand([4]).mul(3);
    const yq = m.forward(x, t), ys = sim.forward(x, t), yf = float.forward(x, t);
    const step = (m.namedModules().find(([n]: [string, nn.Module]) => n === 'outc')![1] as QuantizedConv2d).output!.scale;
    // one code flip early in a deep net can move the output by a few steps in a few pixels; most agree exactly
    const d = yq.sub(ys).abs();
    expect(d.mean().item()).toBeLessThan(0.1 * step);
    expect(maxAbs(d)).toBeLessThan(4 * step);
    // and the whole int8 network stays near the float one (relative error of the output)
    const rel = Math.sqrt(yq.sub(yf).square().sum().item() / yf.square().sum().item());
    expect(rel).toBeLessThan(0.1);
    // the residual blocks' adds run in the int8 epilogue (forwardAdd): the same bits as the add afterwards
    const convs = m.namedModules().filter((e): e is [string, QuantizedConv2d] => e[1] instanceof QuantizedConv2d).map(([, l]) => l);
    for (const l of convs) (l as unknown as { forwardAdd?: unknown }).forwardAdd = undefined;  // the plain add
    const unfused = m.forward(x, t);
    for (const l of convs) delete (l as unknown as { forwardAdd?: unknown }).forwardAdd;
    expect(Array.from(yq.dataSync())).toEqual(Array.from(unfused.dataSync()));
    // the norms before int8 convolutions write the convolutions' input codes (GroupNorm codes), and the second
    // norm of each residual block reads the first convolution's output codes (inputCodes): the same bits as
    // float32 everywhere; the coded paths are taken (uint8 out of and into the norms)
    const norms = m.namedModules().filter((e): e is [string, nn.GroupNorm] => e[1] instanceof nn.GroupNorm).map(([, l]) => l);
    const outs: string[] = [], ins: string[] = [];
    const plainOuts: string[] = [];
    for (const n of norms) {
      const f = n.forwardSilu.bind(n), g = n.forwardModulated.bind(n), p = n.forward.bind(n);
      n.forwardSilu = (...a: Parameters<typeof f>) => { const y = f(...a); ins.push(a[0].dtype); outs.push(y.dtype); return y; };
      n.forwardModulated = (...a: Parameters<typeof g>) => { const y = g(...a); ins.push(a[0].dtype); outs.push(y.dtype); return y; };
      n.forward = (...a: Parameters<typeof p>) => { const y = p(...a); plainOuts.push(y.dtype); return y; };
    }
    const coded = tf.noGrad(() => m.forward(x, t));
    const nCalls = outs.length;
    expect(outs.filter((d) => d === 'uint8').length).toBeGreaterThanOrEqual(5);
    expect(ins.filter((d) => d === 'uint8').length).toBeGreaterThanOrEqual(2);
    // the attention block's norm codes q, k and v's shared input once
    expect(plainOuts).toContain('uint8');
    const nPlain = plainOuts.length;
    type Hooks = { inputCoding?: unknown; outputCoding?: unknown };
    const int8 = m.namedModules().filter((e) => e[1] instanceof QuantizedConv2d || e[1] instanceof QuantizedLinear).map(([, l]) => l as unknown as Hooks);
    for (const l of int8) { l.inputCoding = undefined; l.outputCoding = undefined; }
    const uncoded = tf.noGrad(() => m.forward(x, t));
    for (const l of int8) { delete l.inputCoding; delete l.outputCoding; }
    expect(plainOuts.slice(nPlain).every((d) => d === 'float32')).toBe(true);
    expect(outs.slice(nCalls).every((d) => d === 'float32') && ins.slice(nCalls).every((d) => d === 'float32')).toBe(true);
    expect(Array.from(coded.dataSync())).toEqual(Array.from(uncoded.dataSync()));
    expect(Array.from(coded.dataSync())).toEqual(Array.from(yq.dataSync()));
  });
  test('int8 attention products: close to float attention; quantizeModel switches them on', () => {
    const q = tf.randn([2, 3, 10, 8]), k = tf.randn([2, 3, 12, 8]), v = tf.randn([2, 3, 12, 8]);
    const ref = nn.functional.scaledDotProductAttention(q, k, v);
    const got = int8Attention(q, k, v);
    const rel = Math.sqrt(got.sub(ref).square().sum().item() / ref.square().sum().item());
    expect(rel).toBeLessThan(0.03);  // two 8-bit codings of each operand: ~1 % each
    expect(maxAbs(dynamicInt8Matmul(q, k.transpose(-2, -1)).sub(q.matmul(k.transpose(-2, -1))))).toBeLessThan(0.2);
    const att = new nn.AttentionBlock2d(8, 2, 4);
    const report = quantizeModel(att, [tf.randn([2, 8, 4, 4])], { int8Attention: true });
    expect(att.attn.int8Products).toBe(true);
    expect(report.find((r) => r.kind === 'attention')!.name).toBe('attn');
  });
  test('errors: a model without layers, a layer the calibration never reached', () => {
    class Empty extends nn.Module { forward(x: Tensor) { return x; } }
    expect(() => quantizeModel(new Empty(), [tf.randn([2])])).toThrow(/no Linear or Conv2d/);
    class Unused extends Mlp { extra = this.module('extra', new nn.Linear(3, 3)); }
    expect(() => quantizeModel(new Unused(), [tf.randn([4, 6])])).toThrow(/'extra' never ran/);
  });
});

describe('quantization-aware training', () => {
  test('LSQ scales learn, the loss falls, and conversion is exact to one output step', () => {
    const [m, teacher] = twins(() => new Mlp());
    const opts = { learnScales: true, quantizeOutputs: true };
    const { layers } = prepareQat(m, opts);
    const data = () => tf.randn([128, 6]);
    calibrate(m, [data(), data()]);
    const params = m.parameters();
    const scales = [...layers.values()].map((l) => l.wScale);
    const s0 = scales.map((s) => arr(s));
    expect(params).toContain(scales[0]);
    const opt = new tf.optim.Adam(params, { lr: 3e-3 });
    // distil the float teacher into the fake-quant student, as the paper's QAT does
    const losses: number[] = [];
    m.train();
    for (let i = 0; i < 60; i++) {
      tf.tidy(() => {
        const x = data();
        const target = tf.noGrad(() => teacher.forward(x).add(x.narrow(1, 0, 3).mul(0.5)));
        const loss = m.forward(x).sub(target).square().mean();
        opt.zeroGrad(); loss.backward(); opt.step();
        losses.push(loss.item());
      });
    }
    const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5, tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(tail).toBeLessThan(0.5 * head);
    expect(scales.some((s, i) => arr(s).some((v, j) => v !== s0[i][j]))).toBe(true);
    expect(m.a).toBeInstanceOf(QatLinear);
    m.eval();
    const x = tf.randn([50, 6]);
    const ys = tf.noGrad(() => m.forward(x));
    convertQat(m);
    expect(m.a).toBeInstanceOf(QuantizedLinear);
    const step = (m.c as unknown as QuantizedLinear).output!.scale;
    expect(maxAbs(m.forward(x).sub(ys))).toBeLessThanOrEqual(step * 1.0001);
  });
});
