// Calibration observers: they watch a tensor over batches and pick its quantization range.
//  - minmax: the running min and max (per tensor, or per channel along an axis);
//  - moving: an exponential moving average of each batch's min and max (robust to one outlier batch);
//  - percentile: clip at a percentile of the values seen (histogram of 2048 bins over the running range);
//  - mse: the clipping range that minimises the expected squared quantization error over that histogram.
// Histograms rebin when the range grows, so the order of batches changes them only by bin rounding.
import { Tensor, TensorfieldError } from '../tensor';
import { noGrad } from '../autograd';
import { ActQParams, CODE_RANGE } from './ops';

export type ObserverKind = 'minmax' | 'moving' | 'percentile' | 'mse';
export interface ObserverOptions {
  kind?: ObserverKind;
  /** moving: weight of the newest batch (default 0.1) */
  momentum?: number;
  /** percentile: the fraction of values kept inside the range (default 0.9999) */
  percentile?: number;
  /** histogram bins (percentile, mse; default 2048) */
  bins?: number;
}

/** Quantization parameters for uint8 activations from a real range [lo, hi] (widened to include 0). */
export function affineU8(lo: number, hi: number): ActQParams {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `quantization range [${lo}, ${hi}] is not finite`);
  lo = Math.min(lo, 0); hi = Math.max(hi, 0);
  let scale = Math.fround((hi - lo) / 255);
  if (!(scale > 0)) scale = 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}
/** Symmetric int8 scale (codes in [-127, 127]) for a real range of magnitude `absMax`. */
export function symmetricS8(absMax: number): number {
  const s = Math.fround(absMax / CODE_RANGE.int8Symmetric[1]);
  return s > 0 && Number.isFinite(s) ? s : 1;
}

const values = (x: Tensor) => noGrad(() => x.detach().to('float32').contiguous().dataSync() as Float32Array);

