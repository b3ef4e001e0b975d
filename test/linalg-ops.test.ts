// Batched Cholesky and triangular solve (native/ops/linalg.cpp; kernels cpu/host_linalg.cpp, reference
// cpu/ref/linalg.cpp) against float64 closed forms, between the 'cpu' path and the 'ref' reference, and their
// derivatives against central differences.
//
// Closed forms: the AR(1) / Ornstein-Uhlenbeck covariance S_ij = rho^|i-j| has the Cholesky factor L_i0 = rho^i,
// L_ij = rho^(i-j) sqrt(1 - rho^2) (j >= 1), whose inverse is bidiagonal (1 at (0,0); 1/s on the diagonal and
// -rho/s below it, s = sqrt(1 - rho^2)), and det S = (1 - rho^2)^(n-1).
// Tolerances: float64 paths within 1e-12 relative of the closed forms (the factor of a matrix with condition
// number (1+rho)/(1-rho) = 9 at rho = 0.8 loses a few digits at most). float32 against the double reference: a
// Cholesky factor's forward error is bounded by ~ n u cond(A) |L| (u = 6e-8); with cond <= 9 and n <= 150,
// 2 n u cond = 1.6e-4 relative to max |L| is the budget.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { expectClose, expectCode, forEachIsa, gradcheck, gradgradcheck, jvpcheck } from './helpers';

beforeAll(() => tf.manualSeed(9));

function ar1(n: number, rho: number): { S: Float64Array; L: Float64Array; Linv: Float64Array } {
  const S = new Float64Array(n * n), L = new Float64Array(n * n), Linv = new Float64Array(n * n);
  const s = Math.sqrt(1 - rho * rho);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) S[i * n + j] = rho ** Math.abs(i - j);
    L[i * n] = rho ** i;
    for (let j = 1; j <= i; j++) L[i * n + j] = rho ** (i - j) * s;
    Linv[i * n + i] = i === 0 ? 1 : 1 / s;
    if (i > 0) Linv[i * n + i - 1] = -rho / s;
  }
  return { S, L, Linv };
}
const f64 = (t: Tensor) => Float64Array.from(t.to('cpu').contiguous().dataSync() as ArrayLike<number>);
const mat = (a: Float64Array, n: number, m = n) => tf.tensor(a, { shape: [n, m], dtype: 'float64' });

describe.each(['cpu', 'ref'] as const)('on %s', (device) => {
  test('Cholesky of the AR(1) covariance equals its closed form (n across the blocked path), float64 and float32', () => {
    for (const n of [1, 2, 3, 17, 64, 65, 130]) {
      const { S, L } = ar1(n, 0.8);
      const got = f64(tf.linalg.cholesky(mat(S, n).to(device)));
      expectClose(got, L, 1e-12, 0, `n=${n} float64`);
      const g32 = f64(tf.linalg.cholesky(mat(S, n).float().to(device)));
      expectClose(g32, L, 2 * n * 6e-8 * 9 + 1e-6, 0, `n=${n} float32`);
    }
  });

  test('triangular solves against the bidiagonal inverse: lower/upper, transposed, left/right, batched', () => {
    const n = 40, k = 3, { L, Linv } = ar1(n, 0.6);
    const Lt = mat(L, n).to(device), B = tf.randn([n, k], { dtype: 'float64' }).to(device);
    const want = (inv: Tensor, b: Tensor) => f64(inv.matmul(b));
    const Li = mat(Linv, n).to(device);
    expectClose(f64(tf.linalg.solveTriangular(Lt, B, { upper: false })), want(Li, B), 1e-12, 0, 'L X = B');
    const U = Lt.transpose(0, 1).contiguous();
    expectClose(f64(tf.linalg.solveTriangular(U, B, { upper: true })), want(Li.transpose(0, 1), B), 1e-12, 0, 'U X = B');
    const Bt = B.transpose(0, 1).contiguous();  // [k, n]
    expectClose(f64(tf.linalg.solveTriangular(Lt, Bt, { upper: false, left: false })), f64(Bt.matmul(Li)), 1e-12, 0, 'X L = B');
    // only the triangle is read: garbage above the diagonal changes nothing
    const upperJunk = tf.tensor(Float64Array.from(L, (v, i) => (i % n > Math.floor(i / n) ? 7 : v)), { shape: [n, n], dtype: 'float64' }).to(device);
    expectClose(f64(tf.linalg.solveTriangular(upperJunk, B, { upper: false })), want(Li, B), 1e-12, 0, 'upper junk ignored');
    // batched with broadcasting: T [2, 1, n, n] against B [3, n, k]
    const T2 = tf.stack([Lt, Lt.mul(2)]).unsqueeze(1), B3 = tf.randn([3, n, k], { dtype: 'float64' }).to(device);
    const X = tf.linalg.solveTriangular(T2, B3, { upper: false });
    expect(X.shape).toEqual([2, 3, n, k]);
    expectClose(f64(X.select(0, 1).select(0, 2)), want(Li.mul(0.5), B3.select(0, 2)), 1e-12, 0, 'broadcast');
  });

  test('cholesky solve and logdet', () => {
    const n = 30, { S } = ar1(n, 0.7);
    const A = mat(S, n).to(device), L = tf.linalg.cholesky(A);
    expect(Math.abs(tf.linalg.choleskyLogdet(L).item() - (n - 1) * Math.log(1 - 0.49))).toBeLessThan(1e-11);
    const B = tf.randn([n, 2], { dtype: 'float64' }).to(device);
    expectClose(f64(A.matmul(tf.linalg.choleskySolve(B, L))), f64(B), 1e-11, 0, 'A A^-1 B');
    expectClose(f64(A.matmul(tf.linalg.choleskySolve(B, L.transpose(0, 1).contiguous(), { upper: true }))), f64(B), 1e-11, 0, 'upper');
  });
});

