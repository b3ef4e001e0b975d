// CLI method 'fdp': functional diffusion on functions sampled on a grid. Points items [P] are functions on a
// periodic 1-D grid of P points (bandlimited64, seattle-temp24), images [C, H, W] functions on a 2-D grid. Samples
// come back on the training grid; `readGrid` (P or HxW) reads the final adapted INR on a finer grid too (library).
import { Tensor, TensorfieldError } from '../../tensor';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { HeatSDE } from './sde';
import { FdpDenoiser, type InnerOrder } from './denoiser';
import { FdpTrainer } from './train';
import { sampleFdp } from './sample';
import { FDP_WEIGHTINGS, type FdpWeighting } from './loss';

function layout(spec: DataSpec): { channels: number; grid: number[] } {
  if (spec.kind === 'points' && spec.itemShape.length === 1) return { channels: 1, grid: [spec.itemShape[0]] };
  if (spec.kind === 'images' && spec.itemShape.length === 3) return { channels: spec.itemShape[0], grid: spec.itemShape.slice(1) };
  throw new TensorfieldError('TF_INVALID_ARGUMENT', `fdp trains on functions on a grid: points [P] or images [C, H, W] (data '${spec.name}' is ${spec.kind} [${spec.itemShape}])`);
}

export const fdpMethod: Method = {
  name: 'fdp',
  description: 'Functional diffusion: per-Fourier-mode OU process, Gabor INR adapted per sample by inner SGD steps (second order), PC sampler',
  source: 'Franzese et al. 2023 (Continuous-Time Functional Diffusion Processes, NeurIPS)',
  kinds: ['points', 'images'],
  options: {
    hidden: { integer: true, min: 1, default: 64, help: 'INR width (the code: 128 MNIST, 256 CelebA)' },
    layers: { integer: true, min: 1, default: 4, help: 'INR Gabor layers (the code: 8 MNIST)' },
    innerSteps: { integer: true, min: 0, default: 3, help: 'inner SGD steps per sample' },
    innerLr: { min: 0, default: 1e-2, help: 'inner SGD rate (meta-SGD: ignored, rates are learned)' },
    metaSgd: { default: false, help: 'learned per-parameter inner rates (the code\'s CelebA)' },
    yInput: { default: false, help: 'feed the noisy value at each point to the INR (the code\'s y_input)' },
    order: { default: 'second', choices: ['second', 'first'], help: 'differentiate through the inner steps (second) or not (first-order ablation)' },
    energyNorm: { min: 0, minExclusive: true, default: 1, help: 'divides r(omega) (the code: 1 images, 256 audio)' },
    betaMax: { min: 0, minExclusive: true, default: 5, help: 'beta_max of the schedule' },
    weighting: { default: 'code', choices: FDP_WEIGHTINGS, help: "loss weight: code (b / r, time-independent) or elbo (Girsanov)" },
    curriculum: { min: 0, default: 300, help: 'time curriculum steps S: t ~ U(eps, 1) (1 - exp(-step / S)) (the code: 10000 of 500k steps; without it the INR does not learn in a CPU-length run; 0 off)' },
    optimizer: { default: 'adabelief', choices: ['adabelief', 'adam'], help: 'outer optimizer (the code: AdaBelief)' },
    lr: { min: 0, minExclusive: true, resumable: true, default: 3e-4, help: 'peak learning rate (the code: 3.3e-5 over 500k steps; 3e-4 chosen on seed 0 of bandlimited64)' },
    warmup: { integer: true, min: 0, default: 100, help: 'linear warm-up steps' },
    decaySteps: { integer: true, min: 1, default: 3000, help: 'warm-up-cosine length; the rate ends at 0.3 lr' },
    clip: { min: 0, default: 1, help: 'elementwise gradient clip (0: off)' },
    emaGamma: { min: 0, default: 7, help: 'power-function EMA exponent of the evaluation weights' },
    sampleSteps: { integer: true, min: 1, resumable: true, default: 25, help: 'predictor steps N' },
    snr: { min: 0, resumable: true, default: 0.19, help: 'Langevin corrector snr (0: no corrector)' },
    factor: { min: 0, resumable: true, default: 0, help: 're-noising factor (the code\'s MNIST: 2; 0: none)' },
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    const { channels, grid } = layout(spec);
    const sde = new HeatSDE({ grid, energyNorm: o.energyNorm as number, betaMax: o.betaMax as number });
    const make = () => new FdpDenoiser({ grid, channels, hidden: o.hidden as number, layers: o.layers as number, innerSteps: o.innerSteps as number,
      innerLr: o.innerLr as number, metaSgd: o.metaSgd as boolean, yInput: o.yInput as boolean }, sde);
    const net = make(), evalNet = make();
    const tr = new FdpTrainer(net, { lr: o.lr as number, warmup: o.warmup as number, decaySteps: o.decaySteps as number, optimizer: o.optimizer as 'adabelief' | 'adam',
      clip: o.clip as number, emaGamma: o.emaGamma as number, order: o.order as InnerOrder, weighting: o.weighting as FdpWeighting, curriculum: o.curriculum as number });
    const asFunctions = (x: Tensor) => x.reshape([x.shape[0], channels, ...grid]);
    return {
      model: net, ema: tr.ema, optimizer: tr.opt,
      trainStep(batch: Tensor, step: number): number {
        if (Number.isInteger(step)) tr.steps = step;
        const x = asFunctions(batch);
        try { return tr.step(x); } finally { x.dispose(); }
      },
      evalNetwork() { tr.ema.copyTo(evalNet); return evalNet; },
      sample(n: number, so: SampleOptions = {}) {
        if (!so.asIs) tr.ema.copyTo(evalNet);
        const r = sampleFdp(evalNet, n, { steps: so.steps ?? (o.sampleSteps as number), snr: o.snr as number, factor: o.factor as number });
        const x = r.x.reshape([n, ...spec.itemShape]);
        r.x.dispose();
        return { x, nfe: r.nfe };
      },
    };
  },
};
