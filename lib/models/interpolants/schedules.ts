// Interpolant schedules x_t = alpha(t) x0 + beta(t) x1 + gamma(t) z as pluggable objects. The latent-noise
// factor gamma enters the fields only through gamma, gamma' and the product gamma*gamma' (b = v - gamma gamma' s,
// d/dt of the variance); for gamma = sqrt(a t(1-t)) the derivative is infinite at t in {0, 1} while the
// product a(1-2t)/2 is not, so each gamma supplies the product in closed form rather than as gamma * gamma'.
import { TensorfieldError } from '../../tensor';

/** Latent-noise factor gamma(t): gamma(0) = gamma(1) = 0, gamma > 0 on (0, 1) (or identically zero). */
export interface GammaSchedule {
  readonly name: string;
  /** True for gamma = 0 (deterministic / one-sided interpolants). */
  readonly isZero: boolean;
  gamma(t: number): number;
  /** gamma'(t); may be infinite at t in {0, 1} (brownian). */
  dGamma(t: number): number;
  /** gamma(t) gamma'(t), finite on [0, 1]. */
  gammaDotGamma(t: number): number;
}

/** Coefficients of an interpolant at one time. */
export interface Coefficients {
  alpha: number; beta: number; gamma: number;
  dAlpha: number; dBeta: number; dGamma: number;
  /** gamma * gamma', finite at the ends. */
  gg: number;
}

export interface Interpolant {
  readonly name: string;
  readonly gammaSchedule: GammaSchedule;
  /**
   * One-sided: rho0 must be N(0, I) and gamma = 0, so alpha(t) x0 plays the role of the latent noise (the score
   * objective then uses x0 / alpha instead of z / gamma).
   */
  readonly oneSided: boolean;
  /** Mirror: rho0 = rho1 and x_t = x1 + gamma z (alpha = 0, beta = 1). */
  readonly mirror: boolean;
  coefficients(t: number): Coefficients;
}

const PI = Math.PI;

function checkT(t: number, fn: string): void {
  if (!(t >= 0 && t <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: t must be in [0, 1], got ${t}`);
}

export type GammaName = 'zero' | 'brownian' | 'a-brownian' | 'bsquared' | 'sinesquared' | 'sigmoid';
export const GAMMA_NAMES: readonly GammaName[] = ['zero', 'brownian', 'a-brownian', 'bsquared', 'sinesquared', 'sigmoid'];

/** Steepness of the 'sigmoid' gamma (the official code's fixed value). */
export const SIGMOID_GAMMA_STEEPNESS = 10;

const logistic = (u: number): number => 1 / (1 + Math.exp(-u));

/**
 * The official code's 'sigmoid' gamma with a scale: with u = f (t - 1/2), f = 10,
 *   gamma(t) = a [ sigma(u + 1) - sigma(u - 1) - (sigma(1 - f/2) - sigma(-1 - f/2)) ],
 * a bump of width ~2/f around t = 1/2 that is flat near the ends. sigma(u + 1) - sigma(u - 1) is even in u, so
 * it is evaluated at |u|: gamma(0) and gamma(1) are then the same rounding of the same numbers, exactly 0.
 * gamma'(t) = a f [ sigma'(u + 1) - sigma'(u - 1) ] with sigma' = sigma (1 - sigma).
 */
function sigmoidGamma(a: number): GammaSchedule {
  const f = SIGMOID_GAMMA_STEEPNESS;
  const bump = (w: number) => logistic(w + 1) - logistic(w - 1);
  const floor = bump(f / 2);
  const d = (w: number) => { const p = logistic(w); return p * (1 - p); };
  const gamma = (t: number) => a * Math.max(bump(Math.abs(f * (t - 0.5))) - floor, 0);
  const dGamma = (t: number) => { const u = f * (t - 0.5); return a * f * (d(u + 1) - d(u - 1)); };
  return { name: 'sigmoid', isZero: false, gamma, dGamma, gammaDotGamma: (t) => gamma(t) * dGamma(t) };
}

/**
 * gamma by name. 'brownian' sqrt(t(1-t)) (a = 1), 'a-brownian' sqrt(a t(1-t)), 'bsquared' a t(1-t),
 * 'sinesquared' a sin²(pi t), 'sigmoid' a times the official code's difference of logistics (sigmoidGamma
 * above; gamma(1/2) = 0.4466 a); `a` scales all but 'zero' and 'brownian' (default 1).
 */
export function gammaSchedule(name: GammaName, a = 1): GammaSchedule {
  if (!(a > 0 && Number.isFinite(a))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `gammaSchedule: a must be finite and > 0, got ${a}`);
  switch (name) {
    case 'zero':
      return { name, isZero: true, gamma: () => 0, dGamma: () => 0, gammaDotGamma: () => 0 };
    case 'brownian':
    case 'a-brownian': {
      const c = name === 'brownian' ? 1 : a;
      return {
        name, isZero: false,
        gamma: (t) => Math.sqrt(c * t * (1 - t)),
        // d/dt sqrt(c t(1-t)) = c(1-2t) / (2 sqrt(c t(1-t))): +inf at 0, -inf at 1.
        dGamma: (t) => { const g = Math.sqrt(c * t * (1 - t)); return g > 0 ? (c * (1 - 2 * t)) / (2 * g) : (t < 0.5 ? Infinity : -Infinity); },
        gammaDotGamma: (t) => (c * (1 - 2 * t)) / 2,
      };
    }
    case 'bsquared':
      return {
        name, isZero: false,
        gamma: (t) => a * t * (1 - t),
        dGamma: (t) => a * (1 - 2 * t),
        gammaDotGamma: (t) => a * a * t * (1 - t) * (1 - 2 * t),
      };
    case 'sinesquared':
      return {
        name, isZero: false,
        gamma: (t) => a * Math.sin(PI * t) ** 2,
        dGamma: (t) => a * PI * Math.sin(2 * PI * t),
        gammaDotGamma: (t) => a * a * PI * Math.sin(PI * t) ** 2 * Math.sin(2 * PI * t),
      };
    case 'sigmoid':
      return sigmoidGamma(a);
    default:
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown gamma '${String(name)}' (valid: ${GAMMA_NAMES.join(', ')})`);
  }
}

