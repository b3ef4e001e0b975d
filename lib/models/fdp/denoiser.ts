// FDP's denoiser: a Gabor INR on per-point inputs (coordinates in [-1, 1]^d, t mapped to [-1, 1], and optionally
// the noisy value there), adapted to each noisy function by a few inner SGD steps (functa / MAML style) and then
// read out as the predicted clean function x0. The inner steps fit the INR to the NOISY observation Y_t under the
// same spectral weight as the outer loss; training differentiates through them (second order), or treats the
// inner gradients as constants (first-order ablation). The adapted per-sample parameters are [B, ...] tensors, so
// the INR runs as batched GEMMs, and can be evaluated on any grid of the same domain (super-resolution).
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import type { DType } from '../../tensor';
import { cat } from '../../ops';
import { grad } from '../../autograd';
import { tidy, dispose } from '../../scope';
import { rand } from '../../random';
import { Module } from '../../nn/module';
import { GaborINR } from '../../nn/inr';
import { HeatSDE } from './sde';
import { spectralSquaredError } from './loss';

/**
 * How the outer computation sees the inner steps: 'second' differentiates through them, 'first' treats their
 * gradients as constants (the ablation; the outer loss still reaches the parameters through each step's forward),
 * 'inference' keeps no outer graph at all (sampling: each step's graph is freed as soon as its gradient is taken).
 */
export type InnerOrder = 'second' | 'first' | 'inference';

export interface FdpDenoiserOptions {
  grid: number[];
  channels: number;
  hidden: number;
  layers: number;
  /** Inner SGD steps (the code: 3). */
  innerSteps?: number;
  /** Inner learning rate (the code's MNIST: 1e-2); with metaSgd the initial range is U(0.005, 0.1) instead. */
  innerLr?: number;
  /** Learned per-parameter inner rates (meta-SGD, the code's CelebA use_dense_lr), clipped to [0, 1]. */
  metaSgd?: boolean;
  /** Feed the noisy value at each point to the INR (the code's y_input; MNIST: false). */
  yInput?: boolean;
  /** Elementwise clip of the inner gradient (optax clip(1.0)); 0: off. */
  innerClip?: number;
}

/** Grid coordinates in [-1, 1)^d of a periodic grid (point j of P at 2 j / P - 1), [N, d], row-major over the grid. */
export function gridCoords(grid: number[], dtype: DType = 'float32'): Tensor {
  const N = grid.reduce((a, b) => a * b, 1), d = grid.length;
  const out = new Float64Array(N * d);
  for (let q = 0; q < N; q++) {
    let rem = q;
    for (let a = d - 1; a >= 0; a--) { const j = rem % grid[a]; rem = Math.floor(rem / grid[a]); out[q * d + a] = (2 * j) / grid[a] - 1; }
  }
  return tensor(dtype === 'float64' ? out : Float32Array.from(out), { shape: [N, d], dtype });
}

export class FdpDenoiser extends Module {
  readonly inr: GaborINR;
  readonly o: Required<FdpDenoiserOptions>;

