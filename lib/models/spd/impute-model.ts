// The conditional DSPD imputer for weekly windows (impute-data.ts): an MLP over the whole window sees the context
// (the linearly filled, window-centred series in units of the training spread, and which weeks are context), the
// block to fill (a 0/1 mask), the season of the window's first week and the diffusion step, and predicts the noise
// at every week; the loss is masked to the block. The diffused quantity is the block's residual from linear
// interpolation in units of the training residual RMS. Its noise is the noise process over the block's times in
// window units (week j of the window at j / (window - 1): never integer indices, which would make a GP white); the
// factor is block-diagonal: the block's Cholesky factor, identity elsewhere, so weeks outside the block carry
// independent noise that the network never sees (its input is masked) and the loss ignores. The network predicts
// the standard noise eps (see forecast-model.ts for why the correlated target diverges with a smooth GP).
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { cat } from '../../ops';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import { Conv1d, Linear, SinusoidalEmbedding } from '../../nn/layers';
import { Adam } from '../../optim/optimizer';
import { SeededRandom } from '../../data/prng';
import { dspdLoss, sampleDspd } from './dspd';
import { dspdSchedule, type DspdSchedule } from './schedule';
import type { NoiseProcess } from './noise';
import { contextMask, drawBlock, taskFill, type ImputeTask, type WeeklyImputationData } from './impute-data';

export type ImputerArch = 'mlp' | 'conv';

export interface ImputerOptions {
  window: number;
  /**
   * 'mlp' (default): one MLP over the whole window (width `width`). 'conv': a stack of dilated 1-D convolutions
   * over the weeks (`width` channels, dilations 1, 2, 4, 8, 16, 1: a 67-week receptive field) with per-week
   * season inputs, the same function of a block wherever it sits in the window.
   */
  arch?: ImputerArch;
  /** MLP width or conv channels (default 128 / 32) */
  width?: number;
  /** step-embedding size (default 16) */
  stepEmbed?: number;
}

const DILATIONS = [1, 2, 4, 8, 16, 1];

export class SpdImputer extends Module {
  readonly arch: ImputerArch;
  readonly window: number;
  readonly embed: SinusoidalEmbedding;
  readonly layers: Linear[] = [];
  readonly convs: Conv1d[] = [];
  readonly steps: Linear[] = [];
  constructor(o: ImputerOptions) {
    super();
    if (!(Number.isInteger(o.window) && o.window >= 2)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `SpdImputer: window must be an integer >= 2, got ${o.window}`);
    const arch = o.arch ?? 'mlp';
    if (arch !== 'mlp' && arch !== 'conv') throw new TensorfieldError('TF_INVALID_ARGUMENT', `SpdImputer: arch must be 'mlp' or 'conv', got ${JSON.stringify(arch)}`);
    const W = o.window, E = o.stepEmbed ?? 16;
    this.arch = arch;
    this.window = W;
    this.embed = this.module('embed', new SinusoidalEmbedding(E, 1000, 1));
    if (arch === 'mlp') {
      const Wd = o.width ?? 128;
      this.layers.push(this.module('l1', new Linear(W + E + 3 * W + 2, Wd)), this.module('l2', new Linear(Wd, Wd)), this.module('l3', new Linear(Wd, W)));
    } else {
      const C = o.width ?? 32;
      // channels in: noisy residual, context value, context mask, block mask, season sin / cos of each week
      this.convs.push(this.module('cin', new Conv1d(6, C, 3, { padding: 1 })));
      DILATIONS.forEach((dl, i) => {
        this.convs.push(this.module(`c${i}`, new Conv1d(C, C, 3, { padding: dl, dilation: dl })));
        this.steps.push(this.module(`s${i}`, new Linear(E, C)));
      });
      this.convs.push(this.module('cout', new Conv1d(C, 1, 1)));
    }
  }
  /** x [B, W] noisy residuals, k [B] step indices, cond [B, 3W + 2], mask [B, W] (1 on the block) -> noise [B, W]. */
  forward(x: Tensor, k: Tensor, cond: Tensor, mask: Tensor): Tensor {
    const W = this.window;
    if (x.ndim !== 2 || x.shape[1] !== W || cond.ndim !== 2 || cond.shape[1] !== 3 * W + 2 || cond.shape[0] !== x.shape[0] || mask.shape[0] !== x.shape[0] || mask.shape[1] !== W) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `SpdImputer.forward: x must be [B, ${W}] with cond [B, ${3 * W + 2}] and mask [B, ${W}]; got x [${x.shape}], cond [${cond.shape}], mask [${mask.shape}]`);
    }
    const xm = x.mul(mask), e = this.embed.forward(k);
    if (this.arch === 'mlp') {
      const [l1, l2, l3] = this.layers;
      return l3.forward(l2.forward(l1.forward(cat([xm, e, cond], -1)).silu()).silu());
    }
    const B = x.shape[0];
    // the season of week j: the first week's angle plus j weeks (7 / 365.25 of a turn each)
    const s0 = cond.narrow(1, 3 * W, 1), c0 = cond.narrow(1, 3 * W + 1, 1);
    const step = tensor(Float32Array.from({ length: W }, (_, j) => 2 * Math.PI * 7 * j / 365.25), { dtype: 'float32', shape: [1, W] });
    const sw = s0.mul(step.cos()).add(c0.mul(step.sin())), cw = c0.mul(step.cos()).sub(s0.mul(step.sin()));
    const inp = cat([xm.unsqueeze(1), cond.narrow(1, 0, 3 * W).reshape([B, 3, W]), sw.unsqueeze(1), cw.unsqueeze(1)], 1);
    let h = this.convs[0].forward(inp);
    for (let i = 0; i < DILATIONS.length; i++) h = h.add(this.convs[i + 1].forward(h.add(this.steps[i].forward(e).unsqueeze(-1)).silu()));
    return this.convs[this.convs.length - 1].forward(h.silu()).reshape([B, W]);
  }
}

