// Imputation tasks over a weekly series with real missing weeks (issue 25: statsmodels co2, weekly Mauna Loa CO2
// 1958-2001, 59 missing weeks in 22 runs). A task is a window of `window` consecutive weeks and one block of
// consecutive weeks inside it to fill in; the other observed weeks of the window are the context. For scoring, the
// block is a run of observed weeks removed on purpose, with its length drawn from the lengths of the series' own
// runs of missing weeks (mostly single weeks, a few runs of 2-18), so the artificial gaps look like the real ones.
// Splits are by calendar year and every window lies wholly inside its split's years, so a scored week is never a
// context or target week of a training window. Scales come from the training years only.
//
// The model diffuses the block's residual from linear interpolation between the neighbouring context weeks (the
// baseline's own prediction), in units of the training residuals' RMS, and sees the window's context as the
// linearly filled series minus the window's context mean, in units of the training windows' spread: both are
// local, so the growth of CO2 from 316 to 371 ppm between the training and test years does not move the inputs out
// of the training range.
import { TensorfieldError } from '../../tensor';
import { SeededRandom } from '../../data/prng';
import { loadTimeSeries, type TimeSeries } from '../../data/timeseries';

export interface YearRange { from: number; to: number }

export interface WeeklyImputationOptions {
  column?: string;
  /** weeks per window (default 64) */
  window?: number;
  /** inclusive year ranges (co2 defaults: train 1958-1987, validation 1988-1994, test 1995-2001) */
  train?: YearRange;
  val?: YearRange;
  test?: YearRange;
  /** seed of the training-year draws that fix the residual scales (default 0) */
  scaleSeed?: number;
}

export interface GapRun { start: number; length: number }

export interface WeeklyImputationData {
  name: string;
  /** days since 1970-01-01, 7 apart */
  days: Float64Array;
  /** the column in its own units, NaN where missing */
  raw: Float64Array;
  observed: Uint8Array;
  year: Int32Array;
  doy: Int32Array;
  window: number;
  /** the series' runs of missing weeks, in time order */
  gaps: GapRun[];
  /** one entry per real run: the lengths the artificial blocks are drawn from */
  gapLengths: Int32Array;
  /** RMS of (value - window context mean) over the training windows */
  ctxScale: number;
  /** RMS of the linear-interpolation residuals of training blocks (lengths drawn as the real runs') */
  resScale: number;
  splits: { train: YearRange; val: YearRange; test: YearRange };
  /** window starts wholly inside each split's years */
  starts: { train: Int32Array; val: Int32Array; test: Int32Array };
}

/** One imputation task: window [start, start + window), block at window positions [offset, offset + length). */
export interface ImputeTask { start: number; offset: number; length: number }

const DAY_MS = 86400000;
export type Split = 'train' | 'val' | 'test';

/** The runs of missing values of a 0/1 observed mask. */
export function gapRuns(observed: ArrayLike<number>): GapRun[] {
  const out: GapRun[] = [];
  for (let i = 0; i < observed.length;) {
    if (observed[i]) { i++; continue; }
    let j = i;
    while (j < observed.length && !observed[j]) j++;
    out.push({ start: i, length: j - i });
    i = j;
  }
  return out;
}

/**
 * The window's values with the weeks outside `ctx` (0 = not context) filled by linear interpolation between the
 * nearest context weeks on either side, and held flat beyond the first / last context week.
 */
export function linearFill(values: ArrayLike<number>, ctx: ArrayLike<number>): Float64Array {
  const n = values.length, out = new Float64Array(n);
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (ctx[i]) idx.push(i);
  if (idx.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'linearFill: the window has no context week');
  let k = 0;
  for (let i = 0; i < n; i++) {
    while (k + 1 < idx.length && idx[k + 1] <= i) k++;
    const a = idx[k];
    if (i <= idx[0]) out[i] = values[idx[0]];
    else if (i >= idx[idx.length - 1]) out[i] = values[idx[idx.length - 1]];
    else if (a === i) out[i] = values[i];
    else { const b = idx[k + 1]; out[i] = values[a] + (values[b] - values[a]) * (i - a) / (b - a); }
  }
  return out;
}

