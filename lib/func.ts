// Function transforms: jvp (native forward mode), vjp, jacobian, hvp and divergence.
import { native } from './native';
import { Tensor, wrapNative, zerosLike, stack, tensor } from './index-internal';
import type { DeviceName } from './tensor';
import { grad } from './autograd';
import { tidy } from './scope';
import { randint } from './random';

type Fn = (...xs: Tensor[]) => Tensor | Tensor[];

function asList(x: Tensor | Tensor[]): Tensor[] { return Array.isArray(x) ? x : [x]; }

function checkPairs(primals: Tensor[], tangents: Tensor[], what: string): void {
  if (primals.length !== tangents.length) {
    throw Object.assign(new Error(`${what}: got ${primals.length} primals but ${tangents.length} tangents`), { code: 'TF_INVALID_ARGUMENT' });
  }
}

/**
 * Forward-mode Jacobian-vector product, computed natively: each op carries its input's tangent forward
 * with its own tangent rule. Returns [outputs, output tangents] (zeros where an output does not depend on
 * the primals). fn receives the primals as dual tensors.
 */
export function jvp(fn: Fn, primals: Tensor | Tensor[], tangents: Tensor | Tensor[]): [Tensor[], Tensor[]] {
  const ps = asList(primals), ts = asList(tangents);
  checkPairs(ps, ts, 'jvp');
  const level = native.enterDualLevel();
  try {
    const duals = ps.map((p, i) => wrapNative(native.makeDual(p._h, ts[i]._h)));
    const outs = asList(fn(...duals));
    const prim: Tensor[] = [], tan: Tensor[] = [];
    for (const o of outs) {
      const [p, t] = native.unpackDual(o._h);
      prim.push(wrapNative(p));
      tan.push(t ? wrapNative(t) : zerosLike(o));
    }
    return [prim, tan];
  } finally {
    native.exitDualLevel(level);
  }
}

/**
 * Reverse-mode vector-Jacobian product: returns [outputs, vjpFn] where vjpFn(cotangents) gives the
 * cotangents of the primals. Pass { createGraph: true } to differentiate the result again.
 */
export function vjp(fn: Fn, primals: Tensor | Tensor[], opts: { createGraph?: boolean } = {}):
  [Tensor[], (cotangents: Tensor | Tensor[]) => Tensor[]] {
  const ps = asList(primals).map((p) => (p.requiresGrad ? p : p.detach().requiresGrad_()));
  const outs = asList(fn(...ps));
  const f = (cot: Tensor | Tensor[]): Tensor[] => {
    const cs = asList(cot);
    const gs = grad(outs, ps, { gradOutputs: cs, retainGraph: true, createGraph: opts.createGraph, allowUnused: true });
    return gs.map((g, i) => g ?? zerosLike(ps[i]));
  };
  return [outs, f];
}

/**
 * [rows, n] with a 1 in column i of every row. Built from a JS array rather than written through a zero-copy
 * data() view, whose buffer would stay alive until V8 collects the view.
 */
function basis(rows: number, n: number, i: number, dtype: Tensor['dtype'], device: string): Tensor {
  const v = dtype === 'float64' ? new Float64Array(rows * n) : new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) v[r * n + i] = 1;
  return tensor(v, { shape: [rows, n], device: device as DeviceName });
}

/** The full Jacobian of a one-input, one-output function, shape [...out.shape, ...in.shape] (small inputs). */
export function jacobian(fn: (x: Tensor) => Tensor, x: Tensor, opts: { mode?: 'forward' | 'reverse' } = {}): Tensor {
  const n = x.numel();
  if (opts.mode === 'forward') {
    const cols: Tensor[] = [];
    for (let i = 0; i < n; i++) {
      cols.push(tidy(() => {
        return jvp(fn, x, basis(1, n, i, x.dtype, x.device).reshape(x.shape))[1][0];
      }));
    }
    const out = cols[0];
    return stack(cols, -1).reshape([...out.shape, ...x.shape]);
  }
  const [outs, back] = vjp(fn, x);
  const y = outs[0];
  const m = y.numel();
  const rows: Tensor[] = [];
  for (let i = 0; i < m; i++) {
    rows.push(tidy(() => {
      return back(basis(1, m, i, y.dtype, y.device).reshape(y.shape))[0];
    }));
  }
  return stack(rows, 0).reshape([...y.shape, ...x.shape]);
}

/** Hessian-vector product of a scalar function: H(x) v, by differentiating the gradient (reverse over reverse). */
export function hvp(fn: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor {
  const xd = x.detach().requiresGrad_();
  const y = fn(xd);
  if (y.numel() !== 1) throw Object.assign(new Error('hvp: fn must return a single element'), { code: 'TF_SHAPE_MISMATCH' });
  const [g] = grad(y, xd, { createGraph: true });
  const [hv] = grad(g!, xd, { gradOutputs: v, allowUnused: true });
  return hv ?? zerosLike(x);
}

export interface DivergenceOptions {
  /** 'exact' (trace of the Jacobian, one forward-mode pass per dimension) or 'hutchinson'. Default: exact
   * when the per-sample dimension is at most 32. */
  method?: 'exact' | 'hutchinson';
  /** Hutchinson probes (Rademacher vectors), default 1. */
  probes?: number;
  /** Keep the graph so the divergence can be differentiated (training through a likelihood). */
  createGraph?: boolean;
}

/**
 * Divergence of a batched vector field f: [B, ...D] -> [B, ...D], per sample: sum_i d f_i / d x_i.
 * Exact: D forward-mode JVPs with basis tangents. Hutchinson: E[eps^T (J eps)] with Rademacher eps
 * (unbiased; variance falls as 1/probes).
 */
export function divergence(f: (x: Tensor) => Tensor, x: Tensor, opts: DivergenceOptions = {}): Tensor {
  const B = x.shape[0];
  const D = x.numel() / Math.max(B, 1);
  const method = opts.method ?? (D <= 32 ? 'exact' : 'hutchinson');
  if (method === 'exact') {
    let total: Tensor | null = null;
    for (let i = 0; i < D; i++) {
      const [, [jv]] = jvp(f, x, basis(B, D, i, x.dtype, x.device).reshape(x.shape));
      const term = jv.reshape(B, D).select(1, i);
      total = total ? total.add(term) : term;
    }
    return total!;
  }
  const probes = opts.probes ?? 1;
  let acc: Tensor | null = null;
  for (let k = 0; k < probes; k++) {
    const eps = randint(0, 2, x.shape, { dtype: x.dtype, device: x.device as DeviceName }).mul(2).sub(1);
    const [, [jv]] = jvp(f, x, eps);
    const est = jv.mul(eps).reshape(B, D).sum(1);
    acc = acc ? acc.add(est) : est;
  }
  return acc!.div(probes);
}
