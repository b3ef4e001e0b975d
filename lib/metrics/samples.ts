// Two-sample distances for toy and vector data ([n, d] tensors, arrays of rows, or flat arrays of scalars):
// sliced Wasserstein, MMD², energy distance, and mode coverage against known mode centres.
import { TensorfieldError } from '../tensor';
import { Samples, Matrix, toMatrix, requireRows, sameDim } from './linalg';
import { forEachSqDistRow, matrixMedianDistance } from './distances';
import { SeededRandom } from '../data/prng';

// Math functions bound once at module scope: inside a vm context (jest's test sandbox, for one) every lookup of a
// global such as Math goes through the context's interceptors, which made the O(n²) loops here ~40x slower.
const { abs, sqrt, exp } = Math;

function pair(x: Samples, y: Samples, fn: string, min: number): [Matrix, Matrix] {
  const a = toMatrix(x, fn, 'x'), b = toMatrix(y, fn, 'y');
  sameDim(a, b, fn);
  requireRows(a, min, fn, 'samples in x');
  requireRows(b, min, fn, 'samples in y');
  return [a, b];
}

/**
 * p-Wasserstein distance^p between the empirical distributions of two sorted 1-D samples of any sizes: the
 * integral over t in (0, 1) of |F^-1(t) - G^-1(t)|^p, walking both quantile functions' steps. Breakpoints are
 * compared as integers (i/n vs j/m scaled by n m) so equal-size samples pair off exactly.
 */
export function wasserstein1dPow(xs: Float64Array, ys: Float64Array, p: number): number {
  const n = xs.length, m = ys.length;
  let i = 0, j = 0, t = 0, acc = 0;
  while (i < n && j < m) {
    const bi = (i + 1) * m, bj = (j + 1) * n;  // next breakpoints in units of 1 / (n m)
    const next = Math.min(bi, bj);
    acc += ((next - t) / (n * m)) * abs(xs[i] - ys[j]) ** p;
    t = next;
    if (bi === next) i++;
    if (bj === next) j++;
  }
  return acc;
}

export interface SlicedWassersteinOptions {
  /** Random directions (default 256). The Monte-Carlo error of SW_p^p falls as 1 / sqrt(projections). */
  projections?: number;
  /** 1 or 2 (default 2). */
  p?: number;
  /** Seed of the directions (default 0): the same seed gives the same directions, so runs compare fairly. */
  seed?: number;
}

/**
 * Sliced p-Wasserstein distance (E_theta W_p^p(theta·X, theta·Y))^(1/p) over directions uniform on the sphere.
 * For 1-D data the single direction is exact and no projections are drawn.
 */
export function slicedWasserstein(x: Samples, y: Samples, opts: SlicedWassersteinOptions = {}): number {
  const fn = 'slicedWasserstein';
  const p = opts.p ?? 2;
  if (p !== 1 && p !== 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: p must be 1 or 2, got ${p}`);
  const L = opts.projections ?? 256;
  if (!Number.isInteger(L) || L < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: projections must be a positive integer, got ${L}`);
  const [a, b] = pair(x, y, fn, 1);
  const d = a.cols;
  const sorted = (s: Matrix, dir: Float64Array) => {
    const out = new Float64Array(s.rows);
    for (let i = 0; i < s.rows; i++) { let v = 0; for (let k = 0; k < d; k++) v += s.data[i * d + k] * dir[k]; out[i] = v; }
    return out.sort();
  };
  if (d === 1) {
    const one = Float64Array.of(1);
    return wasserstein1dPow(sorted(a, one), sorted(b, one), p) ** (1 / p);
  }
  // the projections come from their own seeded generator, so a metric never shifts the engine's random stream
  const rng = new SeededRandom(opts.seed ?? 0);
  const g = () => rng.normal();
  const dir = new Float64Array(d);
  let acc = 0;
  for (let l = 0; l < L; l++) {
    let norm = 0;
    for (let k = 0; k < d; k++) { dir[k] = g(); norm += dir[k] * dir[k]; }
    norm = sqrt(norm);
    for (let k = 0; k < d; k++) dir[k] /= norm;
    acc += wasserstein1dPow(sorted(a, dir), sorted(b, dir), p);
  }
  return (acc / L) ** (1 / p);
}

export interface MMDOptions {
  /**
   * RBF bandwidths sigma (kernel sum_s exp(-|a-b|² / (2 s²))). Default: the median pairwise distance of the
   * pooled samples (up to 1000 of them) times 0.5, 1 and 2 — scale-free, but then data-dependent: pass fixed
   * bandwidths to compare several models against the same reference.
   */
  bandwidths?: number[];
}

function medianDistance(a: Matrix, b: Matrix): number {
  // A deterministic stride through both sets keeps the median's cost bounded and its result reproducible.
  const pick = (s: Matrix, count: number): Matrix => {
    const step = Math.max(1, Math.floor(s.rows / count));
    const rows = Math.min(count, Math.ceil(s.rows / step));
    const data = new Float64Array(rows * s.cols);
    for (let i = 0; i < rows; i++) data.set(s.data.subarray(i * step * s.cols, (i * step + 1) * s.cols), i * s.cols);
    return { rows, cols: s.cols, data };
  };
  const pa = pick(a, 500), pb = pick(b, 500);
  return matrixMedianDistance({ rows: pa.rows + pb.rows, cols: a.cols, data: new Float64Array([...pa.data, ...pb.data]) });
}

