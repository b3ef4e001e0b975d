// The exact denoiser of FDP's forward process for data that is a finite set of functions (a uniform mixture of point
// masses): the oracle that tells the sampler's errors from the learned denoiser's. In the orthonormal spectrum every
// mode is independent, Y_t(omega) | x0 ~ N(k_t X0(omega), v_t(omega)) with v_t = (r / b)(1 - k_t^2), so
//   log p(y | x0_i) = -1/2 sum_bins mult |Y - k_t X0_i|^2 / v_t + const
// (mult: 2 for an rfft bin standing for itself and its conjugate, whose real and imaginary parts each carry v_t / 2;
// 1 for DC and Nyquist), and E[x0 | y] = sum_i softmax_i(log p(y | x0_i)) x0_i. Computed in float64 (at t near 0
// the weights' exponents are large), the logits as one matrix product per chunk of states.
//
// And for Gaussian data, independent per mode with E|X0(omega)|^2 = s(omega) (the noise's v_t is that same per-bin
// quantity), the exact denoiser is linear per mode: E[X0 | Y] = k_t s / (k_t^2 s + v_t) Y (gaussianDenoiser).
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { tidy, keep } from '../../scope';
import { cat } from '../../ops';
import type { HeatSDE } from './sde';
import type { FdpSamplerDenoiser } from './sample';

/** The one time in (0, 1] every one of n states is at (the sampler's case), checked. */
function commonTime(t: ArrayLike<number>, n: number, fn: string): number {
  if (t.length !== n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${t.length} times for ${n} states`);
  const t0 = t[0];
  for (let i = 0; i < t.length; i++) {
    if (!(t[i] > 0 && t[i] <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: times must be in (0, 1], got ${t[i]}`);
    if (t[i] !== t0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: every state must be at the same time (the sampler's case)`);
  }
  return t0;
}

export interface ExactDenoiserOptions {
  /** States per chunk of the [chunk, M] weight matrix (default 256). */
  chunk?: number;
}

/**
 * The posterior-mean denoiser of `sde` when the data are the M functions `refs` [M, C, ...grid], equally likely. Its
 * samples through sampleFdp should land on the reference functions, each about 1/M of the time.
 */
export function exactDenoiser(sde: HeatSDE, refs: Tensor, o: ExactDenoiserOptions = {}): FdpSamplerDenoiser & { dispose(): void } {
  const g = sde.grid;
  if (refs.ndim !== g.length + 2 || g.some((v, i) => refs.shape[2 + i] !== v) || refs.shape[0] < 1) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `exactDenoiser: refs must be [M >= 1, C, ${g.join(', ')}], got [${refs.shape}]`);
  }
  const chunk = o.chunk ?? 256;
  if (!(Number.isInteger(chunk) && chunk >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `exactDenoiser: chunk must be an integer >= 1, got ${chunk}`);
  const M = refs.shape[0], C = refs.shape[1];
  const refs64 = keep(refs.to('float64').contiguous());
  const X = keep(sde.spec(refs64));  // [M, C, ...bins, 2]
  const flatRefs = keep(refs64.reshape([M, -1]));
  const { b, r, mult } = sde.tables('float64');

  function predictAt(y: Tensor, t: number): Tensor {
    return tidy(() => {
      const B = y.shape[0];
      const k = b.mul(-sde.integral(t)).exp();
      const v = r.div(b).mul(k.square().neg().add(1));
      const a = mult.div(v).sqrt();  // [...bins, 1]
      const Xh = X.mul(k.mul(a)).reshape([M, -1]);  // [M, D]
      const half = Xh.square().sum(1).mul(0.5);  // [M]
      const Yh = sde.spec(y.to('float64')).mul(a).reshape([B, -1]);
      const parts: Tensor[] = [];
      for (let s = 0; s < B; s += chunk) {
        const e = Math.min(B, s + chunk);
        const logits = Yh.slice(0, s, e).matmul(Xh.T).sub(half);
        parts.push(logits.softmax(-1).matmul(flatRefs));
      }
      const x0 = (parts.length === 1 ? parts[0] : cat(parts, 0)).reshape(y.shape);
      return x0.to(y.dtype);
    });
  }

  return {
    sde, channels: C,
    predict(y: Tensor, t: ArrayLike<number>): Tensor {
      if (y.ndim !== g.length + 2 || y.shape[1] !== C || g.some((v, i) => y.shape[2 + i] !== v)) {
        throw new TensorfieldError('TF_SHAPE_MISMATCH', `exactDenoiser: states must be [B, ${C}, ${g.join(', ')}], got [${y.shape}]`);
      }
      return predictAt(y, commonTime(t, y.shape[0], 'exactDenoiser'));
    },
    final(y: Tensor, eps: number, readGrid?: number[]): { x: Tensor; readOut?: Tensor } {
      if (readGrid) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'exactDenoiser: the reference functions exist on the process grid only (no read-out grid)');
      return { x: predictAt(y, eps) };
    },
    /** Frees the float64 copies of the references and their spectra. */
    dispose() { refs64.dispose(); X.dispose(); flatRefs.dispose(); },
  };
}

/**
 * The exact denoiser of `sde` for Gaussian data, independent per mode with per-bin second moment s = E|X0(omega)|^2
 * (`secondMoment`, [...bins] numbers, >= 0; the process's rfft bins). Its samples through sampleFdp should have that
 * second moment per bin, up to the sampler's discretisation and the sample's own spread.
 */
export function gaussianDenoiser(sde: HeatSDE, secondMoment: ArrayLike<number>, channels = 1): FdpSamplerDenoiser & { dispose(): void } {
  const bins = sde.modes.shape.reduce((a, c) => a * c, 1);
  if (secondMoment.length !== bins) throw new TensorfieldError('TF_SHAPE_MISMATCH', `gaussianDenoiser: need ${bins} per-bin second moments, got ${secondMoment.length}`);
  for (let i = 0; i < bins; i++) {
    if (!(secondMoment[i] >= 0 && Number.isFinite(secondMoment[i]))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `gaussianDenoiser: second moment ${i} is ${secondMoment[i]}, not a finite number >= 0`);
  }
  const s = keep(tensor(Float64Array.from(secondMoment), { shape: [...sde.modes.shape, 1], dtype: 'float64' }));
  const { b, r } = sde.tables('float64');
  const at = (y: Tensor, t: number) => tidy(() => {
    const k = b.mul(-sde.integral(t)).exp();
    const v = r.div(b).mul(k.square().neg().add(1));
    return sde.unspec(sde.spec(y.to('float64')).mul(k.mul(s).div(k.square().mul(s).add(v)))).to(y.dtype);
  });
  return {
    sde, channels,
    predict(y: Tensor, t: ArrayLike<number>): Tensor {
      return at(y, commonTime(t, y.shape[0], 'gaussianDenoiser'));
    },
    final(y: Tensor, eps: number, readGrid?: number[]): { x: Tensor; readOut?: Tensor } {
      if (readGrid) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'gaussianDenoiser: reads on the process grid only (no read-out grid)');
      return { x: at(y, eps) };
    },
    dispose() { s.dispose(); },
  };
}
