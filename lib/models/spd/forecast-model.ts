// The conditional DSPD forecaster for irregular daily series (digest B §4.4 forecasting, §4.7.3): a GRU runs over
// the kept context days (value, gap since the previous kept day, distance to the forecast origin) and its last
// state, with the season of the first target day, conditions an MLP denoiser over the whole horizon vector (noisy
// targets, step embedding, state, season -> noise). The targets are diffused with the noise process over their
// window-normalised times. The network predicts the standard noise eps by default (the paper's forecasting code's
// predict_gaussian_noise; for white noise the two targets coincide, so GP and white differ only in the noise
// process): with the correlated target L eps, an RBF covariance's near-null directions (eigenvalues down to the
// 1e-4 jitter) are not noised by the forward process, the reverse step divides them by sqrt(1 - beta) at every step
// (a factor 1 / sqrt(alphaBar_N) ~ 150 over 100 steps) and any prediction error there is amplified: measured on
// seattle-weather, GP sigma 0.05, correlated target, sample standard deviations of ~90 C. Predicting eps multiplies
// the error by L, which is small exactly in those directions. The context is encoded once per window and reused for every
// denoising step and every sample.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { cat } from '../../ops';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import { GRUCell, Linear, SinusoidalEmbedding } from '../../nn/layers';
import { Adam } from '../../optim/optimizer';
import { SeededRandom } from '../../data/prng';
import { dspdLoss, sampleDspd, type EpsTarget } from './dspd';
import { dspdSchedule, type DspdSchedule } from './schedule';
import type { NoiseProcess } from './noise';
import { dropContext, forecastBatch, forecastTargetTimes, type DailyForecastData, type ForecastBatch } from './forecast-data';

export interface ForecasterOptions {
  horizon: number;
  /** GRU state size (default 32) */
  hidden?: number;
  /** MLP width (default 64) */
  width?: number;
  /** step-embedding size (default 16) */
  stepEmbed?: number;
}

export class SpdForecaster extends Module {
  readonly gru: GRUCell;
  readonly l1: Linear; readonly l2: Linear; readonly l3: Linear;
  readonly embed: SinusoidalEmbedding;
  readonly horizon: number;
  constructor(o: ForecasterOptions) {
    super();
    if (!(Number.isInteger(o.horizon) && o.horizon >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `SpdForecaster: horizon must be a positive integer, got ${o.horizon}`);
    const Hd = o.hidden ?? 32, W = o.width ?? 64, E = o.stepEmbed ?? 16;
    this.horizon = o.horizon;
    this.gru = this.module('gru', new GRUCell(3, Hd));
    this.embed = this.module('embed', new SinusoidalEmbedding(E, 1000, 1));
    this.l1 = this.module('l1', new Linear(o.horizon + Hd + 2 + E, W));
    this.l2 = this.module('l2', new Linear(W, W));
    this.l3 = this.module('l3', new Linear(W, o.horizon));
  }
  /** ctx [K, B, 3] (time-major) -> the GRU's last state [B, hidden]. */
  encode(ctx: Tensor): Tensor {
    if (!(ctx instanceof Tensor) || ctx.ndim !== 3 || ctx.shape[2] !== 3) throw new TensorfieldError('TF_SHAPE_MISMATCH', `SpdForecaster.encode: context must be [K, B, 3], got ${ctx instanceof Tensor ? `[${ctx.shape}]` : typeof ctx}`);
    const [K, B] = ctx.shape;
    let h: Tensor | null = null;
    for (let i = 0; i < K; i++) h = this.gru.forward(ctx.narrow(0, i, 1).reshape([B, 3]), h);
    return h as Tensor;
  }
  /** x [B, horizon] noisy targets, k [B] step indices, h [B, hidden] context state, season [B, 2] -> noise [B, horizon]. */
  forward(x: Tensor, k: Tensor, h: Tensor, season: Tensor): Tensor {
    if (x.ndim !== 2 || x.shape[1] !== this.horizon || h.shape[0] !== x.shape[0] || season.shape[0] !== x.shape[0]) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `SpdForecaster.forward: x must be [B, ${this.horizon}] with h [B, hidden] and season [B, 2]; got x [${x.shape}], h [${h.shape}], season [${season.shape}]`);
    }
    const feat = cat([x, this.embed.forward(k), h, season], -1);
    return this.l3.forward(this.l2.forward(this.l1.forward(feat).silu()).silu());
  }
}

/** The noise factor L [horizon, horizon] over the window-normalised target times (float32). */
export function forecastFactor(noise: NoiseProcess, d: DailyForecastData): Tensor {
  return noise.factor(tensor(forecastTargetTimes(d), { dtype: 'float64', shape: [d.horizon] })).float();
}

