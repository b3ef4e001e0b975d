// The CLI method 'dblocks-lm': the DiffusionBlocks character language model (charlm.ts) on text data (kind 'text').
// Training: one block step per global step, round robin (B = 1: end to end), on windows of ctx + 1 characters
// whose starts come from the CLI's batch (one uniform each, so a resumed run draws the same windows). Sampling:
// sentences from a newline, generated character by character with Euler steps routed to the block that owns each
// noise level. Held-out metrics (heldOutMetrics): bits per character of the validation text under the model's own
// likelihood bound (heldOutBound), and under the highest-noise block's classifier read as a next-character model
// (heldOutBits).
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { randn } from '../../random';
import { noGrad } from '../../autograd';
import { tidy } from '../../scope';
import { bitsPerCharacter } from '../../metrics/likelihood';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import type { TextData } from '../../data/sources';
import { cat } from '../../ops';
import { CharBlockLM, CharLMTrainer, generateChars, type CharStepReport } from './charlm';
import { embeddingBound, type EmbeddingBoundOptions } from './lm-bound';
import { blockOf, type NoiseDist, type PartitionKind } from './partition';

export const DBLOCKS_LM_OPTIONS = {
  blocks: { integer: true, min: 1, default: 4, help: 'blocks B (B = 1: the end-to-end baseline)' },
  layers: { integer: true, min: 1, default: 8, help: 'causal AdaLN-Zero transformer layers L (divisible by blocks)' },
  width: { integer: true, min: 1, default: 64, help: 'transformer width' },
  heads: { integer: true, min: 1, default: 4, help: 'attention heads (divide width)' },
  embDim: { integer: true, min: 1, default: 64, help: 'noise-embedding width (AdaLN input)' },
  targetDim: { integer: true, min: 1, default: 16, help: 'dimension e of the fixed target embeddings the blocks denoise' },
  ctx: { integer: true, min: 1, max: 4096, default: 64, help: 'context length: characters per training window and the most a generated character sees (attention holds batch x heads x ctx^2 floats per layer)' },
  partition: { default: 'equiprob', choices: ['equiprob', 'uniform'], help: 'noise partition: equal log-normal mass per block, or equal ln-sigma width (ablation)' },
  overlap: { min: 0, default: 0.1, help: 'overlap gamma: each block trains on its range widened by gamma of its ln-sigma width' },
  lr: { min: 0, minExclusive: true, resumable: true, default: 1e-3, help: 'Adam learning rate (every block)' },
  clip: { min: 0, resumable: true, default: 1, help: 'gradient-norm clip over the stepping parameters (0: off)' },
  sigmaData: { min: 0, minExclusive: true, default: 0.5, help: 'per-dimension scale of the target embeddings (EDM preconditioning)' },
  pMean: { default: -1.2, help: 'mean of ln(sigma) of the training noise' },
  pStd: { min: 0, minExclusive: true, default: 1.2, help: 'std of ln(sigma) of the training noise' },
  sigmaMin: { min: 0, minExclusive: true, default: 0.002, help: 'smallest noise level (truncation of training noise, last generation step)' },
  sigmaMax: { min: 0, minExclusive: true, default: 80, help: 'largest noise level' },
  sampleSteps: { integer: true, min: 2, resumable: true, default: 10, help: 'Euler steps per generated character' },
  sampleLength: { integer: true, min: 1, resumable: true, default: 100, help: 'characters per sample (each a continuation of a newline)' },
  bpcChars: { integer: true, min: 0, resumable: true, default: 20000, help: 'validation characters scored by the held-out bits per character and the likelihood bound (0: skip both)' },
  boundLevels: { integer: true, min: 1, resumable: true, default: 32, help: 'stratified noise levels of the held-out likelihood bound\'s integral' },
  boundSigma0: { min: 0, resumable: true, default: 0, help: 'lower end of the likelihood bound\'s integral, where its decoder reads (0: exp(pMean - 3 pStd), the lower end of the levels training visits)' },
} as const;

export function checkDblocksLmOptions(o: Record<string, OptionValue>): void {
  const bad = (m: string) => new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks-lm': ${m}`);
  if ((o.layers as number) % (o.blocks as number) !== 0) throw bad(`option 'layers' (${o.layers}) must be divisible by option 'blocks' (${o.blocks})`);
  if ((o.width as number) % (o.heads as number) !== 0) throw bad(`option 'width' (${o.width}) must be divisible by option 'heads' (${o.heads})`);
  if (!((o.sigmaMin as number) < (o.sigmaMax as number))) throw bad(`option 'sigmaMin' (${o.sigmaMin}) must be below option 'sigmaMax' (${o.sigmaMax})`);
  if (!((o.boundSigma0 as number) < (o.sigmaMax as number))) throw bad(`option 'boundSigma0' (${o.boundSigma0}) must be below option 'sigmaMax' (${o.sigmaMax})`);
}

export interface DblocksLmRun extends MethodRun {
  model: CharBlockLM;
  trainer: CharLMTrainer;
  /** Every training step's memory report (peak bytes from the allocator). */
  reports: CharStepReport[];
  /** The corpus the run trains on. */
  text: TextData;
}

