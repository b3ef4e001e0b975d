// Sampling: 1- and 2-step consistency sampling, and the teacher's TrigFlow ODE sampler (trig-DDIM) at any NFE.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { randn } from '../../random';
import { noGrad } from '../../autograd';
import { trigflowStep } from '../../samplers/steps';
import { TrigFlowNet, checkSigmaD, checkTime } from './trigflow';
import { integrateOde } from './exact';

/** t_max = arctan(sigmaMax / sigmaD): EDM's sigma_max = 80 gives 1.56455 for sigmaD = 0.5. */
export function tMaxOf(sigmaMax: number, sigmaD: number): number {
  checkSigmaD(sigmaD, 'tMaxOf');
  if (!(sigmaMax > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `tMaxOf: sigmaMax must be > 0, got ${sigmaMax}`);
  return Math.atan(sigmaMax / sigmaD);
}

export interface ConsistencySampleOptions {
  sigmaD: number;
  /** Times visited, decreasing, all in (0, pi/2]; default [t_max(80), 1.1] for 2 steps, [t_max(80)] for 1. */
  times?: number[];
  /** Number of steps when `times` is omitted: 1 or 2. */
  steps?: 1 | 2;
}

/**
 * Multistep consistency sampling: x̂0 = f(x, t_0), then re-noise to t_1 with fresh noise and map again, ...
 * Each step is the fused trigflowStep (jump to 0, then re-noise to the next time, or stop at 0).
 * `z` [n, ...] is the initial noise, already scaled by sigmaD (x_{t_max} ≈ z).
 */
export function consistencySample(F: TrigFlowNet, z: Tensor, opts: ConsistencySampleOptions): Tensor {
  const fn = 'consistencySample';
  const sd = opts.sigmaD;
  checkSigmaD(sd, fn);
  const times = opts.times ?? (opts.steps === 1 ? [tMaxOf(80, sd)] : [tMaxOf(80, sd), 1.1]);
  if (!Array.isArray(times) || times.length < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: times must be a non-empty array`);
  times.forEach((t, i) => {
    checkTime(t, fn, `times[${i}]`);
    if (!(t > 0) || (i > 0 && !(t < times[i - 1]))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: times must be positive and strictly decreasing`);
  });
  return noGrad(() => {
    const n = z.shape[0];
    let x = z;
    for (let i = 0; i < times.length; i++) {
      const tt = tensor(new Float64Array(n).fill(times[i]), { shape: [n] }).to(z.dtype);
      x = trigflowStep(x, F(x.div(sd), tt), times[i], i + 1 < times.length ? times[i + 1] : 0, sd);
    }
    return x;
  });
}

/** Teacher sampling: the TrigFlow PF-ODE from tMax to 0 with `nfe` trig-DDIM steps (uniform in t). */
export function trigflowOdeSample(F: TrigFlowNet, z: Tensor, opts: { sigmaD: number; nfe: number; tMax?: number }): Tensor {
  const tMax = opts.tMax ?? tMaxOf(80, opts.sigmaD);
  return noGrad(() => integrateOde(F, z, tMax, 0, opts.sigmaD, opts.nfe));
}

/** Initial noise z ~ N(0, sigmaD² I) of the given shape. */
export function priorNoise(shape: number[], sigmaD: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  checkSigmaD(sigmaD, 'priorNoise');
  return randn(shape, { dtype }).mul(sigmaD);
}
