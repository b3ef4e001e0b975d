// Preconditioning (Karras et al. 2022, Table 1): the network F sees a unit-variance input c_in x and a noise label
// c_noise, and the denoiser is D(x; s) = c_skip x + c_out F(c_in x, c_noise), all in EDM form (x = x0 + s n).
// TrigFlow (Lu & Song 2024) is EDM's with c_out's sign flipped and c_noise = t = atan(s / sigmaData): its
// consistency function cos t x_t - sin t sigmaData F(x_t / sigmaData, t) is exactly this D written in x_t = cos t x.
import { Tensor, TensorfieldError, onesLike, tensor } from '../tensor';
import type { DeviceName } from '../tensor';
import { VPSchedule } from './schedules';
import type { Denoiser } from './solvers';

export type PrecondKind = 'edm' | 'vp' | 've' | 'trigflow';
export const PRECONDITIONINGS: readonly PrecondKind[] = ['edm', 'vp', 've', 'trigflow'];

export interface PrecondOptions {
  /** Data standard deviation (edm, trigflow); 0.5 for images in [-1, 1]. */
  sigmaData?: number;
  /** VP: the number of discrete training steps M the noise label is scaled to, and the schedule. */
  M?: number;
  vp?: VPSchedule;
}

export interface Coefficients<T> {
  cSkip: T;
  cOut: T;
  cIn: T;
  cNoise: T;
}

function bad(kind: string): never {
  throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown preconditioning '${kind}' (valid: ${PRECONDITIONINGS.join(', ')})`);
}

/** The coefficients at one noise level s (EDM sigma). */
export function preconditioning(kind: PrecondKind, s: number, opts: PrecondOptions = {}): Coefficients<number> {
  const sd = opts.sigmaData ?? 0.5;
  if (!(s >= 0) || !Number.isFinite(s)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `preconditioning: sigma must be finite and >= 0, got ${s}`);
  const r = Math.sqrt(s * s + sd * sd);
  switch (kind) {
    case 'edm': return { cSkip: (sd * sd) / (r * r), cOut: (s * sd) / r, cIn: 1 / r, cNoise: Math.log(s) / 4 };
    case 'trigflow': return { cSkip: (sd * sd) / (r * r), cOut: -(s * sd) / r, cIn: 1 / r, cNoise: Math.atan(s / sd) };
    case 've': return { cSkip: 1, cOut: s, cIn: 1, cNoise: Math.log(s / 2) };
    case 'vp': {
      const vp = opts.vp ?? new VPSchedule(), M = opts.M ?? 1000;
      return { cSkip: 1, cOut: -s, cIn: 1 / Math.sqrt(s * s + 1), cNoise: (M - 1) * vp.timeOfEdmSigma(s) };
    }
    default: return bad(kind);
  }
}

/** The coefficients for per-sample noise levels (a tensor such as [N, 1, 1, 1]), for training losses. */
export function preconditioningTensor(kind: PrecondKind, s: Tensor, opts: PrecondOptions = {}): Coefficients<Tensor> {
  const sd = opts.sigmaData ?? 0.5;
  switch (kind) {
    case 'edm':
    case 'trigflow': {
      const r2 = s.square().add(sd * sd), rinv = r2.rsqrt();
      return {
        cSkip: r2.reciprocal().mul(sd * sd), cOut: s.mul(rinv).mul(kind === 'edm' ? sd : -sd), cIn: rinv,
        cNoise: kind === 'edm' ? s.log().mul(0.25) : hostMap(s, (v) => Math.atan(v / sd)),
      };
    }
    case 've': return { cSkip: onesLike(s), cOut: s.mul(1), cIn: onesLike(s), cNoise: s.div(2).log() };
    case 'vp': {
      const vp = opts.vp ?? new VPSchedule(), M = opts.M ?? 1000;
      return { cSkip: onesLike(s), cOut: s.neg(), cIn: s.square().add(1).rsqrt(), cNoise: hostMap(s, (v) => (M - 1) * vp.timeOfEdmSigma(v)) };
    }
    default: return bad(kind);
  }
}

// Noise labels with no engine op (atan, the VP quadratic's root): per-sample values, computed on the host in
// float64 — [N] numbers per step, negligible next to the network.
function hostMap(like: Tensor, f: (v: number) => number): Tensor {
  const v = Float64Array.from(like.dataSync() as ArrayLike<number>, f);
  return tensor(like.dtype === 'float64' ? v : Float32Array.from(v), { shape: like.shape, device: like.device as DeviceName });
}

/**
 * A denoiser in EDM form from a raw network F(xIn, cNoise): D(x; s) = c_skip x + c_out F(c_in x, c_noise).
 * The network receives c_noise as a number (the same for the whole batch) — samplers call it once per level.
 */
export function preconditionedDenoiser(net: (xIn: Tensor, cNoise: number) => Tensor, kind: PrecondKind,
  opts: PrecondOptions = {}): Denoiser {
  return (x: Tensor, s: number) => {
    const c = preconditioning(kind, s, opts);
    const F = net(x.mul(c.cIn), c.cNoise);
    return x.mul(c.cSkip).add(F.mul(c.cOut));
  };
}
