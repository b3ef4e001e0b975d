// Time-step-aware mixed precision (Intel's int8-bf16 pipeline): the first and last k sampling steps run the
// high-precision network (the original float one, not the QAT student's float weights), the middle steps the int8
// one. The int8 network's forward is wrapped so each call goes to one or the other by the noise level it is
// evaluated at. The levels a sampler visits are found by a probe run (recordLevels), so this works for any
// sampler: with Heun (two evaluations per step) the evaluations at the k highest and k lowest levels of the grid
// are the high-precision ones.
import { Tensor, TensorfieldError } from '../tensor';
import { Module } from '../nn/module';
import { wrapForward, levelsOf, type Forward } from './forward-wrap';

export type Precision = 'float32' | 'int8';

const levelOf = (args: Tensor[]) => levelsOf(args, 'mixed precision')[0];

/** The distinct noise levels `run` evaluates `net` at, in call order (run: one sampling pass, e.g. of one item). */
export function recordLevels(net: Module, run: () => void): number[] {
  const seen: number[] = [];
  const restore = wrapForward(net, (orig, a) => { const l = levelOf(a); if (!seen.includes(l)) seen.push(l); return orig(...a); });
  try { run(); } finally { restore(); }
  return seen;
}

/**
 * While `run` samples with `net` (int8), its calls at the first k and last k of `levels` go to `floatNet` instead.
 * Returns run's result and how many calls ran in each precision. k = 0 is int8 throughout; 2k >= levels.length is
 * float32 throughout.
 */
export function withEdgeSteps<T>(net: Module, floatNet: Module, levels: number[], k: number, run: () => T): { result: T; calls: Record<Precision, number> } {
  if (!Number.isInteger(k) || k < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `mixed precision: k must be a non-negative integer, got ${k}`);
  const high = new Set([...levels.slice(0, k), ...levels.slice(Math.max(k, levels.length - k))]);
  const calls: Record<Precision, number> = { float32: 0, int8: 0 };
  const f = floatNet as unknown as { forward: Forward };
  const toFloat: Forward = (...a) => f.forward(...a);
  const restore = wrapForward(net, (orig, a) => {
    const l = levelOf(a);
    if (!levels.includes(l)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `mixed precision: the sampler called the network at level ${l}, which the probe run did not visit (same sampler and steps for both)`);
    const p: Precision = high.has(l) ? 'float32' : 'int8';
    calls[p]++;
    return (p === 'float32' ? toFloat : orig)(...a);
  });
  try { return { result: run(), calls }; } finally { restore(); }
}