test('every ISA row (cpu/simd/linalg.inc) against the double reference on random SPD batches, and thread-count independence', () => {
  // n covers one lane, the chunk tails of every lane width (8, 16, 4 vectors of them) and the 64-column block
  const sizes = [1, 5, 17, 48, 64, 65, 100];
  const cases = sizes.map((n) => {
    const M = tf.randn([3, n, n], { dtype: 'float64' });
    return { n, A64: M.matmul(M.transpose(-2, -1)).div(n).add(tf.eye(n, n, { dtype: 'float64' })) };  // cond <= 5
  });
  forEachIsa((isa) => {
    for (const { n, A64 } of cases) {
      const ref64 = f64(tf.linalg.cholesky(A64.to('ref')));
      const scale = Math.max(...ref64.map(Math.abs));
      // float64: the same algorithm in double, summed in another order: rounding only (n u cond |L| ~ 1e-13)
      expectClose(f64(tf.linalg.cholesky(A64)), ref64, 1e-12 * scale, 0, `${isa} float64 n=${n}`);
      const A = A64.to('float32');
      const ref = f64(tf.linalg.cholesky(A.to('ref')));
      expectClose(f64(tf.linalg.cholesky(A)), ref, 2 * n * 6e-8 * 5 * scale, 0, `${isa} float32 n=${n}`);
    }
  });
  const M = tf.randn([16, 80, 80]);
  const A = M.matmul(M.transpose(-2, -1)).div(80).add(tf.eye(80, 80));
  const prev = tf.getNumThreads();
  try {
    tf.setNumThreads(1); const a = tf.linalg.cholesky(A).dataSync();
    tf.setNumThreads(2); const b = tf.linalg.cholesky(A).dataSync();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  } finally { tf.setNumThreads(prev); }
});

test('every ISA row solves like the reference: k = 1 (the dot form), k off the lane width, each variant', () => {
  const cases = [7, 48, 65].map((n) => {
    const M = tf.randn([2, n, n], { dtype: 'float64' });
    return { n, L: tf.linalg.cholesky(M.matmul(M.transpose(-2, -1)).div(n).add(tf.eye(n, n, { dtype: 'float64' }))) };
  });
  forEachIsa((isa) => {
    for (const { n, L } of cases) for (const k of [1, 3, 16, 37]) for (const upper of [false, true]) for (const left of [true, false]) {
      const T = (upper ? L.transpose(-2, -1) : L).contiguous();
      const B = tf.randn(left ? [2, n, k] : [2, k, n], { dtype: 'float64' });
      const want = f64(tf.linalg.solveTriangular(T.to('ref'), B.to('ref'), { upper, left }));
      // float64 with cond(L) <= sqrt(5): rounding of a different summation order only
      expectClose(f64(tf.linalg.solveTriangular(T, B, { upper, left })), want, 1e-11, 0, `${isa} n=${n} k=${k} upper=${upper} left=${left}`);
      // float32 against the double reference: forward error <= n u cond |x|, with cond(L) <= sqrt(5) and |x| <= ~10
      const got32 = f64(tf.linalg.solveTriangular(T.to('float32'), B.to('float32'), { upper, left }));
      const scale = Math.max(1, ...want.map(Math.abs));
      expectClose(got32, want, 4 * n * 6e-8 * scale, 0, `${isa} float32 n=${n} k=${k}`);
    }
  });
});

