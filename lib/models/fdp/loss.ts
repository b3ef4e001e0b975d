// FDP's loss in Fourier space: sum over modes (full spectrum, so rfft bins count with their multiplicity) of
// w(omega, t) |X0hat(omega) - X0(omega)|^2, averaged over the batch, divided by the channels (the code's
// reduce_mean False). The code's weight is time-independent, w = PSM^2 = b / r; the exact Girsanov ELBO weight for an
// x0-parameterisation is 2 beta(t) b^2 k_t^2 / (r (1 - k_t^2)^2) [digest B section 1.3], kept as an option.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import type { HeatSDE } from './sde';

export const FDP_WEIGHTINGS = ['code', 'elbo'] as const;
export type FdpWeighting = typeof FDP_WEIGHTINGS[number];

/**
 * Per-sample weighted spectral squared error of a against b ([B, C, ...grid]), [B]. times: null for the code's
 * weight b / r; per-sample times for the ELBO weight.
 */
export function spectralSquaredError(a: Tensor, b: Tensor, sde: HeatSDE, times: ArrayLike<number> | null): Tensor {
  if (String(a.shape) !== String(b.shape)) throw new TensorfieldError('TF_SHAPE_MISMATCH', `fdp loss: prediction [${a.shape}] and target [${b.shape}] differ`);
  const tb = sde.tables(a.dtype);
  let w = tb.b.div(tb.r).mul(tb.mult);
  if (times) {
    const k2 = sde.kt(sde.integralTensor(times, a.dtype)).square();
    const beta = tensor(Float64Array.from(times, (t) => sde.beta(t)), { shape: k2.shape.map((s, i) => (i === 0 ? times.length : 1)), dtype: 'float64' }).to(a.dtype);
    w = tb.b.square().div(tb.r).mul(tb.mult).mul(k2).mul(beta.mul(2)).div(k2.neg().add(1).square());
  }
  const d = sde.spec(a).sub(sde.spec(b)).square().mul(w);
  return d.reshape([a.shape[0], -1]).sum(1).div(a.shape[1]);
}

/** The training loss: batch mean of spectralSquaredError (weighting 'code' ignores the times). */
export function fdpLoss(x0hat: Tensor, x0: Tensor, sde: HeatSDE, weighting: FdpWeighting, times: ArrayLike<number>): Tensor {
  if (!FDP_WEIGHTINGS.includes(weighting)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `fdp loss: weighting must be one of ${FDP_WEIGHTINGS.join(', ')}, got '${weighting}'`);
  return spectralSquaredError(x0hat, x0, sde, weighting === 'elbo' ? times : null).mean();
}
