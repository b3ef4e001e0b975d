// Sample-quality metrics for a data source, as metrics.json reports them. Points: sliced W2, MMD², energy
// distance against fresh real draws, the exact mean log-density (and the real data's own, so a reader sees the
// gap), mode coverage; series (points on a grid) also the marginal CRPS and pinball loss against the held-out
// series, with the training series' own score as the floor. Images: FD_cls and the classifier score against the
// real test set's statistics, with the real-data floor at the same sample count (FD is biased upward at small n,
// so the floor is what to compare with): the mean and spread of FD_cls over `floorDraws` disjoint samples of real images that are NOT in the reference
// statistics (train images; a sample from inside the reference scores ~35 % too low). Counts: the count metrics of
// lib/metrics/counts.ts (histogram TV with a train-item floor, MMD² against test-vs-test and an independent-element
// baseline); floorSeed seeds the baseline's draws. Text: the perplexity of the samples under a character 5-gram
// fitted on held-out text only, with the real-text floor and the unigram ceiling (lib/metrics/text.ts).
import { Tensor, TensorfieldError } from '../tensor';
import { tidy } from '../scope';
import type { DataSource } from '../data/sources';
import { slicedWasserstein, mmd2, energyDistance, modeCoverage } from '../metrics/samples';
import { meanLogLikelihood } from '../metrics/likelihood';
import { countMetrics } from '../metrics/counts';
import { marginalScores } from '../metrics/marginal';
import { textSampleMetrics } from '../metrics/text';
import { fashionFrechetDistanceAsync, classifierScoreAsync, fashionRealFloorAsync } from '../metrics/fashion';

export type Metrics = Record<string, number>;

export interface EvaluateOptions {
  /** Disjoint real samples for the FD_cls floor (default 3; 0 skips the floor; 1 is refused: no spread). Fewer when the pool is too small. */
  floorDraws?: number;
  /** Seed of the floor's draws (its own generator; the engine's is untouched). */
  floorSeed?: number;
}

export async function evaluateSamples(src: DataSource, samples: Tensor, onProgress?: (msg: string) => void, opts: EvaluateOptions = {}): Promise<Metrics> {
  const n = samples.shape[0];
  const m: Metrics = { samples: n };
  if (src.kind === 'dated') throw new TensorfieldError('TF_INVALID_ARGUMENT', `evaluateSamples: data '${src.name}' is a dated series for conditional methods, scored by their forecasts (lib/cli/conditional.ts)`);
  if (src.kind === 'text') {
    // ids [n, L], each continuing the text's prompt (a newline): perplexity under a 5-gram fitted on the held-out split only, with the
    // real-text floor and the unigram ceiling under the same judge (lib/metrics/text.ts)
    if (samples.ndim !== 2 || samples.dtype !== 'int32') throw new TensorfieldError('TF_SHAPE_MISMATCH', `evaluateSamples: text samples must be int32 ids [n, length], got ${samples.dtype} [${samples.shape}]`);
    const t = src.text!(), L = samples.shape[1], ids = samples.dataSync() as Int32Array;
    onProgress?.(`text metrics: a 5-gram judge fitted on the ${t.validation.length} held-out characters; real-text floor and unigram draws from the training text`);
    const rows = Array.from({ length: n }, (_, i) => ids.slice(i * L, (i + 1) * L));
    Object.assign(m, textSampleMetrics(rows, t.prompt, t.train, t.validation, t.vocab.size, { seed: opts.floorSeed ?? 0 }));
    return m;
  }
  if (src.kind === 'counts') {
    // the whole test split (real() caps at its size); countMetrics cuts it into two halves (lib/metrics/counts.ts)
    const test = src.real(Number.MAX_SAFE_INTEGER), train = src.trainItems?.(n);
    try {
      onProgress?.('count metrics: histogram TV (real-data floor), MMD² against test-vs-test and the independent-element baseline');
      Object.assign(m, countMetrics(samples, test, src.maxCount!, { seed: opts.floorSeed ?? 0, train }));
    } finally {
      test.dispose();
      train?.dispose();
    }
    return m;
  }
  if (src.kind === 'points') {
    const real = src.real(n);
    try {
      m.slicedW2 = slicedWasserstein(samples, real, { p: 2, seed: 0 });
      const k = Math.min(n, 2000);  // MMD and energy are O(n²)
      const [a, b] = tidy(() => [samples.slice(0, 0, k).contiguous(), real.slice(0, 0, k).contiguous()]);
      m.mmd2 = mmd2(a, b);
      m.energyDistance = energyDistance(a, b);
      a.dispose(); b.dispose();
      if (src.density) {
        m.meanLogProb = meanLogLikelihood(samples, src.density).mean;
        m.realMeanLogProb = meanLogLikelihood(real, src.density).mean;
      }
      if (src.series) {
        // the samples as an ensemble forecast of every held-out series, point by point; the same score of the
        // training series (as many as samples) is the data's own marginals: what a perfect generator approaches
        const sc = marginalScores(samples, real);
        m.crpsMarginal = sc.crps;
        m.pinballMarginal = sc.pinball;
        const tr = src.trainItems?.(n);
        if (tr) {
          try {
            const f = marginalScores(tr, real);
            m.crpsMarginalTrainFloor = f.crps;
            m.pinballMarginalTrainFloor = f.pinball;
          } finally { tr.dispose(); }
        }
      }
      if (src.modes) {
        const c = modeCoverage(samples, src.modes.centres, { radius: src.modes.radius });
        m.modesHit = c.modesHit;
        m.modeTV = c.tv;
        m.offModeFraction = c.offModeFraction;
      }
    } finally {
      real.dispose();
    }
    return m;
  }
  const wanted = opts.floorDraws ?? 3, seed = opts.floorSeed ?? 0;
  // one draw has no spread, and the floor is read as a range: 0 (no floor) or at least 2
  if (!Number.isInteger(wanted) || wanted < 0 || wanted === 1) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `evaluateSamples: floorDraws must be 0 (no floor) or an integer >= 2, got ${wanted}`);
  }
  if (!Number.isInteger(seed)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `evaluateSamples: floorSeed must be an integer, got ${seed}`);
  onProgress?.('classifier features of the samples');
  m.fdCls = await fashionFrechetDistanceAsync(samples);
  m.classifierScore = await classifierScoreAsync(samples);
  if (wanted === 0) return m;
  if (!src.floorPool) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `evaluateSamples: data '${src.name}' has no real images outside the reference statistics for the FD_cls floor (pass floorDraws 0)`);
  }
  const pool = src.floorPool();
  const draws = Math.min(wanted, Math.floor(pool.count / n));
  if (draws < 2) {
    onProgress?.(`warning: the real-data floor needs at least 2 disjoint samples of ${n} from the ${pool.count} ${pool.split} images; ` +
      `none recorded (evaluate fewer samples, or install the full Fashion-MNIST)`);
    return m;
  }
  if (draws < wanted) onProgress?.(`warning: only ${draws} disjoint floor samples of ${n} fit in the ${pool.count} ${pool.split} images (${wanted} asked)`);
  onProgress?.(`real-data floor: ${draws} disjoint samples of ${n} ${pool.split} images (not in the reference statistics)`);
  const f = await fashionRealFloorAsync((pos) => pool.take(pos), pool.count, n, { draws, seed });
  m.fdClsRealFloor = f.mean;
  m.fdClsRealFloorSd = f.sd;
  m.fdClsRealFloorMin = f.min;
  m.fdClsRealFloorMax = f.max;
  m.fdClsRealFloorDraws = f.draws;
  m.fdClsRealFloorN = f.n;
  return m;
}
