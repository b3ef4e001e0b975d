// The CLI method 'gauge': a free or conservative (s = grad_x E) score field on points, trained by VE denoising
// score matching (train.ts) and sampled with the EDM-form solvers through the denoiser D(x, sigma) = x + sigma^2 s.
// Its score() is what `tensorfield id` estimates intrinsic dimensions from.
import { Tensor, TensorfieldError, full } from '../../tensor';
import type { DeviceName } from '../../tensor';
import { randn } from '../../random';
import { tidy } from '../../scope';
import { Adam, clipGradNorm } from '../../optim/optimizer';
import { edmSigmas } from '../../samplers/grids';
import { sample, SOLVER_NAMES, type SolverName } from '../../samplers/solvers';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { ConservativeScoreNet, FreeScoreNet } from './nets';
import { dsmLoss } from './train';

export const gaugeMethod: Method = {
  name: 'gauge',
  description: 'free or conservative (s = grad_x E) VE score field on points, for intrinsic-dimension estimates (tensorfield id)',
  source: 'Horvat & Pfister, ICLR 2024 (gauge freedom); Stanczuk et al. (score-SVD dimension)',
  kinds: ['points'],
  options: {
    field: { default: 'conservative', choices: ['conservative', 'free'], help: 'score parameterisation: grad_x of an energy net, or a free net' },
    hidden: { integer: true, min: 1, default: 128, help: 'MLP width' },
    depth: { integer: true, min: 1, default: 3, help: 'MLP hidden layers' },
    lr: { min: 0, minExclusive: true, resumable: true, default: 1e-3, help: 'Adam learning rate' },
    clip: { min: 0, resumable: true, default: 0, help: 'gradient-norm clip (0: off)' },
    curl: { min: 0, default: 0, help: 'lambda of the curl penalty lambda mean(sigma^2 curl^2): free field on 2-D points only (0: off)' },
    sigmaMin: { min: 0, minExclusive: true, default: 0.01, help: 'smallest VE noise level (training and sampling)' },
    sigmaMax: { min: 0, minExclusive: true, default: 4, help: 'largest VE noise level' },
    solver: { resumable: true, default: 'heun', help: 'sampler', choices: SOLVER_NAMES },
    sampleSteps: { integer: true, min: 2, resumable: true, default: 40, help: 'noise levels of the sampler' },
  },
  checkOptions(o) {
    if (!((o.sigmaMin as number) < (o.sigmaMax as number)))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'gauge': option 'sigmaMin' (${o.sigmaMin}) must be below option 'sigmaMax' (${o.sigmaMax})`);
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    const D = spec.itemShape[0];
    const curlWeight = o.curl as number;
    // refused here rather than at the first step: the penalty needs a free field (a gradient has no curl) in 2-D
    if (curlWeight > 0 && (o.field !== 'free' || D !== 2))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'gauge': option 'curl' needs --field free on 2-D points, got field '${o.field}' on ${D}-D points`);
    const make = () => (o.field === 'free' ? new FreeScoreNet(D, o.hidden as number, o.depth as number)
      : new ConservativeScoreNet(D, o.hidden as number, o.depth as number));
    const net = make();
    const optimizer = new Adam(net.parameters(), { lr: o.lr as number });
    const ve = { sigmaMin: o.sigmaMin as number, sigmaMax: o.sigmaMax as number };
    const score = (x: Tensor, sigma: number, differentiable = false) => {
      const s = full([x.shape[0]], sigma, { dtype: x.dtype, device: x.device as DeviceName });
      return differentiable ? net.score(x, s, true) : tidy(() => net.score(x, s, false).detach());
    };
    return {
      model: net,
      optimizer,
      trainStep(x0: Tensor): number {
        return tidy(() => {
          optimizer.zeroGrad();
          const l = dsmLoss(net, x0, { ...ve, curlWeight });
          l.backward();
          if ((o.clip as number) > 0) clipGradNorm(net.parameters(), o.clip as number);
          optimizer.step();
          return l.item();
        });
      },
      score,
      sample(n: number, so: SampleOptions = {}) {
        net.eval();
        const steps = so.steps ?? (o.sampleSteps as number), solver = (so.solver ?? o.solver) as SolverName;
        // the VE PF-ODE in EDM form: dx/dsigma = (x - D) / sigma with D = x + sigma^2 s
        const den = (x: Tensor, sigma: number) => tidy(() => x.add(score(x, sigma).mul(sigma * sigma)));
        const x = tidy(() => randn([n, D]).mul(ve.sigmaMax));
        const r = sample(solver, den, x, edmSigmas(steps, ve));
        x.dispose();
        net.train();
        return r;
      },
    };
  },
};
