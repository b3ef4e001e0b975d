// Residual MLP whose every layer reads the time / noise embedding through FiLM (AdaLN): the vector denoiser of
// DiffusionBlocks (its layers, split into blocks there) and the 'resmlp' rate network of Blackout. Unlike
// MLPDenoiser, which sees the embedding only at its input, each layer here rescales and shifts its normalised
// input by a function of the embedding, so a network can change its behaviour across noise levels layer by layer.
import { Tensor } from '../../tensor';
import { noGrad } from '../../autograd';
import { Module } from '../module';
import { LayerNorm, Linear, SinusoidalEmbedding } from '../layers';

/**
 * z <- z + W2 silu(W1 (LN(z) (1 + scale) + shift)), [scale, shift] = A emb (FiLM / AdaLN). W2 starts at zero, so
 * every layer starts as the identity and a stack of any depth starts as input projection -> head.
 */
export class FiLMResidualLayer extends Module {
  norm: LayerNorm;
  film: Linear;
  fc1: Linear;
  fc2: Linear;
  constructor(readonly width: number, embDim: number) {
    super();
    this.norm = this.module('norm', new LayerNorm(width, { affine: false }));
    this.film = this.module('film', new Linear(embDim, 2 * width));
    this.fc1 = this.module('fc1', new Linear(width, width));
    this.fc2 = this.module('fc2', new Linear(width, width));
    noGrad(() => { this.fc2.weight.mul_(0); this.fc2.bias!.mul_(0); });
  }
  forward(z: Tensor, emb: Tensor): Tensor {
    const ss = this.film.forward(emb);
    const scale = ss.narrow(1, 0, this.width), shift = ss.narrow(1, this.width, this.width);
    const h = this.norm.forward(z).mul(scale.add(1)).add(shift);
    return z.add(this.fc2.forward(this.fc1.forward(h).silu()));
  }
}

export interface FiLMResidualMLPConfig {
  dim: number;
  /** Residual width. */
  width?: number;
  /** FiLM residual layers. */
  layers?: number;
  /** Width of the conditioning vector (sinusoids of 64 frequencies, projected, SiLU). */
  embDim?: number;
  /** Multiplier on t before the sinusoids (1 for integer indices, 1000 for t in [0, 1]). */
  timeScale?: number;
  outDim?: number;
}

/** x [B, dim], t [B] -> [B, outDim]: in-projection, `layers` FiLM residual layers on silu(A sin(t)), LN + SiLU + out. */
export class FiLMResidualMLP extends Module {
  inProj: Linear;
  embed: SinusoidalEmbedding;
  embProj: Linear;
  layers: FiLMResidualLayer[];
  norm: LayerNorm;
  out: Linear;
  constructor(readonly cfg: FiLMResidualMLPConfig) {
    super();
    const w = cfg.width ?? 256, e = cfg.embDim ?? 128;
    this.inProj = this.module('inProj', new Linear(cfg.dim, w));
    this.embed = this.module('embed', new SinusoidalEmbedding(64, 10000, cfg.timeScale ?? 1));
    this.embProj = this.module('embProj', new Linear(64, e));
    this.layers = Array.from({ length: cfg.layers ?? 2 }, (_, i) => this.module(`layer${i}`, new FiLMResidualLayer(w, e)));
    this.norm = this.module('norm', new LayerNorm(w));
    this.out = this.module('out', new Linear(w, cfg.outDim ?? cfg.dim));
  }
  forward(x: Tensor, t: Tensor): Tensor {
    const emb = this.embProj.forward(this.embed.forward(t)).silu();
    let z = this.inProj.forward(x);
    for (const l of this.layers) z = l.forward(z, emb);
    return this.out.forward(this.norm.forward(z).silu());
  }
}