/** The DSPD loss of one batch (k and the noise from the global generator unless k is given). */
export function forecastLoss(net: SpdForecaster, b: ForecastBatch, L: Tensor, s: DspdSchedule, k?: ArrayLike<number>, target: EpsTarget = 'gaussian'): Tensor {
  const B = b.yT.shape[0], M = b.yT.shape[1];
  const h = net.encode(b.ctx);
  const LB = L.unsqueeze(0).expand([B, M, M]).contiguous();
  return dspdLoss((x, kk) => net.forward(x, kk, h, b.season), b.yT, LB, s, { target, k });
}

export interface ForecastTrainOptions {
  /** Adam steps (default 3000) */
  steps?: number;
  batch?: number;
  lr?: number;
  weightDecay?: number;
  /** windows and drop masks of each batch: a fresh random drop of the context days per draw */
  seed?: number;
  schedule?: DspdSchedule;
  /** what the network predicts: 'gaussian' (eps, default) or 'correlated' (L eps); see the module comment */
  target?: EpsTarget;
  onStep?: (step: number, total: number, loss: number) => void;
}

/** Trains in place on the training windows; returns every step's loss. */
export function trainForecaster(net: SpdForecaster, d: DailyForecastData, noise: NoiseProcess, o: ForecastTrainOptions = {}): number[] {
  const steps = o.steps ?? 3000, bs = o.batch ?? 64, s = o.schedule ?? dspdSchedule(100);
  if (!(Number.isInteger(steps) && steps >= 1 && Number.isInteger(bs) && bs >= 1)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `trainForecaster: steps and batch must be positive integers, got ${steps}, ${bs}`);
  }
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 1e-3, weightDecay: o.weightDecay ?? 1e-5 });
  const rng = new SeededRandom(o.seed ?? 0, 1);
  const L = forecastFactor(noise, d);
  const tr = d.starts.train, losses: number[] = [];
  net.train();
  for (let step = 0; step < steps; step++) {
    const l = tidy(() => {
      const starts = Array.from({ length: bs }, () => tr[rng.int(tr.length)]);
      const kept = starts.map(() => dropContext(rng, d.context, d.keep));
      const loss = forecastLoss(net, forecastBatch(d, starts, kept), L, s, undefined, o.target);
      opt.zeroGrad(); loss.backward(); opt.step();
      return loss.item() as number;
    });
    if (!Number.isFinite(l)) throw new TensorfieldError('TF_NON_FINITE', `trainForecaster: the loss became ${l} at step ${step + 1}`);
    losses.push(l);
    o.onStep?.(step + 1, steps, l);
  }
  L.dispose();
  return losses;
}

/**
 * m samples per window, in the series' own units: [windows, m, horizon]. Windows are encoded once and repeated m
 * times; chunks of at most `chunk` series bound the memory.
 */
export function sampleForecaster(net: SpdForecaster, d: DailyForecastData, starts: ArrayLike<number>, kept: Int32Array[], noise: NoiseProcess, m: number,
  o: { schedule?: DspdSchedule; chunk?: number; target?: EpsTarget; onChunk?: (done: number, total: number) => void } = {}): Float64Array {
  if (!(Number.isInteger(m) && m >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleForecaster: m must be a positive integer, got ${m}`);
  const s = o.schedule ?? dspdSchedule(100), M = d.horizon, W = starts.length;
  const per = Math.max(1, Math.floor((o.chunk ?? 8000) / m));
  const out = new Float64Array(W * m * M);
  const L = forecastFactor(noise, d);
  net.eval();
  noGrad(() => {
    for (let i = 0; i < W; i += per) {
      const idx = Array.from({ length: Math.min(per, W - i) }, (_, j) => i + j);
      tidy(() => {
        const b = forecastBatch(d, idx.map((j) => starts[j]), idx.map((j) => kept[j]));
        const n = idx.length * m;
        // each window's state and season repeated m times (rows i*m .. i*m + m - 1)
        const h0 = net.encode(b.ctx), Hd = h0.shape[1];
        const h = h0.unsqueeze(1).expand([idx.length, m, Hd]).reshape([n, Hd]);
        const season = b.season.unsqueeze(1).expand([idx.length, m, 2]).reshape([n, 2]);
        const LB = L.unsqueeze(0).expand([n, M, M]).contiguous();
        const x = sampleDspd((xx, k) => net.forward(xx, k, h, season), LB, s, { target: o.target ?? 'gaussian' });
        const v = x.dataSync() as Float32Array;
        for (let r = 0; r < n * M; r++) out[i * m * M + r] = v[r] * d.std + d.mean;
      });
      o.onChunk?.(Math.min(i + per, W), W);
    }
  });
  net.train();
  L.dispose();
  return out;
}
