// The Fourier transforms (native/ops/fft.cpp, cpu/simd/fft.inc, cpu/ref/dft.cpp) against an explicit float64 DFT
// written here, on every ISA row this CPU has and on the 'ref' device (the naive DFT).
//
// Tolerances, as a relative rms error ||got - want||_2 / ||want||_2: a Stockham FFT in precision u has an rms
// error growing like u sqrt(log2 n) (random-walk rounding over log2 n passes), worst case u log2 n; Bluestein
// adds two chirp multiplies and two FFTs of length m < 4n. With u = 6e-8 (float32) and the worst case over a
// Bluestein length (3 log2 m + 4 roundings, log2 m <= log2 n + 2), 4 u (log2 n + 4) bounds every length here:
// the float32 budget is 2.4e-7 (log2 n + 4). The float64 DFT oracle has rms error ~ 1e-16 sqrt(n), so the float64
// budget is 1e-15 (log2 n + 4) + 1e-16 sqrt(n).
import * as tf from '../lib';
import { Tensor } from '../lib';
import { expectCode, gradcheck, gradgradcheck, jvpcheck, withIsa } from './helpers';

beforeAll(() => tf.manualSeed(11));

const isas = tf.backend.supportedIsas() as ('scalar' | 'avx2' | 'avx512')[];
// direct lengths (radix 4, 2, 3, generic primes <= 64), Bluestein lengths (a prime factor > 64), edge cases
const lengths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 30, 31, 49, 60, 61, 64, 67, 97, 100, 128, 131, 210, 254, 256, 1000, 1021];

// X_k = scale sum_j x_j exp(sign 2 pi i jk / n), over complex rows [rows][n] as interleaved (re, im)
function dft(x: Float64Array, rows: number, n: number, sign: number, scale = 1): Float64Array {
  const out = new Float64Array(rows * n * 2);
  const c = new Float64Array(n), s = new Float64Array(n);
  for (let q = 0; q < n; q++) { c[q] = Math.cos(2 * Math.PI * q / n); s[q] = sign * Math.sin(2 * Math.PI * q / n); }
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < n; k++) {
      let re = 0, im = 0;
      for (let j = 0; j < n; j++) {
        const q = (j * k) % n, xr = x[(r * n + j) * 2], xi = x[(r * n + j) * 2 + 1];
        re += xr * c[q] - xi * s[q];
        im += xr * s[q] + xi * c[q];
      }
      out[(r * n + k) * 2] = re * scale;
      out[(r * n + k) * 2 + 1] = im * scale;
    }
  return out;
}

function relRms(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0, w = 0;
  for (let i = 0; i < want.length; i++) { e += (got[i] - want[i]) ** 2; w += want[i] ** 2; }
  return w === 0 ? Math.sqrt(e) : Math.sqrt(e / w);
}
const budget = (dt: string, n: number) => dt === 'float32' ? 2.4e-7 * (Math.log2(n) + 4) : 1e-15 * (Math.log2(n) + 4) + 1e-16 * Math.sqrt(n);
const f64 = (t: Tensor) => Float64Array.from(t.to('cpu').contiguous().dataSync() as ArrayLike<number>);

// every path: each ISA row of 'cpu', and 'ref'
const paths: [string, (f: () => void) => void, 'cpu' | 'ref'][] = [
  ...isas.map((isa) => [`cpu/${isa}`, (f: () => void) => withIsa(isa, f), 'cpu'] as [string, (f: () => void) => void, 'cpu']),
  ['ref', (f: () => void) => f(), 'ref'],
];