/** Watches one tensor per call (activations: per tensor). */
export class Observer {
  readonly kind: ObserverKind;
  private lo = Infinity;
  private hi = -Infinity;
  private hist: Float64Array | null = null;
  private hlo = 0;
  private hhi = 0;
  private batches = 0;
  constructor(private opts: ObserverOptions = {}) {
    this.kind = opts.kind ?? 'minmax';
    if (!['minmax', 'moving', 'percentile', 'mse'].includes(this.kind))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown observer '${this.kind}' (minmax, moving, percentile, mse)`);
  }
  get count(): number { return this.batches; }
  /** Forgets everything observed (a new calibration, e.g. of the next noise-level bucket). */
  reset(): void { this.lo = Infinity; this.hi = -Infinity; this.hist = null; this.hlo = 0; this.hhi = 0; this.batches = 0; }

  observe(x: Tensor): void {
    const v = values(x);
    if (v.length === 0) return;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < v.length; ++i) {
      const a = v[i];
      if (!Number.isFinite(a)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'observer: the tensor has non-finite values');
      if (a < lo) lo = a;
      if (a > hi) hi = a;
    }
    if (this.kind === 'moving' && this.batches > 0) {
      const m = this.opts.momentum ?? 0.1;
      this.lo = (1 - m) * this.lo + m * lo;
      this.hi = (1 - m) * this.hi + m * hi;
    } else {
      this.lo = Math.min(this.lo, lo);
      this.hi = Math.max(this.hi, hi);
    }
    if (this.kind === 'percentile' || this.kind === 'mse') this.addToHistogram(v, Math.min(lo, 0), Math.max(hi, 0));
    this.batches++;
  }

  private addToHistogram(v: Float32Array, lo: number, hi: number): void {
    const bins = this.opts.bins ?? 2048;
    if (!this.hist) { this.hist = new Float64Array(bins); this.hlo = lo; this.hhi = hi > lo ? hi : lo + 1; }
    if (lo < this.hlo || hi > this.hhi) {  // grow the range, moving old counts to their new bins' centres
      const nlo = Math.min(lo, this.hlo), nhi = Math.max(hi, this.hhi);
      const old = this.hist, ow = (this.hhi - this.hlo) / bins, nw = (nhi - nlo) / bins;
      this.hist = new Float64Array(bins);
      for (let b = 0; b < bins; ++b) if (old[b]) this.hist[Math.min(bins - 1, Math.floor((this.hlo + (b + 0.5) * ow - nlo) / nw))] += old[b];
      this.hlo = nlo; this.hhi = nhi;
    }
    const w = (this.hhi - this.hlo) / bins, h = this.hist;
    for (let i = 0; i < v.length; ++i) h[Math.min(bins - 1, Math.max(0, Math.floor((v[i] - this.hlo) / w)))]++;
  }

  /** The observed real range [lo, hi] this observer would quantize. */
  range(): [number, number] {
    if (this.batches === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'observer: nothing observed yet (run calibration batches first)');
    if (this.kind === 'minmax' || this.kind === 'moving') return [this.lo, this.hi];
    return this.kind === 'percentile' ? this.percentileRange() : this.mseRange();
  }
  qparams(): ActQParams { const [lo, hi] = this.range(); return affineU8(lo, hi); }

  private cdfPoint(q: number): number {
    const h = this.hist!, bins = h.length, w = (this.hhi - this.hlo) / bins;
    const total = h.reduce((a, b) => a + b, 0);
    let acc = 0;
    for (let b = 0; b < bins; ++b) {
      if (acc + h[b] >= q * total) return this.hlo + (b + (h[b] ? (q * total - acc) / h[b] : 0)) * w;
      acc += h[b];
    }
    return this.hhi;
  }
  private percentileRange(): [number, number] {
    const p = this.opts.percentile ?? 0.9999;
    if (!(p > 0.5 && p <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `observer percentile must be in (0.5, 1], got ${p}`);
    return [Math.min(0, this.cdfPoint(1 - p)), Math.max(0, this.cdfPoint(p))];
  }
  // Squared error of coding the histogram's values with the uint8 grid that affineU8 builds for [lo, hi]: each
  // bin stands for its values spread evenly, sampled at 4 points, rounded on the real grid (zero point
  // included: values near 0 code to 0 with no error, which a step^2/12 noise model would miss) or clipped.
  private mseOf(lo: number, hi: number): number {
    const h = this.hist!, bins = h.length, bw = (this.hhi - this.hlo) / bins;
    const { scale: s, zeroPoint: z } = affineU8(lo, hi);
    let e = 0;
    for (let b = 0; b < bins; ++b) {
      if (!h[b]) continue;
      let eb = 0;
      for (let j = 0; j < 4; ++j) {
        const c = this.hlo + (b + (j + 0.5) / 4) * bw;
        const q = Math.min(255, Math.max(0, Math.round(c / s) + z));
        eb += ((q - z) * s - c) ** 2;
      }
      e += (h[b] * eb) / 4;
    }
    return e;
  }
  private mseRange(): [number, number] {
    const lo0 = Math.min(0, this.hlo), hi0 = Math.max(0, this.hhi);
    let best: [number, number] = [lo0, hi0], bestE = this.mseOf(lo0, hi0);
    // shrink both ends by the same fraction of the range (a 1-D search keeps the zero point's place)
    for (let k = 1; k < 200; ++k) {
      const f = 1 - k / 200;
      const lo = lo0 * f, hi = hi0 * f;
      const e = this.mseOf(lo, hi);
      if (e < bestE) { bestE = e; best = [lo, hi]; }
    }
    return best;
  }
}

/** Per-output-channel symmetric int8 scales of a weight [out, ...]: max |w| per row, or MSE-optimal clipping. */
export function weightScales(w: Tensor, method: 'minmax' | 'mse' = 'minmax'): Float32Array {
  const v = values(w);
  const rows = w.shape[0], cols = v.length / rows;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; ++r) {
    let m = 0;
    for (let c = 0; c < cols; ++c) m = Math.max(m, Math.abs(v[r * cols + c]));
    let s = symmetricS8(m);
    if (method === 'mse' && m > 0) {
      let bestE = Infinity;
      for (let k = 0; k < 100; ++k) {
        const cand = symmetricS8(m * (1 - k / 200));
        let e = 0;
        for (let c = 0; c < cols; ++c) {
          const x = v[r * cols + c];
          const q = Math.max(-127, Math.min(127, Math.round(x / cand)));
          e += (q * cand - x) ** 2;
        }
        if (e < bestE) { bestE = e; s = cand; }
      }
    }
    out[r] = s;
  }
  return out;
}
