// Noise schedules x_t = alpha(t) x0 + sigma(t) n as one interface, and their EDM view: every schedule is the
// EDM process x/alpha = x0 + s n at noise level s = sigma/alpha (Karras et al. 2022, §4), so one set of
// solvers (solvers.ts, in EDM form) samples them all.
import { TensorfieldError } from '../tensor';

export interface Schedule {
  readonly name: string;
  /** The time interval the schedule is defined on (noise grows with t). */
  readonly tMin: number;
  readonly tMax: number;
  alpha(t: number): number;
  sigma(t: number): number;
  /** s = sigma / alpha, the EDM noise level. */
  edmSigma(t: number): number;
  /** The inverse of edmSigma. */
  timeOfEdmSigma(s: number): number;
  /** log(alpha² / sigma²). */
  logSnr(t: number): number;
}

function check(name: string, ok: boolean, what: string): void {
  if (!ok) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${name} schedule: ${what}`);
}

abstract class Base implements Schedule {
  abstract readonly name: string;
  abstract readonly tMin: number;
  abstract readonly tMax: number;
  abstract alpha(t: number): number;
  abstract sigma(t: number): number;
  abstract timeOfEdmSigma(s: number): number;
  edmSigma(t: number): number { return this.sigma(t) / this.alpha(t); }
  logSnr(t: number): number { return 2 * (Math.log(this.alpha(t)) - Math.log(this.sigma(t))); }
}

/** Variance-preserving with linear beta(t) = betaMin + t (betaMax - betaMin) on [0, 1] (Song et al. 2021). */
export class VPSchedule extends Base {
  readonly name = 'vp';
  readonly tMin = 0;
  readonly tMax = 1;
  constructor(readonly betaMin = 0.1, readonly betaMax = 20) {
    super();
    check('vp', betaMin > 0 && betaMax > betaMin, 'needs 0 < betaMin < betaMax');
  }
  // log alpha = -(1/2) ∫0^t beta = -(t² (betaMax - betaMin) / 4 + t betaMin / 2)
  private logAlpha(t: number): number { return -(0.25 * t * t * (this.betaMax - this.betaMin) + 0.5 * t * this.betaMin); }
  alpha(t: number): number { return Math.exp(this.logAlpha(t)); }
  sigma(t: number): number { return Math.sqrt(-Math.expm1(2 * this.logAlpha(t))); }
  edmSigma(t: number): number { return Math.sqrt(Math.expm1(-2 * this.logAlpha(t))); }
  timeOfEdmSigma(s: number): number {
    // alpha² = 1 / (1 + s²): solve t² (bM - bm)/4 + t bm/2 - log(1 + s²)/2 = 0 for t >= 0
    const a = 0.25 * (this.betaMax - this.betaMin), b = 0.5 * this.betaMin, c = -0.5 * Math.log1p(s * s);
    return (2 * -c) / (b + Math.sqrt(b * b - 4 * a * c));  // the stable root
  }
}

/** Variance-exploding: alpha = 1, sigma = sigmaMin (sigmaMax / sigmaMin)^t on [0, 1]. */
export class VESchedule extends Base {
  readonly name = 've';
  readonly tMin = 0;
  readonly tMax = 1;
  constructor(readonly sigmaMin = 0.02, readonly sigmaMax = 100) {
    super();
    check('ve', sigmaMin > 0 && sigmaMax > sigmaMin, 'needs 0 < sigmaMin < sigmaMax');
  }
  alpha(): number { return 1; }
  sigma(t: number): number { return this.sigmaMin * Math.pow(this.sigmaMax / this.sigmaMin, t); }
  timeOfEdmSigma(s: number): number { return Math.log(s / this.sigmaMin) / Math.log(this.sigmaMax / this.sigmaMin); }
}

/** EDM: alpha = 1, sigma = t (time is the noise level). */
export class EDMSchedule extends Base {
  readonly name = 'edm';
  readonly tMin = 0;
  readonly tMax = Infinity;
  alpha(): number { return 1; }
  sigma(t: number): number { return t; }
  timeOfEdmSigma(s: number): number { return s; }
}

/** TrigFlow (Lu & Song 2024): x_t = cos t x0 + sin t z with z ~ N(0, sigmaData²), t in [0, pi/2]; s = sigmaData tan t. */
export class TrigFlowSchedule extends Base {
  readonly name = 'trigflow';
  readonly tMin = 0;
  readonly tMax = Math.PI / 2;
  constructor(readonly sigmaData = 0.5) {
    super();
    check('trigflow', sigmaData > 0, 'needs sigmaData > 0');
  }
  alpha(t: number): number { return Math.cos(t); }
  sigma(t: number): number { return this.sigmaData * Math.sin(t); }
  edmSigma(t: number): number { return this.sigmaData * Math.tan(t); }
  timeOfEdmSigma(s: number): number { return Math.atan(s / this.sigmaData); }
}

/**
 * Cosine schedule in log-SNR form (Nichol & Dhariwal 2021; Kingma et al. 2023), variance preserving:
 * logSNR(t) = -2 log tan(a t + b), clipped to [logSnrMin, logSnrMax] at t = 1 and t = 0.
 */
export class CosineLogSnrSchedule extends Base {
  readonly name = 'cosine';
  readonly tMin = 0;
  readonly tMax = 1;
  private readonly a: number;
  private readonly b: number;
  constructor(readonly logSnrMin = -15, readonly logSnrMax = 15) {
    super();
    check('cosine', logSnrMin < logSnrMax, 'needs logSnrMin < logSnrMax');
    this.b = Math.atan(Math.exp(-0.5 * logSnrMax));
    this.a = Math.atan(Math.exp(-0.5 * logSnrMin)) - this.b;
  }
  logSnr(t: number): number { return -2 * Math.log(Math.tan(this.a * t + this.b)); }
  alpha(t: number): number { return Math.sqrt(1 / (1 + Math.exp(-this.logSnr(t)))); }
  sigma(t: number): number { return Math.sqrt(1 / (1 + Math.exp(this.logSnr(t)))); }
  edmSigma(t: number): number { return Math.tan(this.a * t + this.b); }
  timeOfEdmSigma(s: number): number { return (Math.atan(s) - this.b) / this.a; }
}

/** Rectified-flow / linear interpolation: alpha = 1 - t, sigma = t on [0, 1]. */
export class FlowSchedule extends Base {
  readonly name = 'flow';
  readonly tMin = 0;
  readonly tMax = 1;
  alpha(t: number): number { return 1 - t; }
  sigma(t: number): number { return t; }
  timeOfEdmSigma(s: number): number { return s / (1 + s); }
}

export type ScheduleName = 'vp' | 've' | 'edm' | 'trigflow' | 'cosine' | 'flow';
export const SCHEDULES: readonly ScheduleName[] = ['vp', 've', 'edm', 'trigflow', 'cosine', 'flow'];

/** A schedule by name with its default constants (options override them). */
export function schedule(name: ScheduleName, opts: { sigmaData?: number; sigmaMin?: number; sigmaMax?: number;
  betaMin?: number; betaMax?: number; logSnrMin?: number; logSnrMax?: number } = {}): Schedule {
  switch (name) {
    case 'vp': return new VPSchedule(opts.betaMin, opts.betaMax);
    case 've': return new VESchedule(opts.sigmaMin, opts.sigmaMax);
    case 'edm': return new EDMSchedule();
    case 'trigflow': return new TrigFlowSchedule(opts.sigmaData);
    case 'cosine': return new CosineLogSnrSchedule(opts.logSnrMin, opts.logSnrMax);
    case 'flow': return new FlowSchedule();
    default:
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown schedule '${String(name)}' (valid: ${SCHEDULES.join(', ')})`);
  }
}

