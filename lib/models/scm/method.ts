// CLI methods for sCM: 'trigflow' (the TrigFlow diffusion teacher), 'scd' (consistency distillation from a
// trigflow checkpoint) and 'sct' (consistency training, optionally initialised from one). Points use ScmMLP;
// images a U-Net with the paper's conditioning: positional embedding of c_noise(t) = t (periods up to 10) and
// adaptive double normalisation in every residual block.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, TensorfieldError } from '../../tensor';
import { Module } from '../../nn/module';
import { loadCheckpoint } from '../../io/checkpoint';
import { EMA, MAX_SIGMA_REL } from '../../optim/ema';
import type { DataSpec, Method, MethodRun, OptionValue, SampleOptions } from '../../registry';
import { UNet, type UNetConfig } from '../../nn/models/unet';
import { ScmMLP, LogvarHead } from './network';
import { TrigFlowTrainer, ConsistencyTrainer } from './train';
import { consistencySample, trigflowOdeSample, priorNoise, tMaxOf } from './sample';

type ScmNet = ScmMLP | UNet;

/** F for the data kind: ScmMLP for points, the double-normalised U-Net (levels x1, x2) for images. */
function makeNet(spec: DataSpec, o: Record<string, OptionValue>): ScmNet {
  const dropout = o.dropout as number;
  if (spec.kind === 'points') {
    if (dropout !== 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `--dropout is implemented for the image U-Net only; points (ScmMLP) take 0, got ${dropout}`);
    return new ScmMLP({ dim: spec.itemShape[0], hidden: o.hidden as number, blocks: o.blocks as number, embDim: 64 });
  }
  return new UNet(scmUNetConfig(spec, o));
}

/** The image network's configuration (levels x1, x2, one block each, the paper's conditioning). */
export function scmUNetConfig(spec: DataSpec, o: Record<string, OptionValue>): UNetConfig {
  const [c, h] = spec.itemShape;
  return { inChannels: c, imageSize: h, baseChannels: o.channels as number, channelMult: [1, 2], numResBlocks: 1, groups: 8,
    noiseScale: 1, maxPeriod: 10, doubleNorm: true, dropout: o.dropout as number };
}

const asNet = (net: ScmNet) => (x: Tensor, t: Tensor) => net.forward(x, t);

/** What a run checkpoints: F and the adaptive-weighting head. */
export class ScmRunModel extends Module {
  net: ScmNet;
  logvar: LogvarHead;
  constructor(spec: DataSpec, o: Record<string, OptionValue>) {
    super();
    this.net = this.module('net', makeNet(spec, o));
    this.logvar = this.module('logvar', new LogvarHead(128));
  }
  forward(xIn: Tensor, t: Tensor): Tensor { return this.net.forward(xIn, t); }
}

const common = {
  sigmaData: { min: 0, minExclusive: true, default: 0.5, help: 'sigma_d, the data standard deviation (TrigFlow noise scale)' },
  hidden: { integer: true, min: 1, default: 256, help: 'MLP width (points)' },
  blocks: { integer: true, min: 1, default: 3, help: 'residual blocks with adaptive double normalisation (points)' },
  channels: { integer: true, min: 1, default: 32, help: 'U-Net base channels (images; levels x1, x2)' },
  sigmaMax: { min: 0, minExclusive: true, resumable: true, default: 80, help: 'sampling starts at t_max = arctan(sigmaMax / sigmaData)' },
  dropout: { default: 0, help: 'dropout rate in [0, 1) in every U-Net residual block, before its second conv (images; the paper: sCT 0.2-0.45, sCD 0, teacher 0-0.1)' },
  emaSigmaRel: { default: '', help: `EDM2 power-function EMA of relative width sigma_rel in (0, ${MAX_SIGMA_REL.toFixed(4)}] instead of --emaDecay (the paper: 0.025-0.075; empty: off)` },
  lrSchedule: { default: 'constant', choices: ['constant', 'inverse-sqrt'], help: 'learning-rate schedule: constant, or inverse-sqrt lr / sqrt(max(step / lrRefSteps, 1))' },
  lrRefSteps: { default: 35000, help: 't_ref of the inverse-sqrt schedule in steps (the paper: 35000-70000)' },
};

/**
 * Checks the options shared by the sCM methods before anything is built, and returns the trainer settings they
 * imply. Every message names the valid range.
 */