describe.each(paths)('%s against a float64 DFT', (_name, run, device) => {
  test.each(['float32', 'float64'] as const)('complex forward and inverse, every length (%s)', (dt) => run(() => {
    for (const n of lengths) tf.tidy(() => {
      const rows = 19;  // not a multiple of any lane count: a partly filled group
      const x = tf.randn([rows, n, 2], { dtype: 'float64' });
      const xd = x.to(dt).to(device);
      const fw = tf.fft.fft(xd, { dim: 0 - 1 });
      const iv = tf.fft.ifft(xd, { norm: 'forward' });
      const xq = f64(xd);  // the oracle transforms exactly what the op saw (rounded to dt)
      const e1 = relRms(f64(fw), dft(xq, rows, n, -1)), e2 = relRms(f64(iv), dft(xq, rows, n, 1));
      if (!(e1 <= budget(dt, n) && e2 <= budget(dt, n))) throw new Error(`n=${n} ${dt}: forward ${e1}, inverse ${e2}, budget ${budget(dt, n)}`);
    });
  }));

  test.each(['float32', 'float64'] as const)('rfft and irfft, along the last and a middle dim (%s)', (dt) => run(() => {
    for (const n of lengths) tf.tidy(() => {
      const h = Math.floor(n / 2) + 1;
      // [2, n, 5]: transforms along dim 1 with an inner stride of 5
      const x = tf.randn([2, n, 5], { dtype: 'float64' }).to(dt).to(device);
      const xq = f64(x);
      const X = tf.fft.rfft(x, { dim: 1 });
      expect(X.shape).toEqual([2, h, 5, 2]);
      // oracle: rows (o, i) as complex signals with zero imaginary part
      const rows = new Float64Array(10 * n * 2);
      for (let o = 0; o < 2; o++) for (let i = 0; i < 5; i++) for (let j = 0; j < n; j++) rows[((o * 5 + i) * n + j) * 2] = xq[(o * n + j) * 5 + i];
      const D = dft(rows, 10, n, -1);
      const got = f64(X), want = new Float64Array(got.length);
      for (let o = 0; o < 2; o++) for (let i = 0; i < 5; i++) for (let k = 0; k < h; k++) for (let c = 0; c < 2; c++)
        want[((o * h + k) * 5 + i) * 2 + c] = D[((o * 5 + i) * n + k) * 2 + c];
      const e = relRms(got, want);
      if (!(e <= budget(dt, n))) throw new Error(`rfft n=${n} ${dt}: ${e} > ${budget(dt, n)}`);
      // irfft of a random half spectrum (DC and Nyquist imaginary parts set, and ignored) against the oracle on
      // the hermitian extension
      const S = tf.randn([3, h, 2], { dtype: 'float64' }).to(dt).to(device);
      const sq = f64(S);
      const full = new Float64Array(3 * n * 2);
      for (let r = 0; r < 3; r++) for (let k = 0; k < n; k++) {
        const up = k > Math.floor(n / 2), kk = up ? n - k : k;
        const im = kk === 0 || 2 * kk === n ? 0 : sq[(r * h + kk) * 2 + 1];
        full[(r * n + k) * 2] = sq[(r * h + kk) * 2];
        full[(r * n + k) * 2 + 1] = up ? -im : im;
      }
      const Dx = dft(full, 3, n, 1, 1 / n);
      const xs = f64(tf.fft.irfft(S, { n }));
      const wantR = new Float64Array(3 * n);
      for (let i = 0; i < 3 * n; i++) wantR[i] = Dx[2 * i];
      const er = relRms(xs, wantR);
      if (!(er <= budget(dt, n))) throw new Error(`irfft n=${n} ${dt}: ${er} > ${budget(dt, n)}`);
    });
  }));
});

test('round trips and Parseval, every norm', () => {
  for (const n of [7, 16, 100, 131]) tf.tidy(() => {
    const x = tf.randn([4, n], { dtype: 'float64' });
    for (const norm of ['backward', 'forward', 'ortho'] as const) {
      expect(tf.fft.irfft(tf.fft.rfft(x, { norm }), { n, norm }).sub(x).abs().max().item()).toBeLessThan(1e-13);
      const z = tf.randn([4, n, 2], { dtype: 'float64' });
      expect(tf.fft.ifft(tf.fft.fft(z, { norm }), { norm }).sub(z).abs().max().item()).toBeLessThan(1e-13);
    }
    // ortho is unitary: sum |x|^2 = sum |X|^2 over the full spectrum
    const z = tf.randn([n, 2], { dtype: 'float64' });
    const Z = tf.fft.fft(z, { norm: 'ortho', dim: 0 });
    expect(Math.abs(Z.square().sum().item() - z.square().sum().item())).toBeLessThan(1e-12 * n);
  });
});

