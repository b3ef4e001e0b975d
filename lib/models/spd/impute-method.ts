// CLI method 'spd-impute': the conditional DSPD imputer of impute-model.ts (dilated convolutions or an MLP over a
// window, diffusing a removed block's residual from linear interpolation) trained on the imputation tasks of a
// weekly series with real missing weeks (impute-data.ts: statsmodels co2 by default, split by year), as `tensorfield
// train / sample / eval` runs. Same model, loss, sampler and scores as scripts/spd/co2-impute.js; the training
// blocks are drawn from the two uniforms per item the CLI hands over (registry.ts DataSpec, kind 'dated': the
// window, and the seed of its block draw), so `train --resume` continues the same sequence. The held-out tasks are
// the script's fixedTasks (data seed, + 1 for the test split): `--every 2` scores exactly the script's tasks.
import { Tensor, TensorfieldError } from '../../tensor';
import type { ConditionalForecasts, ConditionalOptions, DataSpec, Method, MethodRun, OptionValue } from '../../registry';
import { Adam } from '../../optim/optimizer';
import { tidy } from '../../scope';
import { SeededRandom } from '../../data/prng';
import { NoiseProcess, type NoiseKind } from './noise';
import { dspdSchedule } from './schedule';
import { contextMask, drawBlock, fixedTasks, realGapTask, weeklyImputationData, type ImputeTask, type WeeklyImputationData, type YearRange } from './impute-data';
import { BlockFactors, SpdImputer, imputeBatch, imputeLoss, sampleImputer, type ImputerArch } from './impute-model';
import { linearPredictive, linearResidualStd, harmonicPredictive, type LinearResidualStd } from './impute-baselines';
import { scoreImputations, observedBlockMsi, gaussianImputations, BLOCK_GROUPS, type ImputationScores } from './impute-eval';

const DAY_MS = 86400000;

/** An inclusive year range as '1958-1987' or one year '1990'. */
export function parseYearRange(text: string, what: string): YearRange {
  const m = /^(\d{4})(?:-(\d{4}))?$/.exec(text);
  const r = m ? { from: Number(m[1]), to: Number(m[2] ?? m[1]) } : null;
  if (!r || r.to < r.from) throw new TensorfieldError('TF_INVALID_ARGUMENT', `method 'spd-impute': option '${what}' must be a year range as 1958-1987 or one year, got '${text}'`);
  return r;
}

/**
 * The series' own missing runs that fit a window with context on both sides (every k-th), each as the task of a
 * window centred on it (the script's --real-gaps): what the method is for, with no truth to score.
 */
export function realGapTasks(d: WeeklyImputationData, every = 1): ImputeTask[] {
  const fit = d.gaps.filter((g) => g.length <= d.window - 2);
  if (fit.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-impute: the series has no missing run that fits a ${d.window}-week window with context on both sides`);
  return fit.filter((_, i) => i % every === 0).map((g) => realGapTask(d, g));
}

function tasksOf(d: WeeklyImputationData, dataSeed: number, o: ConditionalOptions): ImputeTask[] {
  if (!(Number.isInteger(o.every) && o.every >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-impute: every must be a positive integer, got ${o.every}`);
  if (o.split === 'gaps') return realGapTasks(d, o.every);
  if (o.split !== 'val' && o.split !== 'test') throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-impute: split must be val, test or gaps, got '${String(o.split)}'`);
  const t = fixedTasks(d, o.split, dataSeed + (o.split === 'test' ? 1 : 0), o.every);
  if (t.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-impute: no task in the ${o.split} years ${d.splits[o.split].from}-${d.splits[o.split].to}`);
  return t;
}

