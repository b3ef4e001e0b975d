// The int8 engine against independent oracles:
//  - the integer GEMM on every ISA path this CPU has, bit for bit against the scalar reference kernel and
//    against a JS integer product (exact in doubles: |sums| < 2^31), including the saturation corners;
//  - the VNNI kernel's source compiled against a scalar model of its intrinsics (test/native), so its packing
//    and blocking are checked even where the CPU has no AVX-512; plus a mutation of it that must be caught;
//  - quantize / dequantize / requantize against their definitions computed in JS with Math.fround;
//  - fakeQuantize's STE / LSQ coefficients against the formulas written out, in reverse and forward mode;
//  - the epilogue (bias, activation, output codes) against the float simulation.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor } from '../lib';
import { quantize, dequantize, requantize, fakeQuantize, PackedInt8Weight, int8Linear, int8Conv2d, int8Kernel, dynamicQParams } from '../lib/quant';
import { arr, expectArraysEqual, expectCode, withIsa } from './helpers';

const isas = tf.backend.supportedIsas() as ('scalar' | 'avx2' | 'avx512')[];
const root = path.join(__dirname, '..');

let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const u8 = (n: number, f: () => number) => Uint8Array.from({ length: n }, f);
const s8 = (n: number, f: () => number) => Int8Array.from({ length: n }, f);

function jsGemm(A: Uint8Array, W: Int8Array, M: number, N: number, K: number, zero = 0): number[] {
  const out: number[] = [];
  for (let m = 0; m < M; ++m)
    for (let n = 0; n < N; ++n) {
      let s = 0;
      for (let k = 0; k < K; ++k) s += (A[m * K + k] - zero) * W[n * K + k];
      out.push(s);
    }
  return out;
}

// the integer sums of the current kernel: out 'int32' skips scales, bias and activation
function kernelSums(A: Uint8Array, W: Int8Array, M: number, N: number, K: number, zero = 0): number[] {
  return tf.tidy(() => {
    const pw = new PackedInt8Weight(tf.tensor(W, { shape: [N, K], dtype: 'int8' }));
    try {
      const y = int8Linear(tf.tensor(A, { shape: [M, K], dtype: 'uint8' }), { scale: 1, zeroPoint: zero }, pw,
        { wScale: tf.ones([N]), out: 'int32' });
      return arr(y);
    } finally { pw.dispose(); }
  });
}

const shapes: [number, number, number][] = [[1, 1, 1], [1, 1, 3], [2, 3, 5], [7, 13, 17], [6, 16, 2], [8, 32, 4],
  [9, 33, 5], [97, 65, 130], [200, 130, 515], [3, 300, 1027]];

describe('int8 GEMM is exact on every ISA path', () => {
  test.each(isas)('%s: random shapes equal the JS integer product', (isa) => {
    withIsa(isa, () => {
      for (const [M, N, K] of shapes) {
        const A = u8(M * K, () => Math.floor(rnd() * 256)), W = s8(N * K, () => Math.floor(rnd() * 256) - 128);
        const zero = Math.floor(rnd() * 256);
        expectArraysEqual(kernelSums(A, W, M, N, K, zero), jsGemm(A, W, M, N, K, zero), `${isa} ${M}x${N}x${K}`);
      }
    });
  });
  test.each(isas)('%s: saturation corners (all 255 times all +127 / -128; K past the packing blocks)', (isa) => {
    withIsa(isa, () => {
      for (const K of [1, 2, 3, 4, 5, 511, 512, 513, 1024, 1031, 4099])
        for (const w of [127, -128]) {
          const M = 7, N = 19;
          const A = u8(M * K, () => 255), W = s8(N * K, () => w);
          const got = kernelSums(A, W, M, N, K);
          expectArraysEqual(got, new Array(M * N).fill(255 * w * K), `${isa} K=${K} w=${w}`);
        }
    });
  });
  test('the SIMD kernels equal the reference on one large product (threads split rows and columns)', () => {
    const M = 300, N = 520, K = 777;
    const A = u8(M * K, () => Math.floor(rnd() * 256)), W = s8(N * K, () => Math.floor(rnd() * 256) - 128);
    const ref = withIsa('scalar', () => kernelSums(A, W, M, N, K, 3));
    for (const isa of isas) expectArraysEqual(withIsa(isa, () => kernelSums(A, W, M, N, K, 3)), ref, isa);
  });
  test('a weight packed for one kernel is refused by another, and PackedInt8Weight repacks', () => {
    if (isas.length < 2) return;
    const W = tf.tensor(s8(12, () => 3), { shape: [3, 4], dtype: 'int8' });
    const pw = new PackedInt8Weight(W);
    const x = tf.tensor(u8(8, () => 2), { shape: [2, 4], dtype: 'uint8' });
    const a = withIsa(isas[isas.length - 1], () => arr(int8Linear(x, { scale: 1, zeroPoint: 0 }, pw, { wScale: tf.ones([3]), out: 'int32' })));
    const b = withIsa('scalar', () => arr(int8Linear(x, { scale: 1, zeroPoint: 0 }, pw, { wScale: tf.ones([3]), out: 'int32' })));
    expect(a).toEqual(new Array(6).fill(24));
    expect(b).toEqual(a);
    pw.dispose();
  });
});