test('n cuts or zero-pads the input; irfft uses only the bins it has', () => {
  const x = tf.randn([3, 10], { dtype: 'float64' });
  const padded = tf.cat([x, tf.zeros([3, 6], { dtype: 'float64' })], 1);
  expect(tf.fft.rfft(x, { n: 16 }).sub(tf.fft.rfft(padded)).abs().max().item()).toBeLessThan(1e-13);
  expect(tf.fft.rfft(x, { n: 4 }).sub(tf.fft.rfft(x.narrow(1, 0, 4))).abs().max().item()).toBe(0);
  // more bins than n/2 + 1: the extra ones are ignored; fewer: the missing ones are zero
  const S = tf.randn([2, 9, 2], { dtype: 'float64' });
  expect(tf.fft.irfft(S, { n: 8 }).sub(tf.fft.irfft(S.narrow(1, 0, 5), { n: 8 })).abs().max().item()).toBe(0);
  const few = tf.cat([S.narrow(1, 0, 3), tf.zeros([2, 2, 2], { dtype: 'float64' })], 1);
  expect(tf.fft.irfft(S.narrow(1, 0, 3), { n: 8 }).sub(tf.fft.irfft(few, { n: 8 })).abs().max().item()).toBeLessThan(1e-15);
});

test('the threads split transforms, never a transform: bit-identical at 1 and 2 threads', () => {
  const x = tf.randn([64, 3, 250]);
  const prev = tf.getNumThreads();
  try {
    tf.setNumThreads(1);
    const a = tf.fft.rfft(x, { dim: 2 }).dataSync();
    tf.setNumThreads(2);
    const b = tf.fft.rfft(x, { dim: 2 }).dataSync();
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  } finally { tf.setNumThreads(prev); }
});

describe('derivatives (float64, central differences)', () => {
  const cases: [string, (x: Tensor) => Tensor, number[]][] = [
    ['fft', (x) => tf.fft.fft(x, { dim: 1 }), [2, 6, 3, 2]],
    ['ifft ortho', (x) => tf.fft.ifft(x, { norm: 'ortho' }), [3, 5, 2]],
    ['fft Bluestein', (x) => tf.fft.fft(x), [2, 67, 2]],
    ['rfft even', (x) => tf.fft.rfft(x), [3, 8]],
    ['rfft odd, middle dim', (x) => tf.fft.rfft(x, { dim: 1, norm: 'forward' }), [2, 7, 3]],
    ['irfft even', (x) => tf.fft.irfft(x, { n: 8 }), [3, 5, 2]],
    ['irfft odd', (x) => tf.fft.irfft(x, { n: 9 }), [3, 5, 2]],
    ['irfft fewer bins than n/2+1', (x) => tf.fft.irfft(x, { n: 12 }), [2, 4, 2]],
    ['irfft more bins than n/2+1', (x) => tf.fft.irfft(x, { n: 6, dim: 0 }), [6, 3, 2]],
  ];
  for (const device of ['cpu', 'ref'] as const) {
    test.each(cases)(`%s: gradient and JVP (${device})`, (label, f, shape) => {
      const x = tf.randn(shape, { dtype: 'float64' });
      const g = (t: Tensor) => f(t.to(device)).to('cpu');
      gradcheck(g, [x], { label });
      jvpcheck(g, [x.detach()], { label });
    });
  }
  test('second order through a spectral filter (square in between)', () => {
    const x = tf.randn([2, 10], { dtype: 'float64' });
    gradgradcheck((t) => tf.fft.irfft(tf.fft.rfft(t).square(), { n: 10 }), [x]);
    const z = tf.randn([2, 6, 2], { dtype: 'float64' });
    gradgradcheck((t) => tf.fft.fft(tf.fft.ifft(t).square()), [z]);
  });
});