/**
 * Unbiased MMD² (Gretton et al. 2012): mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) - 2 mean k(x_i, y_j).
 * Zero in expectation when the distributions match, so it can come out slightly negative.
 */
export function mmd2(x: Samples, y: Samples, opts: MMDOptions = {}): number {
  const fn = 'mmd2';
  const [a, b] = pair(x, y, fn, 2);
  const bw = opts.bandwidths ?? (() => { const m = medianDistance(a, b); return [0.5 * m, m, 2 * m]; })();
  if (!Array.isArray(bw) || bw.length === 0 || bw.some((s) => !(s > 0 && Number.isFinite(s)))) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: bandwidths must be a non-empty array of positive numbers`);
  }
  const inv = bw.map((s) => -1 / (2 * s * s));
  const k = (d2: number) => { let s = 0; for (const c of inv) s += exp(c * d2); return s; };
  const within = (s: Matrix) => {
    let sum = 0;
    forEachSqDistRow(s, s, (i, row) => { for (let j = 0; j < row.length; j++) if (j !== i) sum += k(row[j]); });
    return sum / (s.rows * (s.rows - 1));
  };
  let cross = 0;
  forEachSqDistRow(a, b, (_i, row) => { for (let j = 0; j < row.length; j++) cross += k(row[j]); });
  return within(a) + within(b) - 2 * cross / (a.rows * b.rows);
}

/**
 * Energy distance (Székely & Rizzo) in its squared form 2 E|X-Y| - E|X-X'| - E|Y-Y'|, with the within-set
 * terms as U-statistics (pairs i≠j) so that it is unbiased. Zero iff the distributions are equal.
 */
export function energyDistance(x: Samples, y: Samples): number {
  const fn = 'energyDistance';
  const [a, b] = pair(x, y, fn, 2);
  const meanDist = (u: Matrix, v: Matrix, self: boolean) => {
    let s = 0;
    forEachSqDistRow(u, v, (i, row) => { for (let j = 0; j < row.length; j++) if (!self || j !== i) s += sqrt(row[j]); });
    return s / (self ? u.rows * (u.rows - 1) : u.rows * v.rows);
  };
  return 2 * meanDist(a, b, false) - meanDist(a, a, true) - meanDist(b, b, true);
}

export interface ModeCoverageOptions {
  /** A sample belongs to its nearest mode only within this distance (required: it sets what "on a mode" means). */
  radius: number;
  /** Target mode weights (default uniform); normalised here. */
  weights?: ArrayLike<number>;
  /** Samples a mode needs to count as hit (default 1). */
  minCount?: number;
}

export interface ModeCoverage {
  /** Samples assigned to each mode. */
  counts: number[];
  /** Modes with at least minCount samples. */
  modesHit: number;
  /** modesHit / number of modes. */
  fractionHit: number;
  /** Fraction of samples farther than radius from every mode. */
  offModeFraction: number;
  /**
   * Total variation ½ Σ|h - w| between the histogram of on-mode samples over modes (normalised over those
   * samples) and the target weights; 1 when no sample is on a mode.
   */
  tv: number;
}

/** Assigns each sample to its nearest mode centre within `radius` and compares the counts with the targets. */
export function modeCoverage(samples: Samples, modes: Samples, opts: ModeCoverageOptions): ModeCoverage {
  const fn = 'modeCoverage';
  const s = toMatrix(samples, fn, 'samples'), c = toMatrix(modes, fn, 'modes');
  sameDim(s, c, fn);
  requireRows(s, 1, fn, 'samples');
  requireRows(c, 1, fn, 'modes');
  const radius = opts?.radius;
  if (!(typeof radius === 'number' && radius > 0 && Number.isFinite(radius))) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: radius must be a positive number, got ${radius}`);
  }
  const minCount = opts.minCount ?? 1;
  if (!Number.isInteger(minCount) || minCount < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: minCount must be a positive integer, got ${minCount}`);
  const K = c.rows;
  let w: number[];
  if (opts.weights !== undefined) {
    if (opts.weights.length !== K) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${opts.weights.length} weights for ${K} modes`);
    w = Array.from(opts.weights);
    const total = w.reduce((u, v) => u + v, 0);
    if (w.some((v) => !(v >= 0 && Number.isFinite(v))) || !(total > 0)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: weights must be non-negative and finite with a positive sum`);
    }
    w = w.map((v) => v / total);
  } else {
    w = new Array(K).fill(1 / K);
  }
  const counts = new Array(K).fill(0);
  const r2 = radius * radius;
  let off = 0;
  forEachSqDistRow(s, c, (_i, row) => {
    let best = 0;
    for (let j = 1; j < K; j++) if (row[j] < row[best]) best = j;
    if (row[best] <= r2) counts[best]++; else off++;
  });
  const on = s.rows - off;
  let tv = 1;
  if (on > 0) {
    tv = 0;
    for (let j = 0; j < K; j++) tv += abs(counts[j] / on - w[j]);
    tv /= 2;
  }
  const modesHit = counts.filter((v) => v >= minCount).length;
  return { counts, modesHit, fractionHit: modesHit / K, offModeFraction: off / s.rows, tv };
}