/** The context mask of a task's window: observed and not in the block. */
export function contextMask(d: WeeklyImputationData, t: ImputeTask): Uint8Array {
  const m = new Uint8Array(d.window);
  for (let i = 0; i < d.window; i++) m[i] = d.observed[t.start + i] && (i < t.offset || i >= t.offset + t.length) ? 1 : 0;
  return m;
}

/** The linear-interpolation baseline's prediction of every week of the task's window (ppm). */
export function taskFill(d: WeeklyImputationData, t: ImputeTask): Float64Array {
  return linearFill(d.raw.subarray(t.start, t.start + d.window), contextMask(d, t));
}

/**
 * A random block in the window starting at `start`: its length one of the real runs' lengths (or, with probability
 * `uniformShare`, uniform from 1 to the longest real run: training may see long blocks more often than the 2 in 22
 * of the real runs), at least one week of the window on each side, every week of it observed (so it can be scored).
 * Null if 100 tries find none.
 */
export function drawBlock(rng: SeededRandom, d: WeeklyImputationData, start: number, uniformShare = 0): ImputeTask | null {
  let longest = 0;
  for (const l of d.gapLengths) longest = Math.max(longest, l);
  for (let tries = 0; tries < 100; tries++) {
    const length = uniformShare > 0 && rng.next() < uniformShare ? 1 + rng.int(longest) : d.gapLengths[rng.int(d.gapLengths.length)];
    const offset = 1 + rng.int(d.window - length - 1);
    let ok = true;
    for (let i = 0; i < length && ok; i++) ok = d.observed[start + offset + i] === 1;
    if (ok) return { start, offset, length };
  }
  return null;
}

