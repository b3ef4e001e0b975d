// Linear algebra for estimators and checks: host float64, small matrices (see jacobi.ts), with Tensor wrappers.
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { symEig, singularValues } from './jacobi';

export { symEig, singularValues } from './jacobi';

function host2d(t: Tensor, what: string): { a: Float64Array; m: number; n: number } {
  if (!(t instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: expected a Tensor`);
  if (t.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${what}: expected a matrix, got shape [${t.shape}]`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TensorfieldError('TF_DTYPE', `${what}: expected a float matrix, got ${t.dtype}`);
  const [m, n] = t.shape;
  if (m * n > 4_000_000) throw new TensorfieldError('TF_INVALID_SIZE', `${what}: [${m}, ${n}] is too large for the host Jacobi methods (at most 4M entries)`);
  const a = Float64Array.from(t.to('cpu').dataSync() as ArrayLike<number>);
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i])) throw new TensorfieldError('TF_NON_FINITE', `${what}: the matrix holds ${a[i]} at (${Math.floor(i / n)}, ${i % n})`);
  return { a, m, n };
}

/** Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix's symmetric part, float64 on the CPU. */
export function eigh(t: Tensor): { values: Tensor; vectors: Tensor } {
  const { a, m, n } = host2d(t, 'eigh');
  if (m !== n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `eigh: expected a square matrix, got [${m}, ${n}]`);
  const r = symEig(a, n);
  return { values: tensor(r.values, { shape: [n] }), vectors: tensor(r.vectors, { shape: [n, n] }) };
}

/** Singular values (descending), float64 on the CPU. */
export function svdvals(t: Tensor): Tensor {
  const { a, m, n } = host2d(t, 'svdvals');
  return tensor(singularValues(a, m, n), { shape: [Math.min(m, n)] });
}