export function scmTrainerOptions(o: Record<string, OptionValue>): { emaSigmaRel?: number; lrSchedule: 'constant' | 'inverse-sqrt'; lrRefSteps: number } {
  const bad = (m: string) => new TensorfieldError('TF_INVALID_ARGUMENT', m);
  const p = o.dropout as number;
  if (!(p >= 0 && p < 1)) throw bad(`--dropout must be in [0, 1), got ${p}`);
  let emaSigmaRel: number | undefined;
  const sr = String(o.emaSigmaRel ?? '').trim();
  if (sr !== '') {
    emaSigmaRel = Number(sr);
    if (!(emaSigmaRel > 0 && emaSigmaRel <= MAX_SIGMA_REL)) {
      throw bad(`--emaSigmaRel (sigma_rel) must be a number in (0, ${MAX_SIGMA_REL.toFixed(4)}] (the paper uses 0.025-0.075), got '${sr}'`);
    }
  }
  const lrSchedule = o.lrSchedule as string;
  if (lrSchedule !== 'constant' && lrSchedule !== 'inverse-sqrt') throw bad(`--lrSchedule must be constant or inverse-sqrt, got '${lrSchedule}'`);
  const ref = o.lrRefSteps as number;
  if (!(Number.isInteger(ref) && ref > 0)) throw bad(`--lrRefSteps must be a positive integer (steps), got ${ref}`);
  return { emaSigmaRel, lrSchedule, lrRefSteps: ref };
}

/** The teacher's weights, EMA averaged, from a 'trigflow' checkpoint (same hidden/blocks/channels options). */
export function loadTeacher(spec: DataSpec, o: Record<string, OptionValue>, file: string): ScmRunModel {
  // Said before any network is built, naming the option: a bare ENOENT from deep in the loader names neither.
  let st: fs.Stats | null = null;
  try { st = fs.statSync(file); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const cause = code === 'ENOENT' ? 'no such file' : code === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : code === 'EACCES' ? 'permission denied' : String(code);
    throw new TensorfieldError('TF_BAD_FILE', `--teacher '${file}': ${cause} (a checkpoint.safetensors of a 'tensorfield train --method trigflow' run is expected)`);
  }
  if (st.isDirectory()) {
    throw new TensorfieldError('TF_BAD_FILE', `--teacher '${file}': it is a folder; give the checkpoint file in it (${path.join(file, 'checkpoint.safetensors')})`);
  }
  const m = new ScmRunModel(spec, o);
  const ema = new EMA(m.net, { decay: 0.999 });
  const holder = new ScmRunModel(spec, o);
  loadCheckpoint(file, { model: holder, ema, restoreRng: false });
  ema.copyTo(m.net);
  holder.dispose();
  m.eval();
  return m;
}

function run(spec: DataSpec, o: Record<string, OptionValue>, model: ScmRunModel,
  trainer: TrigFlowTrainer | ConsistencyTrainer, sampler: 'ode' | 'cm'): MethodRun {
  const sd = o.sigmaData as number;
  const evalNet = makeNet(spec, o);
  evalNet.eval();  // no dropout when sampling
  return {
    model, ema: trainer.ema, optimizer: trainer.opt,
    // the loop's step index (not a count from 0) keeps the warm-up and the lr schedule right after --resume
    trainStep: (x0: Tensor, step: number) => { if (Number.isInteger(step)) trainer.step = step; return trainer.trainStep(x0); },
    evalNetwork() {
      trainer.ema.copyTo(evalNet);
      evalNet.eval();
      return evalNet;
    },
    sample(n: number, so: SampleOptions = {}) {
      if (!so.asIs) trainer.ema.copyTo(evalNet);
      const steps = so.steps ?? (o.sampleSteps as number);
      const z = priorNoise([n, ...spec.itemShape], sd);
      const tMax = tMaxOf(o.sigmaMax as number, sd);
      let x: Tensor;
      if (sampler === 'ode') {
        x = trigflowOdeSample(asNet(evalNet), z, { sigmaD: sd, nfe: steps, tMax });
      } else {
        if (steps !== 1 && steps !== 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `consistency sampling takes 1 or 2 steps, got ${steps}`);
        x = consistencySample(asNet(evalNet), z, { sigmaD: sd, times: steps === 1 ? [tMax] : [tMax, o.tMid as number] });
      }
      z.dispose();
      return { x, nfe: steps };
    },
  };
}

