// Likelihood control for the SDE (the paper's KL bound; digest 3.5). For the forward SDE
// dX = (b^ + eps s^) dt + sqrt(2 eps) dW from rho0 with constant eps, Girsanov and data processing give
//   KL(rho1 || rho1^) <= (1/4eps) int_0^1 E_{rho_t} |(b^ - b) + eps (s^ - s)|² dt
//                     <= (1/2eps) int E|b^ - b|² + (eps/2) int E|s^ - s|²
//                      = (1/eps) (L_b[b^] - min L_b) + eps (L_s[s^] - min L_s),
// because each objective is quadratic with minimiser the exact field: L[f^] - L[f] = ½ int E|f^ - f|² dt.
// The expectations are over x_t ~ rho_t, the law of the interpolant itself, so they can be estimated from
// coupled pairs (x0, x1) and fresh z whenever the exact field is known (Gaussian mixtures, exact.ts).
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { rand, randnLike } from '../../random';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { coefColumns, floatDtype } from './coeffs';
import type { Field } from './objectives';
import type { Interpolant } from './schedules';

export interface ExcessEstimate {
  /** ½ int_0^1 E|f - g|² dt. */
  value: number;
  /** Standard error of value (as for independent draws; the stratified t makes it conservative). */
  stdErr: number;
  n: number;
}

/**
 * ½ int_0^1 E|f(t, x_t) - g(t, x_t)|² dt over x_t = alpha x0 + beta x1 + gamma z (one-sided: alpha x0 + beta x1,
 * x0 the base noise), one t per pair, stratified: t_i = (i + U_i) / n, shifted into [tMin, tMax]. With g the exact
 * field and f an estimate, this is L[f] - min L for the objective of that field (b, v, s or eta).
 */
export function fieldExcess(I: Interpolant, f: Field, g: Field, x0: Tensor, x1: Tensor,
  opts: { tMin?: number; tMax?: number } = {}): ExcessEstimate {
  const fn = 'fieldExcess';
  const dt = floatDtype(x0, fn);
  if (x0.ndim < 2 || x0.shape.join(',') !== x1.shape.join(',') || x1.dtype !== dt) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: x0 and x1 must be [n, ...] tensors of the same shape and dtype`);
  }
  const tMin = opts.tMin ?? 0, tMax = opts.tMax ?? 1;
  if (!(tMin >= 0 && tMax <= 1 && tMin < tMax)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need 0 <= tMin < tMax <= 1`);
  const n = x0.shape[0];
  const u = rand([n], { dtype: 'float64' }).dataSync() as Float64Array;
  const ts = Float64Array.from(u, (v, i) => tMin + ((tMax - tMin) * (i + v)) / n);
  const per = tidy(() => noGrad(() => {
    const C = coefColumns(I, ts, ['alpha', 'beta', 'gamma'], x0.ndim, dt);
    let xt = C.alpha.mul(x0).add(C.beta.mul(x1));
    if (!I.oneSided && !I.gammaSchedule.isZero) xt = xt.add(C.gamma.mul(randnLike(x0)));
    const tt = tensor(dt === 'float64' ? ts : Float32Array.from(ts), { shape: [n] });
    const d = f(xt, tt).sub(g(xt, tt));
    return d.mul(d).reshape(n, -1).sum(1).mul(0.5 * (tMax - tMin));
  }));
  const v = Float64Array.from(per.dataSync() as ArrayLike<number>);
  per.dispose();
  let m = 0;
  for (const a of v) m += a;
  m /= n;
  let ss = 0;
  for (const a of v) ss += (a - m) ** 2;
  return { value: m, stdErr: Math.sqrt(ss / Math.max(n - 1, 1) / n), n };
}

/** The bound (1/eps) excessB + eps excessS on KL(rho1 || rho1^) for the forward SDE with constant diffusion eps. */
export function likelihoodControlBound(excessB: number, excessS: number, eps: number): number {
  if (!(eps > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `likelihoodControlBound: eps must be > 0, got ${eps}`);
  if (!(excessB >= 0 && excessS >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'likelihoodControlBound: the excess losses must be >= 0');
  return excessB / eps + eps * excessS;
}
