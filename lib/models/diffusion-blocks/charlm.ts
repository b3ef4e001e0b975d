// The DiffusionBlocks character language model (digest-A §1, "LM variant"; CPU plan D). A causal transformer of L
// AdaLN-Zero DiT blocks, split into B blocks of layers, denoises the embedding of the next character: at position t
// the input is the current character's token embedding plus the noisy target z_t = y(x_{t+1}) + sigma eps, the
// layers attend causally, and D(z; sigma, context) = c_skip z + c_out F is read out by a linear classifier head.
// Block b trains on its sigma range with the loss lambda(sigma) CE(head(D), x_{t+1}) and runs alone: as in the
// official code, the token and noise embeddings, the final layer and the classifier are shared by every block.
// Generation: per character, Euler steps on the EDM grid from sigma_max, each step routed to the block that owns
// its sigma and moving toward softmax(head(D)) @ Y, the classifier's expected target embedding (digest: "softmax-@-
// embedding for embedding-space Euler steps"); the character is the classifier's argmax at the last step. Earlier positions hold their (known) next
// character's embedding noised at the step's sigma, as in training.
//
// Choices of this implementation (the paper's LM code is not released), stated in the README:
//  - the target embeddings y are fixed random directions of norm sigma_data sqrt(e) (per-dimension scale
//    sigma_data, as the EDM preconditioning assumes), not learned;
//  - lambda(sigma) = (sigma² + sigma_data²)/(sigma sigma_data)² spans ~10^6 over a block's range, so the loss uses
//    it normalised over the batch (sum lambda_i CE_i / sum lambda_i): the same relative weighting, bounded scale.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { cat } from '../../ops';
import { Module } from '../../nn/module';
import { Embedding, Linear, PositionalEmbedding } from '../../nn/layers';
import { DiTBlock, DiTFinalLayer } from '../../nn/models/dit';
import { noGrad } from '../../autograd';
import { tidy } from '../../scope';
import { rand, randn, randnLike } from '../../random';
import { clipGradNorm } from '../../optim/optimizer';
import { memory, resetPeakMemory } from '../../engine';
import { preconditioningTensor } from '../../samplers/precond';
import { edmSigmas } from '../../samplers/grids';
import { CondEmbed } from './model';
import { BlockOptimizers } from './optimizers';
import { blockLayers, blockOf, intervalOfBlock, overlapRange, partitionEdges, sampleSigmaInRange, type NoiseDist, type PartitionKind } from './partition';

export interface CharLMConfig {
  vocab: number;
  /** Context length T (positions per training window). */
  ctx: number;
  width: number;
  layers: number;
  blocks: number;
  heads: number;
  /** Width of the noise embedding the AdaLN maps read. */
  embDim: number;
  /** Dimension e of the target embeddings. */
  targetDim: number;
  sigmaData: number;
}

export class CharBlockLM extends Module {
  readonly cfg: CharLMConfig;
  tok: Embedding;
  pos: PositionalEmbedding;
  zProj: Linear;
  cond: CondEmbed;
  layers: DiTBlock[] = [];
  final: DiTFinalLayer;
  classify: Linear;
  /** y(c) for every character id: [vocab, targetDim], fixed. */
  targets: Tensor;
  /** Layers run since construction (isolation checks). */
  readonly layerRuns: number[];

