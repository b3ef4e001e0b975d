// The blockwise denoiser: a stem (input projection + noise embedding, + class embedding when conditional), L
// residual layers split into B contiguous blocks, and a head. Two architectures share that frame: 'mlp' (FiLM
// residual layers over a flat vector: points, or images as vectors) and 'dit' (DiT blocks with AdaLN-Zero over
// image patches, lib/nn/models/dit.ts). Inputs and outputs are flat [n, dim] either way. Block b's denoiser is stem -> layers [bL/B, (b+1)L/B) -> head; a forward
// through block b touches no other block's layers, so they neither run nor hold activations or gradients.
// The stem and head are either shared by all blocks (the official code) or owned by each block ('own': every
// block a self-contained denoiser, which is what training blocks apart needs: nothing is written by two blocks).
import { Tensor, TensorfieldError, zeros } from '../../tensor';
import { Module } from '../../nn/module';
import { DiTBlock, DiTFinalLayer, PatchEmbed, unpatchify } from '../../nn/models/dit';
import { CondEmbed, FiLMHead as BlockHead, FiLMResidualLayer, FiLMStem as BlockStem } from '../../nn/models/film_mlp';
import { tidy } from '../../scope';
import { blockLayers } from './partition';

// The MLP's layer, stem, head and conditioning vector live in lib/nn (Blackout's and EDM's FiLM residual MLP is
// built from them); exported here under the names this folder has always used.
export { CondEmbed, FiLMResidualLayer, BlockStem, BlockHead };

export type StemMode = 'shared' | 'own';
export type BlockArch = 'mlp' | 'dit';

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
  /** 'mlp' (FiLM residual layers) or 'dit' (AdaLN-Zero transformer blocks over patches; needs image). */
  arch?: BlockArch;
  /** [C, H, W] of an image item (dim = C H W); required by 'dit'. */
  image?: number[];
  /** DiT patch size (divides H and W). */
  patch?: number;
  /** DiT attention heads (divide width). */
  heads?: number;
  /** Classes for class conditioning (0: unconditional). Label `classes` is the null (dropped) label. */
  classes?: number;
}

/** DiT stem: flat [n, C H W] -> image -> patch tokens [n, T, width] with positions, and the conditioning vector. */
export class DiTStem extends Module {
  patches: PatchEmbed;
  cond: CondEmbed;
  constructor(readonly image: number[], patch: number, width: number, embDim: number, classes = 0) {
    super();
    this.patches = this.module('patches', new PatchEmbed(image[0], image[1], image[2], patch, width));
    this.cond = this.module('cond', new CondEmbed(embDim, classes));
  }
  forward(x: Tensor, cNoise: Tensor, labels?: Tensor): { z: Tensor; emb: Tensor } {
    const [C, H, W] = this.image;
    return { z: this.patches.forward(x.reshape(x.shape[0], C, H, W)), emb: this.cond.forward(cNoise, labels) };
  }
}

/** DiT head: the modulated final layer, patches back to the image, flattened. */
export class DiTHead extends Module {
  final: DiTFinalLayer;
  constructor(readonly image: number[], readonly patch: number, width: number, embDim: number) {
    super();
    this.final = this.module('final', new DiTFinalLayer(width, embDim, image[0] * patch * patch));
  }
  forward(z: Tensor, emb: Tensor): Tensor {
    const [C, H, W] = this.image;
    return unpatchify(this.final.forward(z, emb), this.patch, C, H, W).reshape(z.shape[0], C * H * W);
  }
}

type Stem = BlockStem | DiTStem;
type Head = BlockHead | DiTHead;
type Layer = FiLMResidualLayer | DiTBlock;

