// Training one block at a time and sampling with per-step routing.
// A block step draws each sample's sigma from the log-normal restricted to the block's (overlapped) range, runs
// only that block's denoiser, and steps only that block's Adam (and the shared stem/head's, when shared). EDM's
// weighted loss lambda(sigma) ||D - x0||² is written, as in lib/models/edm, as the regression of F onto
// (x0 - c_skip y)/c_out, which is the same loss (lambda c_out² = 1).
import { Tensor, TensorfieldError, tensor, full } from '../../tensor';
import { cat } from '../../ops';
import { rand, randn, randnLike, getRngState, setRngState, type RngState } from '../../random';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { clipGradNorm } from '../../optim/optimizer';
import { memory, resetPeakMemory } from '../../engine';
import { preconditioning, preconditioningTensor } from '../../samplers/precond';
import { sample as runSolver, type SolverName } from '../../samplers/solvers';
import { edmSigmas } from '../../samplers/grids';
import type { BlockwiseDenoiser } from './model';
import type { BlockOptimizers } from './optimizers';
import { blockOf, intervalOfBlock, overlapRange, partitionEdges, sampleSigmaInRange, type NoiseDist, type PartitionKind } from './partition';

export interface BlockTrainConfig {
  partition: PartitionKind;
  overlap: number;
  noise: NoiseDist;
  sigmaData: number;
  /** Gradient-norm clip over the parameters that step (0: off). */
  clip: number;
  /** Class-conditional models: the probability a training label is replaced by the null label (default 0.1). */
  labelDropout?: number;
}

/** A batch: x0 [n, dim], with int32 labels [n] for a class-conditional model. */
export type LabeledBatch = { x: Tensor; y?: Tensor };

export interface StepReport {
  loss: number;
  /** Bytes live when the step began (parameters, optimizer state, the batch). */
  baseBytes: number;
  /** The allocator's peak during the step minus baseBytes: activations, gradients, temporaries. */
  stepBytes: number;
}

/**
 * Per-block random streams: block b draws its initial weights, data, sigmas and noise from its own Philox key, so
 * what block b becomes depends on the seed and on b only, not on which other blocks ran before it or at all.
 */
export class BlockStreams {
  private readonly states: RngState[];
  private store: Tensor | null = null;
  constructor(baseKey: string, blocks: number) {
    const mask = (1n << 64n) - 1n;
    const base = BigInt(`0x${baseKey}`);
    this.states = Array.from({ length: blocks }, (_, b) => {
      // an odd-multiplier mix of (key, b): distinct keys per block, far apart from the base key
      const k = (base * 0x9e3779b97f4a7c15n + BigInt(b + 1) * 0xd1b54a32d192ed03n) & mask;
      return { seed: k.toString(16), calls: '0' };
    });
  }
  /**
   * Mirrors the positions into store ([B, 8] float64) after every use and reads them back before it: with a model
   * buffer as the store, a checkpoint saves them and loading one moves the streams (a resumed run continues them).
   */
  attach(store: Tensor): void {
    this.store = store;
    this.states.forEach((_, b) => this.save(b));
  }
  private save(b: number): void {
    if (!this.store) return;
    const s = this.states[b], pieces = [...toPieces(s.seed), ...toPieces(s.calls)];
    noGrad(() => tidy(() => { this.store!.narrow(0, b, 1).copy_(tensor(Float64Array.from(pieces), { shape: [1, 8], dtype: 'float64' })); }));
  }
  private load(b: number): void {
    if (!this.store) return;
    const v = tidy(() => Array.from(this.store!.narrow(0, b, 1).dataSync() as Float64Array));
    this.states[b] = { seed: fromPieces(v.slice(0, 4)), calls: fromPieces(v.slice(4, 8)) };
  }
  private outer: RngState[] = [];
  /** Makes block b's stream the thread's generator until leave(b). */
  enter(b: number): void {
    this.load(b);
    this.outer.push(getRngState());
    setRngState(this.states[b]);
  }
  /** Saves block b's stream where it stands and puts the caller's generator back. */
  leave(b: number): void {
    this.states[b] = getRngState();
    this.save(b);
    setRngState(this.outer.pop()!);
  }
  /** Runs fn with block b's stream as the thread's generator, then puts the caller's generator back. */
  within<T>(b: number, fn: () => T): T {
    this.enter(b);
    try { return fn(); } finally { this.leave(b); }
  }
  get(b: number): RngState { this.load(b); return this.states[b]; }
}

