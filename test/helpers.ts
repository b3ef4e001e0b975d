// Shared test utilities: closeness checks, finite-difference gradient checks in float64, ISA iteration.
import * as v8 from 'v8';
import * as vm from 'vm';
import * as tf from '../lib';
import { Tensor } from '../lib';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Collects garbage and lets the finalizers of collected native handles run. memory() counts the whole
 * process, and handles left undisposed by earlier test files in the same jest worker are freed only when V8
 * collects them — possibly in the middle of a measurement — so tests that compare memory() settle first.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

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

/**
 * Exact elementwise equality of two number arrays (Object.is per element, like toEqual: NaN equals NaN, 0 differs
 * from -0), reporting the length, the first mismatching index and the number of mismatches. Use it instead of
 * expect(a).toEqual(b) for anything large: on a mismatch jest builds a diff of both arrays synchronously, which for
 * 10^5 elements takes many minutes, and a test's timeout cannot interrupt it, so the run hangs instead of failing.
 */
export function expectArraysEqual(got: ArrayLike<number>, want: ArrayLike<number>, what = 'array'): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  let first = -1, count = 0;
  const shown: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (Object.is(got[i], want[i])) continue;
    if (first < 0) first = i;
    if (shown.length < 5) shown.push(`[${i}] ${got[i]} vs ${want[i]}`);
    count++;
  }
  if (count > 0)
    throw new Error(`${what}: ${count} of ${want.length} elements differ, first at index ${first} (got vs expected: ${shown.join(', ')})`);
}

export function arr(t: Tensor): number[] { return Array.from(t.dataSync() as ArrayLike<number>); }

/** Runs fn once per ISA path this CPU supports, restoring the best path afterwards. */
export function forEachIsa(fn: (isa: string) => void): void {
  const isas = tf.backend.supportedIsas();
  const best = isas[isas.length - 1];
  try {
    for (const isa of isas) {
      tf.backend.setIsa(isa as 'scalar' | 'avx2' | 'avx512' | 'amx');
      fn(isa);
    }
  } finally {
    tf.backend.setIsa(best as 'scalar' | 'avx2' | 'avx512' | 'amx');
  }
}

export function withIsa<R>(isa: 'scalar' | 'avx2' | 'avx512' | 'amx', fn: () => R): R {
  const prev = tf.backend.isa as 'scalar' | 'avx2' | 'avx512' | 'amx';
  tf.backend.setIsa(isa);
  try { return fn(); } finally { tf.backend.setIsa(prev); }
}

/**
 * Central differences of the scalar f() with respect to every element of `inputs` (perturbed in place
 * through their zero-copy views), compared with the analytic gradients, scaled by the largest gradient.
 */
function compareNumeric(inputs: Tensor[], analytic: (Tensor | null)[], f: () => number, eps: number, atol: number,
                        rtol: number, label: string): void {
  inputs.forEach((x, k) => {
    const data = x.data() as Float64Array;
    const num = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const orig = data[i];
      data[i] = orig + eps;
      const fp = tf.tidy(f);
      data[i] = orig - eps;
      const fm = tf.tidy(f);
      data[i] = orig;
      num[i] = (fp - fm) / (2 * eps);
    }
    const a = analytic[k] ? (analytic[k]!.contiguous().dataSync() as Float64Array) : new Float64Array(data.length);
    const scale = Math.max(1, ...Array.from(num, Math.abs));
    expectClose(a, num, atol * scale, rtol, `${label} input ${k}`);
  });
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
    compareNumeric(inputs, analytic, () => tf.noGrad(() => L(fn(...inputs)).item()), eps, atol, rtol, opts.label ?? 'grad');
  });
}

/**
 * Float64 central differences of a scalar loss w.r.t. three entries (first, middle, last) of each parameter,
 * against the gradients backward() left in p.grad: the worst relative error |fd - g| / max(1e-6, |fd| + |g|).
 * The loss is evaluated as it is (not under noGrad: a loss may differentiate inside itself, e.g. a score that is
 * the gradient of an energy), and must reseed its own draws so every evaluation sees the same ones.
 */