describe('the VNNI kernel source, against a scalar model of its intrinsics', () => {
  const gxx = spawnSync('g++', ['--version']).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-int8-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const build = (inc: string, out: string) => execFileSync('g++', ['-O1', '-std=c++17', '-DTF_EMULATE_AVX512', '-include',
    path.join(root, 'test/native/avx512_emulation.h'), '-I', path.join(root, 'native/cpu'), inc,
    path.join(root, 'native/cpu/ref/gemm_u8s8.cpp'), path.join(root, 'test/native/gemm_u8s8_check.cpp'), '-o', out]);
  (gxx ? test : test.skip)('equals the reference on 93 shapes', () => {
    build(path.join(root, 'native/cpu/avx512vnni/gemm_u8s8.cpp'), path.join(dir, 'vnni'));
    expect(execFileSync(path.join(dir, 'vnni')).toString()).toMatch(/^ok \d+/);
  });
  (gxx ? test : test.skip)('a kernel that forgets to accumulate across K blocks is caught', () => {
    const m = path.join(dir, 'mut');
    fs.mkdirSync(path.join(m, 'simd'), { recursive: true });
    fs.mkdirSync(path.join(m, 'avx512vnni'), { recursive: true });
    fs.copyFileSync(path.join(root, 'native/cpu/kernels.h'), path.join(m, 'kernels.h'));
    fs.copyFileSync(path.join(root, 'native/cpu/avx512vnni/gemm_u8s8.cpp'), path.join(m, 'avx512vnni/gemm_u8s8.cpp'));
    fs.copyFileSync(path.join(root, 'native/cpu/avx512vnni/conv_u8s8.inc'), path.join(m, 'avx512vnni/conv_u8s8.inc'));
    const inc = fs.readFileSync(path.join(root, 'native/cpu/simd/gemm_u8s8.inc'), 'utf8');
    expect(inc).toContain('g0 > 0);');
    fs.writeFileSync(path.join(m, 'simd/gemm_u8s8.inc'), inc.replace('g0 > 0);', 'false);'));
    build(path.join(m, 'avx512vnni/gemm_u8s8.cpp'), path.join(dir, 'mut-bin'));
    const r = spawnSync(path.join(dir, 'mut-bin'));
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toMatch(/mismatch/);
  });
});

describe('the VNNI direct convolution source, against a scalar model of its intrinsics', () => {
  // The real instructions run in the op tests below on CPUs with VNNI (int8Conv2d with C % 4 == 0, stride 1);
  // here the kernel's indexing (taps, channel groups, panels, nv tails) and code_x4's arithmetic run on any CPU.
  const gxx = spawnSync('g++', ['--version']).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-conv8-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const build = (src: string, out: string) => execFileSync('g++', ['-O1', '-std=c++17', '-Wno-psabi', '-DTF_EMULATE_AVX512',
    '-include', path.join(root, 'test/native/avx512_emulation.h'), '-I', path.join(root, 'native/cpu'), src,
    path.join(root, 'native/cpu/ref/gemm_u8s8.cpp'), path.join(root, 'test/native/conv_u8s8_check.cpp'), '-o', out]);
  (gxx ? test : test.skip)('equals a direct sum over taps and channels, and the coding model', () => {
    build(path.join(root, 'native/cpu/avx512vnni/gemm_u8s8.cpp'), path.join(dir, 'conv'));
    expect(execFileSync(path.join(dir, 'conv')).toString()).toMatch(/^ok \d+/);
  });
  (gxx ? test : test.skip)("a kernel that reads another tap's offset is caught", () => {
    const m = path.join(dir, 'mut');
    fs.mkdirSync(path.join(m, 'simd'), { recursive: true });
    fs.mkdirSync(path.join(m, 'avx512vnni'), { recursive: true });
    for (const f of ['kernels.h', 'simd/gemm_u8s8.inc', 'avx512vnni/gemm_u8s8.cpp']) fs.copyFileSync(path.join(root, 'native/cpu', f), path.join(m, f));
    const inc = fs.readFileSync(path.join(root, 'native/cpu/avx512vnni/conv_u8s8.inc'), 'utf8');
    const good = 'const uint8_t* xt = x + taps[t] * 4;';
    expect(inc).toContain(good);
    fs.writeFileSync(path.join(m, 'avx512vnni/conv_u8s8.inc'), inc.replace(good, 'const uint8_t* xt = x + taps[t / 2 * 2] * 4;'));
    build(path.join(m, 'avx512vnni/gemm_u8s8.cpp'), path.join(dir, 'mut-bin'));
    const r = spawnSync(path.join(dir, 'mut-bin'));
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toMatch(/conv mismatch/);
  });
});

