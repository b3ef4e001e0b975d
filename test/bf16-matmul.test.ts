// The matmul precision switch (backend.setMatmulPrecision) and the bf16 GEMM, against independent oracles:
//  - closed forms on the 'ref' device (the scalar model): values bf16 rounds in a known way (1 + 2^-9 ties to 1,
//    1 + 3 2^-9 to 1 + 2^-7), and small integers, which bf16 holds exactly;
//  - the kernel's source compiled against a scalar model of its intrinsics (test/native), on every CPU, exactly
//    (integer operands) and within float32 summation error (random operands), plus a mutation that must be caught;
//  - on a CPU with AVX512-BF16: the real kernel against the reference model within float32 summation error, and
//    against float64 within the bound the precision promises: |bf16 - exact| <= (2^-7 + 2^-16 + K 2^-23) sum|a b|
//    (each operand's rounding is within 2^-8 relative, the product within 2^-7 + 2^-16; float32 accumulation
//    adds K 2^-24 relative per term, doubled for the blocked order); Linear, conv and attention follow the
//    switch, forward and backward; elsewhere the switch leaves results bit-identical to fp32 (a permission).
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor } from '../lib';
import { arr, expectCode, withIsa } from './helpers';

const root = path.join(__dirname, '..');
const hasBf16 = tf.info().bf16Matmul !== 'none (fp32)';

function withPrecision<R>(p: tf.MatmulPrecision, fn: () => R): R {
  const prev = tf.backend.getMatmulPrecision();
  tf.backend.setMatmulPrecision(p);
  try { return fn(); } finally { tf.backend.setMatmulPrecision(prev); }
}
afterAll(() => tf.backend.setMatmulPrecision('fp32'));

// float64 |a| @ |b| and a @ b, for the bounds
function f64(a: Tensor, b: Tensor) {
  const A = a.to('cpu').double(), B = b.to('cpu').double();
  return { exact: arr(A.matmul(B)), scale: arr(A.abs().matmul(B.abs())) };
}

describe('setMatmulPrecision', () => {
  test('defaults to fp32, round-trips, and rejects anything else with TF_INVALID_ARGUMENT', () => {
    expect(tf.backend.getMatmulPrecision()).toBe('fp32');
    withPrecision('bf16', () => expect(tf.backend.getMatmulPrecision()).toBe('bf16'));
    expect(tf.backend.getMatmulPrecision()).toBe('fp32');
    expectCode(() => tf.backend.setMatmulPrecision('fp16' as 'fp32'), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.backend.setMatmulPrecision(3 as unknown as 'fp32'), 'TF_INVALID_ARGUMENT');
    expect(tf.backend.getMatmulPrecision()).toBe('fp32');
    expect(['avx512-bf16', 'amx-bf16', 'none (fp32)']).toContain(tf.info().bf16Matmul);
  });
});

describe('TENSORFIELD_MATMUL_PRECISION', () => {
  const probe = (v: string) => execFileSync(process.execPath, ['-e',
    "const tf = require(process.argv[1]); tf.manualSeed(1); tf.randn([2, 2]).matmul(tf.randn([2, 2])); console.log(tf.backend.getMatmulPrecision())",
    root], { env: { ...process.env, TENSORFIELD_MATMUL_PRECISION: v } }).toString().trim();
  test('bf16 sets the precision at load; anything else leaves fp32', () => {
    expect(probe('bf16')).toBe('bf16');
    expect(probe('fp16')).toBe('fp32');
  });
});