export function paramFdWorst(params: Tensor[], loss: () => Tensor, h = 1e-5): number {
  let worst = 0;
  for (const p of params) {
    const gr = p.grad!.dataSync() as Float64Array, pv = p.data() as Float64Array;  // pv: a view of p's memory
    for (const i of [0, Math.floor(pv.length / 2), pv.length - 1]) {
      const keep = pv[i];
      pv[i] = keep + h;
      const up = loss().item();
      pv[i] = keep - h;
      const dn = loss().item();
      pv[i] = keep;
      const fd = (up - dn) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - gr[i]) / Math.max(1e-6, Math.abs(fd) + Math.abs(gr[i])));
    }
  }
  return worst;
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

/**
 * Second order: with G(x) = sum_k <grad_x_k L(f(x)), w_k> (L = <f(x), v>, fixed random v, w), checks
 * grad_x G — computed by differentiating the createGraph backward — against central differences of G,
 * which itself only needs first-order gradients. Same error budget as gradcheck.
 */
export function gradgradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[],
                              opts: { eps?: number; atol?: number; rtol?: number; label?: string } = {}): void {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-5;
  for (const x of inputs) x.requiresGrad = true;
  tf.tidy(() => {
    const out0 = fn(...inputs);
    const v = tf.randn(out0.shape, { dtype: 'float64' });
    const ws = inputs.map((x) => tf.randn(x.shape, { dtype: 'float64' }));
    const G = (createGraph: boolean): Tensor => {
      const gs = tf.autograd.grad(fn(...inputs).mul(v).sum(), inputs, { createGraph, allowUnused: true });
      let acc: Tensor = tf.zeros([], { dtype: 'float64' });
      gs.forEach((g, k) => { if (g) acc = acc.add(g.mul(ws[k]).sum()); });
      return acc;
    };
    const g0 = G(true);
    const analytic = g0.requiresGrad ? tf.autograd.grad(g0, inputs, { allowUnused: true }) : inputs.map(() => null);
    compareNumeric(inputs, analytic, () => G(false).item(), eps, atol, rtol, opts.label ?? 'gradgrad');
  });
}

/**
 * Forward mode: the native JVP (func.jvp) against (a) central differences along the tangent and (b) the
 * double-VJP construction d/du <J^T u, t> = J t, which uses only reverse mode.
 */
export function jvpcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[],
                         opts: { eps?: number; atol?: number; rtol?: number; label?: string } = {}): void {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-5;
  tf.tidy(() => {
    const xs = inputs.map((x) => x.detach());
    const ts = xs.map((x) => tf.randn(x.shape, { dtype: 'float64' }));
    const [[out], [jv]] = tf.func.jvp((...a: Tensor[]) => fn(...a), xs, ts);
    const plain = tf.noGrad(() => fn(...xs));
    expect(out.shape).toEqual(plain.shape);
    expectClose(out.dataSync(), plain.dataSync(), 0, 0, `${opts.label} primal`);
    // (a) finite differences along t
    const shifted = (s: number) => tf.noGrad(() => fn(...xs.map((x, k) => x.add(ts[k].mul(s)))));
    const fd = tf.noGrad(() => shifted(eps).sub(shifted(-eps)).div(2 * eps));
    const scale = Math.max(1, ...Array.from(fd.dataSync() as Float64Array, Math.abs));
    expectClose(jv.contiguous().dataSync(), fd.dataSync(), atol * scale, rtol, `${opts.label} jvp vs fd`);
    // (b) double VJP
    const xr = xs.map((x) => x.detach().requiresGrad_());
    const o = fn(...xr);
    const u = tf.zeros(o.shape, { dtype: 'float64', requiresGrad: true });
    const gs = tf.autograd.grad(o, xr, { gradOutputs: [u], createGraph: true, allowUnused: true });
    let acc: Tensor = tf.zeros([], { dtype: 'float64' });
    gs.forEach((g, k) => { if (g) acc = acc.add(g.mul(ts[k]).sum()); });
    const [jv2] = acc.requiresGrad ? tf.autograd.grad(acc, [u], { allowUnused: true }) : [null];
    const ref = jv2 ? jv2.dataSync() : new Float64Array(o.numel());
    expectClose(jv.contiguous().dataSync(), ref, 1e-12 * scale, 1e-9, `${opts.label} jvp vs double-vjp`);
  });
}
