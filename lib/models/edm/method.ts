// EDM (Karras, Aittala, Aila & Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative Models"):
// the baseline denoiser every paper folder compares with. Training: sigma ~ logN(P_mean, P_std²), the
// preconditioned network F regresses (x0 - c_skip y) / c_out, which is EDM's weighted denoising loss with its
// weight lambda(sigma) c_out(sigma)² = 1 folded in. Sampling: the EDM-form solvers of lib/samplers.
import { Tensor, TensorfieldError } from '../../tensor';
import { rand, randn, randnLike } from '../../random';
import { full, tensor } from '../../tensor';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import { MLPDenoiser } from '../../nn/models/mlp_denoiser';
import { UNet } from '../../nn/models/unet';
import { FiLMResidualMLP } from '../../nn/models/film_mlp';
import { Adam } from '../../optim/optimizer';
import { EMA } from '../../optim/ema';
import { clipGradNorm } from '../../optim/optimizer';
import { preconditioningTensor, preconditionedDenoiser } from '../../samplers/precond';
import { edmSigmas } from '../../samplers/grids';
import { sample, SOLVER_NAMES, type SolverName } from '../../samplers/solvers';
import { levelPart, type DataSpec, type DenoiserLevels, type Method, type MethodRun, type OptionValue, type SampleOptions } from '../../registry';

/** The network behind the denoiser: F(c_in x, c_noise) for points (MLP, or the FiLM residual MLP) or images (U-Net). */
export class EDMNet extends Module {
  readonly mlp: MLPDenoiser | FiLMResidualMLP | null = null;
  readonly unet: UNet | null = null;
  constructor(readonly spec: DataSpec, o: Record<string, OptionValue>) {
    super();
    // c_noise = ln(sigma) / 4 spans about [-1.6, 1.1]; the embedding sees 100x that so its frequencies resolve it.
    if (spec.kind === 'points' && (o.net ?? 'mlp') === 'resmlp') {
      this.mlp = this.module('mlp', new FiLMResidualMLP({ dim: spec.itemShape[0], width: o.hidden as number, layers: o.layers as number, embDim: 128, timeScale: 100 }));
    } else if (spec.kind === 'points') {
      this.mlp = this.module('mlp', new MLPDenoiser({ dim: spec.itemShape[0], hidden: o.hidden as number, layers: o.layers as number, timeEmbedDim: 64, timeScale: 100 }));
    } else {
      const [c, h] = spec.itemShape;
      this.unet = this.module('unet', new UNet({ inChannels: c, imageSize: h, baseChannels: o.channels as number, channelMult: [1, 2],
        numResBlocks: 1, groups: 8, noiseScale: 100, dropout: o.dropout as number }));
    }
  }
  forward(x: Tensor, cNoise: Tensor): Tensor {
    return this.mlp ? this.mlp.forward(x, cNoise) : this.unet!.forward(x, cNoise);
  }
}