  constructor(cfg: CharLMConfig) {
    super();
    const fn = 'CharBlockLM';
    for (const k of ['vocab', 'ctx', 'width', 'layers', 'blocks', 'heads', 'embDim', 'targetDim'] as const)
      if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${k} must be an integer >= 1, got ${cfg[k]}`);
    if (cfg.layers % cfg.blocks) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${cfg.layers} layers do not split into ${cfg.blocks} equal blocks`);
    if (cfg.width % cfg.heads) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: width ${cfg.width} is not divisible by ${cfg.heads} heads`);
    if (!(cfg.sigmaData > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: sigmaData must be > 0, got ${cfg.sigmaData}`);
    this.cfg = { ...cfg };
    this.tok = this.module('tok', new Embedding(cfg.vocab, cfg.width));
    noGrad(() => { this.tok.weight.mul_(0.02); });
    this.pos = this.module('pos', new PositionalEmbedding(cfg.ctx, cfg.width, 'sinusoidal'));
    this.zProj = this.module('zProj', new Linear(cfg.targetDim, cfg.width));
    this.cond = this.module('cond', new CondEmbed(cfg.embDim, 0));
    for (let j = 0; j < cfg.layers; j++) this.layers.push(this.module(`layer${j}`, new DiTBlock(cfg.width, cfg.heads, cfg.embDim, 4, true)));
    this.final = this.module('final', new DiTFinalLayer(cfg.width, cfg.embDim, cfg.targetDim));
    this.classify = this.module('classify', new Linear(cfg.targetDim, cfg.vocab));
    const dirs = randn([cfg.vocab, cfg.targetDim]);
    this.targets = this.buffer('targets', noGrad(() => dirs.div(dirs.square().sum(1, true).sqrt()).mul(cfg.sigmaData * Math.sqrt(cfg.targetDim))));
    dirs.dispose();
    this.layerRuns = new Array(cfg.layers).fill(0);
  }

  get blocks(): number { return this.cfg.blocks; }

  /**
   * Block b on a batch: ids [N, T] int32 (the context characters), z [N, T, e] (noisy next-character embeddings),
   * sigma [N] (one level per sequence). Returns D [N, T, e] and the classifier's logits [N, T, vocab].
   */
  forwardBlock(b: number, ids: Tensor, z: Tensor, sigma: Tensor): { D: Tensor; logits: Tensor } {
    const { ctx, targetDim, sigmaData } = this.cfg;
    if (!Number.isInteger(b) || b < 0 || b >= this.blocks) throw new TensorfieldError('TF_INVALID_ARGUMENT', `CharBlockLM: block ${b} is outside 0..${this.blocks - 1}`);
    const [N, T] = ids.shape;
    if (ids.ndim !== 2 || ids.dtype !== 'int32' || T > ctx)
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `CharBlockLM: ids must be int32 [n, <= ${ctx}], got ${ids.dtype} [${ids.shape}]`);
    if (z.ndim !== 3 || z.shape[0] !== N || z.shape[1] !== T || z.shape[2] !== targetDim || sigma.ndim !== 1 || sigma.shape[0] !== N)
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `CharBlockLM: need z [${N}, ${T}, ${targetDim}] and sigma [${N}], got [${z.shape}] and [${sigma.shape}]`);
    const c = preconditioningTensor('edm', sigma.reshape(N, 1, 1), { sigmaData });
    const emb = this.cond.forward(c.cNoise.reshape(N));
    let h = this.pos.forward(this.tok.forward(ids).add(this.zProj.forward(z.mul(c.cIn))));
    const [j0, j1] = blockLayers(b, this.cfg.layers, this.blocks);
    // each layer in its own tidy(): a no-grad forward frees a layer's temporaries (attention weights) as it goes
    for (let j = j0; j < j1; j++) { const hj = h; h = tidy(() => this.layers[j].forward(hj, emb)); this.layerRuns[j]++; }
    const D = z.mul(c.cSkip).add(this.final.forward(h, emb).mul(c.cOut));
    return { D, logits: this.classify.forward(D) };
  }

  blockParameters(b: number): Tensor[] {
    const [j0, j1] = blockLayers(b, this.cfg.layers, this.blocks);
    return this.layers.slice(j0, j1).flatMap((l) => l.parameters());
  }
  sharedParameters(): Tensor[] {
    return [this.tok, this.zProj, this.cond, this.final, this.classify].flatMap((m) => m.parameters());
  }
}

export interface CharLMTrainConfig {
  partition: PartitionKind;
  overlap: number;
  noise: NoiseDist;
  lr: number;
  /** Gradient-norm clip over the parameters that step (0: off). */
  clip: number;
}

export interface CharStepReport { loss: number; baseBytes: number; stepBytes: number }

/** EDM's loss weight lambda(sigma) = (sigma² + sd²)/(sigma sd)². */
export const edmWeight = (s: number, sd: number) => (s * s + sd * sd) / (s * sd) ** 2;

export class CharLMTrainer {
  readonly edges: number[];
  readonly opt: BlockOptimizers;
  constructor(readonly net: CharBlockLM, readonly cfg: CharLMTrainConfig) {
    this.edges = partitionEdges(net.blocks, cfg.partition, cfg.noise);
    overlapRange(this.edges, 0, cfg.overlap);
    const B = net.blocks;
    // block steps are counted by the caller's schedule (round robin); each group's Adam counts its own steps
    this.opt = new BlockOptimizers([...Array.from({ length: B }, (_, b) => net.blockParameters(b)), net.sharedParameters()], cfg.lr,
      (g, total) => (g === B ? total : Math.max(0, Math.ceil((total - g) / B))));
  }