test('cholesky factors the symmetric part (a + a^T)/2 on every path: a skew part changes nothing', () => {
  const n = 20;
  const M = tf.randn([2, n, n], { dtype: 'float64' });
  const A = M.matmul(M.transpose(-2, -1)).div(n).add(tf.eye(n, n, { dtype: 'float64' }));
  const K = tf.randn([2, n, n], { dtype: 'float64' });
  const skewed = A.add(K.sub(K.transpose(-2, -1)));
  for (const dev of ['cpu', 'ref'] as const) {
    expectClose(f64(tf.linalg.cholesky(skewed.to(dev))), f64(tf.linalg.cholesky(A.to(dev))), 1e-12, 0, dev);
  }
});

test('blocked triangular solves (n past the block size) on cpu equal the reference, every variant', () => {
  for (const n of [65, 150]) {
    const M = tf.randn([2, n, n], { dtype: 'float64' });
    const L = tf.linalg.cholesky(M.matmul(M.transpose(-2, -1)).div(n).add(tf.eye(n, n, { dtype: 'float64' })));
    for (const upper of [false, true]) for (const left of [true, false]) {
      const T = (upper ? L.transpose(-2, -1) : L).contiguous();
      const B = tf.randn(left ? [2, n, 5] : [2, 5, n], { dtype: 'float64' });
      const got = f64(tf.linalg.solveTriangular(T, B, { upper, left }));
      const want = f64(tf.linalg.solveTriangular(T.to('ref'), B.to('ref'), { upper, left }));
      expectClose(got, want, 1e-11, 0, `n=${n} upper=${upper} left=${left}`);
      // and the residual: T X = B (or X T = B)
      const X = tf.linalg.solveTriangular(T, B, { upper, left });
      expectClose(f64(left ? T.matmul(X) : X.matmul(T)), f64(B), 1e-11, 0, 'residual');
    }
  }
});

describe('derivatives (float64)', () => {
  const spd = (n: number, batch: number[] = []) => {
    const M = tf.randn([...batch, n, n], { dtype: 'float64' });
    return M.matmul(M.transpose(-2, -1)).div(n).add(tf.eye(n, n, { dtype: 'float64' })).detach();
  };
  for (const device of ['cpu', 'ref'] as const) {
    test(`cholesky: gradient, JVP, second order (${device})`, () => {
      const A = spd(5, [2]);
      const f = (a: Tensor) => tf.linalg.cholesky(a.to(device)).to('cpu');
      gradcheck(f, [A.clone()]);
      jvpcheck(f, [A.clone()]);
      gradgradcheck((a) => tf.linalg.cholesky(a.to(device)).to('cpu').square(), [A.clone()]);
      // the gradient is symmetric (the op factors the symmetric part)
      const a = A.clone().requiresGrad_();
      const [g] = tf.autograd.grad(tf.linalg.cholesky(a.to(device)).to('cpu').mul(tf.randn([2, 5, 5], { dtype: 'float64' })).sum(), [a]);
      expectClose(f64(g!), f64(g!.transpose(-2, -1)), 1e-14, 0, 'symmetric gradient');
    });
    test.each([[false, false], [false, true], [true, false], [true, true]])(`solveTriangular upper=%s left=%s: gradient and JVP (${device})`, (upper, right) => {
      const L = tf.linalg.cholesky(spd(4, [2]));
      const T = (upper ? L.transpose(-2, -1) : L).contiguous().detach();
      const B = tf.randn(right ? [3, 4] : [4, 3], { dtype: 'float64' });  // broadcast over T's batch
      const f = (t: Tensor, b: Tensor) => tf.linalg.solveTriangular(t.to(device), b.to(device), { upper, left: !right }).to('cpu');
      gradcheck(f, [T.clone(), B.clone()]);
      jvpcheck(f, [T.clone(), B.clone()]);
    });
  }
  test('logdet gradient is the inverse (d log det A / dA = A^-1)', () => {
    const A = spd(6).requiresGrad_();
    const [g] = tf.autograd.grad(tf.linalg.choleskyLogdet(tf.linalg.cholesky(A)), [A]);
    const inv = tf.linalg.choleskySolve(tf.eye(6, 6, { dtype: 'float64' }), tf.linalg.cholesky(A.detach()));
    expectClose(f64(g!), f64(inv), 1e-12, 0, 'A^-1');
  });
});