/** One task per window start of a split (every `stride`-th), blocks from a seed: the fixed validation / test tasks. */
export function fixedTasks(d: WeeklyImputationData, split: Split, seed: number, stride = 1): ImputeTask[] {
  if (!(Number.isInteger(stride) && stride >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `fixedTasks: stride must be a positive integer, got ${stride}`);
  const rng = new SeededRandom(seed, 25), out: ImputeTask[] = [];
  const st = d.starts[split];
  for (let i = 0; i < st.length; i += stride) {
    const t = drawBlock(rng, d, st[i]);
    if (t) out.push(t);
  }
  return out;
}

/**
 * The task filling the real missing run `g`: the window centred on it, moved inside the series if need be. Its
 * block has no truth; other missing weeks in the window are simply not context.
 */
export function realGapTask(d: WeeklyImputationData, g: GapRun): ImputeTask {
  const W = d.window, n = d.raw.length;
  if (g.length > W - 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `realGapTask: a run of ${g.length} weeks does not fit a ${W}-week window with context on both sides`);
  let start = g.start + Math.floor(g.length / 2) - Math.floor(W / 2);
  start = Math.max(0, Math.min(n - W, start));
  return { start, offset: g.start - start, length: g.length };
}

function inRange(y: number, r: YearRange): boolean { return y >= r.from && y <= r.to; }

/** Imputation windows over a weekly series (unit 'day', rows 7 days apart, NaN = missing). */
export function weeklyImputationData(s: TimeSeries, o: WeeklyImputationOptions = {}): WeeklyImputationData {
  const fn = 'weeklyImputationData';
  const column = o.column ?? s?.columns?.[0], W = o.window ?? 64;
  const splits = { train: o.train ?? { from: 1958, to: 1987 }, val: o.val ?? { from: 1988, to: 1994 }, test: o.test ?? { from: 1995, to: 2001 } };
  if (!(Number.isInteger(W) && W >= 8)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: window must be an integer >= 8, got ${W}`);
  for (const [k, r] of Object.entries(splits)) {
    if (!(r && Number.isInteger(r.from) && Number.isInteger(r.to) && r.from <= r.to)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the ${k} years must be integers from <= to, got ${JSON.stringify(r)}`);
  }
  const rs = [splits.train, splits.val, splits.test];
  for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) {
    if (rs[i].from <= rs[j].to && rs[j].from <= rs[i].to) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the splits' years overlap: ${JSON.stringify(splits)}`);
  }
  if (s == null || !(s.times instanceof Float64Array) || !(s.values instanceof Float64Array) || !Array.isArray(s.columns)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: expected a TimeSeries (times, values, columns)`);
  if (s.timeUnit !== 'day') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the series must be dated (time unit 'day'), got '${s.timeUnit}'`);
  const ci = s.columns.indexOf(column);
  if (ci < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no column '${column}' (columns: ${s.columns.join(', ')})`);
  const n = s.times.length, nc = s.columns.length;
  if (n < W) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the series has ${n} weeks, fewer than one ${W}-week window`);
  const raw = new Float64Array(n), observed = new Uint8Array(n), year = new Int32Array(n), doy = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (i > 0 && s.times[i] - s.times[i - 1] !== 7) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the series must be weekly (7 days apart); ${s.times[i] - s.times[i - 1]} days before row ${i}`);
    const v = s.values[i * nc + ci];
    if (!Number.isNaN(v) && !Number.isFinite(v)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: '${column}' is not finite at row ${i}`);
    raw[i] = v;
    observed[i] = Number.isNaN(v) ? 0 : 1;
    const dt = new Date(s.times[i] * DAY_MS);
    year[i] = dt.getUTCFullYear();
    doy[i] = Math.round((s.times[i] * DAY_MS - Date.UTC(year[i], 0, 1)) / DAY_MS);
  }
  const gaps = gapRuns(observed);
  const gapLengths = Int32Array.from(gaps.filter((g) => g.length <= W - 2).map((g) => g.length));
  if (gapLengths.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the series has no run of missing weeks shorter than the window to mimic`);
  const starts = (r: YearRange): Int32Array => {
    const out: number[] = [];
    for (let i = 0; i + W <= n; i++) if (inRange(year[i], r) && inRange(year[i + W - 1], r)) out.push(i);
    return Int32Array.from(out);
  };
  const st = { train: starts(splits.train), val: starts(splits.val), test: starts(splits.test) };
  if (st.train.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no ${W}-week window fits in the training years ${splits.train.from}-${splits.train.to}`);
  const d: WeeklyImputationData = {
    name: s.name, days: Float64Array.from(s.times), raw, observed, year, doy, window: W, gaps, gapLengths,
    ctxScale: 1, resScale: 1, splits, starts: st,
  };
  // scales from the training windows only
  let ss = 0, cnt = 0;
  for (const a of st.train) {
    let m = 0, k = 0;
    for (let i = a; i < a + W; i++) if (observed[i]) { m += raw[i]; k++; }
    m /= k;
    for (let i = a; i < a + W; i++) if (observed[i]) { ss += (raw[i] - m) ** 2; cnt++; }
  }
  d.ctxScale = Math.sqrt(ss / cnt);
  const rng = new SeededRandom(o.scaleSeed ?? 0, 7);
  let rs2 = 0, rc = 0;
  for (let k = 0; k < 4000; k++) {
    const t = drawBlock(rng, d, st.train[rng.int(st.train.length)]);
    if (!t) continue;
    const f = taskFill(d, t);
    for (let i = t.offset; i < t.offset + t.length; i++) { rs2 += (raw[t.start + i] - f[i]) ** 2; rc++; }
  }
  d.resScale = Math.sqrt(rs2 / rc);
  if (!(d.ctxScale > 0 && d.resScale > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: '${column}' is constant over the training windows`);
  return d;
}

/** statsmodels' co2 (a TF_BAD_FILE naming the install command when python3-statsmodels is absent). */
export function co2ImputationData(o: WeeklyImputationOptions & { dir?: string } = {}): WeeklyImputationData {
  return weeklyImputationData(loadTimeSeries('co2', { dir: o.dir }), o);
}
