// The CLI method 'dsno': distils a 'trigflow' teacher checkpoint into a DSNO operator (points: DsnoMLP; images:
// DsnoUNet, the teacher's U-Net with its weights copied in and temporal layers added). At start it
// makes (or completes, or reuses) the teacher's trajectory folder, then each training step draws a minibatch of
// stored trajectories; sampling is one operator call, whose last slice is the sample.
import * as path from 'path';
import { Tensor, TensorfieldError } from '../../tensor';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { loadTeacher, scmUNetConfig } from '../scm/method';
import { priorNoise, tMaxOf } from '../scm/sample';
import { DsnoMLP } from './operator';
import { DsnoUNet } from './unet-operator';
import { tauOf } from './schedule';
import { DsnoTrainer, dsnoSample } from './train';
import { generateTrajectories, loadTrajectories } from './trajectories';
import { timeGrid, sliceWeights, type GridKind, type LogSnrRange } from './schedule';

export const dsnoMethod: Method = {
  name: 'dsno',
  description: 'DSNO: one operator call maps noise to the teacher\'s whole trajectory (distils a trigflow checkpoint)',
  source: 'Zheng et al., ICML 2023 (Fast Sampling of Diffusion Models via Operator Learning)',
  kinds: ['points', 'images'],
  options: {
    teacher: { default: '', help: 'trigflow checkpoint to distil (required; same sigmaData/hidden/blocks/sigmaMax)' },
    sigmaData: { min: 0, minExclusive: true, default: 0.5, help: "the teacher's sigma_d" },
    hidden: { integer: true, min: 1, default: 256, help: "the teacher's MLP width" },
    blocks: { integer: true, min: 1, default: 3, help: "the teacher's residual blocks (points)" },
    channels: { integer: true, min: 1, default: 32, help: "the teacher's U-Net base channels (images)" },
    sigmaMax: { min: 0, minExclusive: true, default: 80, help: "the teacher's largest noise: trajectories start at t_max = arctan(sigmaMax / sigmaData)" },
    trajectories: { default: '', help: 'trajectory folder (made, completed or reused; default: beside the teacher checkpoint)' },
    nTraj: { integer: true, min: 1, default: 50000, help: 'teacher trajectories to store' },
    trajSeed: { integer: true, min: 0, default: 0, help: 'seed of the stored trajectories\' noise (shard k draws after manualSeed(trajSeed * 1000003 + k + 1); keep it apart from the sample seeds used in evaluation)' },
    teacherSteps: { integer: true, min: 1, default: 256, help: 'trig-DDIM steps per trajectory (every grid time must be a step)' },
    grid: { default: 'quad', choices: ['quad', 'uniform'], help: 'stored times: quad (CIFAR, u = (1 - k/M)^2) or uniform (ImageNet)' },
    slices: { integer: true, min: 1, default: 4, help: 'M, the trajectory slices the operator outputs' },
    width: { integer: true, min: 1, default: 256, help: 'operator width (points; images use the teacher U-Net)' },
    opBlocks: { integer: true, min: 1, default: 3, help: 'operator residual blocks, a temporal convolution after each (points)' },
    modes: { integer: true, min: 0, default: 2, help: 'temporal Fourier modes (0: no temporal convolution, the ablation)' },
    distance: { default: 'l1', choices: ['l1', 'l2', 'feature'], help: 'per-slice distance of the loss (feature: the Fashion classifier\'s LPIPS-style distance, images only)' },
    lr: { min: 0, minExclusive: true, resumable: true, default: 1e-3, help: 'Adam learning rate (the paper: 2e-4)' },
    warmup: { integer: true, min: 0, default: 200, help: 'linear warm-up steps from 1e-3 of the rate' },
    emaDecay: { min: 0, max: 1, maxExclusive: true, default: 0.999, help: 'EMA decay of the evaluation weights' },
  },
  checkOptions(o) {
    if (!o.teacher) throw new TensorfieldError('TF_INVALID_ARGUMENT', "method 'dsno' needs --teacher <trigflow checkpoint>");
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    const sd = o.sigmaData as number;
    // checked before the (long) trajectory generation: the feature distance reads 1-channel 28x28 or 14x14 images
    const sh = spec.itemShape;
    if (o.distance === 'feature' && !(sh.length === 3 && sh[0] === 1 && sh[1] === sh[2] && (sh[1] === 28 || sh[1] === 14))) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsno: --distance feature needs 1x28x28 or 1x14x14 images (Fashion-MNIST), data items are [${sh}]`);
    }
    const teacher = loadTeacher(spec, { ...o, dropout: 0 }, o.teacher as string);
    // u = 1 is the teacher's own t_max: logsnr_min = -2 ln tan(t_max) on sigma_d-normalised data
    const tMax = tMaxOf(o.sigmaMax as number, sd);
    const range: LogSnrRange = { logsnrMin: -2 * Math.log(Math.tan(tMax)), logsnrMax: 20 };
    const M = o.slices as number;
    const grid = timeGrid(o.grid as GridKind, M), times = grid.slice(1);
    const dir = (o.trajectories as string) || path.join(path.dirname(o.teacher as string),
      `dsno-trajectories-${o.nTraj}-${o.teacherSteps}-${o.grid}${M}${o.trajSeed ? `-seed${o.trajSeed}` : ''}`);
    generateTrajectories(dir, { teacher: (x, t) => teacher.forward(x, t), sigmaD: sd, sampleShape: spec.itemShape, grid, n: o.nTraj as number,
      steps: o.teacherSteps as number, range, seed: o.trajSeed as number });
    const data = loadTrajectories(dir);
    // images: the teacher's U-Net, fed each slice's TrigFlow angle (the time input it was trained on)
    const make = spec.kind === 'points'
      ? () => new DsnoMLP({ dim: spec.itemShape[0], times, width: o.width as number, blocks: o.opBlocks as number, embDim: 128, modes: o.modes as number })
      : () => new DsnoUNet({ unet: scmUNetConfig(spec, { ...o, dropout: 0 }), sliceTimes: times.map((u) => tauOf(u, range)), modes: o.modes as number });
    const net = make();
    if (net instanceof DsnoUNet) net.unet.loadStateDict(teacher.net.stateDict());
    teacher.dispose();
    const tr = new DsnoTrainer(net, { weights: sliceWeights(times, range), sigmaD: sd, lr: o.lr as number, warmupSteps: o.warmup as number,
      emaDecay: o.emaDecay as number, distance: o.distance as 'l1' | 'l2' | 'feature' });
    const evalNet = make();
    evalNet.eval();
    return {
      model: net,
      ema: tr.ema,
      optimizer: tr.opt,
      // the data batch only sets the minibatch size: DSNO trains on the stored trajectories
      trainStep(batch: Tensor, step: number): number {
        if (Number.isInteger(step)) tr.steps = step;
        return tr.stepFrom(data.xT, data.traj, batch.shape[0]);
      },
      evalNetwork() { tr.ema.copyTo(evalNet); evalNet.eval(); return evalNet; },
      sample(n: number, so: SampleOptions = {}) {
        if (!so.asIs) tr.ema.copyTo(evalNet);
        const z = priorNoise([n, ...spec.itemShape], sd);
        const traj = dsnoSample(evalNet, z, sd);
        const x = traj.select(1, M - 1).contiguous();
        z.dispose(); traj.dispose();
        return { x, nfe: 1 };
      },
    };
  },
};
