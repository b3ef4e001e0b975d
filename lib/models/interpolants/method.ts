// The `interpolant` method for the CLI: a stochastic interpolant from a base density (N(0, I), or for 2-D points
// the 8-Gaussian ring) to the data, learning either (b, s) or (v, eta) with two networks of the same family as
// the EDM baseline (MLP for points, U-Net for images), sampled by the probability-flow ODE or the forward SDE.
// The mirror path (rho0 = rho1 = the data, x_t = x1 + gamma z) starts its sampler from fresh data draws
// (DataSpec.draw) and returns new data-distributed points: b = gamma' E[z | x] = -gamma gamma' s.
import { Tensor, full } from '../../tensor';
import { randnLike } from '../../random';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import { MLPDenoiser } from '../../nn/models/mlp_denoiser';
import { UNet } from '../../nn/models/unet';
import { Adam, clipGradNorm } from '../../optim/optimizer';
import { EMA } from '../../optim/ema';
import { eightGaussians } from '../../data/gmm';
import { TensorfieldError } from '../../tensor';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { GAMMA_NAMES, PATH_NAMES, interpolant, type GammaName, type Interpolant, type PathName } from './schedules';
import { interpolantLoss, type Field } from './objectives';
import { bFromVEta, sFromEta } from './conversions';
import { odeSampler, sdeSampler, type EpsSchedule, type OdeMethod, type SdeMethod } from './dynamics';
import { run } from '../../samplers/solvers';

class FieldNet extends Module {
  readonly mlp: MLPDenoiser | null = null;
  readonly unet: UNet | null = null;
  constructor(spec: DataSpec, o: Record<string, OptionValue>) {
    super();
    if (spec.kind === 'points') {
      this.mlp = this.module('mlp', new MLPDenoiser({ dim: spec.itemShape[0], hidden: o.hidden as number, layers: o.layers as number, timeEmbedDim: 64, timeScale: 1000 }));
    } else {
      const [c, h] = spec.itemShape;
      this.unet = this.module('unet', new UNet({ inChannels: c, imageSize: h, baseChannels: o.channels as number, channelMult: [1, 2],
        numResBlocks: 1, groups: 8, noiseScale: 1000, dropout: 0 }));
    }
  }
  forward(x: Tensor, t: Tensor): Tensor { return this.mlp ? this.mlp.forward(x, t) : this.unet!.forward(x, t); }
}

/** The two networks: (b, s), (v, eta) or (b, eta) by the `fields` option. */
export class InterpolantNets extends Module {
  readonly first: FieldNet;
  readonly second: FieldNet;
  constructor(spec: DataSpec, o: Record<string, OptionValue>) {
    super();
    this.first = this.module('first', new FieldNet(spec, o));
    this.second = this.module('second', new FieldNet(spec, o));
  }
}

export type FieldPair = 'bs' | 'veta' | 'b-eta';

/**
 * The sampling fields (b, s) of trained networks (evaluated without autograd). (v, eta): gamma' is infinite and
 * 1/gamma too at t in {0, 1} for brownian gamma while a learned eta there is only ~0, so the conversions take
 * gamma' and gamma (one-sided: alpha) at t clamped to [0.01, 0.99] (gamma' <= 5 there).
 */
export function samplingFields(I: Interpolant, fields: FieldPair, nets: InterpolantNets): { b: Field; s: Field } {
  const g1: Field = (x, t) => noGrad(() => nets.first.forward(x, t));
  const g2: Field = (x, t) => noGrad(() => nets.second.forward(x, t));
  return { b: fields === 'veta' ? bFromVEta(I, g1, g2, 0.01) : g1, s: fields === 'bs' ? g2 : sFromEta(I, g2, 0.01) };
}

/** eps(t) of the SDE: eps0 (1 - t) on one-sided paths (the score there carries 1/alpha(t), unbounded at t = 1), else eps0. */
export function sdeEps(I: Interpolant, eps0: number): EpsSchedule {
  return I.oneSided ? (t: number) => eps0 * (1 - t) : eps0;
}

