// CLI method 'spd-forecast' (lib/models/spd/forecast-method.ts, lib/cli/conditional.ts): a tiny train / sample /
// eval round trip on vega's seattle-weather (forecasts and fan charts written, the truth drawn, CRPS and pinball
// loss finite with the climatology beside), resume continuing the same batch sequence, and bad flags / data as
// TF_* errors. The real file is needed (npm vega-datasets); without it the tests skip with a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../lib/models';
import { trainCommand } from '../lib/cli/train';
import { sampleCommand, evalCommand } from '../lib/cli/commands';
import { seattleForecastData, parseYears } from '../lib/models/spd';
import { npmPackageDir } from '../lib/data/packages';
import { expectCode } from './helpers';

const vega = npmPackageDir('vega-datasets');
const haveSeattle = vega !== null && fs.existsSync(path.join(vega, 'data', 'seattle-weather.csv'));
if (!haveSeattle) console.warn('spd-forecast-cli: vega-datasets seattle-weather.csv is not installed (npm install vega-datasets); the tests are skipped');
const withSeattle = haveSeattle ? test : test.skip;

const quiet = () => undefined;
// the smallest model and sampler the options allow, so the round trip takes about a second
const TINY = ['--method', 'spd-forecast', '--data', 'seattle-weather', '--batch', '8', '--hidden', '8', '--width', '16', '--diffusionSteps', '21', '--samples', '2', '--seed', '3'];

async function expectCodeAsync(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

/** Tag names in document order; fails unless every element is closed in order and no text holds a raw < or >. */
function balanced(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (close) expect(stack.pop()).toBe(name);
    else if (!self) stack.push(name);
  }
  expect(stack).toEqual([]);
  expect(svg.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]/);
}

let tmp = '';
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-spdf-')); });
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

withSeattle('train / sample / eval: forecasts, fan charts with the true values, CRPS and pinball loss beside the climatology', async () => {
  const dir = path.join(tmp, 'run');
  const r = await trainCommand([...TINY, '--steps', '12', '--ckpt-every', '5', '--out', dir], quiet);
  expect(r.steps).toBe(12);
  for (const f of ['config.json', 'checkpoint.safetensors', 'loss.svg', 'metrics.json']) expect([f, fs.existsSync(path.join(dir, f))]).toEqual([f, true]);
  // the closing score is on the validation split: all 292 windows of 2014
  const val = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
  expect(val.split).toBe('val');
  expect(val.windows).toBe(292);

  const json = sampleCommand(['--run', dir, '--n', '6', '--every', '40', '--fans', '2'], quiet);
  expect(json).toBe(path.join(dir, 'forecasts-test.json'));
  const fc = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(fc.windows.length).toBe(Math.ceil(292 / 40));
  // the truth written beside each forecast is the series' temp_max on the target days
  const d = seattleForecastData();
  const testStarts = d.starts.test;
  fc.windows.forEach((w: { label: string; truth: number[]; median: number[]; quantiles: number[][] }, i: number) => {
    const s = testStarts[i * 40];
    expect(w.label).toBe(new Date(d.days[s + 60] * 86400000).toISOString().slice(0, 10));
    expect(w.truth).toEqual(Array.from(d.raw.subarray(s + 60, s + 74)));
    w.quantiles.forEach((q, j) => { expect(q[0]).toBeLessThanOrEqual(w.median[j]); expect(w.median[j]).toBeLessThanOrEqual(q[q.length - 1]); });
  });
  const fans = fs.readdirSync(dir).filter((f) => /^fan-test-.*\.svg$/.test(f)).sort();
  expect(fans).toEqual([`fan-test-${fc.windows[0].label}.svg`, `fan-test-${fc.windows[fc.windows.length - 1].label}.svg`]);
  const svg = fs.readFileSync(path.join(dir, fans[0]), 'utf8');
  balanced(svg);
  expect(svg.match(/<path class="band"/g)?.length).toBe(2);
  // the true values: one unbroken line over the 74-day window whose pixel heights are an exact decreasing affine
  // map of the first window's temperatures (so it is the truth, not the median or a shifted day)
  const line = /<g class="observed" data-name="true values">\s*<polyline[^>]* points="([^"]*)"/.exec(svg);
  expect(line).not.toBeNull();
  const py = line![1].split(' ').map((p) => Number(p.split(',')[1]));
  const truth = Array.from(d.raw.subarray(testStarts[0], testStarts[0] + 74));
  expect(py.length).toBe(74);
  const [a, b] = [truth.indexOf(Math.max(...truth)), truth.indexOf(Math.min(...truth))];
  const slope = (py[a] - py[b]) / (truth[a] - truth[b]);
  expect(slope).toBeLessThan(0);
  py.forEach((y, j) => expect(Math.abs(y - (py[b] + slope * (truth[j] - truth[b])))).toBeLessThan(0.02));
  // the 42 context days the model saw, marked
  expect(/<g class="markers"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1].match(/<circle/g)?.length).toBe(42);

  const m = await evalCommand(['--run', dir, '--n', '6', '--every', '40'], quiet);
  const file = JSON.parse(fs.readFileSync(path.join(dir, 'metrics-test.json'), 'utf8'));
  for (const k of ['crps', 'pinballDeciles', 'energyScore', 'climatologyCrps', 'climatologyCrpsClosedForm', 'climatologyPinballDeciles']) {
    expect([k, Number.isFinite(m[k]) && m[k] > 0, file[k]]).toEqual([k, true, m[k]]);
  }
  expect(file.breakdown.crps.length).toBe(14);
  expect(file.split).toBe('test');
  expect(m.windows).toBe(fc.windows.length);
  // the climatology's ensemble CRPS (6 draws) sits above its closed form by about the m = 6 estimator's excess
  expect(m.climatologyCrps).toBeGreaterThan(0.9 * m.climatologyCrpsClosedForm);
  expect(m.climatologyCrps).toBeLessThan(1.5 * m.climatologyCrpsClosedForm);
}, 30000);

