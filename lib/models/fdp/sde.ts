// FDP's forward process (the official code's heat_subvp_sde): in the orthonormal Fourier basis of the grid every
// mode omega is an independent OU process
//   dX(omega) = -beta(t) b(omega) X dt + sqrt(2 beta(t) r(omega)) dW,
// so X_t(omega) = k_t X_0 + sigma_t xi with k_t = exp(-b I(t)), sigma_t^2 = (r / b)(1 - k_t^2), I = int_0^t beta.
// Functions are [B, C, ...grid] with a 1-D ([P]) or 2-D ([H, W]) periodic grid; spectra are the ortho rfft / rfft2
// of the grid dims, [B, C, ...bins, 2]. Frequencies are physical (cycles over the domain) times xNorm / P of the
// grid the process was built for, so a denser grid of the same domain sees the same b and r at the same mode.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import type { DType } from '../../tensor';
import { randn } from '../../random';
import { keep } from '../../scope';
import * as fft from '../../fft';

export interface HeatSDEOptions {
  /** Grid the process is defined on: [P] or [H, W]. */
  grid: number[];
  /** The code's x_norm: frequency f = index * xNorm / P (default P: f is the integer frequency). */
  xNorm?: number;
  betaMin?: number;
  betaMax?: number;
  /** The code's `const` (0.02). */
  betaConst?: number;
  /** Divides r (the code's energy_norm: 1 for images, 256 for audio). */
  energyNorm?: number;
}

/** b(w) = 1/(|w|^2 + 0.3) + ((|w|^2 + 2)/33^2)^(1/4);  r(w) = (64^2/23.27) / (|w|^2 + 2) / energyNorm (the code's constants). */
export const bOf = (w2: number): number => 1 / (w2 + 0.3) + Math.pow((w2 + 2) / (33 * 33), 0.25);
export const rOf = (w2: number, energyNorm = 1): number => (64 * 64 / 23.27) / (w2 + 2) / energyNorm;

/** Per-bin tables of a grid: |omega|^2, b, r, and the multiplicity of each rfft bin in the full spectrum (1 or 2). */
export interface ModeTable { shape: number[]; w2: Float64Array; b: Float64Array; r: Float64Array; mult: Float64Array }

export function modeTable(grid: number[], freqScale: number, energyNorm: number): ModeTable {
  const W = grid[grid.length - 1], half = Math.floor(W / 2) + 1;
  const H = grid.length === 2 ? grid[0] : 1;
  const n = H * half;
  const t: ModeTable = { shape: grid.length === 2 ? [H, half] : [half], w2: new Float64Array(n), b: new Float64Array(n), r: new Float64Array(n), mult: new Float64Array(n) };
  for (let i = 0; i < H; i++) {
    const fy = Math.min(i, H - i) * freqScale;
    for (let j = 0; j < half; j++) {
      const fx = j * freqScale, w2 = fx * fx + fy * fy, q = i * half + j;
      t.w2[q] = w2; t.b[q] = bOf(w2); t.r[q] = rOf(w2, energyNorm);
      // the bins 0 < j < W/2 stand for themselves and their conjugates in the full spectrum
      t.mult[q] = j === 0 || (W % 2 === 0 && j === W / 2) ? 1 : 2;
    }
  }
  return t;
}

export class HeatSDE {
  readonly grid: number[];
  readonly betaMin: number; readonly betaMax: number; readonly betaConst: number; readonly c: number;
  readonly freqScale: number; readonly energyNorm: number;
  readonly modes: ModeTable;
  private cache = new Map<string, Record<'b' | 'r' | 'mult', Tensor>>();

  constructor(o: HeatSDEOptions) {
    const g = o.grid;
    if (!Array.isArray(g) || (g.length !== 1 && g.length !== 2) || !g.every((v) => Number.isInteger(v) && v >= 2)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `HeatSDE: grid must be [P] or [H, W] of integers >= 2, got ${JSON.stringify(g)}`);
    }
    this.grid = g.slice();
    this.betaMin = o.betaMin ?? 0.1; this.betaMax = o.betaMax ?? 5; this.betaConst = o.betaConst ?? 0.02;
    this.energyNorm = o.energyNorm ?? 1;
    const xNorm = o.xNorm ?? g[g.length - 1];
    for (const [v, what] of [[this.betaMin, 'betaMin'], [this.betaMax, 'betaMax'], [this.betaConst, 'betaConst'], [this.energyNorm, 'energyNorm'], [xNorm, 'xNorm']] as const) {
      if (!(Number.isFinite(v) && v > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `HeatSDE: ${what} must be > 0, got ${v}`);
    }
    if (!(this.betaMax > this.betaMin)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `HeatSDE: betaMax (${this.betaMax}) must exceed betaMin (${this.betaMin})`);
    this.c = Math.log((this.betaMin + (this.betaMax - this.betaMin) / 2) / this.betaConst + 1);
    this.freqScale = xNorm / g[g.length - 1];
    this.modes = modeTable(g, this.freqScale, this.energyNorm);
  }

  beta(t: number): number { return this.betaConst * this.c * Math.exp(this.c * t); }
  /** I(t) = int_0^t beta. */
  integral(t: number): number { return this.betaConst * (Math.exp(this.c * t) - 1); }

  /** The same process on another grid of the same domain (same physical frequencies): for super-resolution. */
  onGrid(grid: number[]): HeatSDE {
    const P = grid[grid.length - 1];
    return new HeatSDE({ grid, xNorm: this.freqScale * P, betaMin: this.betaMin, betaMax: this.betaMax, betaConst: this.betaConst, energyNorm: this.energyNorm });
  }

