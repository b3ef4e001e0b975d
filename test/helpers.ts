// Shared test utilities: closeness checks, finite-difference gradient checks in float64, ISA iteration.
import * as tf from '../lib';
import { Tensor } from '../lib';

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Infinity;
    if (!Number.isNaN(d)) m = Math.max(m, d);
  }
  return m;
}

/** |a - b| <= atol + rtol * |b| elementwise (NaN must match NaN, inf must match inf). */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol = 0, label = ''): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) throw new Error(`${label}[${i}]: ${x} vs ${y}`);
      continue;
    }
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) throw new Error(`${label}[${i}]: ${x} vs ${y}`);
      continue;
    }
    if (Math.abs(x - y) > atol + rtol * Math.abs(y)) {
      throw new Error(`${label}[${i}]: got ${x}, expected ${y} (|diff| ${Math.abs(x - y)} > ${atol} + ${rtol}*|ref|)`);
    }
  }
}

export function arr(t: Tensor): number[] { return Array.from(t.dataSync() as ArrayLike<number>); }

/** Runs fn once per ISA path this CPU supports, restoring the best path afterwards. */
export function forEachIsa(fn: (isa: string) => void): void {
  const isas = tf.backend.supportedIsas();
  const best = isas[isas.length - 1];
  try {
    for (const isa of isas) {
      tf.backend.setIsa(isa as 'scalar' | 'avx2' | 'avx512');
      fn(isa);
    }
  } finally {
    tf.backend.setIsa(best as 'scalar' | 'avx2' | 'avx512');
  }
}

export function withIsa<R>(isa: 'scalar' | 'avx2' | 'avx512', fn: () => R): R {
  const prev = tf.backend.isa as 'scalar' | 'avx2' | 'avx512';
  tf.backend.setIsa(isa);
  try { return fn(); } finally { tf.backend.setIsa(prev); }
}

/**
 * Central-difference gradient check in float64. The output is projected on a fixed random direction v
 * (L = sum(out * v)), so every output element is checked. The truncation error of a central difference
 * is O(eps^2 * f''') ~ 1e-12 and the rounding error O(1e-16 / eps) ~ 1e-10 for eps = 1e-6, so agreement
 * to 1e-6 (relative to the gradient's scale) separates a wrong formula from numerical noise by 4 orders.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[],
                          opts: { eps?: number; atol?: number; rtol?: number; label?: string } = {}): void {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-5;
  for (const x of inputs) {
    expect(x.dtype).toBe('float64');
    x.requiresGrad = true;
  }
  tf.tidy(() => {
    const out0 = fn(...inputs);
    const v = tf.randn(out0.shape, { dtype: 'float64' });
    const L = (o: Tensor) => o.mul(v).sum();
    const analytic = tf.autograd.grad(L(out0), inputs, { allowUnused: true });
    inputs.forEach((x, k) => {
      const data = x.data() as Float64Array;
      const num = new Float64Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const orig = data[i];
        data[i] = orig + eps;
        const fp = tf.tidy(() => tf.noGrad(() => L(fn(...inputs)).item()));
        data[i] = orig - eps;
        const fm = tf.tidy(() => tf.noGrad(() => L(fn(...inputs)).item()));
        data[i] = orig;
        num[i] = (fp - fm) / (2 * eps);
      }
      const a = analytic[k] ? (analytic[k]!.contiguous().data() as Float64Array) : new Float64Array(data.length);
      const scale = Math.max(1, ...Array.from(num, Math.abs));
      expectClose(a, num, atol * scale, rtol, `${opts.label ?? 'grad'} input ${k}`);
    });
  });
}

export function randn64(...shape: number[]): Tensor { return tf.randn(shape, { dtype: 'float64' }); }

/** Expects fn to throw an engine error with the given stable code. */
export function expectCode(fn: () => unknown, code: string): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  if (!err) throw new Error(`expected an error with code ${code}, but nothing was thrown`);
  const c = (err as { code?: string }).code;
  if (c !== code) throw new Error(`expected code ${code}, got ${c}: ${(err as Error).message}`);
}
