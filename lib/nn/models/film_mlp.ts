// Residual MLP whose every layer reads the time / noise embedding through FiLM (AdaLN): the vector denoiser of
// DiffusionBlocks (its layers split into blocks there, each block with this stem and head or sharing them) and the
// 'resmlp' network of Blackout and EDM. Unlike MLPDenoiser, which sees the embedding only at its input, each layer
// here rescales and shifts its normalised input by a function of the embedding, so a network can change its
// behaviour across noise levels layer by layer.
import { Tensor, full } from '../../tensor';
import { noGrad } from '../../autograd';
import { Module } from '../module';
import { Embedding, LayerNorm, Linear, SinusoidalEmbedding } from '../layers';

/**
 * z <- z + W2 silu(W1 (LN(z) (1 + scale) + shift)), [scale, shift] = A emb (FiLM / AdaLN). W2 starts at zero, so
 * every layer starts as the identity and a stack of any depth starts as stem -> head.
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

/**
 * The conditioning vector: silu(A sin(timeScale t) [+ E_class(y)]) over 64 sinusoids. timeScale 100 for EDM's
 * c_noise = ln(sigma)/4 (so the sinusoids resolve it), 1 for an integer index. The class table has classes + 1
 * rows, the last the null label (classifier-free guidance); it starts at N(0, 0.02^2) as DiT's.
 */
export class CondEmbed extends Module {
  embed: SinusoidalEmbedding;
  embProj: Linear;
  label: Embedding | null;
  constructor(embDim: number, readonly classes: number, timeScale = 100) {
    super();
    this.embed = this.module('embed', new SinusoidalEmbedding(64, 10000, timeScale));
    this.embProj = this.module('embProj', new Linear(64, embDim));
    this.label = classes > 0 ? this.module('label', new Embedding(classes + 1, embDim)) : null;
    if (this.label) noGrad(() => { this.label!.weight.mul_(0.02); });
  }
  forward(t: Tensor, labels?: Tensor): Tensor {
    const e = this.embProj.forward(this.embed.forward(t));
    if (!this.label) return e.silu();
    const y = labels ?? full([t.shape[0]], this.classes, { dtype: 'int32' });  // none given: the null label
    return e.add(this.label.forward(y)).silu();
  }
}

/** Stem: input projection and the conditioning vector. (Parameter names: inProj, embed, embProj, label.) */
export class FiLMStem extends Module {
  inProj: Linear;
  embed: SinusoidalEmbedding;
  embProj: Linear;
  label: Embedding | null;
  private readonly cond: CondEmbed;
  constructor(dim: number, width: number, embDim: number, classes = 0, timeScale = 100) {
    super();
    this.inProj = this.module('inProj', new Linear(dim, width));
    // the embedding's parts are registered here under their historical names, so older checkpoints load
    const cond = new CondEmbed(embDim, classes, timeScale);
    this.embed = this.module('embed', cond.embed);
    this.embProj = this.module('embProj', cond.embProj);
    this.label = cond.label ? this.module('label', cond.label) : null;
    this.cond = cond;
  }
  forward(x: Tensor, t: Tensor, labels?: Tensor): { z: Tensor; emb: Tensor } {
    return { z: this.inProj.forward(x), emb: this.cond.forward(t, labels) };
  }
}

/** Head: LN, SiLU, output projection. */
export class FiLMHead extends Module {
  norm: LayerNorm;
  out: Linear;
  constructor(width: number, dim: number) {
    super();
    this.norm = this.module('norm', new LayerNorm(width));
    this.out = this.module('out', new Linear(width, dim));
  }
  forward(z: Tensor, _emb?: Tensor): Tensor { return this.out.forward(this.norm.forward(z).silu()); }
}

export interface FiLMResidualMLPConfig {
  dim: number;
  /** Residual width. */
  width?: number;
  /** FiLM residual layers. */
  layers?: number;
  /** Width of the conditioning vector (sinusoids of 64 frequencies, projected, SiLU). */
  embDim?: number;
  /** Multiplier on t before the sinusoids (1 for integer indices, 100 for EDM's c_noise). */
  timeScale?: number;
  outDim?: number;
}

/** x [B, dim], t [B] -> [B, outDim]: the stem, `layers` FiLM residual layers, the head. */
export class FiLMResidualMLP extends Module {
  stem: FiLMStem;
  layers: FiLMResidualLayer[];
  head: FiLMHead;
  constructor(readonly cfg: FiLMResidualMLPConfig) {
    super();
    const w = cfg.width ?? 256, e = cfg.embDim ?? 128;
    this.stem = this.module('stem', new FiLMStem(cfg.dim, w, e, 0, cfg.timeScale ?? 1));
    this.layers = Array.from({ length: cfg.layers ?? 2 }, (_, i) => this.module(`layer${i}`, new FiLMResidualLayer(w, e)));
    this.head = this.module('head', new FiLMHead(w, cfg.outDim ?? cfg.dim));
  }
  forward(x: Tensor, t: Tensor): Tensor {
    const { z: z0, emb } = this.stem.forward(x, t);
    let z = z0;
    for (const l of this.layers) z = l.forward(z, emb);
    return this.head.forward(z);
  }
}
