// The blockwise denoiser for points: a stem (input projection + noise embedding), L FiLM residual layers split
// into B contiguous blocks, and a head. Block b's denoiser is stem -> layers [bL/B, (b+1)L/B) -> head; a forward
// through block b touches no other block's layers, so they neither run nor hold activations or gradients.
// The stem and head are either shared by all blocks (the official code) or owned by each block ('own': every
// block a self-contained denoiser, which is what training blocks apart needs: nothing is written by two blocks).
import { Tensor, TensorfieldError, zeros } from '../../tensor';
import { Module } from '../../nn/module';
import { LayerNorm, Linear, SinusoidalEmbedding } from '../../nn/layers';
import { noGrad } from '../../autograd';
import { blockLayers } from './partition';

export type StemMode = 'shared' | 'own';

export interface BlockwiseConfig {
  /** Data dimension. */
  dim: number;
  /** Residual layers in all (L), divisible by blocks. */
  layers: number;
  blocks: number;
  width: number;
  /** Width of the noise embedding the FiLM layers read. */
  embDim?: number;
  stem?: StemMode;
}

/**
 * z <- z + W2 silu(W1 (LN(z) (1 + scale) + shift)), [scale, shift] = A emb (FiLM / AdaLN). W2 starts at zero, so
 * every layer starts as the identity and a block of any depth starts as stem -> head.
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

/** Input projection and the noise embedding: c_noise = ln(sigma)/4 scaled by 100 so the sinusoids resolve it. */
export class BlockStem extends Module {
  inProj: Linear;
  embed: SinusoidalEmbedding;
  embProj: Linear;
  constructor(dim: number, width: number, embDim: number) {
    super();
    this.inProj = this.module('inProj', new Linear(dim, width));
    this.embed = this.module('embed', new SinusoidalEmbedding(64, 10000, 100));
    this.embProj = this.module('embProj', new Linear(64, embDim));
  }
  forward(x: Tensor, cNoise: Tensor): { z: Tensor; emb: Tensor } {
    return { z: this.inProj.forward(x), emb: this.embProj.forward(this.embed.forward(cNoise)).silu() };
  }
}

export class BlockHead extends Module {
  norm: LayerNorm;
  out: Linear;
  constructor(width: number, dim: number) {
    super();
    this.norm = this.module('norm', new LayerNorm(width));
    this.out = this.module('out', new Linear(width, dim));
  }
  forward(z: Tensor): Tensor { return this.out.forward(this.norm.forward(z).silu()); }
}

/** Parameter names: `stem<k>.*`, `head<k>.*` (k = 0 when shared, else the block), `layer<j>.*`. */
export class BlockwiseDenoiser extends Module {
  readonly stems: BlockStem[] = [];
  readonly heads: BlockHead[] = [];
  readonly layers: FiLMResidualLayer[] = [];
  readonly cfg: Required<BlockwiseConfig>;
  /** Forward passes per block since construction (routing checks and cost accounting). */
  readonly forwards: number[];
  /** Residual layers run since construction (a layer that never ran holds no activations). */
  readonly layerRuns: number[];
  /**
   * 'own' mode: every block's random-stream position ([B, 8] float64, key and call count as 16-bit pieces), a
   * buffer so checkpoints carry it and a resumed run continues each block's stream (train.ts BlockStreams).
   */
  readonly streamState: Tensor | null;

  /**
   * init(b) is called before block b's own parameters are made (and init(-1) before the shared stem and head), so
   * a caller can give every block its own random stream (lib/models/diffusion-blocks/method.ts does).
   */
  constructor(cfg: BlockwiseConfig, init: (block: number) => void = () => {}, done: (block: number) => void = () => {}) {
    super();
    const c = { embDim: 128, stem: 'shared' as StemMode, ...cfg };
    const fn = 'BlockwiseDenoiser';
    for (const k of ['dim', 'layers', 'blocks', 'width', 'embDim'] as const)
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${k} must be an integer >= 1, got ${c[k]}`);
    if (c.layers % c.blocks !== 0)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${c.layers} layers do not split into ${c.blocks} equal blocks`);
    if (c.stem !== 'shared' && c.stem !== 'own') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: stem must be 'shared' or 'own', got '${String(c.stem)}'`);
    this.cfg = c;
    this.forwards = new Array(c.blocks).fill(0);
    this.layerRuns = new Array(c.layers).fill(0);
    const per = c.layers / c.blocks;
    this.streamState = c.stem === 'own' ? this.buffer('streamState', zeros([c.blocks, 8], { dtype: 'float64' })) : null;
    const makeEnds = (k: number) => {
      this.stems.push(this.module(`stem${k}`, new BlockStem(c.dim, c.width, c.embDim)));
      this.heads.push(this.module(`head${k}`, new BlockHead(c.width, c.dim)));
    };
    if (c.stem === 'shared') { init(-1); makeEnds(0); done(-1); }
    for (let b = 0; b < c.blocks; b++) {
      init(b);
      if (c.stem === 'own') makeEnds(b);
      for (let j = b * per; j < (b + 1) * per; j++) this.layers.push(this.module(`layer${j}`, new FiLMResidualLayer(c.width, c.embDim)));
      done(b);
    }
  }

  get blocks(): number { return this.cfg.blocks; }

  private end(b: number): number { return this.cfg.stem === 'shared' ? 0 : b; }

  /** F_b(xIn, cNoise) [n, dim]: the stem, block b's layers only, the head. */
  forwardBlock(b: number, xIn: Tensor, cNoise: Tensor): Tensor {
    if (!Number.isInteger(b) || b < 0 || b >= this.blocks)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `BlockwiseDenoiser: block ${b} is outside 0..${this.blocks - 1}`);
    if (xIn.ndim !== 2 || xIn.shape[1] !== this.cfg.dim)
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `BlockwiseDenoiser: expected x [n, ${this.cfg.dim}], got [${xIn.shape}]`);
    this.forwards[b]++;
    const [j0, j1] = blockLayers(b, this.cfg.layers, this.blocks);
    const { z: z0, emb } = this.stems[this.end(b)].forward(xIn, cNoise);
    let z = z0;
    for (let j = j0; j < j1; j++) { z = this.layers[j].forward(z, emb); this.layerRuns[j]++; }
    return this.heads[this.end(b)].forward(z);
  }

  /** The parameters block b trains: its layers, and its stem and head when it owns them. */
  blockParameters(b: number): Tensor[] {
    return this.blockNamedParameters(b).map(([, p]) => p);
  }
  blockNamedParameters(b: number): [string, Tensor][] {
    const [j0, j1] = blockLayers(b, this.cfg.layers, this.blocks);
    const out: [string, Tensor][] = [];
    if (this.cfg.stem === 'own') out.push(...this.stems[b].namedParameters(`stem${b}.`), ...this.heads[b].namedParameters(`head${b}.`));
    for (let j = j0; j < j1; j++) out.push(...this.layers[j].namedParameters(`layer${j}.`));
    return out;
  }
  /** The shared stem and head (none in 'own' mode). */
  sharedParameters(): Tensor[] {
    return this.cfg.stem === 'shared' ? [...this.stems[0].parameters(), ...this.heads[0].parameters()] : [];
  }
}