export function createDblocksLm(spec: DataSpec, o: Record<string, OptionValue>): DblocksLmRun {
  if (spec.kind !== 'text' || !spec.text) throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks-lm' trains on text, not ${spec.kind} (data '${spec.name}')`);
  const text = spec.text();
  const ctx = o.ctx as number, B = o.blocks as number;
  if (text.train.length < ctx + 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks-lm': the training text (${text.train.length} characters) is shorter than a window (ctx + 1 = ${ctx + 1})`);
  const net = new CharBlockLM({ vocab: text.vocab.size, ctx, width: o.width as number, layers: o.layers as number, blocks: B,
    heads: o.heads as number, embDim: o.embDim as number, targetDim: o.targetDim as number, sigmaData: o.sigmaData as number });
  const noise: NoiseDist = { pMean: o.pMean as number, pStd: o.pStd as number, sigmaMin: o.sigmaMin as number, sigmaMax: o.sigmaMax as number };
  const trainer = new CharLMTrainer(net, { partition: o.partition as PartitionKind, overlap: o.overlap as number, noise, lr: o.lr as number, clip: o.clip as number });
  const reports: CharStepReport[] = [];
  const prompt = text.prompt;

  /** Windows [N, ctx + 1] of training text starting where the uniforms [N, 1] say. */
  function windows(u: Tensor): Tensor {
    if (u.ndim !== 2 || u.shape[1] !== 1) throw new TensorfieldError('TF_SHAPE_MISMATCH', `method 'dblocks-lm': a batch is one uniform per window, [n, 1]; got [${u.shape}]`);
    const uv = u.dataSync() as ArrayLike<number>, n = u.shape[0], span = text.train.length - ctx;
    const w = new Int32Array(n * (ctx + 1));
    for (let i = 0; i < n; i++) {
      const s = Math.min(span - 1, Math.floor(uv[i] * span));
      if (!(s >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks-lm': batch item ${i} is ${uv[i]}, not a uniform in [0, 1)`);
      w.set(text.train.subarray(s, s + ctx + 1), i * (ctx + 1));
    }
    return tensor(w, { shape: [n, ctx + 1], dtype: 'int32' });
  }

  return {
    model: net, optimizer: trainer.opt, trainer, reports, text,
    trainStep(batch: Tensor, step: number): number {
      const w = windows(batch);
      try {
        const r = trainer.step(step % B, w);
        reports.push(r);
        return r.loss;
      } finally { w.dispose(); }
    },
    trainReport(): Record<string, number> {
      if (!reports.length) return {};
      const tail = reports.slice(Math.min(reports.length - 1, B));  // past every block's first step (lazy moments)
      return { stepPeakBytes: Math.max(...tail.map((r) => r.stepBytes)), baseBytes: tail[tail.length - 1].baseBytes,
        optimizerStateBytes: trainer.opt.stateBytes() };
    },
    sample(n: number, so: SampleOptions = {}): { x: Tensor; nfe: number } {
      if (so.solver !== undefined && so.solver !== 'euler') throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'dblocks-lm' generates with Euler steps per character; solver '${so.solver}' does not apply`);
      const steps = so.steps ?? (o.sampleSteps as number), length = o.sampleLength as number;
      const g = generateChars(net, trainer.edges, Array.from({ length: n }, () => prompt), length,
        { steps, sigmaMin: o.sigmaMin as number, sigmaMax: o.sigmaMax as number, onProgress: so.onProgress });
      const x = new Int32Array(n * length);
      g.ids.forEach((ids, i) => x.set(ids, i * length));
      // one network evaluation (of the whole batch) per Euler step per character
      return { x: tensor(x, { shape: [n, length], dtype: 'int32' }), nfe: g.forwards.reduce((a, c) => a + c, 0) };
    },
    heldOutMetrics(): Record<string, number> {
      const m = o.bpcChars as number;
      if (m <= 0) return {};
      const sigma0 = (o.boundSigma0 as number) > 0 ? (o.boundSigma0 as number) : Math.exp((o.pMean as number) - 3 * (o.pStd as number));
      return { ...heldOutBits(net, trainer.edges, text.validation, m, o.sigmaMax as number),
        ...heldOutBound(net, trainer.edges, text.validation, m, { sigma0, sigmaMax: o.sigmaMax as number, levels: o.boundLevels as number }) };
    },
  };
}

/**
 * Bits per character of held-out text under the classifier at the highest noise level: z is pure noise of scale
 * sigma_max drawn independently of the text, so head(D(z; sigma_max, context)) is a proper next-character
 * distribution given the context alone, and its cross-entropy is a code length (with the noise shared by coder and
 * decoder). It is the model's block 0 read as an autoregressive model, NOT a likelihood bound of the generative
 * process that samples use (that would need the Euler chain's density). The first `chars` characters of the text
 * (at most), in non-overlapping windows of ctx + 1 (each window's context restarts), 32 windows at a time.
 */
/**
 * The first `chars` characters of `text` (at most) as W non-overlapping windows of ctx + 1: the context ids and the
 * next characters, each [W * ctx] in window order.
 */
function heldOutWindows(text: Int32Array, chars: number, ctx: number, what: string): { W: number; ids: Int32Array; next: Int32Array } {
  const W = Math.floor((Math.min(chars, text.length) - 1) / ctx);
  if (W < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: ${Math.min(chars, text.length)} characters do not fill one window of ${ctx + 1}`);
  const ids = new Int32Array(W * ctx), next = new Int32Array(W * ctx);
  for (let w = 0; w < W; w++) {
    ids.set(text.subarray(w * ctx, w * ctx + ctx), w * ctx);
    next.set(text.subarray(w * ctx + 1, w * ctx + ctx + 1), w * ctx);
  }
  return { W, ids, next };
}

export function heldOutBits(net: CharBlockLM, edges: number[], text: Int32Array, chars: number, sigmaMax: number): Record<string, number> {
  const { ctx, targetDim } = net.cfg;
  const { W, ids, next } = heldOutWindows(text, chars, ctx, 'held-out bits per character');
  const b = blockOf(sigmaMax, edges);
  const logProbs = new Float64Array(W * ctx);
  net.eval();
  try {
    for (let w0 = 0; w0 < W; w0 += 32) {
      const n = Math.min(32, W - w0);
      const lp = noGrad(() => tidy(() => {
        const z = randn([n, ctx, targetDim]).mul(sigmaMax);
        const { logits } = net.forwardBlock(b, tensor(ids.slice(w0 * ctx, (w0 + n) * ctx), { shape: [n, ctx], dtype: 'int32' }), z,
          tensor(new Float32Array(n).fill(sigmaMax), { shape: [n] }));
        return logits.to('float64').logSoftmax(-1).gather(2, tensor(next.slice(w0 * ctx, (w0 + n) * ctx), { shape: [n, ctx, 1], dtype: 'int32' })).dataSync() as Float64Array;
      }));
      logProbs.set(lp, w0 * ctx);
    }
  } finally { net.train(); }
  return { heldOutBpcSigmaMax: bitsPerCharacter(logProbs), heldOutBpcCharacters: W * ctx };
}

/**
 * Bits per character of held-out text under the model's own likelihood bound (lm-bound.ts: the continuous-time VDM
 * bound of the denoiser x_hat = softmax(head(D)) @ Y that generation steps toward), from sigma0 up to sigma_max: the
 * first `chars` characters in non-overlapping windows as heldOutBits, every position noised at each level as in
 * training and generation. sigma0 is exp(pMean - 3 pStd), the lower end of the levels training visits (below it the
 * denoiser is untrained and the integral is dominated by its errors there); the decoder term at sigma0 is reported
 * apart.
 */
export function heldOutBound(net: CharBlockLM, edges: number[], text: Int32Array, chars: number, o: EmbeddingBoundOptions): Record<string, number> {
  const { ctx, targetDim, vocab } = net.cfg;
  const { W, ids, next } = heldOutWindows(text, chars, ctx, 'held-out bound');
  const idsT = tensor(ids, { shape: [W, ctx], dtype: 'int32' });
  net.eval();
  try {
    const denoise = (z: Tensor, sigma: number): Tensor => {
      const b = blockOf(sigma, edges);
      const parts: Tensor[] = [];
      for (let w0 = 0; w0 < W; w0 += 32) {
        const n = Math.min(32, W - w0);
        parts.push(tidy(() => {
          const { logits } = net.forwardBlock(b, idsT.narrow(0, w0, n).contiguous(), z.narrow(0, w0 * ctx, n * ctx).reshape([n, ctx, targetDim]),
            tensor(new Float32Array(n).fill(sigma), { shape: [n] }));
          return logits.reshape([n * ctx, vocab]).softmax(-1).matmul(net.targets);
        }));
      }
      const x = parts.length === 1 ? parts[0] : cat(parts, 0);
      if (parts.length > 1) parts.forEach((t) => t.dispose());
      return x;
    };
    const r = embeddingBound(net.targets, next, denoise, o);
    return { heldOutBpcBound: r.nats / Math.LN2, heldOutBpcBoundSe: r.natsSe / Math.LN2, heldOutBoundDecoderBits: r.decoder / Math.LN2,
      heldOutBoundPriorBits: r.prior / Math.LN2, heldOutBoundSigma0: o.sigma0, heldOutBoundLevels: o.levels ?? 32, heldOutBoundCharacters: r.items };
  } finally { idsT.dispose(); net.train(); }
}

export const dblocksLmMethod: Method = {
  name: 'dblocks-lm',
  description: 'DiffusionBlocks character LM: a causal transformer of L AdaLN-Zero layers in B blocks, each denoising the next character\'s embedding over its own noise range (loss lambda(sigma) x cross-entropy), trained one block per step; generation by Euler steps per character, one block per step',
  source: 'Shing & Akiba 2025, arXiv 2506.14202 (DiffusionBlocks, language-model variant)',
  kinds: ['text'],
  options: DBLOCKS_LM_OPTIONS,
  checkOptions: checkDblocksLmOptions,
  create: createDblocksLm,
};
