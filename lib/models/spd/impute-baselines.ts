// The baselines of the weekly imputation tasks (impute-data.ts), both Gaussian predictives per target week:
// - linear interpolation between the neighbouring context weeks, with the standard deviation of its residuals at
//   the same (block length, position in the block) measured on training-year blocks: a single missing week is
//   predicted more tightly than the middle of an 18-week run;
// - a local seasonal + trend regression: least squares of the window's context weeks on 1, t, and two harmonics of
//   the year, with the prediction's standard error s sqrt(1 + x0' (X'X)^-1 x0).
import { TensorfieldError } from '../../tensor';
import { SeededRandom } from '../../data/prng';
import { contextMask, taskFill, type ImputeTask, type WeeklyImputationData } from './impute-data';

export interface Gaussian { mean: Float64Array; std: Float64Array }

/** Residual standard deviations of linear interpolation per block length and position, from training draws. */
export interface LinearResidualStd { byLength: Map<number, Float64Array>; draws: number }

/** `draws` training blocks per distinct run length (seeded); RMS residual per (length, position). */
export function linearResidualStd(d: WeeklyImputationData, draws = 400, seed = 0): LinearResidualStd {
  const rng = new SeededRandom(seed, 11), byLength = new Map<number, Float64Array>();
  const tr = d.starts.train;
  for (const len of new Set(d.gapLengths)) {
    const ss = new Float64Array(len);
    let got = 0;
    for (let k = 0; k < 100 * draws && got < draws; k++) {
      const start = tr[rng.int(tr.length)], offset = 1 + rng.int(d.window - len - 1);
      let ok = true;
      for (let i = 0; i < len && ok; i++) ok = d.observed[start + offset + i] === 1;
      if (!ok) continue;
      const t = { start, offset, length: len }, f = taskFill(d, t);
      for (let i = 0; i < len; i++) ss[i] += (d.raw[start + offset + i] - f[offset + i]) ** 2;
      got++;
    }
    if (got === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `linearResidualStd: no training block of ${len} observed weeks`);
    byLength.set(len, ss.map((v) => Math.sqrt(v / got)));
  }
  return { byLength, draws };
}

/** The linear-interpolation Gaussian of a task's block. */
export function linearPredictive(d: WeeklyImputationData, t: ImputeTask, r: LinearResidualStd): Gaussian {
  const sd = r.byLength.get(t.length);
  if (!sd) throw new TensorfieldError('TF_INVALID_ARGUMENT', `linearPredictive: no residual spread for blocks of ${t.length} weeks (lengths: ${[...r.byLength.keys()].join(', ')})`);
  const f = taskFill(d, t);
  return { mean: f.slice(t.offset, t.offset + t.length), std: Float64Array.from(sd) };
}

/** Solves A x = b (A p x p, row-major) by Gaussian elimination with partial pivoting; A and b are overwritten. */
function solve(A: Float64Array, b: Float64Array, p: number): Float64Array {
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r * p + c]) > Math.abs(A[piv * p + c])) piv = r;
    if (Math.abs(A[piv * p + c]) < 1e-12) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'harmonicPredictive: the regression is singular (too few context weeks)');
    if (piv !== c) {
      for (let k = 0; k < p; k++) { const tmp = A[c * p + k]; A[c * p + k] = A[piv * p + k]; A[piv * p + k] = tmp; }
      const tb = b[c]; b[c] = b[piv]; b[piv] = tb;
    }
    for (let r = c + 1; r < p; r++) {
      const f = A[r * p + c] / A[c * p + c];
      for (let k = c; k < p; k++) A[r * p + k] -= f * A[c * p + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(p);
  for (let r = p - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < p; k++) s -= A[r * p + k] * x[k];
    x[r] = s / A[r * p + r];
  }
  return x;
}

/** Regressors of week `i` (series index) relative to the window start: 1, years since the start, 2 harmonics. */
function regressors(d: WeeklyImputationData, start: number, i: number): number[] {
  const yr = (d.days[i] - d.days[start]) / 365.25, a = 2 * Math.PI * (d.days[i] / 365.25);
  return [1, yr, Math.sin(a), Math.cos(a), Math.sin(2 * a), Math.cos(2 * a)];
}

/** The seasonal + trend regression's Gaussian of a task's block, fitted on the window's context weeks only. */
export function harmonicPredictive(d: WeeklyImputationData, t: ImputeTask): Gaussian {
  const p = 6, ctx = contextMask(d, t);
  const XtX = new Float64Array(p * p), Xty = new Float64Array(p);
  let n = 0;
  for (let i = 0; i < d.window; i++) {
    if (!ctx[i]) continue;
    const x = regressors(d, t.start, t.start + i), y = d.raw[t.start + i];
    for (let a = 0; a < p; a++) { Xty[a] += x[a] * y; for (let b = 0; b < p; b++) XtX[a * p + b] += x[a] * x[b]; }
    n++;
  }
  if (n <= p) throw new TensorfieldError('TF_INVALID_ARGUMENT', `harmonicPredictive: ${n} context weeks for ${p} coefficients`);
  const beta = solve(XtX.slice(), Xty.slice(), p);
  let rss = 0;
  for (let i = 0; i < d.window; i++) {
    if (!ctx[i]) continue;
    const x = regressors(d, t.start, t.start + i);
    rss += (d.raw[t.start + i] - x.reduce((s, v, k) => s + v * beta[k], 0)) ** 2;
  }
  const s2 = rss / (n - p);
  const mean = new Float64Array(t.length), std = new Float64Array(t.length);
  for (let j = 0; j < t.length; j++) {
    const x0 = regressors(d, t.start, t.start + t.offset + j);
    const v = solve(XtX.slice(), Float64Array.from(x0), p);  // (X'X)^-1 x0
    mean[j] = x0.reduce((s, val, k) => s + val * beta[k], 0);
    std[j] = Math.sqrt(s2 * (1 + x0.reduce((s, val, k) => s + val * v[k], 0)));
  }
  return { mean, std };
}
