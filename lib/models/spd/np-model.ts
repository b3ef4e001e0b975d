// The neural-process benchmark's conditional denoiser (digest B §4.4): a per-point MLP over the target points whose
// only view of the other points is a learned-kernel attention over the context: z_j = sum_c k(t_j, t_c) h(y_c, t_c)
// with k = exp(-(t_j - t_c)^2 / s^2), s learnable. The target points are otherwise independent, so the network
// predicts the correlated noise L eps (it cannot apply L^-1); sample smoothness then comes from the noise process.
// The summed kernel weight is an input too, so a point far from every context point can tell it knows nothing.
import { Tensor, tensor, eye } from '../../tensor';
import { cat } from '../../ops';
import { Module } from '../../nn/module';
import { Linear, SinusoidalEmbedding } from '../../nn/layers';
import { cholesky } from '../../linalg';
import type { NoiseProcess } from './noise';
import type { NpCurve } from './np-data';

/** Padded tensors of a batch of curves: targets [B, M] (mask mT), context [B, C] (mask mC), noise factors [B, M, M]. */
export interface NpBatch { tT: Tensor; yT: Tensor; mT: Tensor; tC: Tensor; yC: Tensor; mC: Tensor; L: Tensor }

/** Pads' times: far outside [0, 1] so no kernel reaches them (their factor rows are identity anyway). */
const PAD_TARGET_T = 2, PAD_CONTEXT_T = 10;

/**
 * A batch from curves, each repeated `repeat` times (for drawing several samples per curve). `grid`: targets at
 * these times instead of each curve's own (yT is then 0).
 */
export function npBatch(curves: NpCurve[], noise: NoiseProcess, o: { repeat?: number; grid?: Float64Array } = {}): NpBatch {
  const r = o.repeat ?? 1, B = curves.length * r;
  const M = o.grid ? o.grid.length : Math.max(...curves.map((c) => c.tt.length));
  const C = Math.max(...curves.map((c) => c.tc.length));
  const tT = new Float64Array(B * M).fill(PAD_TARGET_T), yT = new Float64Array(B * M), mT = new Float64Array(B * M);
  const tC = new Float64Array(B * C).fill(PAD_CONTEXT_T), yC = new Float64Array(B * C), mC = new Float64Array(B * C);
  curves.forEach((c, i) => {
    for (let k = 0; k < r; k++) {
      const b = i * r + k;
      const tt = o.grid ?? c.tt;
      for (let j = 0; j < tt.length; j++) { tT[b * M + j] = tt[j]; yT[b * M + j] = o.grid ? 0 : c.yt[j]; mT[b * M + j] = 1; }
      for (let j = 0; j < c.tc.length; j++) { tC[b * C + j] = c.tc[j]; yC[b * C + j] = c.yc[j]; mC[b * C + j] = 1; }
    }
  });
  const f64 = { dtype: 'float64' as const };
  const T = tensor(tT, { ...f64, shape: [B, M] }), mask = tensor(mT, { ...f64, shape: [B, M] });
  // Sigma on the real points, identity on the pads: Sigma * (m m^T) + diag(1 - m)
  const mm = mask.unsqueeze(-1).mul(mask.unsqueeze(-2));
  const S = noise.covariance(T).mul(mm).add(eye(M, M, f64).mul(mask.neg().add(1).unsqueeze(-1)));
  const f32 = (a: Float64Array, shape: number[]) => tensor(Float32Array.from(a), { dtype: 'float32', shape });
  return {
    tT: f32(tT, [B, M]), yT: f32(yT, [B, M]), mT: f32(mT, [B, M]), tC: f32(tC, [B, C]), yC: f32(yC, [B, C]), mC: f32(mC, [B, C]),
    L: cholesky(S).float(),
  };
}

export interface NpDenoiserOptions {
  hidden?: number;
  stepEmbed?: number;
  /** the first head's initial kernel scale s; head i starts at initScale 2^(i - 1) (0.1, 0.2, 0.4, ... by default) */
  initScale?: number;
  /** kernel-attention heads, each with its own learnable scale (the paper's model: 1) */
  heads?: number;
}

export class NpDenoiser extends Module {
  readonly ctx1: Linear; readonly ctx2: Linear;
  readonly p1: Linear; readonly p2: Linear; readonly p3: Linear;
  readonly embed: SinusoidalEmbedding;
  readonly logScale: Tensor;
  constructor(readonly o: NpDenoiserOptions = {}) {
    super();
    const H = o.hidden ?? 32, E = o.stepEmbed ?? 16;
    this.ctx1 = this.module('ctx1', new Linear(2, H));
    this.ctx2 = this.module('ctx2', new Linear(H, H));
    this.embed = this.module('embed', new SinusoidalEmbedding(E, 1000, 1));
    // inputs per point: noisy value, time, step embedding, attended context (H), summed kernel weight
    const nh = o.heads ?? 1;
    this.p1 = this.module('p1', new Linear(2 + E + nh * H + nh, H));
    this.p2 = this.module('p2', new Linear(H, H));
    this.p3 = this.module('p3', new Linear(H, 1));
    const s0 = o.initScale ?? (nh === 1 ? 0.2 : 0.1);
    this.logScale = this.param('logScale', tensor(Float32Array.from({ length: nh }, (_, i) => Math.log(s0 * 2 ** i)), { dtype: 'float32', shape: [nh, 1, 1] }));
  }
  /** x [B, M] noisy targets, k [B] step indices -> predicted correlated noise [B, M]. */
  forward(x: Tensor, k: Tensor, b: NpBatch): Tensor {
    const [B, M] = x.shape, C = b.tC.shape[1];
    const h = this.ctx2.forward(this.ctx1.forward(cat([b.yC.unsqueeze(-1), b.tC.unsqueeze(-1)], -1).reshape(B * C, 2)).relu()).relu().reshape(B, C, -1);
    const d2 = b.tT.unsqueeze(-1).sub(b.tC.unsqueeze(-2)).square().unsqueeze(1);         // [B, 1, M, C]
    const w = d2.div(this.logScale.mul(2).exp()).neg().exp().mul(b.mC.unsqueeze(1).unsqueeze(1));  // [B, heads, M, C]: exp(-d^2 / s^2), context pads 0
    const z = w.matmul(h.unsqueeze(1)).permute([0, 2, 1, 3]).reshape(B, M, -1);         // [B, M, heads * H]
    const wsum = w.sum(-1).permute([0, 2, 1]);                                           // [B, M, heads]
    const e = this.embed.forward(k).unsqueeze(1).expand([B, M, this.embed.dim]);
    const feat = cat([x.unsqueeze(-1), b.tT.unsqueeze(-1), e, z, wsum], -1).reshape(B * M, -1);
    return this.p3.forward(this.p2.forward(this.p1.forward(feat).relu()).relu()).reshape(B, M);
  }
}
