// Drawing samples from a run for the CLI, checked: a diverged network or a sampler pushed outside its range
// (a tiny --sigmaMin, too few steps) yields NaN or infinite samples, which the metrics would then reject as "bad
// input" far from the cause. Here they are TF_NON_FINITE naming the training step and the sampler.
import type { Tensor } from '../tensor';
import { TensorfieldError } from '../tensor';
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

/** run.sample, refusing NaN or infinite samples (TF_NON_FINITE); the caller disposes x. */
export function sampleChecked(run: MethodRun, n: number, opts: SampleOptions, ctx: SampleContext): { x: Tensor; nfe: number } {
  return checkFinite(run.sample(n, opts), ctx, opts);
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