describe("the 'ref' device's bf16 model: closed forms", () => {
  test('operands round to nearest, ties to even, before the product', () => {
    const e = 2 ** -9;  // half a bf16 ulp at 1
    const a = tf.tensor([[1 + e, 1 + 3 * e, -(1 + e)]], { device: 'ref' });
    const b = tf.tensor([[1], [0], [0]], { device: 'ref' });
    const b2 = tf.tensor([[0], [1], [0]], { device: 'ref' });
    // 1 + 2^-9 is a tie between 1 and 1 + 2^-8: even (1) wins; 1 + 3 2^-9 ties up to 1 + 2^-7
    expect(withPrecision('bf16', () => arr(a.matmul(b)))).toEqual([1]);
    expect(withPrecision('bf16', () => arr(a.matmul(b2)))).toEqual([1 + 2 ** -7]);
    expect(withPrecision('fp32', () => arr(a.matmul(b)))).toEqual([Math.fround(1 + e)]);
  });
  test('small integers are exact, so bf16 equals fp32 there', () => {
    const a = tf.tensor([[1, -2, 3], [4, 5, -6]], { device: 'ref' });
    const b = tf.tensor([[7, 8], [-9, 10], [11, 12]], { device: 'ref' });
    expect(withPrecision('bf16', () => arr(a.matmul(b)))).toEqual([58, 24, -83, 10]);
  });
});

describe('the bf16 kernel source, against a scalar model of its intrinsics', () => {
  const gxx = spawnSync('g++', ['--version']).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-bf16-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const build = (src: string, out: string) => execFileSync('g++', ['-O1', '-std=c++17', '-DTF_EMULATE_AVX512', '-include',
    path.join(root, 'test/native/avx512bf16_emulation.h'), '-I', path.join(root, 'native/cpu'), src,
    path.join(root, 'native/cpu/ref/gemm.cpp'), path.join(root, 'test/native/gemm_bf16_check.cpp'), '-o', out]);
  (gxx ? test : test.skip)('equals the reference exactly on integer operands and within float32 summation error otherwise', () => {
    build(path.join(root, 'native/cpu/avx512bf16/gemm_bf16.cpp'), path.join(dir, 'bf16'));
    expect(execFileSync(path.join(dir, 'bf16')).toString()).toMatch(/^ok \d+/);
  });
  (gxx ? test : test.skip)('the AMX-BF16 kernel source against the scalar tile model: the same checks', () => {
    execFileSync('g++', ['-O1', '-std=c++17', '-DTF_EMULATE_AMX', '-DTF_BF16_FILL=fill_amx_bf16_gemm', '-include',
      path.join(root, 'test/native/amx_emulation.h'), '-I', path.join(root, 'native/cpu'),
      path.join(root, 'native/cpu/amx/gemm_bf16.cpp'), path.join(root, 'native/cpu/ref/gemm.cpp'),
      path.join(root, 'test/native/gemm_bf16_check.cpp'), '-o', path.join(dir, 'amx-bf16')]);
    expect(execFileSync(path.join(dir, 'amx-bf16')).toString()).toMatch(/^ok \d+/);
  });
  (gxx ? test : test.skip)('a kernel that forgets to accumulate across K blocks is caught', () => {
    // the K-block loop both bf16 kernels share lives in simd/bf16_pack.inc: mutate it there
    const inc = fs.readFileSync(path.join(root, 'native/cpu/simd/bf16_pack.inc'), 'utf8');
    expect(inc).toContain('accumulate || k0 > 0;');
    fs.mkdirSync(path.join(dir, 'mut', 'avx512bf16'), { recursive: true });
    for (const h of ['kernels.h', 'bf16.h']) fs.copyFileSync(path.join(root, 'native/cpu', h), path.join(dir, 'mut', h));
    fs.mkdirSync(path.join(dir, 'mut', 'simd'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'mut', 'simd', 'bf16_pack.inc'), inc.replace('accumulate || k0 > 0;', 'accumulate != 0;'));
    const mut = path.join(dir, 'mut', 'avx512bf16', 'gemm_bf16.cpp');
    fs.copyFileSync(path.join(root, 'native/cpu/avx512bf16/gemm_bf16.cpp'), mut);
    build(mut, path.join(dir, 'mut-bin'));
    const r = spawnSync(path.join(dir, 'mut-bin'));
    expect(r.status).toBe(1);
    expect(r.stdout.toString()).toMatch(/mismatch/);
  });
});

