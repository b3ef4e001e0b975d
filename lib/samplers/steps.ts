// Fused denoising steps (native/fused): one native call per solver step, the whole update in one pass over
// memory. Each equals the same update composed from ordinary ops (test/fused-steps.test.ts checks that, noise
// included: the noise is what randn(x.shape) would draw from the same generator state). Steps record no
// gradient: call them under noGrad() or on tensors that do not require grad. `out` may be x itself (in place).
import { native } from '../native';
import { Tensor, TensorfieldError, handle } from '../tensor';

export interface StepOptions {
  /** Destination (contiguous, x's shape and dtype); x itself updates in place. Default: a new tensor. */
  out?: Tensor;
}

function call(step: string, tensors: (Tensor | null | undefined)[], numbers: number[], opts?: StepOptions): Tensor {
  for (const [i, n] of numbers.entries()) {
    if (typeof n !== 'number') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${step}Step: schedule value ${i} is not a number`);
  }
  const hs = tensors.map((t) => (t === null || t === undefined ? null : handle(t)));
  const out = opts?.out;
  const r = native.fusedStep(step, hs, numbers, out ? handle(out) : null);
  return out ?? new Tensor(r);
}

/** EDM Euler step in the denoiser parameterisation: x + (sigmaNext - sigma) (x - D) / sigma. */
export function eulerStep(x: Tensor, denoised: Tensor, sigma: number, sigmaNext: number, opts?: StepOptions): Tensor {
  return call('euler', [x, denoised], [sigma, sigmaNext], opts);
}

/**
 * Heun's second-order correction (EDM Algorithm 1/2): from the Euler proposal xEuler at sigmaNext,
 * x_hat + (sigmaNext - sigmaHat) (d(x_hat) + d(xEuler)) / 2 with d(x) = (x - D(x)) / sigma.
 */
export function heunStep(xHat: Tensor, denoisedHat: Tensor, xEuler: Tensor, denoisedNext: Tensor, sigmaHat: number,
  sigmaNext: number, opts?: StepOptions): Tensor {
  return call('heun', [xHat, denoisedHat, xEuler, denoisedNext], [sigmaHat, sigmaNext], opts);
}

/** EDM churn: lifts x from sigma to sigmaHat >= sigma with fresh noise sqrt(sigmaHat² - sigma²) · sNoise · z. */
export function edmChurn(x: Tensor, sigma: number, sigmaHat: number, sNoise = 1, opts?: StepOptions): Tensor {
  return call('edmChurn', [x], [sigma, sigmaHat, sNoise], opts);
}

/** DDIM from the noise prediction eps; eta = 0 deterministic, eta = 1 the DDPM posterior variance. */
export function ddimStep(x: Tensor, eps: Tensor, alphaBar: number, alphaBarPrev: number, eta = 0, opts?: StepOptions): Tensor {
  return call('ddim', [x, eps], [alphaBar, alphaBarPrev, eta], opts);
}

/** DDPM ancestral step: (x - (1 - alpha) / sqrt(1 - alphaBar) eps) / sqrt(alpha) + sigma z. */
export function ddpmStep(x: Tensor, eps: Tensor, alpha: number, alphaBar: number, sigma: number, opts?: StepOptions): Tensor {
  return call('ddpm', [x, eps], [alpha, alphaBar, sigma], opts);
}

/**
 * Euler-Maruyama for dX = f dt + g dW: x + f dt + g sqrt(|dt|) z. `g` is a number or a tensor broadcasting to
 * x's shape (per-sample or per-element diffusion); a negative dt integrates backwards in time.
 */
export function eulerMaruyamaStep(x: Tensor, drift: Tensor, g: number | Tensor, dt: number, opts?: StepOptions): Tensor {
  return typeof g === 'number'
    ? call('eulerMaruyama', [x, drift, null], [g, dt], opts)
    : call('eulerMaruyama', [x, drift, g], [1, dt], opts);
}

/**
 * Stochastic-interpolant SDE step: x + (b + direction·eps·s) dt + sqrt(2 eps |dt|) z. direction +1 is the
 * forward SDE (b_F = b + eps s), -1 the backward one (b_B = b - eps s, with dt < 0). eps = 0 is the ODE step.
 */
export function interpolantSdeStep(x: Tensor, b: Tensor, s: Tensor | null, eps: number, dt: number, direction: 1 | -1 = 1,
  opts?: StepOptions): Tensor {
  return call('interpolantSde', [x, b, s], [eps, dt, direction], opts);
}

/**
 * TrigFlow consistency step: x0 = cos t·x - sin t·sigmaD·F, then for tNext > 0 re-noised to
 * cos tNext·x0 + sin tNext·sigmaD·z (multistep consistency sampling). tNext = 0 returns x0.
 */
export function trigflowStep(x: Tensor, F: Tensor, t: number, tNext: number, sigmaD: number, opts?: StepOptions): Tensor {
  return call('trigflow', [x, F], [t, tNext, sigmaD], opts);
}

/** TrigFlow DDIM step for the PF-ODE: cos(t - s)·x - sin(t - s)·sigmaD·F. */
export function trigflowDdimStep(x: Tensor, F: Tensor, t: number, s: number, sigmaD: number, opts?: StepOptions): Tensor {
  return call('trigflowDdim', [x, F], [t, s, sigmaD], opts);
}

/**
 * DPM-Solver++(2M) for x_t = alpha x0 + sigma n in the data prediction. Pass the previous step's denoised
 * output and its log-SNR step hPrev for the second-order update (null on the first step); sigmaNext = 0
 * lands on alphaNext · denoised.
 */
export function dpmpp2mStep(x: Tensor, denoised: Tensor, denoisedPrev: Tensor | null, alpha: number, sigma: number,
  alphaNext: number, sigmaNext: number, hPrev = 0, opts?: StepOptions): Tensor {
  return call('dpmpp2m', [x, denoised, denoisedPrev], [alpha, sigma, alphaNext, sigmaNext, hPrev], opts);
}

/** The log-SNR increment log(alphaNext/sigmaNext) - log(alpha/sigma) of a DPM-Solver step (hPrev of the next). */
export function logSnrStep(alpha: number, sigma: number, alphaNext: number, sigmaNext: number): number {
  return Math.log(alphaNext / sigmaNext) - Math.log(alpha / sigma);
}

/**
 * Blackout binomial bridge, one reverse step from survival probability pT to pS >= pT: each count gains
 * Binomial(clip(round(y), 0, nMax - n), (pS - pT) / (1 - pT)) with y the network's estimate of n0 - n
 * (round half up). Exact when y is the true n0 - n.
 */
export function binomialBridgeStep(n: Tensor, y: Tensor, pT: number, pS: number, nMax: number, opts?: StepOptions): Tensor {
  return call('binomialBridge', [n, y], [pT, pS, nMax], opts);
}

/** Blackout tau-leaping: n + Poisson(max(y, 0) (pS - pT) / (1 - pT)), clipped to [0, nMax]. */
export function tauLeapStep(n: Tensor, y: Tensor, pT: number, pS: number, nMax: number, opts?: StepOptions): Tensor {
  return call('tauLeap', [n, y], [pT, pS, nMax], opts);
}
