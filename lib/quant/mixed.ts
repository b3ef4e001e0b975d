// Time-step-aware mixed precision (Intel's int8-bf16 pipeline): the first and last k sampling steps run the
// high-precision network (the original float one, not the QAT student's float weights), the middle steps the int8
// one. The int8 network's forward is wrapped so each call goes to one or the other by the noise level it is
// evaluated at. The levels a sampler visits are found by a probe run (recordLevels), so this works for any
// sampler: with Heun (two evaluations per step) the evaluations at the k highest and k lowest levels of the grid
// are the high-precision ones. The high-precision calls run in float32, or (high 'bf16') with the float network's
// matmuls, convolutions and attention at the matmul precision 'bf16' (operands rounded to bf16, float32 sums: the
// paper's int8-bf16 pipeline), on CPUs with bf16 instructions; elsewhere the bf16 setting leaves float32.
import { Tensor, TensorfieldError } from '../tensor';
import { Module } from '../nn/module';
import { backend } from '../engine';
import { wrapForward, levelsOf, type Forward } from './forward-wrap';

export type Precision = 'float32' | 'bf16' | 'int8';
/** What the edge (high-precision) calls of mixed precision run in. */
export type HighPrecision = 'float32' | 'bf16';

const levelOf = (args: Tensor[]) => levelsOf(args, 'mixed precision')[0];

/** The distinct noise levels `run` evaluates `net` at, in call order (run: one sampling pass, e.g. of one item). */
export function recordLevels(net: Module, run: () => void): number[] {
  const seen: number[] = [];
  const restore = wrapForward(net, (orig, a) => { const l = levelOf(a); if (!seen.includes(l)) seen.push(l); return orig(...a); });
  try { run(); } finally { restore(); }
  return seen;
}

/**
 * While `run` samples with `net` (int8), its calls at the first k and last k of `levels` go to `floatNet` instead,
 * in float32 or (highPrecision 'bf16') under the matmul precision 'bf16' for just those calls. Returns run's result
 * and how many calls ran in each precision. k = 0 is int8 throughout; 2k >= levels.length is high precision
 * throughout.
 */
export function withEdgeSteps<T>(net: Module, floatNet: Module, levels: number[], k: number, run: () => T,
  highPrecision: HighPrecision = 'float32'): { result: T; calls: Record<Precision, number> } {
  if (!Number.isInteger(k) || k < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `mixed precision: k must be a non-negative integer, got ${k}`);
  if (highPrecision !== 'float32' && highPrecision !== 'bf16') throw new TensorfieldError('TF_INVALID_ARGUMENT', `mixed precision: the high precision must be float32 or bf16, got '${String(highPrecision)}'`);
  const high = new Set([...levels.slice(0, k), ...levels.slice(Math.max(k, levels.length - k))]);
  const calls: Record<Precision, number> = { float32: 0, bf16: 0, int8: 0 };
  const f = floatNet as unknown as { forward: Forward };
  const toFloat: Forward = highPrecision === 'float32' ? (...a) => f.forward(...a) : (...a) => {
    const prev = backend.getMatmulPrecision();
    backend.setMatmulPrecision('bf16');
    try { return f.forward(...a); } finally { backend.setMatmulPrecision(prev); }
  };
  const restore = wrapForward(net, (orig, a) => {
    const l = levelOf(a);
    if (!levels.includes(l)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `mixed precision: the sampler called the network at level ${l}, which the probe run did not visit (same sampler and steps for both)`);
    const p: Precision = high.has(l) ? highPrecision : 'int8';
    calls[p]++;
    return (p === 'int8' ? orig : toFloat)(...a);
  });
  try { return { result: run(), calls }; } finally { restore(); }
}
