// Metrics for generated functions on a periodic 1-D grid (function-space models, FDP): Fourier amplitudes by an
// explicit float64 DFT (independent of the engine's FFT), the out-of-band energy fraction, and a summary against
// held-out functions (amplitude W1 per frequency, MMD^2 with bandwidths fixed by the reference set so that
// model-vs-test and test-vs-test are measured with the same kernel).
import { Tensor, TensorfieldError } from '../tensor';
import { toMatrix, type Matrix, type Samples } from './linalg';
import { wasserstein1dPow, mmd2 } from './samples';
import { matrixMedianDistance } from './distances';

/** |c_k| x 2 for k = 1..K (the amplitude a of a sin(2 pi k x + phi)), c_k = (1/P) sum_j f_j e^{-2 pi i jk/P}; [n][K]. */
export function fourierAmplitudes(x: Samples, K: number): Float64Array[] { return amplitudesOf(toMatrix(x, 'fourierAmplitudes'), K); }

const rowsOf = (m: Matrix): Float64Array[] => Array.from({ length: m.rows }, (_, i) => m.data.subarray(i * m.cols, (i + 1) * m.cols));

function amplitudesOf(m: Matrix, K: number): Float64Array[] {
  const P = m.cols;
  if (!(Number.isInteger(K) && K >= 1 && 2 * K < P)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `fourierAmplitudes: K must be an integer in [1, ${Math.ceil(P / 2) - 1}] for ${P} points, got ${K}`);
  const out: Float64Array[] = [];
  for (let i = 0; i < m.rows; i++) {
    const a = new Float64Array(K);
    for (let k = 1; k <= K; k++) {
      let re = 0, im = 0;
      for (let j = 0; j < P; j++) { const v = m.data[i * P + j], w = (2 * Math.PI * j * k) / P; re += v * Math.cos(w); im -= v * Math.sin(w); }
      a[k - 1] = (2 * Math.hypot(re, im)) / P;
    }
    out.push(a);
  }
  return out;
}

/**
 * Pooled fraction of the functions' energy (Parseval, full spectrum) outside the frequencies 1..K (DC counts as
 * outside): sum over functions of out-of-band energy over the sum of total energy.
 */
export function outOfBandFraction(x: Samples, K: number): number { return outOfBandOf(toMatrix(x, 'outOfBandFraction'), K); }

function outOfBandOf(m: Matrix, K: number): number {
  const P = m.cols, amps = amplitudesOf(m, K);
  let inBand = 0, total = 0;
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < P; j++) total += m.data[i * P + j] ** 2 / P;  // mean square = sum_k |c_k|^2
    for (const a of amps[i]) inBand += (a * a) / 2;                       // |c_k|^2 + |c_-k|^2 = a^2 / 2
  }
  return total > 0 ? Math.max(0, 1 - inBand / total) : 0;
}

/** Median pairwise distance within a set (first 1000 rows): the MMD kernel scale of a reference set. */
export function medianPairDistance(x: Samples): number { return medianOf(toMatrix(x, 'medianPairDistance')); }

function medianOf(m: Matrix): number {
  const r = Math.min(m.rows, 1000);
  return matrixMedianDistance({ rows: r, cols: m.cols, data: m.data.subarray(0, r * m.cols) });
}

export interface FunctionMetrics {
  /** Out-of-band energy fraction of the generated functions (and of the reference). */
  leakage: number;
  leakageRef: number;
  /** W1 between generated and reference amplitudes, k = 1..K. */
  ampW1: number[];
  mmd2: number;
  bandwidths: number[];
}

/** Generated functions against reference (held-out) ones, both [n, P]; K: the band 1..K. */
export function functionMetrics(gen: Samples, ref: Samples, K: number, bandwidths?: number[]): FunctionMetrics {
  const g = toMatrix(gen, 'functionMetrics'), r = toMatrix(ref, 'functionMetrics');
  if (g.cols !== r.cols) throw new TensorfieldError('TF_SHAPE_MISMATCH', `functionMetrics: ${g.cols} points against ${r.cols}`);
  const med = medianOf(r);
  const bw = bandwidths ?? [0.5 * med, med, 2 * med];
  const ag = amplitudesOf(g, K), ar = amplitudesOf(r, K);
  const ampW1: number[] = [];
  for (let k = 0; k < K; k++) {
    const xs = Float64Array.from(ag, (a) => a[k]).sort(), ys = Float64Array.from(ar, (a) => a[k]).sort();
    ampW1.push(wasserstein1dPow(xs, ys, 1));
  }
  return { leakage: outOfBandOf(g, K), leakageRef: outOfBandOf(r, K), ampW1, mmd2: mmd2(rowsOf(g), rowsOf(r), { bandwidths: bw }), bandwidths: bw };
}

/** Flattens [n, 1, P] function tensors to [n, P] (a convenience for models that keep a channel dim). */
export function functionRows(x: Tensor): Tensor { return x.reshape([x.shape[0], -1]); }
