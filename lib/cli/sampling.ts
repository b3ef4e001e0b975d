// Drawing samples from a run for the CLI, checked: a diverged network or a sampler pushed outside its range
// (a tiny --sigmaMin, too few steps) yields NaN or infinite samples, which the metrics would then reject as "bad
// input" far from the cause. Here they are TF_NON_FINITE naming the training step and the sampler.
import type { Tensor } from '../tensor';
import { TensorfieldError } from '../tensor';
import { cat } from '../ops';
import type { MethodRun, OptionValue, SampleOptions } from '../registry';
import { countNonFinite } from '../optim/finite';

/** Which run is sampled: the method, its options, and the training step of the weights. */
export interface SampleContext {
  method: string;
  options: Record<string, OptionValue>;
  step: number;
}

/** The sampler in words: the solver (given, or the method's) and its steps. */
export function samplerLabel(ctx: SampleContext, opts: SampleOptions): string {
  const o = ctx.options;
  let solver: string;
  if (opts.solver) solver = opts.solver;
  else if (typeof o.solver === 'string') solver = o.solver;
  else if (o.sampler === 'ode' || o.sampler === 'sde') solver = `${o.sampler} ${String(o.sampler === 'ode' ? o.odeMethod : o.sdeMethod)}`;
  else solver = `${ctx.method}'s sampler`;
  const steps = opts.steps ?? o.sampleSteps;
  return `${solver}${steps !== undefined ? `, ${String(steps)} steps` : ''}`;
}

/** run.sample in calls of at most `batch` (sampleBatched), refusing NaN or infinite samples (TF_NON_FINITE); the caller disposes x. */
export function sampleChecked(run: MethodRun, n: number, opts: SampleOptions, ctx: SampleContext,
  batch = DEFAULT_SAMPLE_BATCH): { x: Tensor; nfe: number } {
  return sampleBatched((m) => run.sample(m, opts), n, batch, ctx, opts);
}

/** Samples already drawn, refused (disposed, TF_NON_FINITE) when they hold NaN or infinite values. */
export function checkFinite<R extends { x: Tensor }>(r: R, ctx: SampleContext, opts: SampleOptions): R {
  if (countNonFinite([r.x]) > 0) {
    r.x.dispose();
    throw new TensorfieldError('TF_NON_FINITE', `the samples drawn from '${ctx.method}' at training step ${ctx.step} with ` +
      `${samplerLabel(ctx, opts)} hold NaN or infinite values (the network diverged, or the sampler's settings are out of its range)`);
  }
  return r;
}

/** The samples per sampler call of `sample` / `eval` unless --batch says otherwise. */
export const DEFAULT_SAMPLE_BATCH = 1000;

/**
 * n samples drawn in calls of at most `batch` (the last one smaller), joined in order. Peak memory follows the
 * batch, not n: a sampler holds its network's activations for the whole batch it was asked for (a 28x28 U-Net at
 * 1000 images: ~1.8 GB). The noise stream runs on across the calls, so n <= batch gives exactly the samples of one
 * call, and a larger n samples that differ from one call's (same distribution). Each call is checked for
 * non-finite values; `progress` hears "k/n" after each call when there is more than one. calls (precision counts
 * of network calls) are those of one call: every call runs the same sampler.
 */
export function sampleBatched<R extends { x: Tensor; nfe: number; calls?: Record<string, number> }>(
  draw: (n: number) => R, n: number, batch: number, ctx: SampleContext, opts: SampleOptions,
  progress?: (line: string) => void,
): R {
  if (n <= batch) return checkFinite(draw(n), ctx, opts);
  const parts: Tensor[] = [];
  let last: R | null = null;
  try {
    for (let done = 0; done < n;) {
      const r = checkFinite(draw(Math.min(batch, n - done)), ctx, opts);
      parts.push(r.x);
      last = r;
      done += r.x.shape[0];
      progress?.(`sampled ${done}/${n}`);
    }
    return { ...last!, x: cat(parts, 0) };
  } finally {
    for (const x of parts) x.dispose();
  }
}
