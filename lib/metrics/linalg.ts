// Dense float64 linear algebra in plain JS for the metrics: small symmetric matrices (feature covariances are
// at most a few hundred wide), where exactness matters more than speed and float32 engine ops would not do.
import { Tensor, TensorfieldError } from '../tensor';

// Math functions bound once at module scope: inside a vm context (jest's test sandbox, for one) every lookup of a
// global such as Math goes through the context's interceptors, which made the O(n²) loops here ~40x slower.
const { abs, sqrt, sign } = Math;

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

/**
 * Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi rotations: A = V diag(values) V^T, V's
 * columns the eigenvectors. Jacobi is slower than tridiagonal QL but simple to get right and accurate to
 * working precision for every eigenvalue, small ones included (they matter for the matrix square roots).
 * Only the lower triangle's mirror is assumed equal: the input is symmetrised first.
 */
export function symmetricEigen(aIn: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  if (aIn.length !== n * n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `symmetricEigen: expected ${n * n} entries, got ${aIn.length}`);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (aIn[i * n + j] + aIn[j * n + i]);
  checkFinite(a, 'symmetricEigen', 'matrix');
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  scale = sqrt(scale);
  for (let sweep = 0; sweep < 100 && scale > 0; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    // Converged when the off-diagonal mass is at rounding level relative to the whole matrix.
    if (sqrt(2 * off) <= 1e-15 * scale) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // Rotation angle from the stable formula for t = tan(theta) (the smaller root).
        const theta = (aqq - app) / (2 * apq);
        const t = sign(theta || 1) / (abs(theta) + sqrt(theta * theta + 1));
        const c = 1 / sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
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