describe('the AMX kernel source, against a scalar model of the tile instructions', () => {
  // The real tdpbusd path runs in every per-ISA test above where supportedIsas() lists 'amx' (CPUID, XCR0 and
  // Linux's tile-data permission all agree); here its packing, tiling and tails run on any CPU.
  const gxx = spawnSync('g++', ['--version']).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-amx-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const build = (src: string, out: string) => execFileSync('g++', ['-O1', '-std=c++17', '-DTF_EMULATE_AMX',
    '-DTF_KERNEL_FILL=fill_amx_int8', '-include', path.join(root, 'test/native/amx_emulation.h'), '-I',
    path.join(root, 'native/cpu'), src, path.join(root, 'native/cpu/ref/gemm_u8s8.cpp'),
    path.join(root, 'test/native/gemm_u8s8_check.cpp'), '-o', out]);
  (gxx ? test : test.skip)('equals the reference on 93 shapes, saturation corners included', () => {
    build(path.join(root, 'native/cpu/amx/gemm_u8s8.cpp'), path.join(dir, 'amx'));
    expect(execFileSync(path.join(dir, 'amx')).toString()).toMatch(/^ok \d+/);
  });
  (gxx ? test : test.skip)('a kernel that loads the second weight tile from the wrong columns is caught', () => {
    const src = fs.readFileSync(path.join(root, 'native/cpu/amx/gemm_u8s8.cpp'), 'utf8');
    const bad = '_tile_loadd(7, b + kk * NR * 4 + 64, NR * 4);';
    expect(src).toContain(bad);
    fs.mkdirSync(path.join(dir, 'mut', 'amx'), { recursive: true });
    fs.copyFileSync(path.join(root, 'native/cpu/kernels.h'), path.join(dir, 'mut', 'kernels.h'));
    fs.copyFileSync(path.join(root, 'native/cpu/amx/tiles.h'), path.join(dir, 'mut', 'amx', 'tiles.h'));
    const mut = path.join(dir, 'mut', 'amx', 'gemm_u8s8.cpp');
    fs.writeFileSync(mut, src.replace(bad, '_tile_loadd(7, b + kk * NR * 4 + 128, NR * 4);'));
    build(mut, path.join(dir, 'mut-bin'));
    const r = spawnSync(path.join(dir, 'mut-bin'));
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toMatch(/mismatch/);
  });
  test("'amx' is listed only where it can run, and asking for it elsewhere is a clear error", () => {
    const f = tf.info().features;
    if (tf.backend.supportedIsas().includes('amx')) {
      expect(f.amxTile && f.amxInt8).toBe(true);
      expect(withIsa('amx', () => int8Kernel())).toBe('amx');
    } else {
      expectCode(() => tf.backend.setIsa('amx'), 'TF_INVALID_ARGUMENT');
    }
  });
});