test('kernels: RBF and OU values; the OU covariance on a regular grid is AR(1)', () => {
  const t = tf.tensor(new Float64Array([0, 0.5, 1, 1.5]), { dtype: 'float64' });
  const K = f64(tf.linalg.ouKernel(t, t, { lengthscale: 2 }));
  const rho = Math.exp(-0.5 / 2);
  expectClose(K, ar1(4, rho).S, 1e-15, 0, 'OU = AR(1)');
  const R = f64(tf.linalg.rbfKernel(t, t, { lengthscale: 0.7, variance: 2 }));
  expect(R[1]).toBeCloseTo(2 * Math.exp(-0.25 / (2 * 0.49)), 14);
  const x = tf.randn([5, 3], { dtype: 'float64' }), y = tf.randn([4, 3], { dtype: 'float64' });
  const D = f64(tf.linalg.pairwiseSqDist(x, y)), xv = f64(x), yv = f64(y);
  let d = 0; for (let c = 0; c < 3; c++) d += (xv[2 * 3 + c] - yv[1 * 3 + c]) ** 2;
  expect(D[2 * 4 + 1]).toBeCloseTo(d, 13);
  expectCode(() => tf.linalg.rbfKernel(t, t, { lengthscale: 0 }), 'TF_INVALID_ARGUMENT');
});

test('bad input: clear TF_* errors', () => {
  expectCode(() => tf.linalg.cholesky(tf.ones([3, 4])), 'TF_SHAPE_MISMATCH');
  expectCode(() => tf.linalg.cholesky(tf.ones([3])), 'TF_SHAPE_MISMATCH');
  expectCode(() => tf.linalg.cholesky(tf.ones([2, 2], { dtype: 'int32' })), 'TF_DTYPE');
  expectCode(() => tf.linalg.cholesky(tf.eye(3, 3), { jitter: -1 }), 'TF_INVALID_ARGUMENT');
  // the second matrix of the batch is indefinite: the message names it
  const batch = tf.stack([tf.eye(3, 3), tf.eye(3, 3).mul(-1)]);
  let msg = '';
  try { tf.linalg.cholesky(batch); } catch (e) { msg = (e as Error).message; expect((e as { code: string }).code).toBe('TF_INVALID_ARGUMENT'); }
  expect(msg).toMatch(/matrix 1 of the batch is not positive definite/);
  // jitter makes a semidefinite matrix factorable
  expect(() => tf.linalg.cholesky(tf.zeros([3, 3]), { jitter: 1e-6 })).not.toThrow();
  expectCode(() => tf.linalg.cholesky(tf.full([2, 2], NaN)), 'TF_INVALID_ARGUMENT');
  expectCode(() => tf.linalg.solveTriangular(tf.zeros([3, 3]), tf.ones([3, 1]), { upper: false }), 'TF_INVALID_ARGUMENT');
  expectCode(() => tf.linalg.solveTriangular(tf.eye(3, 3), tf.ones([4, 1]), { upper: false }), 'TF_SHAPE_MISMATCH');
  expectCode(() => tf.linalg.solveTriangular(tf.eye(3, 3), tf.ones([3, 1], { dtype: 'float64' }), { upper: false }), 'TF_DTYPE');
  expectCode(() => tf.linalg.solveTriangular(tf.eye(3, 3), tf.ones([3, 1]), {} as never), 'TF_INVALID_ARGUMENT');
  expect(tf.linalg.cholesky(tf.zeros([0, 3, 3])).shape).toEqual([0, 3, 3]);
});
