// The CLI method 'dblocks' (points and images; MLP or DiT): the blockwise denoiser, trained one block per step,
// sampled with each solver step routed to the block owning its sigma. `--block i` trains block i alone (stem 'own' only: a block that shares
// its stem and head with others cannot be trained apart); `assemble.ts` joins such runs for sampling.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { getRngState } from '../../random';
import { GroupedEMA, MAX_SIGMA_REL, gammaOfSigmaRel } from '../../optim/ema';
import { SOLVER_NAMES, type SolverName } from '../../samplers/solvers';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { BlockwiseDenoiser, type BlockArch, type StemMode } from './model';
import { BlockOptimizers } from './optimizers';
import { BlockStreams, BlockTrainer, sampleRouted, type LabeledBatch, type StepReport } from './train';
import type { NoiseDist, PartitionKind } from './partition';

/** The block a global training step trains: the fixed block, or round robin (equal updates for every block). */
export const blockOfStep = (step: number, blocks: number, fixed: number): number => (fixed >= 0 ? fixed : step % blocks);

/** Steps block (or the shared group, g = blocks) has taken after `total` global steps of that schedule. */
export function stepsOfBlock(g: number, total: number, blocks: number, fixed: number): number {
  if (g === blocks) return total;
  if (fixed >= 0) return g === fixed ? total : 0;
  return Math.max(0, Math.ceil((total - g) / blocks));
}

export const DBLOCKS_OPTIONS = {
  blocks: { integer: true, min: 1, default: 4, help: 'blocks B (B = 1: the end-to-end baseline)' },
  block: { integer: true, min: -1, default: -1, help: 'train only this block (0 = highest noise; needs --stem own); -1: all, round robin' },
  partition: { default: 'equiprob', choices: ['equiprob', 'uniform'], help: 'noise partition: equal log-normal mass per block, or equal ln-sigma width (ablation)' },
  overlap: { min: 0, default: 0.1, help: 'overlap gamma: each block trains on its range widened by gamma of its ln-sigma width' },
  stem: { default: 'shared', choices: ['shared', 'own'], help: 'stem and head shared by all blocks (official code), or one per block (blocks trainable apart)' },
  layers: { integer: true, min: 1, default: 12, help: 'residual layers L (divisible by blocks)' },
  width: { integer: true, min: 1, default: 128, help: 'residual width' },
  embDim: { integer: true, min: 1, default: 128, help: 'noise-embedding width (FiLM / AdaLN input)' },
  arch: { default: 'mlp', choices: ['mlp', 'dit'], help: 'denoiser: FiLM residual MLP over flat vectors, or DiT blocks with AdaLN-Zero over image patches (images only)' },
  patch: { integer: true, min: 1, default: 2, help: 'DiT patch size (divides the image side)' },
  heads: { integer: true, min: 1, default: 4, help: 'DiT attention heads (divide width)' },
  conditional: { default: false, help: 'class-conditional on the data\'s labels (Fashion-MNIST), with label dropout for classifier-free guidance' },
  labelDropout: { min: 0, max: 1, default: 0.1, help: 'probability a training label is replaced by the null label (conditional)' },
  guidance: { resumable: true, default: 1, help: 'classifier-free guidance weight w at sampling, D = D_null + w (D_label - D_null) (conditional; 1: plain conditional)' },
  lr: { min: 0, minExclusive: true, resumable: true, default: 1e-3, help: 'Adam learning rate (every block)' },
  clip: { min: 0, resumable: true, default: 1, help: 'gradient-norm clip over the stepping parameters (0: off)' },
  sigmaData: { min: 0, minExclusive: true, default: 0.5, help: 'data standard deviation in the EDM preconditioning' },
  pMean: { default: -1.2, help: 'mean of ln(sigma) of the training noise' },
  pStd: { min: 0, minExclusive: true, default: 1.2, help: 'std of ln(sigma) of the training noise' },
  sigmaMin: { min: 0, minExclusive: true, default: 0.002, help: 'smallest noise level (truncation of training noise, end of sampling)' },
  sigmaMax: { min: 0, minExclusive: true, default: 80, help: 'largest noise level' },
  solver: { resumable: true, default: 'euler', choices: SOLVER_NAMES, help: 'sampler (the paper: Euler)' },
  sampleSteps: { integer: true, min: 2, resumable: true, default: 32, help: 'noise levels of the sampler' },
  emaSigmaRel: { min: 0, max: Number(MAX_SIGMA_REL.toFixed(4)), default: 0,
    help: 'EDM2 power-function EMA of the sampling weights, relative width sigma_rel (0.05-0.1 usual), kept per block over that block\'s own updates; 0: off, sample the trained weights' },
} as const;