describe('quantize / dequantize / requantize', () => {
  const f = Math.fround;
  const roundEven = (v: number) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
  const code = (x: number, s: number, z: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, roundEven(f(f(x) / f(s))) + z));
  test('per tensor, uint8, with ties and clamping', () => {
    const xs = [-3, -0.25, -0.0749, 0, 0.05, 0.15, 0.25, 0.35, 1.2, 100, -100];
    const x = tf.tensor(xs);
    const q = quantize(x, 0.1, 10, { dtype: 'uint8' });
    expect(q.dtype).toBe('uint8');
    expectArraysEqual(arr(q), xs.map((v) => code(v, 0.1, 10, 0, 255)), 'quantize');
    expectArraysEqual(arr(dequantize(q, 0.1, 10)), arr(q).map((c) => f(f(c - 10) * f(0.1))), 'dequantize');
  });
  test('float64 input takes the double-precision path and rounds the same way (half to even, then clamps)', () => {
    // float64 codes go through quant_code (float32 through quant_code_fast): the same rule, checked in double
    const code64 = (x: number, s: number, z: number) => Math.min(127, Math.max(-128, roundEven(x / s) + z));
    const xs = [-2.7, -0.25, -0.15, 0.05, 0.15, 0.25, 0.35, 0.44, 1.26, 2.5, 100];
    const q = quantize(tf.tensor(xs, { dtype: 'float64' }), 0.1, 0, { dtype: 'int8' });
    expectArraysEqual(arr(q), xs.map((v) => code64(v, 0.1, 0)), 'quantize float64');
    const halves = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5];  // exact ties in double: to even
    expectArraysEqual(arr(quantize(tf.tensor(halves, { dtype: 'float64' }), 1, 3, { dtype: 'int8' })), [1, 1, 3, 3, 5, 5, 7], 'ties');
  });
  test('per channel along an axis, int8', () => {
    const x = tf.randn([3, 5]);
    const s = tf.tensor([0.01, 0.02, 0.5]);
    const q = quantize(x, s, tf.zeros([3]), { axis: 0, dtype: 'int8' });
    const xv = arr(x), sv = [0.01, 0.02, 0.5];
    expectArraysEqual(arr(q), xv.map((v, i) => code(v, sv[Math.floor(i / 5)], 0, -128, 127)), 'per-channel quantize');
    const q1 = quantize(x.transpose(0, 1), s, tf.zeros([3]), { axis: 1, dtype: 'int8' });
    expectArraysEqual(arr(q1.transpose(0, 1).contiguous()), arr(q), 'transposed per-channel quantize');
  });
  test('NaN codes as the zero point', () => {
    expect(arr(quantize(tf.tensor([NaN, 1]), 1, 7))).toEqual([7, 8]);
  });
  test('requantize re-rounds the real value', () => {
    const q = tf.tensor(Uint8Array.from({ length: 256 }, (_, i) => i), { dtype: 'uint8' });
    const r = requantize(q, { scale: 0.1, zeroPoint: 128 }, { scale: 0.3, zeroPoint: 50, dtype: 'uint8' });
    expectArraysEqual(arr(r), Array.from({ length: 256 }, (_, i) => Math.min(255, Math.max(0, roundEven((i - 128) * (0.1 / 0.3)) + 50))), 'requantize');
  });
  test('dynamic range (range_f32 row, every ISA): the exact min(0, min x) / max(0, max x), vector bodies, tails and pool chunks; a non-finite value anywhere is TF_INVALID_ARGUMENT', () => {
    // the parameters as dynamic_u8_params derives them, from a plain JS min / max (exact: min and max round nothing)
    const want = (v: Float32Array) => {
      let lo = 0, hi = 0;
      for (const e of v) { lo = Math.min(lo, e); hi = Math.max(hi, e); }
      let sc = Math.fround((hi - lo) / 255);
      if (!(sc > 0)) sc = 1;
      const u = -lo / sc, r = Math.round(u);  // nearbyint: half to even
      const even = Math.abs(u - Math.trunc(u)) === 0.5 ? 2 * Math.round(u / 2) : r;
      return { scale: sc, zeroPoint: Math.min(255, Math.max(0, even)) };
    };
    // n: 1, below a vector, one vector + tail, several pool chunks (n >= 2 x 65536) with a tail
    for (const n of [1, 7, 17, 70, 200003]) {
      const x = tf.randn([n]).mul(3);
      const cases = [x, x.abs().add(0.5), x.abs().neg().sub(0.25)];  // mixed, all positive (lo = 0), all negative (hi = 0)
      for (const c of cases) {
        const v = c.dataSync() as Float32Array;
        // the extreme placed last, in the scalar tail of the last chunk
        const w = Float32Array.from(v); w[n - 1] = 40;
        for (const data of [v, w]) {
          const t = tf.tensor(Array.from(data), { dtype: 'float32' });
          const ref = want(data);
          for (const isa of isas) withIsa(isa, () => {
            const q = dynamicQParams(t);
            expect(q.scale).toBe(ref.scale);
            expect(q.zeroPoint).toBe(ref.zeroPoint);
          });
        }
      }
    }
    const W = new PackedInt8Weight(tf.ones([3, 70], { dtype: 'int8' }));
    for (const bad of [NaN, Infinity, -Infinity])
      for (const at of [0, 33, 69]) {  // in the first vector, the second, the tail
        const v = new Float32Array(70 * 2).fill(0.5); v[70 + at] = bad;
        const t = tf.tensor(Array.from(v), { dtype: 'float32' }).reshape(2, 70);
        for (const isa of isas) withIsa(isa, () => {
          expectCode(() => int8Linear(t, 'dynamic', W, { wScale: tf.ones([3]) }), 'TF_INVALID_ARGUMENT');
          expectCode(() => dynamicQParams(t), 'TF_INVALID_ARGUMENT');
        });
      }
    W.dispose();
  });
  test('bad parameters are clear errors', () => {
    expectCode(() => quantize(tf.ones([2]), 0, 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => quantize(tf.ones([2]), 1, 300), 'TF_INVALID_ARGUMENT');
    expectCode(() => quantize(tf.ones([2]), 1, 0.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => quantize(tf.ones([2, 3]), tf.ones([4]), tf.zeros([4]), { axis: 1 }), 'TF_SHAPE_MISMATCH');
    expectCode(() => quantize(tf.ones([2], { dtype: 'int32' }), 1, 0), 'TF_DTYPE');
    expectCode(() => dequantize(tf.ones([2]), 1, 0), 'TF_DTYPE');
    const W = new PackedInt8Weight(tf.ones([3, 4], { dtype: 'int8' }));
    expectCode(() => int8Linear(tf.ones([2, 5]), 'dynamic', W, { wScale: tf.ones([3]) }), 'TF_SHAPE_MISMATCH');
    expectCode(() => int8Linear(tf.ones([2, 4]), 'dynamic', W, { wScale: tf.ones([2]) }), 'TF_SHAPE_MISMATCH');
    expectCode(() => int8Linear(tf.ones([2, 4]), 'dynamic', W, { wScale: tf.ones([3]).mul(-1) }), 'TF_INVALID_ARGUMENT');
    expectCode(() => int8Linear(tf.tensor([[1, NaN, 0, 0]]), 'dynamic', W, { wScale: tf.ones([3]) }), 'TF_INVALID_ARGUMENT');
    expect(() => new PackedInt8Weight(tf.ones([3, 4]))).toThrow(/int8/);
    W.dispose();
  });
});