  /** One step of block b on windows [N, T + 1] int32: context = the first T, targets = the last T. */
  step(b: number, windows: Tensor): CharStepReport {
    const { sigmaData } = this.net.cfg;
    const baseBytes = memory().bytes;
    resetPeakMemory();
    const loss = tidy(() => {
      const [N, T1] = windows.shape;
      const T = T1 - 1;
      const ids = windows.narrow(1, 0, T).contiguous(), next = windows.narrow(1, 1, T).contiguous();
      const [lo, hi] = overlapRange(this.edges, intervalOfBlock(b, this.net.blocks), this.cfg.overlap);
      const s = sampleSigmaInRange(rand([N], { dtype: 'float64' }).dataSync() as Float64Array, lo, hi, this.cfg.noise);
      const sigma = tensor(Float32Array.from(s), { shape: [N] });
      const y = this.net.targets.indexSelect(0, next.reshape(-1)).reshape(N, T, this.net.cfg.targetDim);
      const z = y.add(randnLike(y).mul(sigma.reshape(N, 1, 1)));
      const { logits } = this.net.forwardBlock(b, ids, z, sigma);
      const ce = logits.logSoftmax(-1).gather(2, next.reshape(N, T, 1)).neg().mean([1, 2]);  // [N]
      const lam = Array.from(s, (v) => edmWeight(v, sigmaData)), tot = lam.reduce((a, c) => a + c, 0);
      const w = tensor(Float32Array.from(lam, (v) => v / tot), { shape: [N] });
      const l = ce.mul(w).sum();
      this.opt.zeroGrad();
      l.backward();
      const groups = [b, this.net.blocks];
      if (this.cfg.clip > 0) clipGradNorm(groups.flatMap((g) => this.opt.groups[g].params), this.cfg.clip);
      this.opt.stepGroups(groups);
      this.opt.zeroGrad();
      return l.item();
    });
    return { loss, baseBytes, stepBytes: memory().peakBytes - baseBytes };
  }
}

export interface CharGenerateOptions {
  /** Euler steps per character (noise levels on the EDM rho = 7 grid). */
  steps: number;
  sigmaMin: number;
  sigmaMax: number;
  /** Called after each generated character position with (characters done, total) over all prompts. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Continues each prompt (int32 ids, one row each, all the same length >= 1) by `length` characters. The context is
 * the last ctx characters. Returns the generated ids [n, length] and the block forwards per block.
 */
export function generateChars(net: CharBlockLM, edges: number[], prompts: Int32Array[], length: number, o: CharGenerateOptions): { ids: Int32Array[]; forwards: number[] } {
  const n = prompts.length, { ctx, targetDim } = net.cfg;
  if (n === 0 || prompts.some((p) => p.length !== prompts[0].length || p.length < 1))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', 'generateChars: need prompts of one common length >= 1');
  if (!Number.isInteger(length) || length < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `generateChars: length must be an integer >= 1, got ${length}`);
  const seqs = prompts.map((p) => Array.from(p));
  const out = prompts.map(() => new Int32Array(length));
  const forwards = new Array(net.blocks).fill(0);
  const sigmas = edmSigmas(o.steps, { sigmaMin: o.sigmaMin, sigmaMax: o.sigmaMax });  // descending, ends at 0
  net.eval();
  try {
    for (let k = 0; k < length; k++) {
      const m = Math.min(ctx, seqs[0].length);
      const win = new Int32Array(n * m);
      seqs.forEach((s, i) => win.set(s.slice(s.length - m), i * m));
      const next = noGrad(() => tidy(() => {
        const ids = tensor(win, { shape: [n, m], dtype: 'int32' });
        // the known next characters of positions 0 .. m-2 (their targets), and a free state at position m-1
        const known = m > 1 ? net.targets.indexSelect(0, ids.narrow(1, 1, m - 1).contiguous().reshape(-1)).reshape(n, m - 1, targetDim) : null;
        let zt = randn([n, 1, targetDim]).mul(sigmas[0]);
        let logits: Tensor | null = null;
        for (let i = 0; i + 1 < sigmas.length; i++) {
          const s = sigmas[i], s1 = sigmas[i + 1];
          const b = blockOf(s, edges);
          forwards[b]++;
          // one step in its own scope: only the new state and the last position's logits outlive it
          const prev: Tensor = zt, prevLogits: Tensor | null = logits;
          const r = tidy(() => {
            const zin = known ? cat([known.add(randnLike(known).mul(s)), prev], 1) : prev;
            const f = net.forwardBlock(b, ids, zin, tensor(new Float32Array(n).fill(s), { shape: [n] }));
            // the step moves toward the classifier's expected target, softmax(head(D)) @ Y: D itself is trained only
            // through the classifier, so it need not lie near any target (the official code's softmax-@-embedding)
            const lg = f.logits.narrow(1, m - 1, 1);
            const Dt = lg.softmax(-1).reshape(n, net.cfg.vocab).matmul(net.targets).reshape(n, 1, targetDim);
            return { zt: prev.add(prev.sub(Dt).mul((s1 - s) / s)), logits: f.logits.narrow(1, m - 1, 1).contiguous() };  // Euler on dx/dsigma = (x - D)/sigma
          });
          prev.dispose(); prevLogits?.dispose();
          zt = r.zt; logits = r.logits;
        }
        const a = logits!.reshape(n, net.cfg.vocab).argmax(1);
        return Int32Array.from(a.dataSync() as ArrayLike<number>);
      }));
      next.forEach((c, i) => { seqs[i].push(c); out[i][k] = c; });
      o.onProgress?.((k + 1) * n, length * n);
    }
  } finally { net.train(); }
  return { ids: out, forwards };
}