/** Cholesky factors of the noise over blocks of each length (float64 rows, length x length), built once. */
export class BlockFactors {
  private readonly cache = new Map<number, Float64Array>();
  constructor(readonly noise: NoiseProcess, readonly window: number) {}
  get(length: number): Float64Array {
    let f = this.cache.get(length);
    if (!f) {
      const t = tensor(Float64Array.from({ length }, (_, j) => j / (this.window - 1)), { dtype: 'float64', shape: [length] });
      f = Float64Array.from(this.noise.factor(t).dataSync() as ArrayLike<number>);
      this.cache.set(length, f);
    }
    return f;
  }
}

export interface ImputeBatch {
  /** the block's residual from linear interpolation / resScale, 0 outside it [B, W] (0 everywhere for real gaps) */
  x0: Tensor;
  /** context channel, context mask, block mask, season sin / cos of the first week [B, 3W + 2] */
  cond: Tensor;
  /** 1 on the block [B, W] */
  mask: Tensor;
  /** block-diagonal noise factors [B, W, W] */
  L: Tensor;
  /** the linear fill of each window (ppm), for turning residuals back into values */
  fill: Float64Array[];
}

/** Model inputs of tasks (real-gap tasks have no truth: x0 is 0 there and must not be trained on). */
export function imputeBatch(d: WeeklyImputationData, tasks: ImputeTask[], factors: BlockFactors): ImputeBatch {
  const B = tasks.length, W = d.window;
  if (factors.window !== W) throw new TensorfieldError('TF_SHAPE_MISMATCH', `imputeBatch: factors for ${factors.window}-week windows, data has ${W}`);
  const x0 = new Float32Array(B * W), cond = new Float32Array(B * (3 * W + 2)), mask = new Float32Array(B * W), L = new Float32Array(B * W * W);
  const fill: Float64Array[] = [];
  tasks.forEach((t, b) => {
    if (!(Number.isInteger(t.start) && t.start >= 0 && t.start + W <= d.raw.length && Number.isInteger(t.offset) && Number.isInteger(t.length) &&
        t.length >= 1 && t.offset >= 0 && t.offset + t.length <= W)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `imputeBatch: task ${b} ${JSON.stringify(t)} does not fit a ${W}-week window of a ${d.raw.length}-week series`);
    }
    const ctx = contextMask(d, t), f = taskFill(d, t);
    fill.push(f);
    let level = 0, nc = 0;
    for (let i = 0; i < W; i++) if (ctx[i]) { level += d.raw[t.start + i]; nc++; }
    level /= nc;
    const c = b * (3 * W + 2);
    for (let i = 0; i < W; i++) {
      cond[c + i] = (f[i] - level) / d.ctxScale;
      cond[c + W + i] = ctx[i];
      const inBlock = i >= t.offset && i < t.offset + t.length;
      cond[c + 2 * W + i] = inBlock ? 1 : 0;
      mask[b * W + i] = inBlock ? 1 : 0;
      if (inBlock && d.observed[t.start + i]) x0[b * W + i] = (d.raw[t.start + i] - f[i]) / d.resScale;
      if (!inBlock) L[(b * W + i) * W + i] = 1;
    }
    const a = 2 * Math.PI * d.doy[t.start] / 365.25;
    cond[c + 3 * W] = Math.sin(a); cond[c + 3 * W + 1] = Math.cos(a);
    const Lb = factors.get(t.length);
    for (let i = 0; i < t.length; i++) for (let j = 0; j <= i; j++) L[(b * W + t.offset + i) * W + t.offset + j] = Lb[i * t.length + j];
  });
  const o = { dtype: 'float32' as const };
  return {
    x0: tensor(x0, { ...o, shape: [B, W] }), cond: tensor(cond, { ...o, shape: [B, 3 * W + 2] }), mask: tensor(mask, { ...o, shape: [B, W] }),
    L: tensor(L, { ...o, shape: [B, W, W] }), fill,
  };
}