export const trigflowMethod: Method = {
  name: 'trigflow',
  description: 'TrigFlow diffusion model (sCM teacher): v-prediction on x_t = cos t x0 + sin t z, trig-DDIM sampler',
  source: 'Lu & Song 2024 (sCM), TrigFlow',
  kinds: ['points', 'images'],
  options: {
    ...common,
    lr: { min: 0, minExclusive: true, resumable: true, default: 1e-3, help: 'Adam learning rate' },
    pMean: { default: -0.8, help: 'mean of ln(sigma) for the time proposal' },
    pStd: { min: 0, minExclusive: true, default: 1.6, help: 'std of ln(sigma) for the time proposal' },
    emaDecay: { min: 0, max: 1, maxExclusive: true, default: 0.999, help: 'EMA decay of the evaluation weights' },
    sampleSteps: { integer: true, min: 1, resumable: true, default: 64, help: 'trig-DDIM steps (NFE)' },
  },
  create(spec, o) {
    const so = scmTrainerOptions(o);
    const model = new ScmRunModel(spec, o);
    const tr = new TrigFlowTrainer(model.net, { sigmaD: o.sigmaData as number, pMean: o.pMean as number, pStd: o.pStd as number,
      optim: { lr: o.lr as number }, emaDecay: o.emaDecay as number, logvar: model.logvar, ...so });
    return run(spec, o, model, tr, 'ode');
  },
};

function consistencyMethod(mode: 'scd' | 'sct'): Method {
  return {
    name: mode,
    description: mode === 'scd'
      ? 'continuous-time consistency distillation (sCD) from a trigflow checkpoint; 1- or 2-step sampling'
      : 'continuous-time consistency training (sCT) from data; 1- or 2-step sampling',
    source: 'Lu & Song 2024 (sCM)',
    kinds: ['points', 'images'],
    options: {
      ...common,
      teacher: { default: '', help: mode === 'scd' ? 'trigflow checkpoint to distil (required; same hidden/blocks/channels)' : 'trigflow checkpoint to initialise from (optional)' },
      lr: { min: 0, minExclusive: true, resumable: true, default: 1e-4, help: 'Adam learning rate (betas 0.9, 0.99)' },
      pMean: { default: -1.0, help: 'mean of ln(sigma) for the time proposal' },
      pStd: { min: 0, minExclusive: true, default: 1.4, help: 'std of ln(sigma) for the time proposal' },
      warmup: { integer: true, min: 0, default: 1000, help: 'tangent warm-up steps H (r = min(1, step/H))' },
      tangentC: { min: 0, default: 0.1, help: 'tangent normalisation constant c in g / (RMS(g) + c)' },
      tangent: { default: 'normalize', choices: ['normalize', 'clip'], help: 'bound on the tangent g: normalize (g / (RMS(g) + tangentC)) or clip (clip(g, -1, 1))' },
      priorWeight: { default: true, help: 'prior weight 1/sigma (false: weight 1)' },
      emaDecay: { min: 0, max: 1, maxExclusive: true, default: 0.999, help: 'EMA decay of the evaluation weights' },
      tMid: { min: 0, minExclusive: true, resumable: true, default: 1.1, help: 'intermediate time of 2-step sampling' },
      sampleSteps: { integer: true, min: 1, max: 2, resumable: true, default: 2, help: 'consistency steps: 1 or 2' },
    },
    create(spec, o) {
      const so = scmTrainerOptions(o);
      const file = o.teacher as string;
      if (mode === 'scd' && !file) throw new TensorfieldError('TF_INVALID_ARGUMENT', "scd needs --teacher <trigflow checkpoint>");
      const model = new ScmRunModel(spec, o);
      let teacher: ScmRunModel | null = null;
      if (file) {
        teacher = loadTeacher(spec, o, file);
        // Algorithm 1 initialises F from the teacher; the weighting head starts afresh.
        model.net.loadStateDict(teacher.net.stateDict());
      }
      const tr = new ConsistencyTrainer(model.net, {
        sigmaD: o.sigmaData as number, mode, teacher: mode === 'scd' ? asNet(teacher!.net) : undefined,
        pMean: o.pMean as number, pStd: o.pStd as number, optim: { lr: o.lr as number }, emaDecay: o.emaDecay as number,
        warmupSteps: o.warmup as number, tangentC: o.tangentC as number, tangent: o.tangent as 'normalize' | 'clip',
        priorWeight: o.priorWeight as boolean, logvar: model.logvar, ...so,
      });
      return run(spec, o, model, tr, 'cm');
    },
  };
}

export const scdMethod = consistencyMethod('scd');
export const sctMethod = consistencyMethod('sct');