  /** b, r and multiplicity as [...bins, 1] tensors (broadcast against spectra [B, C, ...bins, 2]). */
  tables(dtype: DType = 'float32'): Record<'b' | 'r' | 'mult', Tensor> {
    let t = this.cache.get(dtype);
    if (!t) {
      const shape = [...this.modes.shape, 1];
      const mk = (a: Float64Array) => keep(tensor(dtype === 'float64' ? a : Float32Array.from(a), { shape, dtype }));
      t = { b: mk(this.modes.b), r: mk(this.modes.r), mult: mk(this.modes.mult) };
      this.cache.set(dtype, t);
    }
    return t;
  }

  private checkX(x: Tensor, fn: string): void {
    const g = this.grid;
    if (x.ndim !== g.length + 2 || g.some((v, i) => x.shape[2 + i] !== v)) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: functions must be [B, C, ${g.join(', ')}] on this process's grid, got [${x.shape}]`);
    }
  }

  /** Orthonormal spectrum of x [B, C, ...grid]. */
  spec(x: Tensor): Tensor {
    this.checkX(x, 'HeatSDE.spec');
    return this.grid.length === 1 ? fft.rfft(x, { norm: 'ortho' }) : fft.rfft2(x, { norm: 'ortho' });
  }
  /** The function on the grid of a spectrum [B, C, ...bins, 2]. */
  unspec(X: Tensor): Tensor {
    const W = this.grid[this.grid.length - 1];
    return this.grid.length === 1 ? fft.irfft(X, { n: W, norm: 'ortho' }) : fft.irfft2(X, { w: W, norm: 'ortho' });
  }

  /** Per-sample I(t) as [B, 1, ...ones, 1] for times t (numbers in [0, 1]). */
  integralTensor(t: ArrayLike<number>, dtype: DType = 'float32'): Tensor {
    for (let i = 0; i < t.length; i++) {
      if (!(t[i] >= 0 && t[i] <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `HeatSDE: times must be in [0, 1], got ${t[i]}`);
    }
    const I = Float64Array.from({ length: t.length }, (_, i) => this.integral(t[i]));
    return tensor(dtype === 'float64' ? I : Float32Array.from(I), { shape: [t.length, 1, ...this.modes.shape.map(() => 1), 1], dtype });
  }

  /** k_t = exp(-b I(t)) per sample and mode, [B, 1, ...bins, 1]. */
  kt(I: Tensor): Tensor { return this.tables(I.dtype).b.mul(I).neg().exp(); }

  /** Gaussian noise with per-mode variance `var` ([...bins, 1] or per sample): irfft(sqrt(var) rfft(white)). */
  coloured(shape: number[], variance: Tensor): Tensor {
    const X = this.spec(randn(shape, { dtype: variance.dtype }));
    return this.unspec(X.mul(variance.sqrt()));
  }

  /** Y_t = k_t x0 + sigma_t xi (exact marginal) for x0 [B, C, ...grid] at per-sample times t. */
  marginal(x0: Tensor, t: ArrayLike<number>): Tensor {
    this.checkX(x0, 'HeatSDE.marginal');
    if (t.length !== x0.shape[0]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `HeatSDE.marginal: ${t.length} times for a batch of ${x0.shape[0]}`);
    const { b, r } = this.tables(x0.dtype);
    const k = this.kt(this.integralTensor(t, x0.dtype));
    const mean = this.spec(x0).mul(k);
    const noise = this.spec(randn(x0.shape, { dtype: x0.dtype })).mul(r.div(b).mul(k.square().neg().add(1)).sqrt());
    return this.unspec(mean.add(noise));
  }

  /** The code's prior at t = 1: sigma_1 xi (the retained k_1 x0 is ignored, as in the official code). */
  prior(shape: number[], dtype: DType = 'float32'): Tensor {
    const { b, r } = this.tables(dtype);
    const k = this.kt(this.integralTensor([1], dtype).reshape(this.modes.shape.map(() => 1).concat(1)));
    return this.coloured(shape, r.div(b).mul(k.square().neg().add(1)));
  }

  /** R-coloured white noise: irfft(sqrt(r) rfft(white)), the increment of the R-Wiener process per unit time. */
  noiseR(shape: number[], dtype: DType = 'float32'): Tensor { return this.coloured(shape, this.tables(dtype).r); }

  /** Forward transition from time s to t > s for every sample: X_t = (k_t / k_s) X_s + sqrt((r/b)(1 - k_t^2/k_s^2)) xi. */
  transition(x: Tensor, s: number, t: number): Tensor {
    if (!(t >= s)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `HeatSDE.transition: needs t >= s, got s = ${s}, t = ${t}`);
    const { b, r } = this.tables(x.dtype);
    const ratio = b.mul(-(this.integral(t) - this.integral(s))).exp();
    const mean = this.spec(x).mul(ratio);
    return this.unspec(mean).add(this.coloured(x.shape, r.div(b).mul(ratio.square().neg().add(1))));
  }

  /**
   * The code's R-preconditioned score (r times the true score of the Gaussian conditional) of y at time t, for the
   * denoised x0hat: spectral -(Y - k_t X0hat) b / (1 - k_t^2). Returned on the grid.
   */
  score(y: Tensor, x0hat: Tensor, t: number): Tensor {
    const { b } = this.tables(y.dtype);
    const k = b.mul(-this.integral(t)).exp();
    return this.unspec(this.spec(y).sub(this.spec(x0hat).mul(k)).mul(b.div(k.square().neg().add(1))).neg());
  }

  /** Reverse-time drift beta(t) (b Y + 2 s) (per unit of backward time), on the grid. */
  reverseDrift(y: Tensor, score: Tensor, t: number): Tensor {
    const { b } = this.tables(y.dtype);
    return this.unspec(this.spec(y).mul(b)).add(score.mul(2)).mul(this.beta(t));
  }
}