export function checkDblocksOptions(o: Record<string, OptionValue>): void {
  const bad = (m: string) => new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks': ${m}`);
  const B = o.blocks as number, L = o.layers as number, i = o.block as number;
  if (L % B !== 0) throw bad(`option 'layers' (${L}) must be divisible by option 'blocks' (${B})`);
  if (i >= B) throw bad(`option 'block' (${i}) must be below option 'blocks' (${B})`);
  if (i >= 0 && o.stem !== 'own') throw bad(`training one block alone (--block ${i}) needs --stem own: a shared stem and head would be trained by every block`);
  if (!((o.sigmaMin as number) < (o.sigmaMax as number))) throw bad(`option 'sigmaMin' (${o.sigmaMin}) must be below option 'sigmaMax' (${o.sigmaMax})`);
  if (o.arch === 'dit' && (o.width as number) % (o.heads as number) !== 0) throw bad(`option 'width' (${o.width}) must be divisible by option 'heads' (${o.heads})`);
  if (o.arch === 'dit' && (o.width as number) % 4 !== 0) throw bad(`option 'width' (${o.width}) must be a multiple of 4 for --arch dit (2-D sin-cos positions)`);
  if (o.guidance !== 1 && !o.conditional) throw bad(`option 'guidance' (${o.guidance}) needs --conditional`);
}

export interface DblocksRun extends MethodRun {
  model: BlockwiseDenoiser;
  optimizer: BlockOptimizers;
  trainer: BlockTrainer;
  streams: BlockStreams | null;
  /** Every training step's memory report (peak bytes from the allocator). */
  reports: StepReport[];
  /** The per-block weight average (--ema-sigma-rel > 0): group b < B is block b, group B the shared stem/head. */
  ema?: GroupedEMA;
}

