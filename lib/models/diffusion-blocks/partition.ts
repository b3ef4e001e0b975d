// How DiffusionBlocks splits the noise range among B blocks (digest §1.2), all in host float64.
// Training noise: ln sigma ~ N(pMean, pStd²) truncated to [sigmaMin, sigmaMax]. The equi-probability partition
// puts equal mass 1/B in every block: sigma_i = exp(pMean + pStd Phi^-1(qMin + (i/B)(qMax - qMin))). The
// ablation splits ln sigma uniformly. A block trains on its range widened by the overlap gamma, and draws each
// sample's sigma from the log-normal restricted to that range by inverse CDF.
import { TensorfieldError } from '../../tensor';
import { normalCdf, normalPpf } from '../../special/normal';

export interface NoiseDist { pMean: number; pStd: number; sigmaMin: number; sigmaMax: number }
export const DEFAULT_NOISE: NoiseDist = { pMean: -1.2, pStd: 1.2, sigmaMin: 0.002, sigmaMax: 80 };
export type PartitionKind = 'equiprob' | 'uniform';

const bad = (msg: string) => new TensorfieldError('TF_INVALID_ARGUMENT', msg);

export function checkNoise(d: NoiseDist, fn: string): void {
  const { pMean, pStd, sigmaMin, sigmaMax } = d;
  if (!Number.isFinite(pMean)) throw bad(`${fn}: pMean must be finite, got ${pMean}`);
  if (!(pStd > 0 && Number.isFinite(pStd))) throw bad(`${fn}: pStd must be a positive number, got ${pStd}`);
  if (!(sigmaMin > 0 && sigmaMin < sigmaMax && Number.isFinite(sigmaMax)))
    throw bad(`${fn}: need 0 < sigmaMin < sigmaMax < inf, got sigmaMin ${sigmaMin}, sigmaMax ${sigmaMax}`);
}

function checkBlocks(B: number, fn: string): void {
  if (!Number.isInteger(B) || B < 1) throw bad(`${fn}: the number of blocks must be an integer >= 1, got ${B}`);
}

/** CDF of ln sigma's normal at sigma (not truncated). */
const cdfAt = (d: NoiseDist, sigma: number) => normalCdf((Math.log(sigma) - d.pMean) / d.pStd);
/** The sigma at which ln sigma's normal CDF is q. */
const sigmaAt = (d: NoiseDist, q: number) => Math.exp(d.pMean + d.pStd * normalPpf(q));

/** The B + 1 block edges, ascending, edges[0] = sigmaMin, edges[B] = sigmaMax (exactly). */
export function partitionEdges(B: number, kind: PartitionKind = 'equiprob', d: NoiseDist = DEFAULT_NOISE): number[] {
  const fn = 'partitionEdges';
  checkBlocks(B, fn);
  checkNoise(d, fn);
  const edges = new Array<number>(B + 1);
  edges[0] = d.sigmaMin;
  edges[B] = d.sigmaMax;
  if (kind === 'equiprob') {
    const qMin = cdfAt(d, d.sigmaMin), qMax = cdfAt(d, d.sigmaMax);
    for (let i = 1; i < B; i++) edges[i] = sigmaAt(d, qMin + (i / B) * (qMax - qMin));
  } else if (kind === 'uniform') {
    const a = Math.log(d.sigmaMin), b = Math.log(d.sigmaMax);
    for (let i = 1; i < B; i++) edges[i] = Math.exp(a + (i / B) * (b - a));
  } else {
    throw bad(`${fn}: partition must be 'equiprob' or 'uniform', got '${String(kind)}'`);
  }
  return edges;
}

/**
 * The sigma range block-interval i trains on (edges ascending, interval i = [edges[i], edges[i+1]]): widened by
 * gamma times its log-width on both sides, [sigma_i / alpha, sigma_{i+1} alpha] with alpha = (sigma_{i+1}/sigma_i)^gamma,
 * clipped to [edges[0], edges[B]] (the official code's get_sigmas).
 */