test('bad input: clear TF_* errors', () => {
  expectCode(() => tf.fft.rfft(tf.ones([4], { dtype: 'int32' })), 'TF_DTYPE');
  expectCode(() => tf.fft.fft(tf.ones([4, 3])), 'TF_SHAPE_MISMATCH');
  expectCode(() => tf.fft.irfft(tf.ones([4])), 'TF_SHAPE_MISMATCH');
  expectCode(() => tf.fft.rfft(tf.ones([4]), { dim: 1 }), 'TF_DIM_OUT_OF_RANGE');
  expectCode(() => tf.fft.fft(tf.ones([4, 2]), { dim: 1 }), 'TF_DIM_OUT_OF_RANGE');
  expectCode(() => tf.fft.rfft(tf.ones([0, 3]), { dim: 0 }), 'TF_SHAPE_MISMATCH');
  expectCode(() => tf.fft.rfft(tf.ones([4]), { n: 0 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => tf.fft.rfft(tf.ones([4]), { n: 2.5 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => tf.fft.irfft(tf.ones([1, 2])), 'TF_INVALID_ARGUMENT');
  expectCode(() => tf.fft.rfft(tf.ones([4]), { norm: 'unit' as never }), 'TF_INVALID_ARGUMENT');
  expectCode(() => tf.fft.rfft(tf.ones([])), 'TF_SHAPE_MISMATCH');
  // an empty batch is fine
  expect(tf.fft.rfft(tf.ones([0, 8])).shape).toEqual([0, 5, 2]);
});

test('complex helpers: mul, abs, real, imag, complex', () => {
  const a = tf.randn([5, 2], { dtype: 'float64' }), b = tf.randn([5, 2], { dtype: 'float64' });
  const p = f64(tf.fft.mul(a, b)), av = f64(a), bv = f64(b);
  for (let i = 0; i < 5; i++) {
    expect(p[2 * i]).toBeCloseTo(av[2 * i] * bv[2 * i] - av[2 * i + 1] * bv[2 * i + 1], 14);
    expect(p[2 * i + 1]).toBeCloseTo(av[2 * i] * bv[2 * i + 1] + av[2 * i + 1] * bv[2 * i], 14);
  }
  expect(tf.fft.complex(tf.fft.real(a), tf.fft.imag(a)).sub(a).abs().max().item()).toBe(0);
  expect(f64(tf.fft.abs(a))[0]).toBeCloseTo(Math.hypot(av[0], av[1]), 14);
});

test('2-D: rfft2 equals an explicit 2-D DFT; irfft2 and ifft2 invert; gradients', () => {
  const H = 5, W = 6;
  const x = tf.randn([2, H, W], { dtype: 'float64' });
  const X = tf.fft.rfft2(x);
  expect(X.shape).toEqual([2, H, W / 2 + 1, 2]);
  const xv = x.dataSync() as Float64Array, got = X.dataSync() as Float64Array;
  for (let b = 0; b < 2; b++) for (let u = 0; u < H; u++) for (let v = 0; v <= W / 2; v++) {
    let re = 0, im = 0;
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
      const a = -2 * Math.PI * (u * h / H + v * w / W);
      re += xv[(b * H + h) * W + w] * Math.cos(a); im += xv[(b * H + h) * W + w] * Math.sin(a);
    }
    const k = ((b * H + u) * (W / 2 + 1) + v) * 2;
    expect(Math.abs(got[k] - re) + Math.abs(got[k + 1] - im)).toBeLessThan(1e-12);
  }
  expect(tf.fft.irfft2(X, { w: W }).sub(x).abs().max().item()).toBeLessThan(1e-13);
  const z = tf.randn([3, 4, 5, 2], { dtype: 'float64' });
  expect(tf.fft.ifft2(tf.fft.fft2(z, { norm: 'ortho' }), { norm: 'ortho' }).sub(z).abs().max().item()).toBeLessThan(1e-13);
  gradcheck((t) => tf.fft.irfft2(tf.fft.rfft2(t).square(), { w: 4 }), [tf.randn([3, 4], { dtype: 'float64' })]);
  expectCode(() => tf.fft.rfft2(tf.ones([4])), 'TF_SHAPE_MISMATCH');
});
