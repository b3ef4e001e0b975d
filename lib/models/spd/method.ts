// CLI method 'spd': stochastic process diffusion of series sampled on a grid (points data [P]: bandlimited64,
// seattle-temp24, ...). The grid's times are j / (P - 1), so the noise process is built in window units (not on
// integer indices, which makes the official forecasting code's "GP" white). An MLP over the whole vector predicts
// the standard noise eps; DSPD (100 steps) or CSPD (VP-SDE, RK4 probability flow or Euler-Maruyama) samples.
// Unconditional: the conditional NP-benchmark model is run by scripts/spd/np-benchmark.js.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { MLPDenoiser } from '../../nn/models/mlp_denoiser';
import { Adam, clipGradNorm } from '../../optim/optimizer';
import { EMA } from '../../optim/ema';
import { tidy } from '../../scope';
import { NoiseProcess, type NoiseKind } from './noise';
import { dspdSchedule } from './schedule';
import { dspdLoss, sampleDspd } from './dspd';
import { cspdLoss, sampleCspd } from './cspd';

export const spdMethod: Method = {
  name: 'spd',
  description: 'Stochastic process diffusion: DSPD/CSPD with GP, OU or white noise over the series\' times, MLP noise predictor',
  source: 'Biloš, Rasul, Schneider, Nevmyvaka & Günnemann 2023 (Modeling Temporal Data as Continuous Functions with Stochastic Process Diffusion, ICML)',
  kinds: ['points'],
  options: {
    noise: { default: 'gp', choices: ['gp', 'ou', 'white'], help: 'noise process over the grid times j / (P - 1)' },
    sigma: { min: 0, minExclusive: true, default: 0.1, help: 'GP noise scale: exp(-((t_i - t_j) / sigma)^2), in window units' },
    theta: { min: 0, minExclusive: true, default: 2, help: 'OU noise rate: exp(-theta |t_i - t_j|)' },
    diffusion: { default: 'dspd', choices: ['dspd', 'cspd'], help: 'discrete (100 steps, beta 1e-4 -> 0.2) or continuous (VP-SDE beta 0.1 -> 20)' },
    diffusionSteps: { integer: true, min: 21, default: 100, help: 'DSPD steps N (beta ends at 20 / N, so N >= 21)' },
    hidden: { integer: true, min: 1, default: 256, help: 'MLP width' },
    layers: { integer: true, min: 1, default: 3, help: 'MLP hidden layers' },
    lr: { min: 0, minExclusive: true, default: 1e-3, help: 'Adam learning rate' },
    clip: { min: 0, default: 1, help: 'gradient-norm clip (0: off)' },
    emaGamma: { min: 0, default: 7, help: 'power-function EMA exponent of the evaluation weights' },
    solver: { default: 'ode', choices: ['ode', 'sde'], help: 'CSPD sampler: RK4 probability flow or reverse-SDE Euler-Maruyama' },
    sampleSteps: { integer: true, min: 1, default: 100, help: 'CSPD integration steps' },
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    if (spec.kind !== 'points' || spec.itemShape.length !== 1 || spec.itemShape[0] < 2) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd trains on series on a grid: points [P], P >= 2 (data '${spec.name}' is ${spec.kind} [${spec.itemShape}])`);
    }
    const P = spec.itemShape[0];
    const noise = new NoiseProcess({ kind: o.noise as NoiseKind, sigma: o.sigma as number, theta: o.theta as number });
    const times = tensor(Float64Array.from({ length: P }, (_, j) => j / (P - 1)), { dtype: 'float64' });
    const L1 = noise.factor(times).float();
    const s = dspdSchedule(o.diffusionSteps as number);
    const cont = o.diffusion === 'cspd';
    // CSPD's time is s in [0, 1]: scale it to the embedding's DSPD-like index range
    const make = () => new MLPDenoiser({ dim: P, hidden: o.hidden as number, layers: o.layers as number, timeEmbedDim: 64, timeScale: cont ? 100 : 1 });
    const net = make(), evalNet = make();
    const opt = new Adam(net.parameters(), { lr: o.lr as number });
    const ema = new EMA(net, { gamma: o.emaGamma as number });
    const Lof = (n: number) => L1.unsqueeze(0).expand([n, P, P]);
    return {
      model: net, ema, optimizer: opt,
      trainStep(batch: Tensor): number {
        const l = tidy(() => {
          const x = batch.reshape([batch.shape[0], P]).float();
          const f = (xx: Tensor, k: Tensor) => net.forward(xx, k);
          const loss = cont ? cspdLoss(f, x, Lof(x.shape[0])) : dspdLoss(f, x, Lof(x.shape[0]), s);
          opt.zeroGrad(); loss.backward();
          if ((o.clip as number) > 0) clipGradNorm(net.parameters(), o.clip as number);
          opt.step();
          return loss.item();
        });
        ema.update();
        return l;
      },
      evalNetwork() { ema.copyTo(evalNet); evalNet.eval(); return evalNet; },
      sample(n: number, so: SampleOptions = {}) {
        if (!so.asIs) ema.copyTo(evalNet);
        evalNet.eval();
        const f = (xx: Tensor, k: Tensor) => evalNet.forward(xx, k);
        const L = Lof(n).contiguous();
        const steps = so.steps ?? (cont ? o.sampleSteps as number : s.N);
        const x = cont ? sampleCspd(f, L, { method: o.solver as 'ode' | 'sde', steps }) : sampleDspd(f, L, s);
        return { x: x.reshape([n, ...spec.itemShape]), nfe: cont && o.solver === 'ode' ? 4 * steps : cont ? steps : s.N };
      },
    };
  },
};