describe('fakeQuantize: straight-through and LSQ gradients', () => {
  test('forward equals dequantize(quantize(x))', () => {
    const x = tf.randn([4, 6]).mul(3);
    const y = fakeQuantize(x, 0.05, 3, { qmin: 0, qmax: 255 });
    expectArraysEqual(arr(y), arr(dequantize(quantize(x, 0.05, 3), 0.05, 3)), 'fakeQuantize forward');
  });
  test('gradients: 1 inside / 0 outside for x; LSQ for a per-channel scale; -s outside for z (float64)', () => {
    const x = tf.randn([3, 8], { dtype: 'float64' }).mul(2).detach();
    x.requiresGrad = true;
    const s = tf.tensor([0.01, 0.02, 0.05], { dtype: 'float64', requiresGrad: true });
    const z = tf.tensor([0, 5, -3], { dtype: 'float64', requiresGrad: true });
    const g = tf.randn([3, 8], { dtype: 'float64' });
    const y = fakeQuantize(x, s.reshape(3, 1).contiguous().reshape(3), z, { qmin: -20, qmax: 20, axis: 0 });
    y.mul(g).sum().backward();
    const xv = arr(x), gv = arr(g), sv = arr(s), zv = arr(z);
    const gx: number[] = [], gs = [0, 0, 0], gz = [0, 0, 0];
    xv.forEach((v, i) => {
      const c = Math.floor(i / 8);
      const u = roundEven(v / sv[c]) + zv[c];
      const inside = u >= -20 && u <= 20;
      const q = Math.min(20, Math.max(-20, u));
      gx.push(inside ? gv[i] : 0);
      gs[c] += gv[i] * (inside ? q - zv[c] - v / sv[c] : q - zv[c]);
      gz[c] += gv[i] * (inside ? 0 : -sv[c]);
    });
    expectArraysEqual(arr(x.grad!), gx, 'fakeQuantize STE gradient');
    arr(s.grad!).forEach((v, c) => expect(v).toBeCloseTo(gs[c], 10));
    arr(z.grad!).forEach((v, c) => expect(v).toBeCloseTo(gz[c], 10));
    // forward mode with the same coefficients
    const ts = tf.randn([3], { dtype: 'float64' }), tx = tf.randn([3, 8], { dtype: 'float64' });
    const [, tan] = tf.func.jvp((xx: Tensor, ss: Tensor) => fakeQuantize(xx, ss, z.detach(), { qmin: -20, qmax: 20, axis: 0 }),
      [x.detach(), s.detach()], [tx, ts]);
    const txv = arr(tx), tsv = arr(ts);
    const want = xv.map((v, i) => {
      const c = Math.floor(i / 8);
      const u = roundEven(v / sv[c]) + zv[c];
      const inside = u >= -20 && u <= 20;
      const q = Math.min(20, Math.max(-20, u));
      return (inside ? txv[i] : 0) + tsv[c] * (inside ? q - zv[c] - v / sv[c] : q - zv[c]);
    });
    arr(tan[0]).forEach((v, i) => expect(v).toBeCloseTo(want[i], 10));
  });
  function roundEven(v: number) { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; }
});

