// Seeded random tensors: Philox4x32-10, counter-based, so the same seed gives the same numbers whatever
// the thread count. Each JS thread (main or worker) has its own generator.
import { native } from './native';
import { Tensor, TensorfieldError, CreateOptions, DeviceName, wrapNative, handle, asTensor } from './tensor';

function finish(t: Tensor, opts?: CreateOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

export function manualSeed(seed: number): void { native.manualSeed(seed); }

/**
 * The calling thread's generator state: the Philox key and the number of random ops drawn so far, each a
 * 16-digit lowercase hex string (64-bit values do not survive JS numbers). JSON-safe.
 */
export interface RngState { seed: string; calls: string }
/** A snapshot of this thread's generator; setRngState(snapshot) makes later draws repeat from that point. */
export function getRngState(): RngState { return native.getRngState(); }
// A short description of a bad argument: stringifying whatever was passed could be huge or throw.
function describeState(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v !== 'object' || v === null) return String(v).slice(0, 80);
  try { const s = JSON.stringify(v); return s.length > 120 ? `${s.slice(0, 120)}...` : s; } catch { return 'an object that cannot be printed'; }
}
export function setRngState(state: RngState): void {
  const ok = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-fA-F]{1,16}$/.test(v);
  if (!state || !ok(state.seed) || !ok(state.calls))
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `setRngState: expected {seed, calls} as hex strings of up to 16 digits, got ${describeState(state)}`);
  native.setRngState(state.seed, state.calls);
}
/** Uniform on [0, 1). */
export function rand(shape: number[], opts?: CreateOptions): Tensor { return finish(wrapNative(native.rand(shape, opts?.dtype, opts?.device)), opts); }
/** Standard normal. */
export function randn(shape: number[], opts?: CreateOptions): Tensor { return finish(wrapNative(native.randn(shape, opts?.dtype, opts?.device)), opts); }
/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: number[], opts?: { dtype?: 'int32' | 'int8' | 'uint8' | 'float32' | 'float64'; device?: DeviceName }): Tensor {
  return wrapNative(native.randint(low, high, shape, opts?.dtype, opts?.device));
}
export function randLike(t: Tensor): Tensor {
  const x = asTensor(t, 'randLike');
  return rand(x.shape, { dtype: x.dtype, device: x.device as DeviceName });
}
export function randnLike(t: Tensor): Tensor {
  const x = asTensor(t, 'randnLike');
  return randn(x.shape, { dtype: x.dtype, device: x.device as DeviceName });
}
/** 0/1 draws with the given probabilities (same shape and dtype). */
export function bernoulli(p: Tensor): Tensor { return wrapNative(native.bernoulli(handle(p))); }
/** Binomial(count, prob) draws; count is a tensor or a number, broadcast with prob. */
export function binomial(count: Tensor | number, prob: Tensor): Tensor {
  return wrapNative(native.binomial(typeof count === 'number' ? count : handle(count), handle(prob)));
}
export function poisson(rate: Tensor): Tensor { return wrapNative(native.poisson(handle(rate))); }
/** Category indices (int32) drawn from each row of (unnormalised) probabilities. */
export function multinomial(probs: Tensor, numSamples: number, replacement = false): Tensor {
  return wrapNative(native.multinomial(handle(probs), numSamples, replacement));
}