/** The discrete DDPM schedule (Ho et al. 2020): betas, alphas = 1 - betas and their running products. */
export interface DiscreteSchedule {
  betas: Float64Array;
  alphas: Float64Array;
  alphaBars: Float64Array;
}

/** 'linear' (1e-4 to 0.02 over 1000 steps, rescaled for other T) or 'cosine' (Nichol & Dhariwal, s = 0.008). */
export function ddpmSchedule(T = 1000, kind: 'linear' | 'cosine' = 'linear'): DiscreteSchedule {
  if (!Number.isInteger(T) || T < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `ddpmSchedule: T must be a positive integer, got ${T}`);
  const betas = new Float64Array(T);
  if (kind === 'linear') {
    const scale = 1000 / T;
    for (let i = 0; i < T; i++) betas[i] = scale * 1e-4 + (T === 1 ? 0 : (i / (T - 1)) * scale * (0.02 - 1e-4));
  } else if (kind === 'cosine') {
    const f = (t: number) => Math.cos(((t / T + 0.008) / 1.008) * Math.PI / 2) ** 2;
    for (let i = 0; i < T; i++) betas[i] = Math.min(1 - f(i + 1) / f(i), 0.999);
  } else {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `ddpmSchedule: kind must be 'linear' or 'cosine', got '${String(kind)}'`);
  }
  const alphas = betas.map((b) => 1 - b);
  const alphaBars = new Float64Array(T);
  let p = 1;
  for (let i = 0; i < T; i++) alphaBars[i] = p *= alphas[i];
  return { betas, alphas, alphaBars };
}