describe('matmul precision bf16 on this CPU', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [37, 300, 129], [70, 1030, 65]];
  (hasBf16 ? test : test.skip)('the AVX512-BF16 kernel: within float32 summation error of the model, within the promised bound of float64', () => {
    tf.manualSeed(3);
    for (const [M, K, N] of shapes) {
      const a = tf.randn([M, K]), b = tf.randn([K, N]);
      const got = withPrecision('bf16', () => arr(a.matmul(b)));
      const model = withPrecision('bf16', () => arr(a.to('ref').matmul(b.to('ref'))));
      // the model's bf16 operands, |.| products summed in float64, for the summation bound
      const ra = tf.tensor(arr(a).map((v) => bf16(v)), { shape: [M, K], dtype: 'float64' });
      const rb = tf.tensor(arr(b).map((v) => bf16(v)), { shape: [K, N], dtype: 'float64' });
      const s16 = arr(ra.abs().matmul(rb.abs()));
      const { exact, scale } = f64(a, b);
      for (let i = 0; i < got.length; i++) {
        expect(Math.abs(got[i] - model[i])).toBeLessThanOrEqual((K + 2) * 2 ** -24 * s16[i] + Math.abs(model[i]) * 2 ** -24);
        expect(Math.abs(got[i] - exact[i])).toBeLessThanOrEqual((2 ** -7 + 2 ** -16 + K * 2 ** -23) * scale[i]);
      }
    }
  });
  (hasBf16 ? test : test.skip)('is really bf16: the error against float64 is of bf16 size, not float32 size', () => {
    tf.manualSeed(4);
    const a = tf.randn([64, 512]), b = tf.randn([512, 64]);
    const { exact, scale } = f64(a, b);
    const rel = (v: number[]) => Math.max(...v.map((x, i) => Math.abs(x - exact[i]) / scale[i]));
    const e16 = rel(withPrecision('bf16', () => arr(a.matmul(b))));
    const e32 = rel(withPrecision('fp32', () => arr(a.matmul(b))));
    expect(e16).toBeGreaterThan(16 * e32);  // the fp32 path's error is K 2^-24-sized; bf16's ~2^-9-sized
    expect(e16).toBeLessThan(2 ** -7);
  });
  (hasBf16 ? test : test.skip)('Linear, conv and attention follow the switch, forward and backward, within the bf16 bound', () => {
    tf.manualSeed(5);
    const lin = new tf.nn.Linear(96, 40);
    const x = tf.randn([33, 96]);
    const img = tf.randn([2, 8, 12, 12]), w = tf.randn([16, 8, 3, 3]).mul(0.2);
    const q = tf.randn([2, 10, 32]), k = tf.randn([2, 12, 32]), v = tf.randn([2, 12, 32]);
    const run = () => {
      const xs = x.clone().requiresGrad_();
      const y1 = lin.forward(xs);
      const y2 = tf.conv2d(img, w, { padding: 1 });
      const y3 = tf.nn.functional.scaledDotProductAttention(q, k, v);
      y1.square().sum().backward();
      const g = xs.grad as Tensor;
      return [y1, y2, y3, g].map(arr);
    };
    const f32 = withPrecision('fp32', run), b16 = withPrecision('bf16', run);
    f32.forEach((ref, j) => {
      const got = b16[j];
      const mag = Math.max(...ref.map(Math.abs));
      const err = Math.max(...got.map((g, i) => Math.abs(g - ref[i])));
      expect(err).toBeGreaterThan(0);          // the switch reached this op
      expect(err).toBeLessThan(0.05 * mag);    // and stayed a bf16-sized change (a few 2^-8 of the output's scale)
    });
  });
  test('on every ISA path without bf16 instructions the switch leaves results bit-identical to fp32', () => {
    tf.manualSeed(6);
    const a = tf.randn([20, 70]), b = tf.randn([70, 9]);
    let paths = 0;
    for (const isa of tf.backend.supportedIsas() as ('scalar' | 'avx2' | 'avx512')[])
      withIsa(isa, () => {
        if (tf.info().bf16Matmul !== 'none (fp32)') return;
        expect(withPrecision('bf16', () => arr(a.matmul(b)))).toEqual(withPrecision('fp32', () => arr(a.matmul(b))));
        paths++;
      });
    expect(paths).toBeGreaterThan(0);  // 'scalar' never has them
  });
});

function bf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = ((u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16) << 16;
  return f[0];
}
