// CLI method 'blackout': Blackout diffusion on count data (data sources of kind 'counts': digits8,
// fashion14-4bit, ...). Trains the rate network with the Poisson NLL and samples from the empty image with the
// binomial bridge (default), tau-leaping or the stochastically rounded bridge; samples are uint8 counts.
import { Tensor, TensorfieldError } from '../../tensor';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { BlackoutNet, BLACKOUT_NETS, type BlackoutNetKind } from './network';
import { BlackoutTrainer } from './train';
import { LOSS_WEIGHTINGS, type LossWeighting } from './schedule';
import { RATE_PARAMS, type RateParam } from './loss';
import { sampleBlackout, networkRate, BLACKOUT_SAMPLERS, type BlackoutSampler } from './sample';
import { checkCounts } from './forward';

function netOf(spec: DataSpec, o: Record<string, OptionValue>): BlackoutNet {
  return new BlackoutNet({ itemShape: spec.itemShape, net: o.net as BlackoutNetKind, hidden: o.hidden as number, layers: o.layers as number,
    embDim: o.embDim as number, channels: o.channels as number, dropout: o.dropout as number });
}

export const blackoutMethod: Method = {
  name: 'blackout',
  description: 'Blackout diffusion: pure-death forward process on integer counts, Poisson-NLL rate network, sampling from the empty image',
  source: 'Santos, Fox, Lubbers & Lin 2023 (Blackout Diffusion, ICML)',
  kinds: ['counts'],
  options: {
    T: { default: 1000, help: 'observation times (logit-uniform in p)' },
    tEnd: { default: 10, help: 'last observation time; p = e^{-tEnd} there (the paper: 15 for CIFAR-10, 10 for binarised MNIST)' },
    weighting: { default: 'instantaneous', choices: LOSS_WEIGHTINGS, help: 'loss weight per index: instantaneous p_k dt_k T (the code), finite-time (p_{k-1} - p_k) T, or elbo p_k/(1-p_k) dt_k T' },
    rateParam: { default: 'paper', choices: RATE_PARAMS, help: "rate link: paper softplus(raw), or scaled (1 - p_t) softplus(raw) (learns the low-noise rates in short runs; see the folder's README)" },
    net: { default: 'auto', choices: BLACKOUT_NETS, help: 'rate network: mlp (time embedding at the input), resmlp (FiLM residual MLP: every layer reads it), unet, or auto (mlp for vectors and items of <= 64 elements)' },
    hidden: { default: 512, help: 'MLP width' },
    layers: { default: 2, help: 'MLP hidden layers' },
    embDim: { default: 128, help: 'MLP sinusoidal embedding width of the index k' },
    channels: { default: 32, help: 'U-Net base channels (levels x1, x2)' },
    dropout: { default: 0, help: 'U-Net dropout' },
    lr: { default: 1e-3, help: 'Adam learning rate' },
    clip: { default: 1, help: 'gradient-norm clip (0: off)' },
    emaGamma: { default: 7, help: 'power-function EMA exponent of the evaluation weights (EDM2)' },
    sampler: { default: 'bridge', choices: BLACKOUT_SAMPLERS, help: 'bridge (binomial bridge, exact for the true rate), tau (tau-leaping) or bridge-sr (bridge with stochastic rounding of the rate)' },
    sampleSteps: { default: 0, help: 'network evaluations when sampling, spread over the T indices (0: all T)' },
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    const nMax = spec.maxCount;
    if (spec.kind !== 'counts' || !(Number.isInteger(nMax) && nMax! >= 1)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout trains on count data with a known maximum count (data '${spec.name}' is ${spec.kind})`);
    }
    const net = netOf(spec, o), evalNet = netOf(spec, o);
    const tr = new BlackoutTrainer(net, { nMax: nMax!, T: o.T as number, tEnd: o.tEnd as number, weighting: o.weighting as LossWeighting,
      lr: o.lr as number, clip: o.clip as number, emaGamma: o.emaGamma as number, rateParam: o.rateParam as RateParam });
    let checked = false;
    return {
      model: net, ema: tr.ema, optimizer: tr.opt,
      trainStep(n0: Tensor): number {
        if (!checked) { checkCounts(n0, nMax!, 'blackout train batch'); checked = true; }  // once: the data source is fixed
        return tr.trainStep(n0);
      },
      evalNetwork() { tr.ema.copyTo(evalNet); evalNet.eval(); return evalNet; },
      sample(n: number, so: SampleOptions = {}) {
        if (!so.asIs) tr.ema.copyTo(evalNet);
        evalNet.eval();
        const steps = so.steps ?? ((o.sampleSteps as number) || tr.schedule.T);
        const sampler = (so.solver ?? o.sampler) as BlackoutSampler;
        const x = sampleBlackout(networkRate((a, k) => evalNet.forward(a, k), nMax!, o.rateParam as RateParam), [n, ...spec.itemShape], tr.schedule, nMax!, { sampler, steps });
        return { x, nfe: steps };
      },
    };
  },
};
