// Samplers over the fused steps. Each solver is a generator that yields after every step (progress) and returns
// the sample with its NFE (denoiser evaluations), so the same code runs synchronously (sample) or cooperatively
// with the event loop (sampleAsync). Every step runs under tidy and without gradients; the caller's initial state
// is never modified or disposed.
import { Tensor, TensorfieldError } from '../tensor';
import { tidy } from '../scope';
import { noGrad } from '../autograd';
import * as steps from './steps';
import type { DiscreteSchedule } from './schedules';

/** A denoiser in EDM form: an estimate of E[x0 | x] for x = x0 + sigma n. */
export type Denoiser = (x: Tensor, sigma: number) => Tensor;
/** A noise-prediction model for a discrete VP schedule: an estimate of E[n | x_t] at step index t. */
export type EpsModel = (x: Tensor, t: number) => Tensor;

export interface Progress {
  step: number;
  steps: number;
  nfe: number;
}
export interface SampleResult {
  x: Tensor;
  nfe: number;
}
export type Solver = Generator<Progress, SampleResult, void>;

export interface HeunOptions {
  /** EDM stochasticity: total churn S_churn, applied where S_tmin <= sigma <= S_tmax, noise scale S_noise. */
  sChurn?: number;
  sTmin?: number;
  sTmax?: number;
  sNoise?: number;
}

function checkSigmas(fn: string, sigmas: number[]): void {
  if (!Array.isArray(sigmas) || sigmas.length < 2) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: needs at least two noise levels (the last usually 0)`);
  }
  for (let i = 0; i < sigmas.length; i++) {
    const s = sigmas[i];
    if (!(s >= 0 && Number.isFinite(s)) || (i > 0 && !(s < sigmas[i - 1]))) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: noise levels must be finite, >= 0 and strictly decreasing (at ${i}: ${s})`);
    }
  }
}

/** Replaces the solver-owned state `prev` by `next` (kept out of the step's tidy). */
function advance(state: { x: Tensor; owned: boolean }, next: Tensor): void {
  if (state.owned) state.x.dispose();
  state.x = next;
  state.owned = true;
}

const denoise = (D: Denoiser, x: Tensor, s: number): Tensor => noGrad(() => D(x, s));

/** Euler on the EDM probability-flow ODE. NFE = number of steps. */
export function* eulerSolver(D: Denoiser, x0: Tensor, sigmas: number[]): Solver {
  checkSigmas('euler', sigmas);
  const st = { x: x0, owned: false };
  const n = sigmas.length - 1;
  for (let i = 0; i < n; i++) {
    advance(st, tidy(() => noGrad(() => steps.eulerStep(st.x, denoise(D, st.x, sigmas[i]), sigmas[i], sigmas[i + 1]))));
    yield { step: i + 1, steps: n, nfe: i + 1 };
  }
  return { x: st.x, nfe: n };
}

/** EDM Algorithm 2: Heun with optional churn; the last step to sigma = 0 is Euler. NFE = 2 n - 1 (for a final 0). */
export function* heunSolver(D: Denoiser, x0: Tensor, sigmas: number[], opts: HeunOptions = {}): Solver {
  checkSigmas('heun', sigmas);
  const { sChurn = 0, sTmin = 0, sTmax = Infinity, sNoise = 1 } = opts;
  const st = { x: x0, owned: false };
  const n = sigmas.length - 1;
  let nfe = 0;
  for (let i = 0; i < n; i++) {
    const s = sigmas[i], sn = sigmas[i + 1];
    const gamma = s >= sTmin && s <= sTmax ? Math.min(sChurn / n, Math.SQRT2 - 1) : 0;
    const sh = s * (1 + gamma);
    advance(st, tidy(() => noGrad(() => {
      const xh = gamma > 0 ? steps.edmChurn(st.x, s, sh, sNoise) : st.x;
      const dh = D(xh, sh);
      const xe = steps.eulerStep(xh, dh, sh, sn);
      nfe++;
      if (sn === 0) return xe;
      nfe++;
      return steps.heunStep(xh, dh, xe, D(xe, sn), sh, sn, { out: xe });
    })));
    yield { step: i + 1, steps: n, nfe };
  }
  return { x: st.x, nfe };
}

/** DPM-Solver++(2M) in EDM form (alpha = 1). NFE = number of steps. */
export function* dpmpp2mSolver(D: Denoiser, x0: Tensor, sigmas: number[]): Solver {
  checkSigmas('dpmpp2m', sigmas);
  const st = { x: x0, owned: false };
  const n = sigmas.length - 1;
  const mem: { prev: Tensor | null } = { prev: null };  // the previous step's denoised output
  let hPrev = 0;
  try {
    for (let i = 0; i < n; i++) {
      const s = sigmas[i], sn = sigmas[i + 1];
      const d = tidy(() => denoise(D, st.x, s));
      advance(st, tidy(() => noGrad(() => steps.dpmpp2mStep(st.x, d, mem.prev, 1, s, 1, sn, hPrev))));
      mem.prev?.dispose();
      mem.prev = d;
      if (sn > 0) hPrev = steps.logSnrStep(1, s, 1, sn);
      yield { step: i + 1, steps: n, nfe: i + 1 };
    }
  } finally {
    mem.prev?.dispose();
  }
  return { x: st.x, nfe: n };
}