export function overlapRange(edges: number[], i: number, gamma: number): [number, number] {
  const fn = 'overlapRange', B = edges.length - 1;
  if (!Number.isInteger(i) || i < 0 || i >= B) throw bad(`${fn}: interval ${i} is outside 0..${B - 1}`);
  if (!(gamma >= 0 && Number.isFinite(gamma))) throw bad(`${fn}: overlap gamma must be a finite number >= 0, got ${gamma}`);
  const lo = edges[i], hi = edges[i + 1];
  const delta = Math.log(hi) - Math.log(lo);
  return [Math.max(Math.exp(Math.log(lo) - gamma * delta), edges[0]), Math.min(Math.exp(Math.log(hi) + gamma * delta), edges[B])];
}

/**
 * n sigmas from the log-normal restricted to [lo, hi] by inverse CDF: u uniform in (Phi(lo'), Phi(hi')), sigma =
 * exp(pMean + pStd Phi^-1(u)). `uniforms` supplies the n values in [0, 1) (a seeded engine draw, so runs repeat).
 */
export function sampleSigmaInRange(uniforms: ArrayLike<number>, lo: number, hi: number, d: NoiseDist = DEFAULT_NOISE): Float64Array {
  const fn = 'sampleSigmaInRange';
  checkNoise(d, fn);
  if (!(lo > 0 && lo < hi && Number.isFinite(hi))) throw bad(`${fn}: need 0 < lo < hi < inf, got [${lo}, ${hi}]`);
  const qa = cdfAt(d, lo), qb = cdfAt(d, hi);
  const out = new Float64Array(uniforms.length);
  for (let k = 0; k < uniforms.length; k++) {
    const u = uniforms[k];
    if (!(u >= 0 && u <= 1)) throw bad(`${fn}: uniform ${k} is ${u}, not in [0, 1]`);
    // keep q strictly inside (0, 1) and the result inside [lo, hi] despite rounding
    const q = Math.min(Math.max(qa + u * (qb - qa), Number.MIN_VALUE), 1 - 1e-16);
    out[k] = Math.min(Math.max(sigmaAt(d, q), lo), hi);
  }
  return out;
}

/**
 * The block that owns sigma. Intervals count up from small sigma: k = the interval holding sigma, edges[k] <= sigma
 * < edges[k+1] (the official bucketize(right=True) - 1); blocks count down from high noise, block = (B-1) - k, so
 * block 0 (the first layers) denoises the largest sigmas. Sigma outside [edges[0], edges[B]] goes to the nearest
 * end block (sampling grids start a little above or below the trained range).
 */
export function blockOf(sigma: number, edges: number[]): number {
  const B = edges.length - 1;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw bad(`blockOf: sigma must be a positive finite number, got ${sigma}`);
  let lo = 0, hi = B + 1;  // bisection for the count of edges <= sigma (edges ascending)
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= sigma) lo = mid + 1; else hi = mid;
  }
  const k = Math.min(Math.max(lo - 1, 0), B - 1);
  return B - 1 - k;
}

/** The interval index (ascending sigma) block b trains: the inverse of blockOf's (B-1) - k. */
export const intervalOfBlock = (b: number, B: number): number => B - 1 - b;

/** Layers [start, end) of block b when L layers are split into B contiguous blocks (L divisible by B). */
export function blockLayers(b: number, L: number, B: number): [number, number] {
  checkBlocks(B, 'blockLayers');
  if (!Number.isInteger(L) || L < 1 || L % B !== 0) throw bad(`blockLayers: ${L} layers do not split into ${B} equal blocks`);
  if (!Number.isInteger(b) || b < 0 || b >= B) throw bad(`blockLayers: block ${b} is outside 0..${B - 1}`);
  return [(b * L) / B, ((b + 1) * L) / B];
}