  constructor(opts: FdpDenoiserOptions, readonly sde: HeatSDE) {
    super();
    this.o = { innerSteps: 3, innerLr: 1e-2, metaSgd: false, yInput: false, innerClip: 1, ...opts };
    const { grid, channels, innerSteps, innerLr, innerClip } = this.o;
    if (String(grid) !== String(sde.grid)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `FdpDenoiser: grid [${grid}] differs from the process's [${sde.grid}]`);
    if (!(Number.isInteger(channels) && channels >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `FdpDenoiser: channels must be an integer >= 1, got ${channels}`);
    if (!(Number.isInteger(innerSteps) && innerSteps >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `FdpDenoiser: innerSteps must be an integer >= 0, got ${innerSteps}`);
    if (!(innerLr >= 0) || !(innerClip >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `FdpDenoiser: innerLr and innerClip must be >= 0, got ${innerLr}, ${innerClip}`);
    const inDim = grid.length + 1 + (this.o.yInput ? channels : 0);
    this.inr = this.module('inr', new GaborINR({ inDim, outDim: channels, hidden: opts.hidden, layers: opts.layers }));
    if (this.o.metaSgd) {
      const self = this as unknown as Record<string, Tensor>;  // properties too, so toDtype can swap them
      this.inr.flatParams().forEach((p, i) => { self[`lr${i}`] = this.param(`lr${i}`, rand(p.shape).mul(0.095).add(0.005)); });
    }
  }

  /** The meta-SGD rates, one per INR parameter (read by name: toDtype replaces the tensors). */
  innerRates(): Tensor[] {
    const named = new Map(this.namedParameters());
    return this.inr.flatParams().map((_, i) => named.get(`lr${i}`)!);
  }

  /** Per-point INR inputs [B, N, d + 1 (+ C)]: coordinates, 2 t - 1, and (yInput) the noisy values. */
  inputs(coords: Tensor, t: ArrayLike<number>, y?: Tensor): Tensor {
    const B = t.length, N = coords.shape[0];
    const tn = tensor(Float32Array.from(t, (v) => 2 * v - 1), { shape: [B, 1, 1] }).to(coords.dtype).expand([B, N, 1]);
    const parts = [coords.unsqueeze(0).expand([B, N, coords.shape[1]]), tn];
    if (this.o.yInput) {
      if (!y) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'FdpDenoiser: yInput needs the noisy values on the same grid');
      parts.push(y.reshape([B, this.o.channels, N]).transpose(1, 2));
    }
    return cat(parts, -1);
  }

  /** INR output [B, N, C] as functions [B, C, ...grid]. */
  private toFunctions(out: Tensor, grid: number[]): Tensor {
    return out.transpose(1, 2).reshape([out.shape[0], this.o.channels, ...grid]);
  }

  /**
   * The per-sample parameters after the inner steps on y [B, C, ...grid] at times t. order 'second' keeps the
   * inner gradients' graph (the outer loss differentiates through them), 'first' detaches them, 'inference' keeps
   * no graph and frees each step's activations after its gradient.
   */
  adapt(y: Tensor, t: ArrayLike<number>, order: InnerOrder): Tensor[] {
    const B = y.shape[0], grid = this.sde.grid;
    const inp = this.inputs(gridCoords(grid, y.dtype), t, y);
    const inference = order === 'inference';
    let phi = this.inr.flatParams().map((p) => (p.ndim === 1 ? p.reshape([1, 1, p.shape[0]]).expand([B, 1, p.shape[0]]) : p.unsqueeze(0).expand([B, ...p.shape])));
    // inference: per-sample leaves with no path back to the shared parameters, so no step's graph outlives it
    if (inference) phi = phi.map((p) => p.detach().requiresGrad_());
    const rates = this.o.metaSgd ? this.innerRates().map((r) => (inference ? r.detach() : r)) : [];
    const modes = grid.reduce((a, b) => a * b, 1);
    const step = (phi: Tensor[], s: number): Tensor[] => {
      const fit = this.toFunctions(this.inr.forwardWith(phi, inp), grid);
      // the code's inner loss: per sample, the weighted squared error summed over channels and AVERAGED over the
      // full spectrum's modes; summed (not averaged) over the batch, so each sample's gradient is its own loss's
      const loss = spectralSquaredError(fit, y, this.sde, null).sum().mul(this.o.channels / modes);
      // retainGraph: the first-order ablation still backpropagates the outer loss through this forward graph
      const gs = grad(loss, phi, { createGraph: order === 'second', retainGraph: !inference });
      return phi.map((p, i) => {
        let g = gs[i]!;
        if (this.o.innerClip > 0) g = g.clamp(-this.o.innerClip, this.o.innerClip);
        const next = p.sub(this.o.metaSgd ? g.mul(rates[i].clamp(0, 1)) : g.mul(this.o.innerLr));
        return inference ? next.detach().requiresGrad_(s + 1 < this.o.innerSteps) : next;
      });
    };
    for (let s = 0; s < this.o.innerSteps; s++) {
      if (!inference) { phi = step(phi, s); continue; }
      // inference: each step in its own scope, so its activations go when its gradient is taken
      const next = tidy(() => step(phi, s));
      dispose(phi);
      phi = next;
    }
    return phi;
  }

  /** x0 predicted from y at times t: adapted INR read on the process's grid, or on `grid` (super-resolution). */
  predict(y: Tensor, t: ArrayLike<number>, order: InnerOrder, grid?: number[]): Tensor {
    return this.readWith(this.adapt(y, t, order), t, grid ?? this.sde.grid, y);
  }

  /** The INR with (adapted) parameters phi read on grid g at times t (y: the noisy values, for yInput). */
  readWith(phi: Tensor[], t: ArrayLike<number>, g: number[], y?: Tensor): Tensor {
    if (g.length !== this.sde.grid.length || !g.every((v) => Number.isInteger(v) && v >= 1)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `FdpDenoiser: read-out grid [${g}] must be ${this.sde.grid.length} positive integer size(s), like [${this.sde.grid}]`);
    }
    if (this.o.yInput && String(g) !== String(this.sde.grid)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', 'FdpDenoiser: a model fed the noisy values (yInput) can only be read on its own grid');
    }
    const inp = this.inputs(gridCoords(g, phi[0].dtype), t, y);
    return this.toFunctions(this.inr.forwardWith(phi, inp), g);
  }
}