/**
 * DDIM over a discrete VP schedule at the given decreasing step indices (e.g. 999, 949, ..., 0); eta = 0 is
 * deterministic. The last step goes to alphaBar = 1 (the clean sample). NFE = number of indices.
 */
export function* ddimSolver(eps: EpsModel, x0: Tensor, sched: DiscreteSchedule, timesteps: number[], eta = 0): Solver {
  const T = sched.alphaBars.length;
  timesteps.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= T || (i > 0 && !(t < timesteps[i - 1]))) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `ddim: timesteps must be strictly decreasing integers in [0, ${T}), got ${t} at ${i}`);
    }
  });
  const st = { x: x0, owned: false };
  const n = timesteps.length;
  for (let i = 0; i < n; i++) {
    const t = timesteps[i];
    const a = sched.alphaBars[t], ap = i + 1 < n ? sched.alphaBars[timesteps[i + 1]] : 1;
    advance(st, tidy(() => noGrad(() => steps.ddimStep(st.x, eps(st.x, t), a, ap, ap < 1 ? eta : 0))));
    yield { step: i + 1, steps: n, nfe: i + 1 };
  }
  return { x: st.x, nfe: n };
}

/** DDPM ancestral sampling through all T steps with the posterior variance (beta tilde); NFE = T. */
export function* ddpmSolver(eps: EpsModel, x0: Tensor, sched: DiscreteSchedule): Solver {
  const T = sched.alphaBars.length;
  const st = { x: x0, owned: false };
  for (let k = 0; k < T; k++) {
    const t = T - 1 - k;
    const abar = sched.alphaBars[t], abarPrev = t > 0 ? sched.alphaBars[t - 1] : 1;
    const sigma = t > 0 ? Math.sqrt(((1 - abarPrev) / (1 - abar)) * sched.betas[t]) : 0;
    advance(st, tidy(() => noGrad(() => steps.ddpmStep(st.x, eps(st.x, t), sched.alphas[t], abar, sigma))));
    yield { step: k + 1, steps: T, nfe: k + 1 };
  }
  return { x: st.x, nfe: T };
}

/** A general SDE dX = f(X, t) dt + g(t) dW integrated by Euler-Maruyama over the given times (either direction). */
export interface SDE {
  drift(x: Tensor, t: number): Tensor;
  diffusion(t: number): number | Tensor;
}
export function* eulerMaruyamaSolver(sde: SDE, x0: Tensor, times: number[]): Solver {
  if (times.length < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'eulerMaruyama: needs at least two times');
  const st = { x: x0, owned: false };
  const n = times.length - 1;
  for (let i = 0; i < n; i++) {
    const t = times[i], dt = times[i + 1] - t;
    advance(st, tidy(() => noGrad(() => steps.eulerMaruyamaStep(st.x, sde.drift(st.x, t), sde.diffusion(t), dt))));
    yield { step: i + 1, steps: n, nfe: i + 1 };
  }
  return { x: st.x, nfe: n };
}

/** Runs a solver to the end. */
export function run(solver: Solver): SampleResult {
  for (;;) {
    const r = solver.next();
    if (r.done) return r.value;
  }
}

/** Runs a solver, yielding to the event loop after every step and reporting progress. */
export async function runAsync(solver: Solver, onProgress?: (p: Progress) => void): Promise<SampleResult> {
  for (;;) {
    const r = solver.next();
    if (r.done) return r.value;
    onProgress?.(r.value);
    await new Promise((res) => setImmediate(res));
  }
}

export type SolverName = 'euler' | 'heun' | 'dpmpp2m';
export const SOLVER_NAMES: readonly SolverName[] = ['euler', 'heun', 'dpmpp2m'];

/** An EDM-form solver by name. */
export function solver(name: SolverName, D: Denoiser, x: Tensor, sigmas: number[], opts: HeunOptions = {}): Solver {
  switch (name) {
    case 'euler': return eulerSolver(D, x, sigmas);
    case 'heun': return heunSolver(D, x, sigmas, opts);
    case 'dpmpp2m': return dpmpp2mSolver(D, x, sigmas);
    default:
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown solver '${String(name)}' (valid: ${SOLVER_NAMES.join(', ')})`);
  }
}

/** Samples with a named EDM-form solver: `sample('heun', D, randn([n, d]).mul(80), edmSigmas(18))`. */
export function sample(name: SolverName, D: Denoiser, x: Tensor, sigmas: number[], opts: HeunOptions = {}): SampleResult {
  return run(solver(name, D, x, sigmas, opts));
}

export async function sampleAsync(name: SolverName, D: Denoiser, x: Tensor, sigmas: number[],
  opts: HeunOptions & { onProgress?: (p: Progress) => void } = {}): Promise<SampleResult> {
  return runAsync(solver(name, D, x, sigmas, opts), opts.onProgress);
}