export const spdImputeMethod: Method = {
  name: 'spd-impute',
  description: 'Stochastic process diffusion imputation of removed blocks of a weekly series with real missing weeks (co2): DSPD over the block with GP, OU or white noise; sample / eval impute the held-out blocks (CRPS, decile pinball loss, linear interpolation and a seasonal + trend fit beside)',
  source: 'Biloš, Rasul, Schneider, Nevmyvaka & Günnemann 2023 (Modeling Temporal Data as Continuous Functions with Stochastic Process Diffusion, ICML)',
  kinds: ['dated'],
  options: {
    noise: { default: 'gp', choices: ['gp', 'ou', 'white'], help: 'noise process over the block\'s times in window units (week j at j / (window - 1))' },
    sigma: { min: 0, minExclusive: true, default: 0.02, help: 'GP noise scale in window units (0.02: chosen on co2 validation)' },
    theta: { min: 0, minExclusive: true, default: 2, help: 'OU noise rate: exp(-theta |t_i - t_j|)' },
    arch: { default: 'conv', choices: ['conv', 'mlp'], help: 'denoiser: dilated 1-D convolutions over the window, or one MLP over it' },
    width: { integer: true, min: 0, default: 0, help: 'conv channels or MLP width (0: 32 / 128)' },
    window: { integer: true, min: 4, default: 64, help: 'weeks per window' },
    uniformShare: { min: 0, max: 1, default: 0.5, help: 'share of training blocks with a length uniform in 1..longest real run (the rest: the real runs\' lengths)' },
    trainYears: { default: '1958-1987', help: 'training years (inclusive range); scales from these only' },
    valYears: { default: '1988-1994', help: 'validation years (train\'s closing score)' },
    testYears: { default: '1995-2001', help: 'test years (sample / eval default)' },
    dataSeed: { integer: true, min: 0, default: 8, help: 'seed of the held-out blocks (+ 1 for the test split)' },
    diffusionSteps: { integer: true, min: 21, default: 100, help: 'DSPD steps N (beta 1e-4 -> 20 / N, so N >= 21)' },
    lr: { min: 0, minExclusive: true, default: 1e-3, resumable: true, help: 'Adam learning rate' },
    weightDecay: { min: 0, default: 1e-5, help: 'Adam weight decay' },
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    if (spec.kind !== 'dated' || !spec.dated) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-impute imputes a dated weekly series (data 'co2'); data '${spec.name}' is ${spec.kind} [${spec.itemShape}]`);
    }
    const d = weeklyImputationData(spec.dated(), {
      window: o.window as number,
      train: parseYearRange(o.trainYears as string, 'trainYears'), val: parseYearRange(o.valYears as string, 'valYears'), test: parseYearRange(o.testYears as string, 'testYears'),
    });
    for (const split of ['val', 'test'] as const) {
      if (d.starts[split].length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-impute: no ${d.window}-week window fits in the ${split} years ${d.splits[split].from}-${d.splits[split].to}`);
    }
    const noise = new NoiseProcess({ kind: o.noise as NoiseKind, sigma: o.sigma as number, theta: o.theta as number });
    const s = dspdSchedule(o.diffusionSteps as number);
    const net = new SpdImputer({ window: d.window, arch: o.arch as ImputerArch, width: (o.width as number) || undefined });
    const opt = new Adam(net.parameters(), { lr: o.lr as number, weightDecay: o.weightDecay as number });
    const factors = new BlockFactors(noise, d.window);
    const tr = d.starts.train, dataSeed = o.dataSeed as number, share = o.uniformShare as number;
    let resid: LinearResidualStd | null = null;  // the linear baseline's spread, fitted on first use (eval only)
    const unit = spec.name === 'co2' ? 'co2 (ppm)' : spec.name;
    return {
      model: net, optimizer: opt,
      trainStep(batch: Tensor): number {
        if (batch.ndim !== 2 || batch.shape[1] !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `spd-impute: a batch is [n, 2] uniforms (window, block seed), got [${batch.shape}]`);
        const u = batch.dataSync() as ArrayLike<number>, n = batch.shape[0];
        const tasks: ImputeTask[] = [];
        for (let i = 0; i < n; i++) {
          const rng = new SeededRandom(Math.floor(u[2 * i + 1] * 2 ** 32));
          // a window whose observed weeks admit no block is replaced by another from the same generator
          let t = drawBlock(rng, d, tr[Math.min(tr.length - 1, Math.floor(u[2 * i] * tr.length))], share);
          while (!t) t = drawBlock(rng, d, tr[rng.int(tr.length)], share);
          tasks.push(t);
        }
        net.train();
        return tidy(() => {
          const loss = imputeLoss(net, imputeBatch(d, tasks, factors), s);
          opt.zeroGrad(); loss.backward(); opt.step();
          return loss.item() as number;
        });
      },
      sample(): never {
        throw new TensorfieldError('TF_INVALID_ARGUMENT', "spd-impute is conditional: it has no unconditional samples; 'tensorfield sample / eval --run <folder>' impute the held-out blocks");
      },
      conditional: {
        gaps: `the series' ${d.gaps.filter((g) => g.length <= d.window - 2).length} real missing runs (${d.gaps.reduce((a, g) => a + g.length, 0)} weeks), each in a ${d.window}-week window centred on it`,
        predict(co: ConditionalOptions): ConditionalForecasts {
          const tasks = tasksOf(d, dataSeed, co);
          const steps = co.steps ?? s.N;
          if (!(Number.isInteger(steps) && steps >= 21)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-impute: sampler steps must be an integer >= 21 (beta ends at 20 / N), got ${steps}`);
          const m = co.samples, W = d.window;
          const v = sampleImputer(net, d, tasks, noise, m, { schedule: steps === s.N ? s : dspdSchedule(steps), onChunk: co.onProgress });
          const windows = tasks.map((t, i) => {
            const ctx = contextMask(d, t), at: number[] = [];
            for (let j = 0; j < W; j++) if (ctx[j]) at.push(j);
            return {
              label: new Date(d.days[t.start + t.offset] * DAY_MS).toISOString().slice(0, 10),
              contextX: at.map((j) => j - t.offset), contextY: at.map((j) => d.raw[t.start + j]),
              truthX: Array.from({ length: W }, (_, j) => j - t.offset), truthY: Array.from(d.raw.subarray(t.start, t.start + W)),
              targetX: Array.from({ length: t.length }, (_, j) => j),
              samples: Array.from({ length: m }, (_, r) => v[i].slice(r * t.length, (r + 1) * t.length)),
            };
          });
          return { split: co.split, valueLabel: unit, timeUnit: 'weeks', windows, nfe: steps };
        },
        score(f: ConditionalForecasts, co: ConditionalOptions) {
          if (co.split === 'gaps') throw new TensorfieldError('TF_INVALID_ARGUMENT', 'spd-impute: the real missing weeks have no truth to score (split gaps is for sampling)');
          const tasks = tasksOf(d, dataSeed, co);
          if (f.windows.length !== tasks.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `spd-impute: ${f.windows.length} imputations for ${tasks.length} tasks`);
          const m = f.windows[0].samples.length;
          const v = f.windows.map((w, i) => {
            const L = tasks[i].length, r = new Float64Array(m * L);
            w.samples.forEach((x, k) => r.set(x, k * L));
            return r;
          });
          const model = scoreImputations(d, tasks, v, m);
          resid ??= linearResidualStd(d);
          const lin = gaussianImputations(d, tasks, (t) => linearPredictive(d, t, resid!), m, co.seed, 3);
          const har = gaussianImputations(d, tasks, (t) => harmonicPredictive(d, t), m, co.seed, 4);
          const ls = scoreImputations(d, tasks, lin.draws, m), hs = scoreImputations(d, tasks, har.draws, m);
          const msiObs = observedBlockMsi(d, tasks);
          const weeks = tasks.reduce((a, t) => a + t.length, 0);
          const groups = Object.keys(BLOCK_GROUPS);
          const byLength = (sc: ImputationScores) => groups.map((g) => sc.byGroup[g]?.crps ?? NaN);
          const yr = (r: YearRange) => `${r.from}-${r.to}`;
          return {
            metrics: {
              tasks: tasks.length, removedWeeks: weeks, samplesPerWeek: m,
              crps: model.crps, pinballDeciles: model.pinballDeciles, energyScore: model.energy,
              ...(model.msi !== null && msiObs ? { continuityRatio: model.msi / msiObs } : {}),
              linearCrps: ls.crps, linearCrpsClosedForm: lin.crpsClosedForm, linearPinballDeciles: ls.pinballDeciles,
              harmonicCrps: hs.crps, harmonicCrpsClosedForm: har.crpsClosedForm, harmonicPinballDeciles: hs.pinballDeciles,
              crpsOverLinear: model.crps / ls.crps,
            },
            // CRPS per block-length group (NaN: no removed week of that group)
            breakdown: { crpsByLength: byLength(model), linearCrpsByLength: byLength(ls), harmonicCrpsByLength: byLength(hs) },
            notes: {
              split: `${co.split} ${yr(d.splits[co.split])}: ${tasks.length} tasks (one removed block per window, every ${co.every} window(s); blocks from data seed ${dataSeed + (co.split === 'test' ? 1 : 0)}), ${weeks} removed weeks; ${d.window}-week windows`,
              byLength: `the ByLength lists are CRPS over blocks of ${groups.join(' / ')} weeks`,
              estimator: `meanCrps (empirical ensemble, E|X-y| - E|X-X'|/2 over m^2 pairs) and decile pinball loss of the sample quantiles, ${m} samples per removed week, in ${unit}`,
              baselines: `linear interpolation between the neighbouring context weeks (Gaussian, training residual spread per block length and position) and a local seasonal + trend least-squares fit (1, t, two yearly harmonics), ${m} draws per week (seed ${co.seed}), same estimators; closed forms beside`,
              scales: `context spread ${d.ctxScale.toFixed(4)}, linear-interpolation residual RMS ${d.resScale.toFixed(4)} from the training years ${yr(d.splits.train)} only`,
            },
          };
        },
      },
    };
  },
};
