// TrigFlow (Lu & Song 2024): x_t = cos t·x0 + sin t·z, z ~ N(0, sigmaD² I), t in [0, pi/2]; the network F
// predicts the velocity in units of sigmaD: dx_t/dt = sigmaD·F(x_t / sigmaD, t).
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { randn } from '../../random';

/** A TrigFlow network: F(x_t / sigmaD, t) with t one value per row, shape [B]. */
export type TrigFlowNet = (xIn: Tensor, t: Tensor) => Tensor;

export interface ProposalOptions {
  /** Mean and std of tau = log sigma (EDM sigma = sigmaD·tan t). The paper's CM setting is (-1.0, 1.4–1.6). */
  pMean?: number;
  pStd?: number;
  dtype?: 'float32' | 'float64';
}

export function checkSigmaD(sigmaD: number, fn: string): void {
  if (!(typeof sigmaD === 'number' && Number.isFinite(sigmaD) && sigmaD > 0)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: sigmaD must be a finite number > 0, got ${sigmaD}`);
  }
}

export function checkTime(t: number, fn: string, what = 't'): void {
  if (!(typeof t === 'number' && t >= 0 && t <= Math.PI / 2)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be in [0, pi/2], got ${t}`);
  }
}

/** The log-normal proposal on sigma mapped to TrigFlow time: t = arctan(e^tau / sigmaD), tau ~ N(pMean, pStd²). [n] */
export function sampleTime(n: number, sigmaD: number, opts: ProposalOptions = {}): Tensor {
  checkSigmaD(sigmaD, 'sampleTime');
  const pMean = opts.pMean ?? -1.0, pStd = opts.pStd ?? 1.4;
  if (!Number.isInteger(n) || n < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleTime: n must be a positive integer, got ${n}`);
  if (!(pStd >= 0) || !Number.isFinite(pMean)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleTime: needs finite pMean and pStd >= 0`);
  // The engine has no arctan op; t is one number per row, so the map is done on the host in float64.
  const tau = randn([n], { dtype: 'float64' }).mul(pStd).add(pMean).dataSync() as Float64Array;
  const t = new Float64Array(n);
  // Kept below pi/2 by a margin that survives float32 rounding (cos t = 0 carries no consistency signal).
  for (let i = 0; i < n; i++) t[i] = Math.min(Math.atan(Math.exp(tau[i]) / sigmaD), Math.PI / 2 - 1e-6);
  const out = tensor(t, { shape: [n] });
  return opts.dtype === 'float32' ? out.to('float32') : out;
}

/** cos t and sin t as [B, 1, ...] columns that broadcast against x [B, ...]. */
export function trigColumns(t: Tensor, x: Tensor): { cos: Tensor; sin: Tensor } {
  const shape = [t.shape[0], ...x.shape.slice(1).map(() => 1)];
  const tc = t.to(x.dtype).reshape(shape);
  return { cos: tc.cos(), sin: tc.sin() };
}

/** x_t = cos t·x0 + sin t·z and the velocity v_t = dx_t/dt = cos t·z - sin t·x0. */
export function interpolate(x0: Tensor, z: Tensor, t: Tensor): { xt: Tensor; vt: Tensor } {
  if (String(x0.shape) !== String(z.shape)) throw new TensorfieldError('TF_SHAPE_MISMATCH', `interpolate: x0 [${x0.shape}] and z [${z.shape}] differ`);
  if (t.ndim !== 1 || t.shape[0] !== x0.shape[0]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `interpolate: t must be [${x0.shape[0]}], got [${t.shape}]`);
  const { cos, sin } = trigColumns(t, x0);
  return { xt: cos.mul(x0).add(sin.mul(z)), vt: cos.mul(z).sub(sin.mul(x0)) };
}

/**
 * The TrigFlow diffusion (teacher) loss per sample, mean over dims of ||sigmaD·F(x_t/sigmaD, t) - v_t||²,
 * divided by sigmaD² so it is the error in F's units (a constant factor). [B]
 */
export function diffusionLossPerSample(F: TrigFlowNet, x0: Tensor, t: Tensor, z: Tensor, sigmaD: number): Tensor {
  checkSigmaD(sigmaD, 'diffusionLoss');
  const { xt, vt } = interpolate(x0, z, t);
  const out = F(xt.div(sigmaD), t);
  const d = out.sub(vt.div(sigmaD));
  return d.square().reshape(x0.shape[0], -1).mean(1);
}

/**
 * The consistency function f(x_t, t) = cos t·x_t - sin t·sigmaD·F(x_t/sigmaD, t) (a one-step DDIM jump to
 * t = 0). At t = 0 it is x exactly: cos 0 = 1 and sin 0 = 0 are exact in floating point.
 */
export function consistencyFunction(F: TrigFlowNet, x: Tensor, t: Tensor, sigmaD: number): Tensor {
  checkSigmaD(sigmaD, 'consistencyFunction');
  if (t.ndim !== 1 || t.shape[0] !== x.shape[0]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `consistencyFunction: t must be [${x.shape[0]}], got [${t.shape}]`);
  const { cos, sin } = trigColumns(t, x);
  return cos.mul(x).sub(sin.mul(F(x.div(sigmaD), t)).mul(sigmaD));
}
