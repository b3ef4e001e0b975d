// The matmul precision 'tf32' (backend.setMatmulPrecision): the 'ref' device's model against closed forms and an
// independent model written here (tf32 rounding by bit arithmetic in JS, products summed in float64), the 'cpu'
// device unchanged (it has no tf32 arithmetic: the precision is a permission there), the switch followed by
// Linear and by gradients, and the environment variable. The CUDA tensor-core kernel is compared with this model
// in test/cuda.test.ts (GPU only) and its index math on the host in test/native/hd_check.cpp.
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor } from '../lib';
import { arr, expectCode } from './helpers';

const root = path.join(__dirname, '..');

function withPrecision<R>(p: tf.MatmulPrecision, fn: () => R): R {
  const prev = tf.backend.getMatmulPrecision();
  tf.backend.setMatmulPrecision(p);
  try { return fn(); } finally { tf.backend.setMatmulPrecision(prev); }
}
afterAll(() => tf.backend.setMatmulPrecision('fp32'));

// float32 -> tf32, to nearest, ties away from zero (cvt.rna.tf32.f32), by bit arithmetic: NaN and inf pass
const u32 = new Uint32Array(1), f32 = new Float32Array(u32.buffer);
function tf32(x: number): number {
  f32[0] = x;
  if (!Number.isFinite(f32[0])) return f32[0];
  u32[0] = ((u32[0] + 0x1000) & 0xffffe000) >>> 0;
  return f32[0];
}

describe('tf32 precision', () => {
  test('round-trips, is reported by info(), and other names are TF_INVALID_ARGUMENT', () => {
    withPrecision('tf32', () => {
      expect(tf.backend.getMatmulPrecision()).toBe('tf32');
      expect(tf.info().matmulPrecision).toBe('tf32');
    });
    expect(tf.backend.getMatmulPrecision()).toBe('fp32');
    expectCode(() => tf.backend.setMatmulPrecision('fp16' as 'fp32'), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.backend.setMatmulPrecision('TF32' as 'fp32'), 'TF_INVALID_ARGUMENT');
  });

  test('TENSORFIELD_MATMUL_PRECISION=tf32 sets it at load', () => {
    const out = execFileSync(process.execPath, ['-e', 'console.log(require(process.argv[1]).backend.getMatmulPrecision())', root],
      { env: { ...process.env, TENSORFIELD_MATMUL_PRECISION: 'tf32' } }).toString().trim();
    expect(out).toBe('tf32');
  });

  test("'ref' closed forms: operands round to nearest with ties away from zero before the product", () => {
    const e = 2 ** -11;  // half a tf32 ulp at 1
    const a = tf.tensor([[1 + e, -(1 + e), 1 + e / 2, 1 + 3 * e]], { device: 'ref' });
    const pick = (i: number) => tf.tensor([[0], [0], [0], [0]].map((r, j) => [j === i ? 1 : 0]), { device: 'ref' });
    const got = [0, 1, 2, 3].map((i) => withPrecision('tf32', () => arr(a.matmul(pick(i)))[0]));
    // 1 + 2^-11: a tie, away from zero -> 1 + 2^-10 (ties-to-even would give 1); 1 + 2^-12 -> 1; 1 + 3 2^-11 -> 1 + 2^-9
    expect(got).toEqual([1 + 2 ** -10, -(1 + 2 ** -10), 1, 1 + 2 ** -9]);
    expect(withPrecision('fp32', () => arr(a.matmul(pick(0))))).toEqual([Math.fround(1 + e)]);
  });

  test("'ref' random products equal the independent model within float32 rounding of the double sum", () => {
    tf.manualSeed(4);
    const A = tf.randn([17, 45], { device: 'ref' }), B = tf.randn([45, 9], { device: 'ref' });
    const a = arr(A), b = arr(B);
    const got = withPrecision('tf32', () => arr(A.matmul(B)));
    const fp = arr(A.matmul(B));
    let differs = 0;
    for (let m = 0; m < 17; m++) for (let n = 0; n < 9; n++) {
      let s = 0;
      for (let k = 0; k < 45; k++) s += tf32(a[m * 45 + k]) * tf32(b[k * 9 + n]);
      // the model sums exact products in double and rounds once: equal to float32 rounding of s
      expect(got[m * 9 + n]).toBe(Math.fround(s));
      if (got[m * 9 + n] !== fp[m * 9 + n]) differs++;
    }
    expect(differs).toBeGreaterThan(100);  // the switch is live: most of the 153 outputs move
  });

  test("'ref' Linear and the gradients follow the switch", () => {
    tf.manualSeed(6);
    const lin = new tf.nn.Linear(30, 7);
    lin.toDevice('ref');
    const x0 = tf.randn([5, 30], { device: 'ref' });
    const run = () => {
      const x = x0.clone().requiresGrad_();
      const y = lin.forward(x);
      y.square().sum().backward();
      return { y: arr(y), g: arr(x.grad as Tensor) };
    };
    const f = withPrecision('fp32', run), t = withPrecision('tf32', run);
    expect(t.y).not.toEqual(f.y);
    expect(t.g).not.toEqual(f.g);
    // within the precision's bound: |tf32 - fp32| <= (2^-10 + K 2^-23) sum |a b| per output; sum|x w| < 30 * 4 here
    for (let i = 0; i < f.y.length; i++) expect(Math.abs(t.y[i] - f.y[i])).toBeLessThan((2 ** -10 + 60 * 2 ** -23) * 120);
  });

  test("the 'cpu' device keeps float32: results bit-identical to fp32", () => {
    tf.manualSeed(8);
    const A = tf.randn([64, 80]), B = tf.randn([80, 48]);
    expect(withPrecision('tf32', () => arr(A.matmul(B)))).toEqual(arr(A.matmul(B)));
  });
});