/** Parameter names: `stem<k>.*`, `head<k>.*` (k = 0 when shared, else the block), `layer<j>.*`. */
export class BlockwiseDenoiser extends Module {
  readonly stems: Stem[] = [];
  readonly heads: Head[] = [];
  readonly layers: Layer[] = [];
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
    const c = { embDim: 128, stem: 'shared' as StemMode, arch: 'mlp' as BlockArch, image: [] as number[], patch: 2, heads: 4, classes: 0, ...cfg };
    const fn = 'BlockwiseDenoiser';
    for (const k of ['dim', 'layers', 'blocks', 'width', 'embDim', 'patch', 'heads'] as const)
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${k} must be an integer >= 1, got ${c[k]}`);
    if (!Number.isInteger(c.classes) || c.classes < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: classes must be an integer >= 0, got ${c.classes}`);
    if (c.arch !== 'mlp' && c.arch !== 'dit') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: arch must be 'mlp' or 'dit', got '${String(c.arch)}'`);
    if (c.arch === 'dit') {
      const [C, H, W] = c.image;
      if (c.image.length !== 3 || C * H * W !== c.dim)
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: arch 'dit' needs image [C, H, W] with C H W = dim (${c.dim}), got [${c.image}]`);
      if (H % c.patch || W % c.patch)
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: patch ${c.patch} does not divide the ${H}x${W} image`);
      if (c.width % c.heads || c.width % 4)
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: width ${c.width} must be a multiple of 4 and of heads (${c.heads}) for 'dit'`);
    }
    if (c.layers % c.blocks !== 0)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${c.layers} layers do not split into ${c.blocks} equal blocks`);
    if (c.stem !== 'shared' && c.stem !== 'own') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: stem must be 'shared' or 'own', got '${String(c.stem)}'`);
    this.cfg = c;
    this.forwards = new Array(c.blocks).fill(0);
    this.layerRuns = new Array(c.layers).fill(0);
    const per = c.layers / c.blocks;
    this.streamState = c.stem === 'own' ? this.buffer('streamState', zeros([c.blocks, 8], { dtype: 'float64' })) : null;
    const dit = c.arch === 'dit';
    const makeEnds = (k: number) => {
      this.stems.push(this.module(`stem${k}`, dit ? new DiTStem(c.image, c.patch, c.width, c.embDim, c.classes)
        : new BlockStem(c.dim, c.width, c.embDim, c.classes)));
      this.heads.push(this.module(`head${k}`, dit ? new DiTHead(c.image, c.patch, c.width, c.embDim) : new BlockHead(c.width, c.dim)));
    };
    if (c.stem === 'shared') { init(-1); makeEnds(0); done(-1); }
    for (let b = 0; b < c.blocks; b++) {
      init(b);
      if (c.stem === 'own') makeEnds(b);
      for (let j = b * per; j < (b + 1) * per; j++)
        this.layers.push(this.module(`layer${j}`, dit ? new DiTBlock(c.width, c.heads, c.embDim) : new FiLMResidualLayer(c.width, c.embDim)));
      done(b);
    }
  }

  get blocks(): number { return this.cfg.blocks; }

  private end(b: number): number { return this.cfg.stem === 'shared' ? 0 : b; }

  /**
   * F_b(xIn, cNoise, labels) [n, dim]: the stem, block b's layers only, the head. labels: int32 [n] in
   * [0, classes] (classes = the null label); omitted, a conditional model uses the null label for all.
   */
  forwardBlock(b: number, xIn: Tensor, cNoise: Tensor, labels?: Tensor): Tensor {
    if (!Number.isInteger(b) || b < 0 || b >= this.blocks)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `BlockwiseDenoiser: block ${b} is outside 0..${this.blocks - 1}`);
    if (xIn.ndim !== 2 || xIn.shape[1] !== this.cfg.dim)
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `BlockwiseDenoiser: expected x [n, ${this.cfg.dim}], got [${xIn.shape}]`);
    if (labels && this.cfg.classes === 0)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', 'BlockwiseDenoiser: labels given to an unconditional model (classes = 0)');
    if (labels && (labels.ndim !== 1 || labels.shape[0] !== xIn.shape[0] || labels.dtype !== 'int32'))
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `BlockwiseDenoiser: labels must be int32 [${xIn.shape[0]}], got ${labels.dtype} [${labels.shape}]`);
    this.forwards[b]++;
    const [j0, j1] = blockLayers(b, this.cfg.layers, this.blocks);
    const { z: z0, emb } = this.stems[this.end(b)].forward(xIn, cNoise, labels);
    let z = z0;
    // each layer in its own tidy(): a no-grad forward frees a layer's temporaries (attention weights) as it goes
    for (let j = j0; j < j1; j++) { const zj = z; z = tidy(() => this.layers[j].forward(zj, emb)); this.layerRuns[j]++; }
    return this.heads[this.end(b)].forward(z, emb);
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
    return this.sharedNamedParameters().map(([, p]) => p);
  }
  sharedNamedParameters(): [string, Tensor][] {
    return this.cfg.stem === 'shared' ? [...this.stems[0].namedParameters('stem0.'), ...this.heads[0].namedParameters('head0.')] : [];
  }
}
