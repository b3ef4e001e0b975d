// Data on low-dimensional manifolds with a known intrinsic dimension, for testing dimension estimates and
// models of manifold-supported data: a k-sphere and a k-dimensional linear subspace, both placed in R^D by a
// random isometry. The isometry comes from its own seed (SeededRandom), so the embedding is fixed by the
// options alone; the points come from the engine generator (manualSeed reproduces them).
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { randn, rand } from '../random';
import { SeededRandom } from './prng';
import { householderQr } from '../linalg/qr';
import { LOG_2PI, count, fromF64, outDtype, positive, rowsF64 } from './numeric';

/**
 * m orthonormal columns in R^D (D x m, row-major): the Q factor of a Gaussian matrix's thin QR with a positive R
 * diagonal (Householder, lib/linalg/qr.ts), which is Haar-distributed. (Before issue 23's Householder QR this was
 * Gram-Schmidt run twice per column, the same Q up to rounding: the embeddings of sphere2-r10, subspace3-r10 and
 * sphere5-r20 moved by at most 2.2e-16, 1.7e-16 and 4.2e-16, and 10,000 float32 points of each (manualSeed 1)
 * came out bit-identical, so results computed before stay valid.)
 */
export function randomIsometry(D: number, m: number, seed: number): Float64Array {
  if (!Number.isInteger(D) || !Number.isInteger(m) || m < 1 || m > D) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `randomIsometry: need integers 1 <= m <= D, got m=${m}, D=${D}`);
  }
  const g = new SeededRandom(seed);
  const a = new Float64Array(D * m);
  for (let i = 0; i < D * m; i++) a[i] = g.normal();
  return householderQr(a, D, m).q;
}

export interface ManifoldOptions {
  /** Intrinsic dimension k. */
  intrinsicDim: number;
  /** Ambient dimension D. */
  ambientDim: number;
  /** Std of isotropic Gaussian noise added in R^D after embedding (default 0: exactly on the manifold). */
  noise?: number;
  /** Seed of the embedding (default 0). */
  seed?: number;
}

/** Common part: an isometric embedding R^m -> R^D and sampling by embedding latent points. */
abstract class EmbeddedManifold {
  abstract readonly name: string;
  readonly intrinsicDim: number;
  readonly dim: number;
  readonly noise: number;
  /** The embedding matrix, D x m row-major with orthonormal columns (m = latentDim). */
  readonly embedding: Float64Array;
  readonly latentDim: number;

