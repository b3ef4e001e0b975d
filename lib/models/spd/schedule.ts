// The two noise schedules of stochastic process diffusion (digest B §4.2-4.3).
// DSPD: N discrete steps with beta linear from 1e-4 to 20/N (N = 100 gives 0.2, the code's BetaLinear), alphaBar_k
// the running product of (1 - beta). CSPD: the VP-SDE's beta(s) = 0.1 + (20 - 0.1) s on s in [0, 1], integrated in
// closed form, so x_s = e^(-B/2) x_0 + sqrt(1 - e^(-B)) L eps.
import { TensorfieldError } from '../../tensor';

export interface DspdSchedule {
  N: number;
  /** beta_k for steps k = 1..N, stored at index k - 1 */
  beta: Float64Array;
  /** alphaBar_k = prod_{j <= k} (1 - beta_j), index k - 1 */
  alphaBar: Float64Array;
}

export function dspdSchedule(N = 100, betaStart = 1e-4, betaEnd = 20 / N): DspdSchedule {
  if (!(Number.isInteger(N) && N >= 2)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dspdSchedule: N must be an integer >= 2, got ${N}`);
  if (!(betaStart > 0 && betaEnd >= betaStart && betaEnd < 1)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `dspdSchedule: need 0 < betaStart <= betaEnd < 1, got ${betaStart}, ${betaEnd}`);
  }
  const beta = new Float64Array(N), alphaBar = new Float64Array(N);
  let a = 1;
  for (let k = 0; k < N; k++) {
    beta[k] = betaStart + (betaEnd - betaStart) * k / (N - 1);
    a *= 1 - beta[k];
    alphaBar[k] = a;
  }
  return { N, beta, alphaBar };
}

/** The CSPD VP-SDE: beta(s) = b0 + (b1 - b0) s, B(s) its integral from 0. */
export interface CspdSchedule { b0: number; b1: number }
export const CSPD_SCHEDULE: CspdSchedule = { b0: 0.1, b1: 20 };
/** the code clamps the std at sqrt(1e-5) so the score's 1/std stays finite near s = 0 */
export const CSPD_MIN_VAR = 1e-5;

export function cspdBeta(s: number, c: CspdSchedule = CSPD_SCHEDULE): number { return c.b0 + (c.b1 - c.b0) * s; }
export function cspdIntegral(s: number, c: CspdSchedule = CSPD_SCHEDULE): number { return c.b0 * s + 0.5 * (c.b1 - c.b0) * s * s; }
/** (mean coefficient e^(-B/2), std sqrt(1 - e^(-B)) clamped) of x_s given x_0 */
export function cspdMarginal(s: number, c: CspdSchedule = CSPD_SCHEDULE): { mean: number; std: number } {
  const B = cspdIntegral(s, c);
  return { mean: Math.exp(-B / 2), std: Math.sqrt(Math.max(-Math.expm1(-B), CSPD_MIN_VAR)) };
}