/** Builds the run; the thread's generator must be seeded (the CLI seeds it first): own-mode block streams derive from it. */
export function createDblocks(spec: DataSpec, o: Record<string, OptionValue>): DblocksRun {
  if (spec.kind === 'counts')
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks' trains on points or images, not counts [${spec.itemShape}]`);
  // The model reads and writes flat vectors: the MLP denoises images as vectors (the digest's Fashion-MNIST 14x14
  // plan), the DiT reshapes them to images and patches internally.
  const dim = spec.itemShape.reduce((a, b) => a * b, 1);
  const arch = o.arch as BlockArch;
  if (arch === 'dit' && spec.kind !== 'images')
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks': --arch dit denoises images, not ${spec.kind} [${spec.itemShape}]`);
  const classes = o.conditional ? spec.classes ?? 0 : 0;
  if (o.conditional && !(classes > 0 && spec.drawLabeled))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks': --conditional needs labelled data; '${spec.name}' has no labels`);
  const flat = (x: Tensor) => (x.ndim === 2 ? x : x.reshape([x.shape[0], dim]));
  // a conditional model draws its own labelled batches (the CLI's batch has no labels)
  const draw: ((n: number) => Tensor | LabeledBatch) | null = classes > 0
    ? (n: number) => { const d = spec.drawLabeled!(n); return { x: flat(d.x), y: d.y }; }
    : spec.draw ? (n: number) => flat(spec.draw!(n)) : null;
  const B = o.blocks as number, fixed = o.block as number, stem = o.stem as StemMode;
  const streams: BlockStreams | null = stem === 'own' ? new BlockStreams(getRngState().seed, B) : null;
  const net = new BlockwiseDenoiser({ dim, layers: o.layers as number, blocks: B, width: o.width as number,
    embDim: o.embDim as number, stem, arch, image: arch === 'dit' ? spec.itemShape : undefined, patch: o.patch as number,
    heads: o.heads as number, classes },
  (b) => { if (streams && b >= 0) streams.enter(b); }, (b) => { if (streams && b >= 0) streams.leave(b); });
  // made before the model (its blocks' weights come from them), kept in its buffer from then on
  if (streams) streams.attach(net.streamState!);
  const groups = [...Array.from({ length: B }, (_, b) => net.blockParameters(b)), net.sharedParameters()];
  const optimizer = new BlockOptimizers(groups, o.lr as number, (g, total) => stepsOfBlock(g, total, B, fixed));
  const noise: NoiseDist = { pMean: o.pMean as number, pStd: o.pStd as number, sigmaMin: o.sigmaMin as number, sigmaMax: o.sigmaMax as number };
  const trainer = new BlockTrainer(net, optimizer, { partition: o.partition as PartitionKind, overlap: o.overlap as number, noise,
    sigmaData: o.sigmaData as number, clip: o.clip as number, labelDropout: o.labelDropout as number }, streams);
  const reports: StepReport[] = [];
  const sigmaRel = o.emaSigmaRel as number;
  // per block: a block's average follows its own updates (stepsOfBlock), so blocks trained apart average alike
  const ema = sigmaRel > 0 ? new GroupedEMA(net, [...Array.from({ length: B }, (_, b) => net.blockNamedParameters(b).map(([k]) => k)),
    net.sharedNamedParameters().map(([k]) => k)], (g, total) => stepsOfBlock(g, total, B, fixed), { gamma: gammaOfSigmaRel(sigmaRel) }) : undefined;
  return {
    model: net, optimizer, trainer, streams, reports, ema,
    trainStep(batch, step) {
      const b = blockOfStep(step, B, fixed);
      // With per-block streams the block draws its own data, so its batches do not depend on other blocks' steps.
      const r = (streams || classes > 0) && draw ? trainer.step(b, draw, batch.shape[0]) : trainer.step(b, flat(batch));
      reports.push(r);
      ema?.update([b, B]);  // the block that stepped and the shared stem/head (empty with --stem own)
      return r.loss;
    },
    trainReport(): Record<string, number> {
      if (!reports.length) return {};
      const tail = reports.slice(Math.min(reports.length - 1, B));  // past every block's first step (lazy moments)
      return { stepPeakBytes: Math.max(...tail.map((r) => r.stepBytes)), baseBytes: tail[tail.length - 1].baseBytes,
        optimizerStateBytes: optimizer.stateBytes() };
    },
    sample(n: number, so: SampleOptions = {}) {
      return ema ? ema.apply(() => sampleNow(n, so)) : sampleNow(n, so);
    },
  };
  /** n samples from the weights now in the network (the trained ones, or the average inside ema.apply). */
  function sampleNow(n: number, so: SampleOptions): { x: Tensor; nfe: number } {
    net.eval();
    try {
      // a conditional model samples the classes in turn (sample i has class i mod classes), so any n covers them evenly
      const labels = classes > 0 ? tensor(Int32Array.from({ length: n }, (_, i) => i % classes), { shape: [n], dtype: 'int32' }) : undefined;
      const r = sampleRouted(net, trainer.edges, n, { steps: so.steps ?? (o.sampleSteps as number), solver: (so.solver ?? o.solver) as SolverName,
        sigmaMin: o.sigmaMin as number, sigmaMax: o.sigmaMax as number, sigmaData: o.sigmaData as number, labels, guidance: o.guidance as number });
      labels?.dispose();
      if (spec.kind === 'points') return r;
      const x = r.x.reshape([n, ...spec.itemShape]);
      r.x.dispose();
      return { x, nfe: r.nfe };
    } finally { net.train(); }
  }
}

export const dblocksMethod: Method = {
  name: 'dblocks',
  description: 'DiffusionBlocks: L residual layers in B blocks, each an EDM denoiser for its own noise range, trained one block per step (or apart, --block i) and sampled one block per step',
  source: 'Shing & Akiba 2025, arXiv 2506.14202 (DiffusionBlocks)',
  kinds: ['points', 'images'],
  options: DBLOCKS_OPTIONS,
  checkOptions: checkDblocksOptions,
  create: createDblocks,
};