export const interpolantMethod: Method = {
  name: 'interpolant',
  description: 'stochastic interpolant (b and s, or v and eta) sampled by the probability-flow ODE or the SDE with diffusion eps',
  source: 'Albergo, Boffi & Vanden-Eijnden, Stochastic Interpolants (arXiv 2303.08797)',
  kinds: ['points', 'images'],
  options: {
    lr: { min: 0, minExclusive: true, resumable: true, default: 2e-3, help: 'Adam learning rate (both networks)' },
    path: { default: 'one-sided-linear', help: "interpolant path ('mirror': data to data, x_t = x1 + gamma z; the sampler starts from data draws)", choices: PATH_NAMES },
    gamma: { default: 'auto', help: "latent noise gamma(t) ('auto': zero for one-sided paths, brownian otherwise)", choices: ['auto', ...GAMMA_NAMES] },
    gammaScale: { min: 0, default: 1, help: 'scale a of gamma' },
    base: { default: 'gaussian', help: "base density rho0 ('8gaussians': 2-D points, two-sided paths; the mirror path's base is the data)", choices: ['gaussian', '8gaussians'] },
    fields: { default: 'bs', help: "learned pair: b and s, v and eta (b = v + gamma' eta), or b and the denoiser eta (s = -eta / gamma, or -eta / alpha one-sided)", choices: ['bs', 'veta', 'b-eta'] },
    emaGamma: { min: 0, default: 7, help: 'power-function EMA of the evaluation weights: decay (1 - 1/step)^(gamma + 1), which forgets the initialisation at any run length (as the EDM method)' },
    hidden: { integer: true, min: 1, default: 256, help: 'MLP width (points)' },
    layers: { integer: true, min: 1, default: 4, help: 'MLP hidden layers (points)' },
    channels: { integer: true, min: 1, default: 32, help: 'U-Net base channels (images)' },
    clip: { min: 0, resumable: true, default: 1, help: 'gradient-norm clip (0: off)' },
    sampler: { resumable: true, default: 'ode', help: 'generative dynamics', choices: ['ode', 'sde'] },
    odeMethod: { resumable: true, default: 'heun', help: 'ODE solver', choices: ['euler', 'heun', 'rk4', 'dopri5'] },
    sdeMethod: { resumable: true, default: 'heun', help: 'SDE solver', choices: ['euler-maruyama', 'heun'] },
    sampleSteps: { integer: true, min: 1, resumable: true, default: 100, help: 'solver steps (fixed-step methods)' },
    eps: { min: 0, resumable: true, default: 0.5, help: 'SDE diffusion eps (times (1 - t) on one-sided paths, where s ~ 1/alpha at t = 1; constant otherwise)' },
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    const path = o.path as PathName;
    const oneSided = path.startsWith('one-sided');
    const mirror = path === 'mirror';
    const I = interpolant({ path, gamma: o.gamma === 'auto' ? undefined : (o.gamma as GammaName), gammaScale: o.gammaScale as number });
    if (o.base === '8gaussians' && (spec.kind !== 'points' || spec.itemShape[0] !== 2 || oneSided)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', "interpolant: base '8gaussians' needs 2-D points and a two-sided path");
    }
    if (mirror && o.base !== 'gaussian') {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', "interpolant: the mirror path's base is the data itself (rho0 = rho1); drop --base");
    }
    const draw = spec.draw;
    if (mirror && !draw) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', 'interpolant: the mirror path samples from data draws, and this data description has none (DataSpec.draw)');
    }
    if (o.fields === 'veta' && oneSided) throw new TensorfieldError('TF_INVALID_ARGUMENT', "interpolant: fields 'veta' needs a two-sided path (one-sided, v = b: use 'b-eta')");
    const ring = o.base === '8gaussians' ? eightGaussians() : null;
    const base = (like: Tensor): Tensor => (ring ? ring.sample(like.shape[0]) : randnLike(like));
    const net = new InterpolantNets(spec, o), evalNet = new InterpolantNets(spec, o);
    const ema = new EMA(net, { gamma: o.emaGamma as number });
    const optimizer = new Adam(net.parameters(), { lr: o.lr as number });
    const [l1, l2] = ({ bs: ['b', 's'], veta: ['v', 'eta'], 'b-eta': ['b', 'eta'] } as const)[o.fields as FieldPair];
    return {
      model: net,
      ema,
      optimizer,
      trainStep(x1: Tensor): number {
        const loss = tidy(() => {
          // Mirror: alpha = 0, so x0 never enters x_t or the targets; the data batch stands in for it.
          const x0 = mirror ? x1 : base(x1);
          const f1: Field = (x, t) => net.first.forward(x, t), f2: Field = (x, t) => net.second.forward(x, t);
          // The two networks have disjoint parameters: the sum trains each on its own objective.
          const l = interpolantLoss(I, l1, f1, x0, x1).add(interpolantLoss(I, l2, f2, x0, x1));
          optimizer.zeroGrad();
          l.backward();
          // Clipped per network: the score loss's gradients (targets ~ 1/gamma or 1/alpha near the ends) would
          // otherwise dominate a joint norm and shrink the velocity network's steps.
          if ((o.clip as number) > 0) for (const m of [net.first, net.second]) clipGradNorm(m.parameters(), o.clip as number);
          optimizer.step();
          return l.item();
        });
        // Outside the tidy: the EMA's shadow weights must outlive the step.
        ema.update();
        return loss;
      },
      evalNetwork() {
        ema.copyTo(evalNet);
        evalNet.eval();
        return evalNet;
      },
      sample(n: number, so: SampleOptions = {}) {
        if (!so.asIs) ema.copyTo(evalNet);
        evalNet.eval();
        const { b, s } = samplingFields(I, o.fields as FieldPair, evalNet);
        const steps = so.steps ?? (o.sampleSteps as number);
        const x0 = tidy(() => (mirror ? draw!(n) : base(full([n, ...spec.itemShape], 0))));
        const e0 = o.eps as number;
        const r = o.sampler === 'ode'
          ? run(odeSampler(b, x0, { method: (so.solver ?? o.odeMethod) as OdeMethod, steps }))
          : run(sdeSampler(b, s, x0, { method: (so.solver ?? o.sdeMethod) as SdeMethod, steps, eps: sdeEps(I, e0) }));
        x0.dispose();
        return r;
      },
    };
  },
};