/** The masked DSPD loss of a batch (k and the noise from the global generator unless k is given). */
export function imputeLoss(net: SpdImputer, b: ImputeBatch, s: DspdSchedule, k?: ArrayLike<number>): Tensor {
  return dspdLoss((x, kk) => net.forward(x, kk, b.cond, b.mask), b.x0, b.L, s, { target: 'gaussian', mask: b.mask, k });
}

export interface ImputeTrainOptions {
  steps?: number; batch?: number; lr?: number; weightDecay?: number;
  /** training windows and blocks (a fresh block per draw) */
  seed?: number;
  /** share of training blocks with a length uniform in 1..longest real run instead of a real run's (default 0) */
  uniformShare?: number;
  schedule?: DspdSchedule;
  onStep?: (step: number, total: number, loss: number) => void;
}

/** Trains in place on random blocks of the training windows; returns every step's loss. */
export function trainImputer(net: SpdImputer, d: WeeklyImputationData, noise: NoiseProcess, o: ImputeTrainOptions = {}): number[] {
  const steps = o.steps ?? 3000, bs = o.batch ?? 64, s = o.schedule ?? dspdSchedule(100);
  if (!(Number.isInteger(steps) && steps >= 1 && Number.isInteger(bs) && bs >= 1)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `trainImputer: steps and batch must be positive integers, got ${steps}, ${bs}`);
  }
  if (net.window !== d.window) throw new TensorfieldError('TF_SHAPE_MISMATCH', `trainImputer: the network takes ${net.window}-week windows, the data has ${d.window}`);
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 1e-3, weightDecay: o.weightDecay ?? 1e-5 });
  const rng = new SeededRandom(o.seed ?? 0, 1), factors = new BlockFactors(noise, d.window);
  const tr = d.starts.train, losses: number[] = [];
  net.train();
  for (let step = 0; step < steps; step++) {
    const tasks: ImputeTask[] = [];
    while (tasks.length < bs) { const t = drawBlock(rng, d, tr[rng.int(tr.length)], o.uniformShare ?? 0); if (t) tasks.push(t); }
    const l = tidy(() => {
      const loss = imputeLoss(net, imputeBatch(d, tasks, factors), s);
      opt.zeroGrad(); loss.backward(); opt.step();
      return loss.item() as number;
    });
    if (!Number.isFinite(l)) throw new TensorfieldError('TF_NON_FINITE', `trainImputer: the loss became ${l} at step ${step + 1}`);
    losses.push(l);
    o.onStep?.(step + 1, steps, l);
  }
  return losses;
}

/**
 * m samples of each task's block in the series' units: one Float64Array [m, length] per task. Each task is repeated
 * m times; chunks of at most `chunk` series bound the memory.
 */
export function sampleImputer(net: SpdImputer, d: WeeklyImputationData, tasks: ImputeTask[], noise: NoiseProcess, m: number,
  o: { schedule?: DspdSchedule; chunk?: number; onChunk?: (done: number, total: number) => void } = {}): Float64Array[] {
  if (!(Number.isInteger(m) && m >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleImputer: m must be a positive integer, got ${m}`);
  const s = o.schedule ?? dspdSchedule(100), W = d.window, factors = new BlockFactors(noise, W);
  const per = Math.max(1, Math.floor((o.chunk ?? 4000) / m));
  const out: Float64Array[] = [];
  net.eval();
  noGrad(() => {
    for (let i = 0; i < tasks.length; i += per) {
      const chunk = tasks.slice(i, i + per);
      tidy(() => {
        const b = imputeBatch(d, chunk.flatMap((t) => Array.from({ length: m }, () => t)), factors);
        const x = sampleDspd((xx, k) => net.forward(xx, k, b.cond, b.mask), b.L, s, { target: 'gaussian' });
        const v = x.dataSync() as Float32Array;
        chunk.forEach((t, c) => {
          const r = new Float64Array(m * t.length), f = b.fill[c * m];
          for (let j = 0; j < m; j++) for (let q = 0; q < t.length; q++) r[j * t.length + q] = f[t.offset + q] + d.resScale * v[(c * m + j) * W + t.offset + q];
          out.push(r);
        });
      });
      o.onChunk?.(Math.min(i + per, tasks.length), tasks.length);
    }
  });
  net.train();
  return out;
}
