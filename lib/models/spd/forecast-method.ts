// CLI method 'spd-forecast': the conditional DSPD forecaster of forecast-model.ts (GRU over the kept context days,
// MLP denoiser over the horizon) trained on the irregular forecasting windows of a dated daily series
// (forecast-data.ts: seattle-weather by default, split by year), as `tensorfield train / sample / eval` runs. It is
// the same model, loss, sampler and scores as scripts/spd/seattle-forecast.js; what differs is the batch draw:
// the CLI hands it two uniforms per item from the engine generator (registry.ts DataSpec, kind 'dated'), one picking
// the training window and one seeding that window's random drop of context days, so that the draws are saved with
// the checkpoint's generator state and `train --resume` continues the same sequence. The held-out windows keep the
// script's fixed drop masks (data seed, + 1 for the test split), so the CLI and the script forecast the same tasks.
import { Tensor, TensorfieldError } from '../../tensor';
import type { ConditionalForecasts, ConditionalOptions, DataSpec, Method, MethodRun, OptionValue } from '../../registry';
import { Adam } from '../../optim/optimizer';
import { tidy } from '../../scope';
import { SeededRandom } from '../../data/prng';
import { NoiseProcess, type NoiseKind } from './noise';
import { dspdSchedule } from './schedule';
import type { EpsTarget } from './dspd';
import { dailyForecastData, dropContext, fixedDrops, forecastBatch, type DailyForecastData } from './forecast-data';
import { SpdForecaster, forecastFactor, forecastLoss, sampleForecaster } from './forecast-model';
import { scoreForecasts, observedMsi, fitClimatology, climatologyForecasts, fitPersistence, persistenceForecasts } from './forecast-eval';

const DAY_MS = 86400000;

/** Years as '2012-2013', '2014' or '2012,2014' (a range or a list). */
export function parseYears(text: string, what: string): number[] {
  const bad = () => new TensorfieldError('TF_INVALID_ARGUMENT', `method 'spd-forecast': option '${what}' must be years as 2012-2013 or 2012,2014, got '${text}'`);
  const range = /^(\d{4})-(\d{4})$/.exec(text);
  if (range) {
    const a = Number(range[1]), b = Number(range[2]);
    if (b < a) throw bad();
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  if (!/^\d{4}(,\d{4})*$/.test(text)) throw bad();
  return text.split(',').map(Number);
}

/** The windows of a run's data with its options (TF_INVALID_ARGUMENT for windows that do not fit the series). */
function windowsOf(spec: DataSpec, o: Record<string, OptionValue>): DailyForecastData {
  if (spec.kind !== 'dated' || !spec.dated) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-forecast forecasts a dated daily series (data 'seattle-weather'); data '${spec.name}' is ${spec.kind} [${spec.itemShape}]`);
  }
  return dailyForecastData(spec.dated(), {
    column: o.column as string, context: o.context as number, horizon: o.horizon as number, dropFraction: o.drop as number,
    trainYears: parseYears(o.trainYears as string, 'trainYears'), valYears: parseYears(o.valYears as string, 'valYears'), testYears: parseYears(o.testYears as string, 'testYears'),
  });
}

/** The split's windows that a run forecasts (every k-th) with their fixed drop masks (the script's). */
function heldOut(d: DailyForecastData, dataSeed: number, o: ConditionalOptions): { starts: number[]; kept: Int32Array[] } {
  if (!(Number.isInteger(o.every) && o.every >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-forecast: every must be a positive integer, got ${o.every}`);
  if (o.split !== 'val' && o.split !== 'test') throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-forecast: split must be val or test, got '${String(o.split)}' (the forecasting windows have no missing-value split)`);
  const all = d.starts[o.split];
  if (all.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-forecast: no window fits in the ${o.split} years ${d.years[o.split].join(', ')}`);
  // the masks of all the split's windows, then the subset: a window's mask does not depend on --every
  const masks = fixedDrops(d, all.length, dataSeed + (o.split === 'test' ? 1 : 0));
  const starts: number[] = [], kept: Int32Array[] = [];
  for (let i = 0; i < all.length; i += o.every) { starts.push(all[i]); kept.push(masks[i]); }
  return { starts, kept };
}