describe('int8 Linear and conv2d against their float simulation', () => {
  // The simulation: dequantized activations times dequantized weights in float32 (+ bias, activation). The
  // integer path differs only by float rounding of sums of K products (< K * 2^-24 relative to sum |terms|).
  function sim(x: Tensor, xq: { scale: number; zeroPoint: number }, wq: Tensor, ws: Tensor, bias: Tensor) {
    const xd = dequantize(quantize(x, xq.scale, xq.zeroPoint), xq.scale, xq.zeroPoint);
    const wd = dequantize(wq, ws, tf.zeros([ws.shape[0]]), { axis: 0 });
    return { xd, wd, y: tf.matmul(xd, wd.transpose(0, 1)).add(bias) };
  }
  test.each(isas)('%s: linear, float / relu / silu / uint8 output', (isa) => {
    withIsa(isa, () => {
      const M = 37, K = 70, N = 45;
      const x = tf.randn([M, K]);
      const wq = tf.randint(-127, 128, [N, K], { dtype: 'int8' });
      const ws = tf.rand([N]).mul(0.01).add(0.001);
      const bias = tf.randn([N]);
      const xq = dynamicQParams(x);
      const { y } = sim(x, xq, wq, ws, bias);
      const pw = new PackedInt8Weight(wq);
      const tol = (t: Tensor) => K * 2 ** -22 * Math.max(...arr(t.abs())) + 1e-6;
      const yf = int8Linear(x, xq, pw, { wScale: ws, bias });
      expect(Math.max(...arr(yf.sub(y).abs()))).toBeLessThan(tol(y));
      const yr = int8Linear(x, xq, pw, { wScale: ws, bias, act: 'relu' });
      expect(Math.max(...arr(yr.sub(y.relu()).abs()))).toBeLessThan(tol(y));
      const ysl = int8Linear(x, xq, pw, { wScale: ws, bias, act: 'silu' });
      expect(Math.max(...arr(ysl.sub(y.silu()).abs()))).toBeLessThan(tol(y) + 1e-5);
      // uint8 output: the coded float result, within one code of coding the simulation
      const oq = dynamicQParams(y);
      const yq = int8Linear(x, xq, pw, { wScale: ws, bias, out: 'uint8', outScale: oq.scale, outZero: oq.zeroPoint });
      const ref = quantize(y, oq.scale, oq.zeroPoint);
      expect(Math.max(...arr(yq.to('int32').sub(ref.to('int32')).abs()))).toBeLessThanOrEqual(1);
      // uint8 input codes give the same as float input
      const xc = quantize(x, xq.scale, xq.zeroPoint);
      expectArraysEqual(arr(int8Linear(xc, xq, pw, { wScale: ws, bias })), arr(yf), 'uint8 input codes');
      pw.dispose();
    });
  });
  test.each(isas)('%s: conv2d with stride, padding and dilation equals the float conv of the codes', (isa) => {
    withIsa(isa, () => {
      for (const [stride, padding, dilation] of [[1, 1, 1], [2, 1, 1], [1, 2, 2], [2, 0, 1]]) {
        const x = tf.randn([3, 5, 11, 9]);
        const wq = tf.randint(-127, 128, [7, 5, 3, 3], { dtype: 'int8' });
        const ws = tf.rand([7]).mul(0.01).add(0.001);
        const bias = tf.randn([7]);
        const xq = { scale: 0.02, zeroPoint: 120 };
        const xd = dequantize(quantize(x, xq.scale, xq.zeroPoint), xq.scale, xq.zeroPoint);
        const wd = dequantize(wq.reshape(7, 45), ws, tf.zeros([7]), { axis: 0 }).reshape(7, 5, 3, 3);
        const y = tf.conv2d(xd, wd, { bias, stride, padding, dilation });
        const pw = new PackedInt8Weight(wq.permute(0, 2, 3, 1).contiguous().reshape(7, 45));
        const yi = int8Conv2d(x, xq, pw, [3, 3], { wScale: ws, bias }, { stride, padding, dilation });
        expect(yi.shape).toEqual(y.shape);
        expect(Math.max(...arr(yi.sub(y).abs()))).toBeLessThan(45 * 2 ** -22 * Math.max(...arr(y.abs())) + 1e-6);
        pw.dispose();
      }
    });
  });
  test('conv2d across the coding tiles (64 pixels x 64 channels), wide and narrow weight panels, and the blocked NCHW epilogue: every ISA equals the scalar path bit for bit', () => {
    for (const O of [20, 33, 70]) {  // 20: a narrow panel; 33: one wide; 70: a wide and a narrow one
      const x = tf.randn([2, 70, 9, 10]);
      const wq = tf.randint(-127, 128, [O, 9 * 70], { dtype: 'int8' });
      const ws = tf.rand([O]).mul(0.002).add(0.0005);
      const bias = tf.randn([O]);
      const xq = { scale: 0.03, zeroPoint: 131 };
      const run = (isa: 'scalar' | 'avx2' | 'avx512') => withIsa(isa, () => {
        const pw = new PackedInt8Weight(wq.clone());  // it owns (and disposes) its weight
        const outs = [
          int8Conv2d(x, xq, pw, [3, 3], { wScale: ws, bias, out: 'int32' }, { padding: 1 }),
          int8Conv2d(x, xq, pw, [3, 3], { wScale: ws, bias, out: 'uint8', outScale: 0.05, outZero: 100 }, { padding: 1, stride: 2 }),
          int8Conv2d(x, xq, pw, [3, 3], { wScale: ws, bias, act: 'silu' }, { padding: 1 }),
        ].map(arr);
        pw.dispose();
        return outs;
      });
      const ref = run('scalar');
      for (const isa of isas) run(isa).forEach((o, j) => expectArraysEqual(o, ref[j], `${isa} O=${O} output ${j}`));
    }
  });
  test('conv2d on the VNNI direct convolution: every ISA equals the scalar path bit for bit, for every kernel size, padding, stride, dilation, channel count, tail and output form', () => {
    // [B, C, H, W, O, kh, kw, pad, stride, dilation]: 1x1 / 3x3 / 1x3 / 5x5 kernels, padding 0-2, rows of 7-28
    // pixels (pixel blocks ending mid-row), O past a 4-channel block and past a 64-wide panel, batches below and
    // above the pool, C of 1-3 and 6 (a partial channel group), strides 2-3 (phase planes), dilation 2
    const layers = [[1, 4, 5, 7, 3, 3, 3, 1, 1, 1], [3, 32, 28, 28, 32, 3, 3, 1, 1, 1], [2, 64, 7, 7, 70, 3, 3, 1, 1, 1],
      [2, 8, 9, 11, 5, 1, 1, 0, 1, 1], [1, 12, 6, 10, 9, 1, 3, 1, 1, 1], [2, 16, 8, 8, 6, 5, 5, 2, 1, 1], [1, 4, 4, 4, 4, 3, 3, 0, 1, 1],
      [2, 20, 14, 14, 33, 3, 3, 2, 1, 1], [3, 1, 28, 28, 32, 3, 3, 1, 1, 1], [2, 3, 9, 8, 7, 3, 3, 1, 1, 1],
      [2, 32, 28, 28, 32, 3, 3, 1, 2, 1], [1, 6, 11, 9, 5, 3, 3, 1, 2, 2], [2, 8, 13, 12, 9, 2, 3, 0, 3, 1]];
    for (const [B, C, H, W, O, kh, kw, pad, stride, dilation] of layers) {
      const x = tf.randn([B, C, H, W]).mul(2);
      const wq = tf.randint(-128, 128, [O, kh * kw * C], { dtype: 'int8' });
      const ws = tf.rand([O]).mul(0.002).add(0.0005);
      const bias = tf.randn([O]);
      const xq = { scale: 0.03, zeroPoint: 119 };
      const codes = quantize(x, xq.scale, xq.zeroPoint);
      const run = (isa: 'scalar' | 'avx2' | 'avx512') => withIsa(isa, () => {
        const pw = new PackedInt8Weight(wq.clone());
        const k: [number, number] = [kh, kw];
        const o = { padding: pad, stride, dilation };
        const outs = [
          int8Conv2d(x, xq, pw, k, { wScale: ws, bias }, o),
          int8Conv2d(x, xq, pw, k, { wScale: ws, bias, out: 'int32' }, o),
          int8Conv2d(x, xq, pw, k, { wScale: ws, bias, act: 'relu', out: 'uint8', outScale: 0.05, outZero: 100 }, o),
          int8Conv2d(x, xq, pw, k, { wScale: ws, bias, act: 'silu', out: 'int8', outScale: 0.04, outZero: -3, decode: true }, o),
          int8Conv2d(codes, xq, pw, k, { wScale: ws, bias, out: 'uint8', outScale: 0.05, outZero: 100, decode: true }, o),
          int8Conv2d(x, xq, pw, k, { wScale: ws, bias, act: 'relu', out: 'int8', outScale: 0.02, outZero: 5, decode: true }, o),
        ].map(arr);
        pw.dispose();
        return outs;
      });
      const ref = run('scalar');
      for (const isa of isas) run(isa).forEach((o, j) => expectArraysEqual(o, ref[j], `${isa} [${B},${C},${H},${W}] O=${O} k=${kh}x${kw} pad ${pad} stride ${stride} dilation ${dilation} output ${j}`));
    }
  });
  test('decode: the coded output decoded in the epilogue equals dequantize() of the codes bit for bit (linear and conv, uint8 and int8, every ISA); decode without a coding is TF_INVALID_ARGUMENT', () => {
    const x = tf.randn([2, 40, 9, 7]);
    const wq = tf.randint(-127, 128, [33, 9 * 40], { dtype: 'int8' });
    const wl = tf.randint(-127, 128, [33, 40], { dtype: 'int8' });
    const ws = tf.rand([33]).mul(0.002).add(0.0005), bias = tf.randn([33]);
    const xq = { scale: 0.03, zeroPoint: 131 };
    const xr = x.permute(0, 2, 3, 1).contiguous().reshape(-1, 40);
    for (const isa of isas) withIsa(isa, () => {
      const pw = new PackedInt8Weight(wq.clone()), pl = new PackedInt8Weight(wl.clone());
      for (const [out, outScale, outZero] of [['uint8', 0.05, 100], ['int8', 0.04, -3]] as const) {
        for (const act of ['none', 'relu', 'silu'] as const) {
          const e = { wScale: ws, bias, act, out, outScale, outZero };
          const codes = int8Conv2d(x, xq, pw, [3, 3], e, { padding: 1 });
          const fused = int8Conv2d(x, xq, pw, [3, 3], { ...e, decode: true }, { padding: 1 });
          expect(fused.dtype).toBe('float32');
          expectArraysEqual(arr(fused), arr(dequantize(codes, outScale, outZero)), `${isa} conv ${out} ${act}`);
          const lc = int8Linear(xr, xq, pl, e), lf = int8Linear(xr, xq, pl, { ...e, decode: true });
          expectArraysEqual(arr(lf), arr(dequantize(lc, outScale, outZero)), `${isa} linear ${out} ${act}`);
        }
      }
      expectCode(() => int8Linear(xr, xq, pl, { wScale: ws, decode: true }), 'TF_INVALID_ARGUMENT');
      expectCode(() => int8Linear(xr, xq, pl, { wScale: ws, decode: 1 as unknown as boolean }), 'TF_INVALID_ARGUMENT');
      pw.dispose(); pl.dispose();
    });
  });
  test('residual: the epilogue adds it to the float32 result, the same bits as adding afterwards (conv and linear, every ISA, direct and im2col paths); bad residuals are TF_* errors', () => {
    const xq = { scale: 0.03, zeroPoint: 131 };
    for (const isa of isas) withIsa(isa, () => {
      for (const [C, stride] of [[8, 1], [6, 2]]) {  // the direct path's two planes layouts on VNNI
        const x = tf.randn([2, C, 9, 7]);
        const pw = new PackedInt8Weight(tf.randint(-127, 128, [10, 9 * C], { dtype: 'int8' }));
        const ws = tf.rand([10]).mul(0.002).add(0.0005), bias = tf.randn([10]);
        const o = { padding: 1, stride };
        for (const e of [{ wScale: ws, bias }, { wScale: ws, bias, act: 'relu' as const, out: 'uint8' as const, outScale: 0.05, outZero: 100, decode: true }]) {
          const y = int8Conv2d(x, xq, pw, [3, 3], e, o);
          const r = tf.randn(y.shape);
          expectArraysEqual(arr(int8Conv2d(x, xq, pw, [3, 3], { ...e, residual: r }, o)), arr(y.add(r)), `${isa} conv C=${C} stride ${stride}`);
          // a strided (non-contiguous) residual is read as its values
          const rt = tf.randn([y.shape[0], y.shape[1], y.shape[3], y.shape[2]]).transpose(2, 3);
          expectArraysEqual(arr(int8Conv2d(x, xq, pw, [3, 3], { ...e, residual: rt }, o)), arr(y.add(rt)), `${isa} conv strided residual`);
          expectCode(() => int8Conv2d(x, xq, pw, [3, 3], { ...e, residual: tf.randn([2, 10, 3, 3]) }, o), 'TF_SHAPE_MISMATCH');
          expectCode(() => int8Conv2d(x, xq, pw, [3, 3], { ...e, residual: r.to('float64') }, o), 'TF_DTYPE');
        }
        expectCode(() => int8Conv2d(x, xq, pw, [3, 3], { wScale: ws, out: 'uint8', outScale: 0.05, outZero: 100, residual: tf.zeros([2, 10, 9, 7]) }, { padding: 1 }), 'TF_INVALID_ARGUMENT');
        pw.dispose();
      }
      const xl = tf.randn([5, 3, 40]);
      const pl = new PackedInt8Weight(tf.randint(-127, 128, [33, 40], { dtype: 'int8' }));
      const e = { wScale: tf.rand([33]).mul(0.002).add(0.0005), bias: tf.randn([33]), act: 'silu' as const };
      const yl = int8Linear(xl, xq, pl, e), rl = tf.randn(yl.shape);
      expectArraysEqual(arr(int8Linear(xl, xq, pl, { ...e, residual: rl })), arr(yl.add(rl)), `${isa} linear`);
      expectCode(() => int8Linear(xl, xq, pl, { ...e, residual: tf.randn([5, 33]) }), 'TF_SHAPE_MISMATCH');
      pl.dispose();
    });
  });
  test('uint8 activation coding on every ISA path: ties to even, clamping, infinities and NaN as the model says', () => {
    const xs = [-1e30, -Infinity, -3.05, -0.25, -0.05, 0, 0.05, 0.15, 0.25, 0.35, 1.25, 12.7, 12.75, 25.5, 26, Infinity, NaN, 3e38];
    const x = tf.tensor(Array.from({ length: 5 }, () => xs).flat());  // 90 values: vector bodies and a tail
    const f = Math.fround;
    const even = (v: number) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
    const model = (v: number) => (Number.isNaN(v) ? 3 : Math.min(255, Math.max(0, even(f(f(v) / f(0.1))) + 3)));
    for (const isa of isas)
      withIsa(isa, () => expectArraysEqual(arr(quantize(x, 0.1, 3, { dtype: 'uint8' })), arr(x).map(model), isa));
  });
  test('int8Kernel names the current layout', () => {
    expect(withIsa('scalar', () => int8Kernel())).toBe('ref');
    expect(['ref', 'avx2-s16', 'vnni']).toContain(int8Kernel());
    expect(tf.info().int8Kernel).toBe(int8Kernel());
  });
});