export const edmMethod: Method = {
  name: 'edm',
  description: 'EDM denoiser (preconditioned, log-normal noise levels) sampled with Heun / Euler / DPM-Solver++(2M)',
  source: 'Karras et al. 2022 (baseline)',
  kinds: ['points', 'images'],
  options: {
    lr: { min: 0, minExclusive: true, resumable: true, default: 1e-3, help: 'Adam learning rate' },
    sigmaData: { min: 0, minExclusive: true, default: 0.5, help: 'data standard deviation in the preconditioning' },
    pMean: { default: -1.2, help: 'mean of ln(sigma) during training' },
    pStd: { min: 0, minExclusive: true, default: 1.2, help: 'std of ln(sigma) during training' },
    emaGamma: { min: 0, default: 7, help: 'power-function EMA of the evaluation weights: decay (1 - 1/step)^(gamma + 1), which forgets the initialisation at any run length (EDM2)' },
    hidden: { integer: true, min: 1, default: 256, help: 'MLP width (points)' },
    layers: { integer: true, min: 1, default: 3, help: 'MLP hidden layers (points; resmlp: FiLM residual layers)' },
    net: { default: 'mlp', choices: ['mlp', 'resmlp'], help: 'network for points: mlp (noise embedding at the input) or resmlp (FiLM residual MLP, every layer reads it)' },
    channels: { integer: true, min: 1, default: 32, help: 'U-Net base channels (images; levels x1, x2)' },
    dropout: { min: 0, max: 1, maxExclusive: true, default: 0, help: 'U-Net dropout' },
    clip: { min: 0, resumable: true, default: 1, help: 'gradient-norm clip (0: off)' },
    solver: { resumable: true, default: 'heun', help: 'sampler', choices: SOLVER_NAMES },
    sampleSteps: { integer: true, min: 1, resumable: true, default: 18, help: 'noise levels of the sampler (Heun: 2 levels - 1 NFE)' },
    sigmaMin: { min: 0, minExclusive: true, resumable: true, default: 0.002, help: 'smallest sampling noise level' },
    sigmaMax: { min: 0, minExclusive: true, resumable: true, default: 80, help: 'largest sampling noise level' },
  },
  checkOptions(o) {
    if (!((o.sigmaMin as number) < (o.sigmaMax as number)))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'edm': option 'sigmaMin' (${o.sigmaMin}) must be below option 'sigmaMax' (${o.sigmaMax})`);
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    const net = new EDMNet(spec, o);
    const evalNet = new EDMNet(spec, o);
    const ema = new EMA(net, { gamma: o.emaGamma as number });
    const optimizer = new Adam(net.parameters(), { lr: o.lr as number });
    const sd = o.sigmaData as number;
    const perItem = [1, ...spec.itemShape.map(() => 1)];
    // Noisy network inputs and the regression target, at levels from the training distribution or uniform over
    // the sampler's nonzero levels: the training step's batch, and the one quantization recipes calibrate and
    // train on (denoiserBatch).
    const noisyBatch = (x0: Tensor, levels: DenoiserLevels, so: SampleOptions = {}) => {
      const B = x0.shape[0];
      let sigma: Tensor;
      if (levels === 'training') sigma = randn([B]).mul(o.pStd as number).add(o.pMean as number).exp();
      else {
        let grid = edmSigmas(so.steps ?? (o.sampleSteps as number), { sigmaMin: o.sigmaMin as number, sigmaMax: o.sigmaMax as number }).slice(0, -1);
        // the grid runs from sigma_max down, so part 0 holds the highest levels
        if (levels !== 'sampler') grid = grid.slice(...levelPart(grid.length, levels));
        const u = rand([B]).dataSync() as Float32Array;
        sigma = tensor(Array.from(u, (v) => grid[Math.min(grid.length - 1, Math.floor(v * grid.length))]));
      }
      sigma = sigma.reshape([B, ...perItem.slice(1)]);
      const y = x0.add(randnLike(x0).mul(sigma));
      const c = preconditioningTensor('edm', sigma, { sigmaData: sd });
      return { inputs: [y.mul(c.cIn), c.cNoise.reshape([B])], target: x0.sub(y.mul(c.cSkip)).div(c.cOut) };
    };
    return {
      model: net,
      ema,
      optimizer,
      trainStep(x0: Tensor): number {
        const loss = tidy(() => {
          const { inputs, target } = noisyBatch(x0, 'training');
          const l = net.forward(inputs[0], inputs[1]).sub(target).square().mean();
          optimizer.zeroGrad();
          l.backward();
          if ((o.clip as number) > 0) clipGradNorm(net.parameters(), o.clip as number);
          optimizer.step();
          return l.item();
        });
        ema.update();
        return loss;
      },
      denoiserBatch(x0: Tensor, levels: DenoiserLevels, so: SampleOptions = {}) {
        return tidy(() => noisyBatch(x0, levels, so));
      },
      evalNetwork() {
        ema.copyTo(evalNet);
        evalNet.eval();
        return evalNet;
      },
      sample(n: number, so: SampleOptions = {}) {
        if (!so.asIs) ema.copyTo(evalNet);
        evalNet.eval();
        const steps = so.steps ?? (o.sampleSteps as number), solver = (so.solver ?? o.solver) as SolverName;
        const D = preconditionedDenoiser((xIn, cNoise) => noGrad(() => evalNet.forward(xIn, full([xIn.shape[0]], cNoise))), 'edm', { sigmaData: sd });
        const x = tidy(() => randn([n, ...spec.itemShape]).mul(o.sigmaMax as number));
        const r = sample(solver, D, x, edmSigmas(steps, { sigmaMin: o.sigmaMin as number, sigmaMax: o.sigmaMax as number }));
        x.dispose();
        return r;
      },
    };
  },
};