export const spdForecastMethod: Method = {
  name: 'spd-forecast',
  description: 'Stochastic process diffusion forecasting of an irregularly observed daily series: DSPD over the horizon with GP, OU or white noise, GRU context encoder; sample / eval forecast the held-out windows (CRPS, decile pinball loss, seasonal climatology beside)',
  source: 'Biloš, Rasul, Schneider, Nevmyvaka & Günnemann 2023 (Modeling Temporal Data as Continuous Functions with Stochastic Process Diffusion, ICML)',
  kinds: ['dated'],
  options: {
    noise: { default: 'gp', choices: ['gp', 'ou', 'white'], help: 'noise process over the targets\' times in window units (the context + horizon window mapped to [0, 1])' },
    sigma: { min: 0, minExclusive: true, default: 0.02, help: 'GP noise scale in window units (0.02: chosen on seattle-weather validation; 0.05 diverges there)' },
    theta: { min: 0, minExclusive: true, default: 2, help: 'OU noise rate: exp(-theta |t_i - t_j|)' },
    target: { default: 'eps', choices: ['eps', 'correlated'], help: 'what the network predicts: the standard noise eps, or L eps (diverges with GP noise on seattle-weather; README)' },
    column: { default: 'temp_max', help: 'the value column of the series' },
    context: { integer: true, min: 2, default: 60, help: 'context days per window' },
    horizon: { integer: true, min: 1, default: 14, help: 'forecast days per window' },
    drop: { min: 0, max: 1, maxExclusive: true, default: 0.3, help: 'fraction of the context days dropped at random (irregular observation times)' },
    trainYears: { default: '2012-2013', help: 'training years (a range 2012-2013 or a list 2012,2013); mean / std from these only' },
    valYears: { default: '2014', help: 'validation years (train\'s closing score)' },
    testYears: { default: '2015', help: 'test years (sample / eval default)' },
    dataSeed: { integer: true, min: 0, default: 7, help: 'seed of the held-out windows\' fixed drop masks (+ 1 for the test split)' },
    hidden: { integer: true, min: 1, default: 32, help: 'GRU state size' },
    width: { integer: true, min: 1, default: 64, help: 'denoiser MLP width' },
    diffusionSteps: { integer: true, min: 21, default: 100, help: 'DSPD steps N (beta 1e-4 -> 20 / N, so N >= 21)' },
    lr: { min: 0, minExclusive: true, default: 1e-3, resumable: true, help: 'Adam learning rate' },
    weightDecay: { min: 0, default: 1e-5, help: 'Adam weight decay' },
    climHalfWidth: { integer: true, min: 0, default: 7, resumable: true, help: 'baseline: days on each side pooled into the seasonal climatology of the training years' },
  },
  create(spec: DataSpec, o: Record<string, OptionValue>): MethodRun {
    const d = windowsOf(spec, o);
    // said before training, not at its closing validation score
    for (const split of ['val', 'test'] as const) {
      if (d.starts[split].length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-forecast: no ${d.context + d.horizon}-day window fits in the ${split} years ${d.years[split].join(', ')}`);
    }
    const noise = new NoiseProcess({ kind: o.noise as NoiseKind, sigma: o.sigma as number, theta: o.theta as number });
    const target: EpsTarget = o.target === 'eps' ? 'gaussian' : 'correlated';
    const s = dspdSchedule(o.diffusionSteps as number);
    const net = new SpdForecaster({ horizon: d.horizon, hidden: o.hidden as number, width: o.width as number });
    const opt = new Adam(net.parameters(), { lr: o.lr as number, weightDecay: o.weightDecay as number });
    const L = forecastFactor(noise, d);
    const tr = d.starts.train;
    const dataSeed = o.dataSeed as number;
    const unit = `${d.column}${spec.name === 'seattle-weather' ? ' (C)' : ''}`;
    return {
      model: net, optimizer: opt,
      trainStep(batch: Tensor): number {
        if (batch.ndim !== 2 || batch.shape[1] !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `spd-forecast: a batch is [n, 2] uniforms (window, drop seed), got [${batch.shape}]`);
        const u = batch.dataSync() as ArrayLike<number>, n = batch.shape[0];
        const starts: number[] = [], kept: Int32Array[] = [];
        for (let i = 0; i < n; i++) {
          starts.push(tr[Math.min(tr.length - 1, Math.floor(u[2 * i] * tr.length))]);
          kept.push(dropContext(new SeededRandom(Math.floor(u[2 * i + 1] * 2 ** 32)), d.context, d.keep));
        }
        net.train();
        return tidy(() => {
          const loss = forecastLoss(net, forecastBatch(d, starts, kept), L, s, undefined, target);
          opt.zeroGrad(); loss.backward(); opt.step();
          return loss.item() as number;
        });
      },
      sample(): never {
        throw new TensorfieldError('TF_INVALID_ARGUMENT', "spd-forecast is conditional: it has no unconditional samples; 'tensorfield sample / eval --run <folder>' forecast the held-out windows");
      },
      conditional: {
        predict(co: ConditionalOptions): ConditionalForecasts {
          const { starts, kept } = heldOut(d, dataSeed, co);
          const steps = co.steps ?? s.N;
          if (!(Number.isInteger(steps) && steps >= 21)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `spd-forecast: sampler steps must be an integer >= 21 (beta ends at 20 / N), got ${steps}`);
          const m = co.samples, M = d.horizon, C = d.context;
          const v = sampleForecaster(net, d, starts, kept, noise, m, { schedule: steps === s.N ? s : dspdSchedule(steps), target, onChunk: co.onProgress });
          const windows = starts.map((st, w) => ({
            label: new Date((d.days[st + C]) * DAY_MS).toISOString().slice(0, 10),
            contextX: Array.from(kept[w], (k) => k - C), contextY: Array.from(kept[w], (k) => d.raw[st + k]),
            truthX: Array.from({ length: C + M }, (_, j) => j - C), truthY: Array.from({ length: C + M }, (_, j) => d.raw[st + j]),
            targetX: Array.from({ length: M }, (_, j) => j),
            samples: Array.from({ length: m }, (_, r) => v.slice((w * m + r) * M, (w * m + r + 1) * M)),
          }));
          return { split: co.split, valueLabel: unit, timeUnit: 'days', windows, nfe: steps };
        },
        score(f: ConditionalForecasts, co: ConditionalOptions) {
          const { starts, kept } = heldOut(d, dataSeed, co);
          const split = co.split as 'val' | 'test';
          const m = f.windows[0]?.samples.length ?? 0, M = d.horizon;
          if (f.windows.length !== starts.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `spd-forecast: ${f.windows.length} forecasts for ${starts.length} windows`);
          const v = new Float64Array(starts.length * m * M);
          f.windows.forEach((w, i) => w.samples.forEach((x, r) => v.set(x, (i * m + r) * M)));
          const model = scoreForecasts(d, starts, v, m);
          const clim = fitClimatology(d, d.years.train, o.climHalfWidth as number);
          const cf = climatologyForecasts(d, starts, clim, m, co.seed);
          const base = scoreForecasts(d, starts, cf.draws, m);
          const pv = persistenceForecasts(d, starts, kept, fitPersistence(d, d.years.train, 'value'), m, co.seed, 5);
          const pa = persistenceForecasts(d, starts, kept, fitPersistence(d, d.years.train, 'anomaly', clim), m, co.seed, 6);
          const pvs = scoreForecasts(d, starts, pv.draws, m), pas = scoreForecasts(d, starts, pa.draws, m);
          const msiObs = M > 1 ? observedMsi(d, starts) : NaN;
          return {
            metrics: {
              windows: starts.length, samplesPerForecast: m, forecasts: starts.length * M,
              crps: model.crps, pinballDeciles: model.quantileLoss, energyScore: model.energy,
              // a one-day horizon has no day-to-day increments
              ...(M > 1 ? { continuityRatio: model.msi / msiObs } : {}),
              climatologyCrps: base.crps, climatologyCrpsClosedForm: cf.crpsClosedForm, climatologyPinballDeciles: base.quantileLoss, climatologyEnergyScore: base.energy,
              crpsOverClimatology: model.crps / base.crps,
              persistenceCrps: pvs.crps, persistenceCrpsClosedForm: pv.crpsClosedForm, persistencePinballDeciles: pvs.quantileLoss,
              anomalyPersistenceCrps: pas.crps, anomalyPersistenceCrpsClosedForm: pa.crpsClosedForm, anomalyPersistencePinballDeciles: pas.quantileLoss,
            },
            breakdown: { crps: model.crpsPerLead, climatologyCrps: base.crpsPerLead, persistenceCrps: pvs.crpsPerLead, anomalyPersistenceCrps: pas.crpsPerLead },
            notes: {
              split: `${split} ${d.years[split].join('+')}: ${starts.length} windows (every ${co.every}), ${d.context} context days of which ${d.context - d.keep} dropped (fixed masks, data seed ${dataSeed + (co.split === 'test' ? 1 : 0)}), horizon ${M}`,
              estimator: `meanCrps (empirical ensemble, E|X-y| - E|X-X'|/2 over m^2 pairs) and decile pinball loss of the sample quantiles, ${m} samples per forecast, in ${unit}`,
              persistence: `the last observed context day carried forward (persistence), or its departure from the climatology carried onto the target day's climatological mean (anomalyPersistence); Gaussian with the RMS g-day change over the training years (g: days from the last observed day, which the drops can push before the origin), ${m} draws per forecast (seed ${co.seed}), same estimators; closed-form CRPS beside`,
              baseline: `seasonal climatology of the training years ${d.years.train.join('+')} (+-${String(o.climHalfWidth)} days pooled), ${m} Gaussian draws per forecast (seed ${co.seed}), same estimators; closed-form CRPS beside`,
              standardisation: `mean ${d.mean.toFixed(4)}, std ${d.std.toFixed(4)} from the training years only`,
            },
          };
        },
      },
    };
  },
};
