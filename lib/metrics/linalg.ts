// Dense float64 linear algebra in plain JS for the metrics: small symmetric matrices (feature covariances are
// at most a few hundred wide), where exactness matters more than speed and float32 engine ops would not do.
import { Tensor, TensorfieldError } from '../tensor';
import { symmetricEigen } from '../linalg/jacobi';

export { symmetricEigen };


/** Row-major rows x cols float64 matrix. */
export interface Matrix { rows: number; cols: number; data: Float64Array }

export type Samples = Tensor | ArrayLike<number>[] | Float64Array | Float32Array;

/**
 * A float64 copy of a tensor's data that belongs to this JS realm. Element access to a typed array made in
 * another realm (the addon's arrays seen from a vm sandbox such as jest's) is several times slower in V8's
 * optimised loops; a view of the same buffer from this realm's constructors avoids that.
 */
export function localFloat64(t: Tensor): Float64Array {
  const a = t.dataSync() as Float64Array | Float32Array;
  if (t.dtype === 'float64') return new Float64Array(a.buffer, a.byteOffset, a.length);
  if (t.dtype === 'float32') return Float64Array.from(new Float32Array(a.buffer, a.byteOffset, a.length));
  return Float64Array.from(a as ArrayLike<number>);
}

function checkFinite(data: ArrayLike<number>, fn: string, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} contains a non-finite value (${data[i]}) at flat index ${i}`);
    }
  }
}

/**
 * Samples as an n x d float64 matrix: a Tensor [n, d] (or [n] for scalars), an array of equal-length rows, or
 * a flat typed array of n scalar samples. NaN or infinity anywhere is refused: every metric here would
 * silently turn it into NaN.
 */
export function toMatrix(x: Samples, fn: string, what = 'samples'): Matrix {
  let m: Matrix;
  if (x instanceof Tensor) {
    if (x.ndim !== 1 && x.ndim !== 2) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} must be [n, d] (or [n]), got [${x.shape.join(', ')}]`);
    }
    if (x.dtype !== 'float32' && x.dtype !== 'float64') {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be float32 or float64, got ${x.dtype}`);
    }
    const rows = x.shape[0], cols = x.ndim === 2 ? x.shape[1] : 1;
    m = { rows, cols, data: localFloat64(x) };
  } else if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    // isView rather than instanceof: typed arrays from another realm (the addon's, a test sandbox's) count too.
    m = { rows: (x as Float64Array).length, cols: 1, data: Float64Array.from(x as Float64Array) };
  } else if (Array.isArray(x)) {
    const rows = x.length, cols = rows ? x[0].length : 0;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const r = x[i];
      if (!r || typeof r.length !== 'number' || r.length !== cols) {
        throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} row ${i} has length ${r?.length}, row 0 has ${cols}`);
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = r[j];
    }
    m = { rows, cols, data };
  } else {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be a Tensor, an array of rows or a Float64Array`);
  }
  if (m.cols === 0) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} have zero dimensions`);
  checkFinite(m.data, fn, what);
  return m;
}

export function requireRows(m: Matrix, min: number, fn: string, what: string): void {
  if (m.rows < min) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need at least ${min} ${what}, got ${m.rows}`);
}

export function sameDim(a: Matrix, b: Matrix, fn: string): void {
  if (a.cols !== b.cols) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: dimension mismatch (${a.cols} vs ${b.cols})`);
}

/** C = A B for square n x n matrices. */
export function matmulSq(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      const bo = k * n, co = i * n;
      for (let j = 0; j < n; j++) c[co + j] += aik * b[bo + j];
    }
  }
  return c;
}

/** V diag(f(values)) V^T. */
export function spectralMap(e: { values: Float64Array; vectors: Float64Array }, n: number, f: (x: number) => number): Float64Array {
  const fv = e.values.map(f);
  const out = new Float64Array(n * n);
  const v = e.vectors;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[i * n + k] * fv[k] * v[j * n + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}