withSeattle('train --resume continues the same windows, drop masks and noise (same closing score as one run)', async () => {
  const one = path.join(tmp, 'one'), two = path.join(tmp, 'two');
  await trainCommand([...TINY, '--steps', '8', '--out', one], quiet);
  await trainCommand([...TINY, '--steps', '4', '--out', two], quiet);
  await trainCommand([...TINY, '--steps', '8', '--resume', '--out', two], quiet);
  const score = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')).crps;
  expect(score(two)).toBe(score(one));
}, 30000);

withSeattle('bad flags and data are TF_* errors', async () => {
  const out = ['--steps', '1', '--out', path.join(tmp, 'bad')];
  await expectCodeAsync(trainCommand(['--method', 'spd-forecast', '--data', 'bandlimited64', ...out], quiet), 'TF_INVALID_ARGUMENT');
  await expectCodeAsync(trainCommand(['--method', 'spd', '--data', 'seattle-weather', ...out], quiet), 'TF_INVALID_ARGUMENT');
  await expectCodeAsync(trainCommand([...TINY, '--noise', 'brownian', ...out], quiet), 'TF_INVALID_ARGUMENT');
  await expectCodeAsync(trainCommand([...TINY, '--trainYears', '2013-2012', ...out], quiet), 'TF_INVALID_ARGUMENT');
  await expectCodeAsync(trainCommand([...TINY, '--trainYears', '1990', ...out], quiet), 'TF_INVALID_ARGUMENT');
  await expectCodeAsync(trainCommand([...TINY, '--column', 'humidity', ...out], quiet), 'TF_INVALID_ARGUMENT');
  await expectCodeAsync(trainCommand([...TINY, '--context', '400', ...out], quiet), 'TF_INVALID_ARGUMENT');
  expect(parseYears('2012-2014', 'y')).toEqual([2012, 2013, 2014]);
  expectCode(() => parseYears('12-13', 'y'), 'TF_INVALID_ARGUMENT');
  // sample / eval: a folder without a run, then flags that do not apply to a forecasting run
  expectCode(() => sampleCommand(['--run', path.join(tmp, 'none')], quiet), 'TF_BAD_FILE');
  const dir = path.join(tmp, 'run');  // from the round trip above (jest runs a file's tests in order)
  expectCode(() => sampleCommand(['--run', dir, '--split', 'train'], quiet), 'TF_INVALID_ARGUMENT');
  // forecasting windows have no missing-value split (spd-impute's gaps)
  expectCode(() => sampleCommand(['--run', dir, '--split', 'gaps'], quiet), 'TF_INVALID_ARGUMENT');
  expectCode(() => sampleCommand(['--run', dir, '--every', '0'], quiet), 'TF_INVALID_ARGUMENT');
  expectCode(() => sampleCommand(['--run', dir, '--fans', '-1'], quiet), 'TF_INVALID_ARGUMENT');
  expectCode(() => sampleCommand(['--run', dir, '--int8', 'x.safetensors'], quiet), 'TF_INVALID_ARGUMENT');
  expectCode(() => sampleCommand(['--run', dir, '--steps', '5'], quiet), 'TF_INVALID_ARGUMENT');
  await expectCodeAsync(evalCommand(['--run', dir, '--n', '0'], quiet), 'TF_INVALID_ARGUMENT');
}, 30000);