export type PathName = 'linear' | 'trig' | 'encoder-decoder' | 'one-sided-linear' | 'one-sided-trig' | 'mirror';
export const PATH_NAMES: readonly PathName[] = ['linear', 'trig', 'encoder-decoder', 'one-sided-linear', 'one-sided-trig', 'mirror'];

export interface InterpolantOptions {
  path: PathName;
  /** gamma by name or as an object; default 'zero' for the one-sided paths, 'brownian' otherwise. */
  gamma?: GammaName | GammaSchedule;
  /** Scale a of the named gamma. */
  gammaScale?: number;
}

/**
 * An interpolant by path name.
 * - linear: alpha = 1 - t, beta = t.
 * - trig: alpha = sqrt(1 - gamma²) cos(pi t/2), beta = sqrt(1 - gamma²) sin(pi t/2) (needs gamma < 1; the
 *   sqrt(1 - gamma²) factor keeps alpha² + beta² + gamma² = 1, a variance-preserving path).
 * - encoder-decoder: alpha = cos²(pi t) on [0, 1/2], beta = cos²(pi t) on (1/2, 1]: x_t passes through pure
 *   noise gamma(1/2) z at t = 1/2, so gamma must not vanish there.
 * - one-sided-linear / one-sided-trig: rho0 = N(0, I), gamma = 0; alpha = 1 - t, beta = t / alpha = cos(pi t/2),
 *   beta = sin(pi t/2).
 * - mirror: alpha = 0, beta = 1 (rho0 = rho1), x_t = x1 + gamma z.
 */
export function interpolant(opts: InterpolantOptions): Interpolant {
  const path = opts?.path;
  if (!PATH_NAMES.includes(path)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `interpolant: unknown path '${String(path)}' (valid: ${PATH_NAMES.join(', ')})`);
  }
  const oneSided = path === 'one-sided-linear' || path === 'one-sided-trig';
  const gIn = opts.gamma ?? (oneSided ? 'zero' : 'brownian');
  const G = typeof gIn === 'string' ? gammaSchedule(gIn, opts.gammaScale ?? 1) : gIn;
  if (oneSided && !G.isZero) throw new TensorfieldError('TF_INVALID_ARGUMENT', `interpolant: ${path} needs gamma 'zero' (the base noise is x0)`);
  if ((path === 'mirror' || path === 'encoder-decoder') && G.isZero) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `interpolant: ${path} needs a nonzero gamma`);
  }
  if (path === 'trig' && !(G.gamma(0.5) < 1)) {
    // gamma of the named families peaks at t = 1/2; the trig path needs gamma < 1 everywhere.
    throw new TensorfieldError('TF_INVALID_ARGUMENT', 'interpolant: the trig path needs gamma(t) < 1');
  }
  const h = PI / 2;
  const ab = (t: number): [number, number, number, number] => {
    switch (path) {
      case 'linear': case 'one-sided-linear': return [1 - t, t, -1, 1];
      case 'one-sided-trig': return [Math.cos(h * t), Math.sin(h * t), -h * Math.sin(h * t), h * Math.cos(h * t)];
      case 'trig': {
        const g = G.gamma(t), r = Math.sqrt(1 - g * g);
        // d/dt sqrt(1 - gamma²) = -gamma gamma' / sqrt(1 - gamma²), via the finite product.
        const dr = -G.gammaDotGamma(t) / r;
        const c = Math.cos(h * t), s = Math.sin(h * t);
        return [r * c, r * s, dr * c - r * h * s, dr * s + r * h * c];
      }
      case 'encoder-decoder': {
        const c2 = Math.cos(PI * t) ** 2, d = -PI * Math.sin(2 * PI * t);
        return t <= 0.5 ? [c2, 0, d, 0] : [0, c2, 0, d];
      }
      case 'mirror': return [0, 1, 0, 0];
      default: throw new Error('unreachable');
    }
  };
  return {
    name: `${path}/${G.name}`,
    gammaSchedule: G,
    oneSided,
    mirror: path === 'mirror',
    coefficients(t: number): Coefficients {
      checkT(t, 'interpolant.coefficients');
      const [alpha, beta, dAlpha, dBeta] = ab(t);
      return { alpha, beta, gamma: G.gamma(t), dAlpha, dBeta, dGamma: G.dGamma(t), gg: G.gammaDotGamma(t) };
    },
  };
}
