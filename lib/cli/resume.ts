// What `train --resume` may change. A run folder's checkpoint fits one model: the method, the data and every
// option that shapes the network or what it learns must stay. Options marked `resumable` in the method (learning
// rate, gradient clipping, sampling) and the training flags (steps, checkpoint period, batch, ...) may change:
// following the advice after a divergence ("--resume --lr 1e-4") must work. Each change is appended to
// config.json's "history" with the step it took effect at, so the folder still says how its weights were made.
import { TensorfieldError } from '../tensor';
import type { Method } from '../registry';
import type { RunConfig } from './run-dir';
import type { GitState } from './record';

export interface ResumeChange {
  /** The step training resumed at: the new values hold from here on. */
  step: number;
  date: string;
  /** Changed option / flag name -> its value before and after. */
  changed: Record<string, { from: unknown; to: unknown }>;
  /** The checkout the resume ran from, when it is not the one the run was started from. */
  git?: GitState | null;
}

/** Equal as config.json stores them. */
export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Compares the resumed run's config with the folder's. Throws TF_INVALID_ARGUMENT for a change of method, data
 * or a model-shaping option, naming it and what may change; returns the allowed changes (empty: none).
 */
export function resumeChanges(dir: string, method: Method, prev: RunConfig, next: RunConfig): ResumeChange['changed'] {
  const refuse = (what: string) => new TensorfieldError('TF_INVALID_ARGUMENT', `--resume: '${dir}' was trained with ${what}, ` +
    'and its checkpoint holds that model; resume with the same, or train into another --out. On --resume only these may ' +
    `change: ${resumableOptions(method).map((k) => `--${k}`).join(', ')} and the training flags (--steps, --ckpt-every, --batch, ...)`);
  if (prev.method !== next.method) throw refuse(`method ${prev.method} (not ${next.method})`);
  if (prev.data !== next.data) throw refuse(`data ${prev.data} (not ${next.data})`);
  const changed: ResumeChange['changed'] = {};
  const fixed: string[] = [];
  for (const key of new Set([...Object.keys(prev.options), ...Object.keys(next.options)])) {
    const from = prev.options[key], to = next.options[key];
    if (same(from, to)) continue;
    if (method.options[key]?.resumable) changed[key] = { from, to };
    else fixed.push(`--${key} ${JSON.stringify(from)} (not ${JSON.stringify(to)})`);
  }
  if (fixed.length) throw refuse(fixed.join(', '));
  for (const key of new Set([...Object.keys(prev.train), ...Object.keys(next.train)])) {
    if (!same(prev.train[key], next.train[key])) changed[key] = { from: prev.train[key], to: next.train[key] };
  }
  return changed;
}

export function resumableOptions(method: Method): string[] {
  return Object.entries(method.options).filter(([, o]) => o.resumable).map(([k]) => k);
}
