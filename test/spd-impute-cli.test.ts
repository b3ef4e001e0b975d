// CLI method 'spd-impute' (lib/models/spd/impute-method.ts, lib/cli/conditional.ts): a tiny train / sample / eval
// round trip on statsmodels co2 (the held-out blocks are the script's fixedTasks, the truth written and drawn, the
// CRPS and pinball loss finite with linear interpolation and the seasonal + trend fit beside), and bad flags / data
// as TF_* errors. Needs python3-statsmodels; without it the tests skip with a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../lib/models';
import { trainCommand } from '../lib/cli/train';
import { sampleCommand, evalCommand } from '../lib/cli/commands';
import { co2ImputationData, fixedTasks, parseYearRange } from '../lib/models/spd';
import { realGapTasks } from '../lib/models/spd/impute-method';
import { STATSMODELS_DATASETS_DIR } from '../lib/data/timeseries';
import { expectCode } from './helpers';

const haveCo2 = fs.existsSync(path.join(STATSMODELS_DATASETS_DIR, 'co2', 'co2.csv'));
if (!haveCo2) console.warn('spd-impute-cli: statsmodels co2.csv is not installed (apt-get install -y python3-statsmodels); the tests are skipped');
const withCo2 = haveCo2 ? test : test.skip;

const quiet = () => undefined;
const TINY = ['--method', 'spd-impute', '--data', 'co2', '--batch', '8', '--width', '8', '--diffusionSteps', '21', '--samples', '2', '--seed', '4'];

let tmp = '';
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-spdi-')); });
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

withCo2('train / sample / eval: the script\'s held-out blocks imputed, the truth beside, scores with both baselines', async () => {
  const dir = path.join(tmp, 'run');
  expect((await trainCommand([...TINY, '--steps', '6', '--out', dir], quiet)).steps).toBe(6);
  const val = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
  expect([val.split, val.tasks]).toEqual(['val', 303]);

  sampleCommand(['--run', dir, '--n', '4', '--every', '30', '--fans', '1'], quiet);
  const fc = JSON.parse(fs.readFileSync(path.join(dir, 'forecasts-test.json'), 'utf8'));
  // the same tasks as scripts/spd/co2-impute.js --split test --stride 30 (data seed 8 + 1)
  const d = co2ImputationData();
  const tasks = fixedTasks(d, 'test', 9, 30);
  expect(fc.windows.length).toBe(tasks.length);
  fc.windows.forEach((w: { truth: number[]; targetX: number[]; contextX: number[] }, i: number) => {
    const t = tasks[i];
    expect(w.truth).toEqual(Array.from(d.raw.subarray(t.start + t.offset, t.start + t.offset + t.length)));
    // the context: every other week of the window (the test years have no missing week), none inside the block
    expect(w.contextX.length).toBe(d.window - t.length);
    expect(w.contextX.some((x) => x >= 0 && x < t.length)).toBe(false);
  });
  const svg = fs.readFileSync(path.join(dir, `fan-test-${fc.windows[0].label}.svg`), 'utf8');
  expect(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>')).toBe(true);
  const line = /<g class="observed" data-name="true values">\s*<polyline[^>]* points="([^"]*)"/.exec(svg);
  expect(line![1].split(' ').length).toBe(d.window);

  const m = await evalCommand(['--run', dir, '--n', '4', '--every', '30'], quiet);
  for (const k of ['crps', 'pinballDeciles', 'linearCrps', 'linearCrpsClosedForm', 'linearPinballDeciles', 'harmonicCrps', 'harmonicPinballDeciles']) {
    expect([k, Number.isFinite(m[k]) && m[k] > 0]).toEqual([k, true]);
  }
  expect(m.removedWeeks).toBe(tasks.reduce((a, t) => a + t.length, 0));
  const file = JSON.parse(fs.readFileSync(path.join(dir, 'metrics-test.json'), 'utf8'));
  expect(file.breakdown.linearCrpsByLength.length).toBe(3);

  // the real missing weeks (split gaps): windows centred on the series' own runs, no truth, never scored
  sampleCommand(['--run', dir, '--split', 'gaps', '--n', '4', '--every', '5', '--fans', '1'], quiet);
  const g = JSON.parse(fs.readFileSync(path.join(dir, 'forecasts-gaps.json'), 'utf8'));
  const gt = realGapTasks(d, 5);
  expect(gt.length).toBe(Math.ceil(d.gaps.length / 5));  // co2's 22 runs all fit a 64-week window (the longest is 18)
  expect(g.windows.length).toBe(gt.length);
  g.windows.forEach((w: { truth: (number | null)[]; targetX: number[]; contextX: number[]; quantiles: number[][] }, i: number) => {
    const t = gt[i];
    expect(d.gaps[i * 5]).toEqual({ start: t.start + t.offset, length: t.length });
    for (let j = 0; j < t.length; j++) expect(d.observed[t.start + t.offset + j]).toBe(0);
    expect(w.truth).toEqual(new Array(t.length).fill(null));
    expect(w.quantiles.every((q) => q.every(Number.isFinite))).toBe(true);
    // the context is the window's observed weeks: none in the gap, and no other missing week either
    expect(w.contextX.some((x) => x >= 0 && x < t.length)).toBe(false);
    for (const x of w.contextX) expect(d.observed[t.start + t.offset + x]).toBe(1);
  });
  expect(g.note).toMatch(/truth is null/);
  const gsvg = fs.readFileSync(path.join(dir, `fan-gaps-${g.windows[0].label}.svg`), 'utf8');
  expect(gsvg).toMatch(/data-name="observed values \(missing: the gap\)"/);
  await expect(evalCommand(['--run', dir, '--split', 'gaps'], quiet)).rejects.toMatchObject({ code: expect.stringMatching(/^TF_/) });
}, 30000);

withCo2('bad flags and data are TF_* errors', async () => {
  const out = ['--steps', '1', '--out', path.join(tmp, 'bad')];
  const rejects = (argv: string[]) => expect(trainCommand(argv, quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
  await rejects(['--method', 'spd-impute', '--data', 'seattle-weather', ...out]);
  await rejects(['--method', 'spd-forecast', '--data', 'co2', ...out]);
  await rejects([...TINY, '--trainYears', '1987-1958', ...out]);
  await rejects([...TINY, '--testYears', '2005', ...out]);
  await rejects([...TINY, '--window', '3', ...out]);
  await rejects([...TINY, '--arch', 'unet', ...out]);
  expect(parseYearRange('1990', 'y')).toEqual({ from: 1990, to: 1990 });
  expectCode(() => parseYearRange('1990-', 'y'), 'TF_INVALID_ARGUMENT');
  expectCode(() => sampleCommand(['--run', path.join(tmp, 'run'), '--solver', 'ode'], quiet), 'TF_INVALID_ARGUMENT');
}, 30000);
