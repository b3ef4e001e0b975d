// The two ways `tensorfield quantize --method` makes an int8 network from a trained run, on the paper's scheme:
//  ptq     calibrate on batches whose noise levels are drawn uniformly from the sampler's levels (the recipe's
//          t ~ U{0..999}: every level mixed, one scale per tensor), then convert; with actBuckets N > 1 (the
//          ablation) each of N contiguous parts of the levels gets its own calibration and codings;
//  qat-kd  the same calibration, then QAT with distillation against the frozen float network (observers still
//          moving), then observers off, weight scales synced, convert. Training batches draw their levels like
//          the calibration ones.
import { noGrad } from '../../autograd';
import { tidy } from '../../scope';
import { TensorfieldError } from '../../tensor';
import { prepareQat, calibrate, convertQat, type LayerReport } from '../../quant/convert';
import { attachBuckets, calibrateBuckets, type BucketCalibration } from '../../quant/buckets';
import { distill } from '../../quant/distill';
import type { QuantContext, QuantRecipe } from '../../registry';
import { PAPER_SCHEME } from './scheme';

type Net = { forward: (...a: import('../../tensor').Tensor[]) => import('../../tensor').Tensor };

// Per-bucket calibration (--act-buckets N): bucket b's batches draw their levels from the b-th of N contiguous
// parts of the sampler's levels, calibBatches batches per bucket.
function calibrateBucketsOn(ctx: QuantContext): BucketCalibration {
  const n = ctx.options.actBuckets;
  const bar = ctx.progress(`calibrating ${n} buckets`, n * ctx.options.calibBatches);
  const cal = calibrateBuckets(ctx.net, n, (b, m) => {
    for (let i = 0; i < ctx.options.calibBatches; ++i) {
      tidy(() => { const x = ctx.batch(ctx.options.batchSize, { part: b, of: n }); (m as unknown as Net).forward(...x.inputs); });
      bar.update(b * ctx.options.calibBatches + i + 1);
    }
  });
  bar.finish();
  return cal;
}

function calibrateOn(ctx: QuantContext): void {
  const bar = ctx.progress('calibrating', ctx.options.calibBatches);
  calibrate(ctx.net, (m) => {
    for (let i = 0; i < ctx.options.calibBatches; ++i) {
      tidy(() => { const b = ctx.batch(ctx.options.batchSize, 'sampler'); noGrad(() => (m as unknown as Net).forward(...b.inputs)); });
      bar.update(i + 1);
    }
  });
  bar.finish();
}

export const ptqRecipe: QuantRecipe = {
  name: 'ptq',
  description: 'post-training quantization on the paper\'s scheme, calibrated over mixed noise levels',
  source: 'Chang et al. 2023 (arXiv 2311.16133), baseline',
  run(ctx) {
    const { kept } = prepareQat(ctx.net, PAPER_SCHEME);
    const buckets = ctx.options.actBuckets;
    const info: Record<string, unknown> = { scheme: PAPER_SCHEME, calibBatches: ctx.options.calibBatches, batchSize: ctx.options.batchSize, actBuckets: buckets };
    if (buckets === 1) {
      calibrateOn(ctx);
      return { report: [...kept, ...convertQat(ctx.net, PAPER_SCHEME)], info };
    }
    const cal = calibrateBucketsOn(ctx);
    const report: LayerReport[] = [...kept, ...convertQat(ctx.net, PAPER_SCHEME)];
    attachBuckets(ctx.net, cal);
    info.levelRanges = cal.ranges;
    return { report, info };
  },
};

export const qatKdRecipe: QuantRecipe = {
  name: 'qat-kd',
  description: 'calibration, then quantization-aware training distilled from the frozen float network, then conversion',
  source: 'Chang et al. 2023 (arXiv 2311.16133)',
  run(ctx) {
    if (ctx.options.actBuckets !== 1)
      throw new TensorfieldError('TF_UNSUPPORTED', 'qat-kd: per-level activation buckets (--act-buckets) are built for ptq only; QAT trains one scale per tensor');
    const teacher = ctx.teacher();
    // the official code keeps the observers moving during QAT; --observers frozen keeps the calibrated scales
    // (measured on a toy MLP, test/quant-diffusion.test.ts: frozen beats PTQ on every seed, moving is erratic)
    const opts = { ...PAPER_SCHEME, observeInTraining: ctx.options.observers !== 'frozen' };
    const { kept } = prepareQat(ctx.net, opts);
    calibrateOn(ctx);
    const bar = ctx.progress('QAT+KD', ctx.options.steps);
    const losses: number[] = [], task: number[] = [], kd: number[] = [];
    distill(ctx.net, teacher, () => ctx.batch(ctx.options.batchSize, 'sampler'), {
      steps: ctx.options.steps, lr: ctx.options.lr, kdWeight: 1, taskWeight: ctx.options.taskWeight, clip: 1,
      onStep: (s, t) => { losses.push(t.loss); task.push(t.task); kd.push(t.kd); bar.update(s + 1, { loss: t.loss, kd: t.kd }); },
    });
    bar.finish();
    const report: LayerReport[] = [...kept, ...convertQat(ctx.net, opts)];
    return { report, info: { scheme: opts, calibBatches: ctx.options.calibBatches, batchSize: ctx.options.batchSize, steps: ctx.options.steps, lr: ctx.options.lr, taskWeight: ctx.options.taskWeight, observers: ctx.options.observers, losses, task, kd } };
  },
};