  constructor(opts: ManifoldOptions, latentDim: number, fn: string) {
    const k = opts?.intrinsicDim, D = opts?.ambientDim;
    if (!Number.isInteger(k) || k < 1 || !Number.isInteger(D) || latentDim > D) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need integers intrinsicDim >= 1 and ambientDim >= ${latentDim}, got ${k} and ${D}`);
    }
    this.intrinsicDim = k;
    this.dim = D;
    this.latentDim = latentDim;
    this.noise = positive(opts.noise ?? 0, 'noise', fn, true);
    this.embedding = randomIsometry(D, latentDim, opts.seed ?? 0);
  }

  /** n latent points (n x latentDim, float64), drawn from the engine generator. */
  protected abstract latent(n: number): Float64Array;

  /** n points as a float32 [n, D] tensor. */
  sample(n: number): Tensor {
    count(n, `${this.name}.sample`);
    const m = this.latentDim, D = this.dim;
    const z = this.latent(n);
    let eps: Float64Array | null = null;
    if (this.noise > 0) {
      const e = randn([n, D], { dtype: 'float64' });
      eps = e.dataSync() as Float64Array;
      e.dispose();
    }
    const out = new Float32Array(n * D);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < D; i++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += this.embedding[i * m + j] * z[r * m + j];
        out[r * D + i] = s + (eps ? this.noise * eps[r * D + i] : 0);
      }
    }
    return tensor(out, { shape: [n, D] });
  }

  /** Coordinates in the latent space: Q^T x, float64 [n, latentDim] (the inverse of the embedding on its range). */
  toLatent(x: Tensor): Tensor {
    const m = this.latentDim, D = this.dim;
    const { n, v } = rowsF64(x, D, `${this.name}.toLatent`);
    const out = new Float64Array(n * m);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let i = 0; i < D; i++) s += this.embedding[i * m + j] * v[r * D + i];
        out[r * m + j] = s;
      }
    }
    return tensor(out, { shape: [n, m] });
  }
}

/** The unit k-sphere S^k (in a (k+1)-dim subspace), uniform, embedded in R^D. */
export class SphereManifold extends EmbeddedManifold {
  readonly name = 'sphere';
  constructor(opts: ManifoldOptions) {
    super(opts, (opts?.intrinsicDim ?? 0) + 1, 'SphereManifold');
  }
  protected latent(n: number): Float64Array {
    const m = this.latentDim;
    const g = randn([n, m], { dtype: 'float64' });
    const z = g.dataSync() as Float64Array;
    g.dispose();
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += z[r * m + j] ** 2;
      s = Math.sqrt(s) || 1;
      for (let j = 0; j < m; j++) z[r * m + j] /= s;
    }
    return z;
  }
}

export interface SubspaceOptions extends ManifoldOptions {
  /** 'gaussian' (standard normal in the subspace, default) or 'ball' (uniform in the unit k-ball). */
  law?: 'gaussian' | 'ball';
}

/** A k-dimensional linear subspace of R^D with a standard normal or unit-ball-uniform law on it. */
export class SubspaceManifold extends EmbeddedManifold {
  readonly name = 'subspace';
  readonly law: 'gaussian' | 'ball';
  constructor(opts: SubspaceOptions) {
    super(opts, opts?.intrinsicDim, 'SubspaceManifold');
    const law = opts.law ?? 'gaussian';
    if (law !== 'gaussian' && law !== 'ball') throw new TensorfieldError('TF_INVALID_ARGUMENT', `SubspaceManifold: law must be 'gaussian' or 'ball', got '${String(law)}'`);
    this.law = law;
  }
  /**
   * Exact log-density, for the Gaussian law with ambient noise s > 0 (otherwise the law has no density in R^D):
   * x ~ N(0, Q Q^T + s^2 I), whose covariance has eigenvalue 1 + s^2 on the subspace and s^2 off it, so
   * log p = -(|Q^T x|^2 / (1 + s^2) + (|x|^2 - |Q^T x|^2) / s^2 + k log(1 + s^2) + (D - k) log s^2 + D log 2 pi) / 2.
   * Returns an [n] tensor in x's floating dtype, computed in float64.
   */
  logProb(x: Tensor): Tensor {
    const fn = 'SubspaceManifold.logProb';
    if (this.law !== 'gaussian' || this.noise === 0) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: only the Gaussian law with noise > 0 has a density in R^${this.dim}`);
    }
    const k = this.latentDim, D = this.dim, s2 = this.noise * this.noise;
    const { n, v } = rowsF64(x, D, fn);
    const out = new Float64Array(n);
    const c = k * Math.log(1 + s2) + (D - k) * Math.log(s2) + D * LOG_2PI;
    for (let r = 0; r < n; r++) {
      let all = 0, onSub = 0;
      for (let i = 0; i < D; i++) all += v[r * D + i] ** 2;
      for (let j = 0; j < k; j++) {
        let p = 0;
        for (let i = 0; i < D; i++) p += this.embedding[i * k + j] * v[r * D + i];
        onSub += p * p;
      }
      out[r] = -0.5 * (onSub / (1 + s2) + Math.max(0, all - onSub) / s2 + c);
    }
    return fromF64(out, [n], outDtype(x));
  }

  protected latent(n: number): Float64Array {
    const k = this.latentDim;
    const g = randn([n, k], { dtype: 'float64' });
    const z = g.dataSync() as Float64Array;
    g.dispose();
    if (this.law === 'ball') {
      // A uniform direction times a radius with P(R <= r) = r^k.
      const u = rand([n], { dtype: 'float64' });
      const uv = u.dataSync() as Float64Array;
      u.dispose();
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += z[r * k + j] ** 2;
        const f = Math.pow(uv[r], 1 / k) / (Math.sqrt(s) || 1);
        for (let j = 0; j < k; j++) z[r * k + j] *= f;
      }
    }
    return z;
  }
}
