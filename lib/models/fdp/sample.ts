// FDP's predictor-corrector sampler (the official code's pc_sampler with the Euler-Maruyama predictor, the
// Langevin corrector and "factor" re-noising). Every drift evaluation adapts the INR to the current state by the
// inner steps ('inference': no outer graph, each step's graph freed as soon as its gradient is taken), so one
// iteration costs 3 adapted-INR evaluations. The last state is
// denoised by the adapted INR at t = eps, read on the process grid and, optionally, on another grid of the domain.
import { Tensor, TensorfieldError } from '../../tensor';
import { tidy, keep } from '../../scope';
import type { FdpDenoiser } from './denoiser';
import type { HeatSDE } from './sde';

/**
 * What the sampler needs of a denoiser: x0 predicted from the state y at times t (no graph), and the final read-out
 * of the state at t = eps on the process grid and optionally another grid. FdpDenoiser (the adapted INR) is one;
 * exactDenoiser (exact.ts: the posterior mean under a finite set of functions) is the oracle.
 */
export interface FdpSamplerDenoiser {
  sde: HeatSDE;
  channels: number;
  predict(y: Tensor, t: ArrayLike<number>): Tensor;
  final(y: Tensor, eps: number, readGrid?: number[]): { x: Tensor; readOut?: Tensor };
}

/** The adapted INR as the sampler's denoiser: inner steps without an outer graph ('inference'). */
export function inrSamplerDenoiser(net: FdpDenoiser): FdpSamplerDenoiser {
  return {
    sde: net.sde, channels: net.o.channels,
    predict: (y, t) => net.predict(y, t, 'inference'),
    final: (y, eps, readGrid) => {
      const same = new Float64Array(y.shape[0]).fill(eps);
      const phi = net.adapt(y, same, 'inference');
      return { x: net.readWith(phi, same, net.sde.grid, y), readOut: readGrid ? net.readWith(phi, same, readGrid, y) : undefined };
    },
  };
}

export interface FdpSampleOptions {
  /** Predictor steps N (the code's MNIST sampling: 50). */
  steps?: number;
  /** Langevin corrector signal-to-noise ratio (MNIST 0.19); 0: no corrector. */
  snr?: number;
  /** Re-noising factor: after each step go forward by factor dt and back (MNIST 2.0; 0: none). */
  factor?: number;
  eps?: number;
  /** Also read the final adapted INR on this grid (super-resolution). */
  readGrid?: number[];
  /** Called after each predictor step (progress). */
  onStep?: (i: number, n: number) => void;
}

export interface FdpSamples { x: Tensor; readOut?: Tensor; nfe: number }

export function sampleFdp(model: FdpDenoiser | FdpSamplerDenoiser, n: number, o: FdpSampleOptions = {}): FdpSamples {
  const net: FdpSamplerDenoiser = 'adapt' in model ? inrSamplerDenoiser(model) : model;
  const N = o.steps ?? 50, snr = o.snr ?? 0.19, factor = o.factor ?? 2, eps = o.eps ?? 1e-3;
  if (!(Number.isInteger(n) && n >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleFdp: n must be an integer >= 1, got ${n}`);
  if (!(Number.isInteger(N) && N >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleFdp: steps must be an integer >= 1, got ${N}`);
  if (!(snr >= 0) || !(factor >= 0) || !(eps > 0 && eps < 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleFdp: needs snr >= 0, factor >= 0 and eps in (0, 1), got ${snr}, ${factor}, ${eps}`);
  const sde = net.sde, shape = [n, net.channels, ...sde.grid];
  const same = (t: number) => new Float64Array(n).fill(t);
  const score = (x: Tensor, t: number) => sde.score(x, net.predict(x, same(t)), t);  // no graph: nothing to detach
  // one Euler-Maruyama step of the reverse SDE from t back to t - h
  const predictor = (x: Tensor, t: number, h: number) =>
    x.add(sde.reverseDrift(x, score(x, t), t).mul(h)).add(sde.noiseR(shape).mul(Math.sqrt(2 * sde.beta(t) * h)));
  let x = sde.prior(shape);
  let nfe = 0;
  const dt = (1 - eps) / N;
  for (let i = 0; i < N; i++) {
    const t = 1 - i * dt;
    const next = tidy(() => {
      let y = x;
      if (snr > 0) {
        // Langevin: step = 2 (snr |z| / |g|)^2 with batch-mean norms, y += step g + sqrt(2 step) z (z R-coloured)
        const g = score(y, t), z = sde.noiseR(shape);
        const gn = g.reshape([n, -1]).square().sum(1).sqrt().mean().item(), zn = z.reshape([n, -1]).square().sum(1).sqrt().mean().item();
        const step = gn > 0 ? 2 * (snr * zn / gn) ** 2 : 0;
        y = y.add(g.mul(step)).add(z.mul(Math.sqrt(2 * step)));
      }
      y = predictor(y, t, dt);
      if (factor > 0) {
        // churn: diffuse forward from t - dt to tn (clamped to the trained range), then step back
        const tn = Math.min(1, t - dt + factor * dt);
        y = predictor(sde.transition(y, t - dt, tn), tn, tn - (t - dt));
      }
      return keep(y);
    });
    nfe += (snr > 0 ? 1 : 0) + 1 + (factor > 0 ? 1 : 0);
    x.dispose();
    x = next;
    o.onStep?.(i + 1, N);
  }
  const out = tidy(() => {
    const f = net.final(x, eps, o.readGrid);
    return { x: keep(f.x), readOut: f.readOut ? keep(f.readOut) : undefined };
  });
  x.dispose();
  return { ...out, nfe: nfe + 1 };
}