/** A 64-bit hex string as four 16-bit numbers (exact in float64), most significant first, and back. */
function toPieces(hex: string): number[] {
  const h = hex.padStart(16, '0');
  return [0, 4, 8, 12].map((i) => parseInt(h.slice(i, i + 4), 16));
}
function fromPieces(v: number[]): string {
  return BigInt(`0x${v.map((x) => x.toString(16).padStart(4, '0')).join('')}`).toString(16);
}

export class BlockTrainer {
  readonly edges: number[];
  constructor(readonly net: BlockwiseDenoiser, readonly opt: BlockOptimizers, readonly cfg: BlockTrainConfig,
    readonly streams: BlockStreams | null = null) {
    if (!(cfg.sigmaData > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `BlockTrainer: sigmaData must be > 0, got ${cfg.sigmaData}`);
    if (!(cfg.clip >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `BlockTrainer: clip must be >= 0, got ${cfg.clip}`);
    const pd = cfg.labelDropout ?? 0.1;
    if (!(pd >= 0 && pd <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `BlockTrainer: labelDropout must be in [0, 1], got ${pd}`);
    this.edges = partitionEdges(net.blocks, cfg.partition, cfg.noise);
    overlapRange(this.edges, 0, cfg.overlap);  // checks gamma now rather than at the first step
  }

  /** The sigma range block b trains on (its interval widened by the overlap). */
  range(b: number): [number, number] { return overlapRange(this.edges, intervalOfBlock(b, this.net.blocks), this.cfg.overlap); }

  /**
   * One step of block b on a batch (x0, or draw(n) under the block's stream when streams are in use). Gradients
   * are dropped before it returns, so nothing but parameters and optimizer moments outlives the step.
   */
  step(b: number, batch: Tensor | LabeledBatch | ((n: number) => Tensor | LabeledBatch), n = 0): StepReport {
    const B = this.net.blocks;
    if (!Number.isInteger(b) || b < 0 || b >= B) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dblocks: block ${b} is outside 0..${B - 1}`);
    const baseBytes = memory().bytes;
    resetPeakMemory();
    const body = () => tidy(() => {
      const got = typeof batch === 'function' ? batch(n) : batch;
      const { x: x0, y: labels } = got instanceof Tensor ? { x: got, y: undefined } : got;
      if (x0.ndim !== 2 || x0.shape[1] !== this.net.cfg.dim)
        throw new TensorfieldError('TF_SHAPE_MISMATCH', `dblocks: expected a batch [n, ${this.net.cfg.dim}], got [${x0.shape}]`);
      const classes = this.net.cfg.classes;
      if (classes > 0 && !labels)
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `dblocks: a class-conditional model (${classes} classes) needs labels with every batch`);
      const m = x0.shape[0];
      const [lo, hi] = this.range(b);
      const u = rand([m], { dtype: 'float64' }).dataSync() as Float64Array;
      const sigma = tensor(Float32Array.from(sampleSigmaInRange(u, lo, hi, this.cfg.noise)), { shape: [m, 1] });
      const kept = labels ? dropLabels(labels, classes, this.cfg.labelDropout ?? 0.1) : undefined;
      const y = x0.add(randnLike(x0).mul(sigma));
      const c = preconditioningTensor('edm', sigma, { sigmaData: this.cfg.sigmaData });
      const F = this.net.forwardBlock(b, y.mul(c.cIn), c.cNoise.reshape([m]), kept);
      const loss = F.sub(x0.sub(y.mul(c.cSkip)).div(c.cOut)).square().mean();
      this.opt.zeroGrad();
      loss.backward();
      const groups = [b, ...(this.net.sharedParameters().length ? [B] : [])];
      if (this.cfg.clip > 0) clipGradNorm(groups.flatMap((g) => this.opt.groups[g].params), this.cfg.clip);
      this.opt.stepGroups(groups);
      this.opt.zeroGrad();
      return loss.item();
    });
    const loss = this.streams ? this.streams.within(b, body) : body();
    return { loss, baseBytes, stepBytes: memory().peakBytes - baseBytes };
  }
}

/**
 * Labels with each replaced by the null label (= classes) with probability p, one uniform draw per label from the
 * thread's generator: what classifier-free guidance trains the unconditional model with.
 */
export function dropLabels(labels: Tensor, classes: number, p: number): Tensor {
  const y = labels.dataSync() as Int32Array;
  for (let i = 0; i < y.length; i++)
    if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] >= classes)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `dblocks: label ${y[i]} is outside 0..${classes - 1}`);
  if (p === 0) return labels;
  const u = rand([y.length], { dtype: 'float64' }).dataSync() as Float64Array;
  return tensor(Int32Array.from(y, (v, i) => (u[i] < p ? classes : v)), { shape: [y.length], dtype: 'int32' });
}

export interface RoutedSampleOptions {
  steps: number;
  solver: SolverName;
  sigmaMin: number;
  sigmaMax: number;
  sigmaData: number;
  /** Class-conditional models: int32 labels [n] (omitted: the null label, i.e. unconditional samples). */
  labels?: Tensor;
  /** Classifier-free guidance weight w: D = D_null + w (D_label - D_null); 1 is plain conditional sampling. */
  guidance?: number;
}

/**
 * The block-routed EDM denoiser D(x, sigma) (one block's forward per call), with classifier-free guidance when
 * labels and a weight w != 1 are given: the conditional and null-label passes go through the block as one batch.
 * D is affine in the network output F, so guiding F guides D.
 */
export function routedDenoiser(net: BlockwiseDenoiser, edges: number[], o: Pick<RoutedSampleOptions, 'sigmaData' | 'labels' | 'guidance'>):
  (x: Tensor, s: number) => Tensor {
  const w = o.guidance ?? 1, labels = o.labels, classes = net.cfg.classes;
  if (!Number.isFinite(w)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dblocks: guidance must be a finite number, got ${w}`);
  if (labels && classes === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'dblocks: labels given to an unconditional model');
  if (w !== 1 && !labels) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dblocks: guidance ${w} needs labels`);
  return (x: Tensor, s: number) => noGrad(() => tidy(() => {
    const c = preconditioning('edm', s, { sigmaData: o.sigmaData });
    const b = blockOf(s, edges), n = x.shape[0], xin = x.mul(c.cIn);
    let F: Tensor;
    if (labels && w !== 1) {
      const both = net.forwardBlock(b, cat([xin, xin], 0), full([2 * n], c.cNoise),
        cat([labels, full([n], classes, { dtype: 'int32' })], 0));
      const Fc = both.narrow(0, 0, n), Fu = both.narrow(0, n, n);
      F = Fu.add(Fc.sub(Fu).mul(w));
    } else {
      F = net.forwardBlock(b, xin, full([n], c.cNoise), labels);
    }
    return x.mul(c.cSkip).add(F.mul(c.cOut));
  }));
}

/**
 * n samples by the EDM-form solver on the rho = 7 grid; every denoiser call at noise level sigma runs only the
 * block that owns sigma (blockOf over the partition's edges): one block's forward per evaluation.
 */
export function sampleRouted(net: BlockwiseDenoiser, edges: number[], n: number, o: RoutedSampleOptions): { x: Tensor; nfe: number } {
  if (edges.length !== net.blocks + 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dblocks: ${edges.length} edges for ${net.blocks} blocks`);
  if (o.labels && (o.labels.ndim !== 1 || o.labels.shape[0] !== n))
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `dblocks: ${n} samples need labels [${n}], got [${o.labels.shape}]`);
  const D = routedDenoiser(net, edges, o);
  const x = tidy(() => randn([n, net.cfg.dim]).mul(o.sigmaMax));
  const r = runSolver(o.solver, D, x, edmSigmas(o.steps, { sigmaMin: o.sigmaMin, sigmaMax: o.sigmaMax }));
  x.dispose();
  return r;
}
