// Blackout sampling: start from the empty image at the last observation time and run the birth process back to
// p = 1 through a chosen subset of the observation indices. Each step evaluates the rate network once and applies
// one fused native count step in place (lib/samplers/steps.ts):
//  - 'bridge' (default): n += Binomial(round(y), (p_s - p_t)/(1 - p_t)), exact when y is the true n_0 - n_t;
//  - 'tau': tau-leaping, n += Poisson(y (p_s - p_t)/(1 - p_t)), an approximation at any finite step;
//  - 'bridge-sr': the bridge with y rounded stochastically (floor(y) + Bernoulli(frac y)) instead of to nearest,
//    so the deficit handed to the binomial is unbiased for y; composed from ops, then the same fused step.
// The state stays float32 (the count steps' dtype) holding integers; the result is uint8 when nMax <= 255.
import { Tensor, TensorfieldError, zeros, full } from '../../tensor';
import { rand } from '../../random';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { binomialBridgeStep, tauLeapStep } from '../../samplers/steps';
import type { BlackoutSchedule } from './schedule';
import { modelInput } from './forward';
import { rateOf, type RateParam } from './loss';

export type BlackoutSampler = 'bridge' | 'tau' | 'bridge-sr';
export const BLACKOUT_SAMPLERS: readonly BlackoutSampler[] = ['bridge', 'tau', 'bridge-sr'];

/** The rate estimate y ~ E[n_0 - n_t | n_t] at observation index k, given the state n_t and p_k. */
export type RateFn = (nt: Tensor, k: number, p: number) => Tensor;

/** `steps` observation indices evenly spread over 0..T-1, both ends included, in increasing order. */
export function sampleIndices(T: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > T) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout sampling: steps must be an integer in [1, T = ${T}], got ${steps}`);
  }
  if (steps === 1) return [T - 1];
  const idx: number[] = [];
  for (let j = 0; j < steps; j++) idx.push(Math.round((j * (T - 1)) / (steps - 1)));
  return idx;
}

export interface BlackoutSampleOptions {
  sampler?: BlackoutSampler;
  /** Network evaluations (default T: every observation index). */
  steps?: number;
}

function stochasticRound(y: Tensor): Tensor {
  return tidy(() => {
    const c = y.clamp(0, Infinity), f = c.floor();
    return f.add(rand(c.shape, { dtype: c.dtype as 'float32' }).lt(c.sub(f)).to(c.dtype));
  });
}

/** n samples [n, ...itemShape] from the empty image; uint8 counts when nMax <= 255, else float32 (integer-valued). */
export function sampleBlackout(rate: RateFn, shape: number[], s: BlackoutSchedule, nMax: number, o: BlackoutSampleOptions = {}): Tensor {
  const sampler = o.sampler ?? 'bridge';
  if (!BLACKOUT_SAMPLERS.includes(sampler)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout: sampler must be one of ${BLACKOUT_SAMPLERS.join(', ')}, got '${String(sampler)}'`);
  if (!(Number.isInteger(nMax) && nMax >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout: nMax must be a positive integer, got ${nMax}`);
  const idx = sampleIndices(s.T, o.steps ?? s.T);
  const n = zeros(shape);
  noGrad(() => {
    for (let i = idx.length - 1; i >= 0; i--) {
      const k = idx[i], pT = s.p[k], pS = i > 0 ? s.p[idx[i - 1]] : 1;  // the last step lands on p = 1 (t = 0)
      tidy(() => {
        let y = rate(n, k, pT);
        if (y.shape.length !== n.shape.length || y.shape.some((d, j) => d !== n.shape[j])) {
          throw new TensorfieldError('TF_SHAPE_MISMATCH', `blackout sampling: the rate network returned [${y.shape}] for a state [${n.shape}]`);
        }
        if (sampler === 'bridge-sr') y = stochasticRound(y);
        if (sampler === 'tau') tauLeapStep(n, y, pT, pS, nMax, { out: n });
        else binomialBridgeStep(n, y, pT, pS, nMax, { out: n });
      });
    }
  });
  if (nMax > 255) return n;
  const u = n.to('uint8');
  n.dispose();
  return u;
}

/** A RateFn from a network raw(input, k) and its rate link (loss.ts), for sampleBlackout. */
export function networkRate(net: (x: Tensor, k: Tensor) => Tensor, nMax: number, param: RateParam = 'paper'): RateFn {
  return (nt, k, p) => tidy(() => {
    const B = nt.shape[0], ps = new Array(B).fill(p);
    return rateOf(net(modelInput(nt, ps, nMax), full([B], k)), ps, param);
  });
}
