// MLP denoiser for low-dimensional data: [x, embed(t)] -> hidden layers (SiLU) -> output, as in the
// baselines' MLPDenoiser (2 + 64 -> 256 x 3 -> 2).
import { Tensor } from '../../tensor';
import { cat } from '../../ops';
import { Module } from '../module';
import { Linear, SinusoidalEmbedding } from '../layers';

export interface MLPDenoiserConfig {
  dim: number;
  hidden?: number;
  layers?: number;
  timeEmbedDim?: number;
  /** Multiplier applied to t before the sinusoidal embedding (1000 for t in [0, 1]). */
  timeScale?: number;
  outDim?: number;
}

export class MLPDenoiser extends Module {
  embed: SinusoidalEmbedding;
  layers: Linear[];
  constructor(public cfg: MLPDenoiserConfig) {
    super();
    const h = cfg.hidden ?? 256, n = cfg.layers ?? 3, te = cfg.timeEmbedDim ?? 64;
    this.embed = this.module('embed', new SinusoidalEmbedding(te, 10000, cfg.timeScale ?? 1000));
    const dims = [cfg.dim + te, ...new Array(n).fill(h), cfg.outDim ?? cfg.dim];
    this.layers = dims.slice(1).map((d, i) => this.module(`fc${i}`, new Linear(dims[i], d)));
  }
  /** x [B, dim], t [B] -> [B, outDim] */
  forward(x: Tensor, t: Tensor): Tensor {
    let h = cat([x, this.embed.forward(t)], 1);
    this.layers.forEach((l, i) => { h = l.forward(h); if (i < this.layers.length - 1) h = h.silu(); });
    return h;
  }
}
