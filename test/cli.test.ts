// The tensorfield command: training writes a resumable run folder, resume is bit-identical, Ctrl-C saves a
// checkpoint, sample/eval/info work on a run, and bad flags are errors that list the valid choices.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../lib/models';
import { trainCommand, TRAIN_FLAGS } from '../lib/cli/train';
import { listMethods } from '../lib/registry';
import * as tf from '../lib';
import { sampleCommand, evalCommand, infoCommand, quantizeCommand } from '../lib/cli/commands';
import { expectCode } from './helpers';

const root = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const quiet = () => undefined;
// A small EDM MLP on the 2-D ring, fast enough to train a few dozen steps in a test.
const small = ['--method', 'edm', '--data', 'eight-gaussians', '--batch', '64', '--hidden', '32', '--layers', '2',
  '--samples', '300', '--steps', '40', '--ckpt-every', '20'];

describe('train / sample / eval', () => {
  const dir = path.join(tmp, 'run');
  let metrics: Record<string, number> | null = null;

  test('train writes config, checkpoint, samples, loss curve and metrics', async () => {
    const r = await trainCommand([...small, '--out', dir, '--steps', '60'], quiet);
    expect(r.interrupted).toBe(false);
    expect(r.steps).toBe(60);
    for (const f of ['config.json', 'checkpoint.safetensors', 'samples.png', 'loss.svg', 'metrics.json', 'loss.json']) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    metrics = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    for (const k of ['slicedW2', 'mmd2', 'energyDistance', 'meanLogProb', 'realMeanLogProb', 'modesHit', 'modeTV', 'nfe']) {
      expect(Number.isFinite(metrics![k])).toBe(true);
    }
    expect(metrics!.nfe).toBe(35);  // Heun over 18 levels: 2 * 18 - 1
    // what the result was computed on
    const rec = (metrics as unknown as { record: { data: string; n: number; seeds: Record<string, number>; command: string; call: string; git: unknown } }).record;
    expect([rec.data, rec.n, rec.seeds.train]).toEqual(['eight-gaussians', 300, 0]);
    expect(rec.call).toMatch(/^train .*--out /);
    expect(typeof rec.command).toBe('string');
    expect('git' in rec).toBe(true);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg.options.hidden).toBe(32);
    expect(fs.readFileSync(path.join(dir, 'samples.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  test('sample and eval read the run folder', async () => {
    const png = sampleCommand(['--run', dir, '--n', '50', '--steps', '6', '--out', path.join(tmp, 's.png')], quiet);
    expect(fs.existsSync(png)).toBe(true);
    const m = await evalCommand(['--run', dir, '--n', '200', '--steps', '8', '--solver', 'euler'], quiet);
    expect(m.nfe).toBe(8);
    expect(fs.existsSync(path.join(dir, 'metrics-8.json'))).toBe(true);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'metrics-8.json'), 'utf8'));
    expect([saved.record.n, saved.record.seeds.sample, saved.record.seeds.train]).toEqual([200, 2, 0]);
    for (const bad of ['-1', '1', '1.5']) {
      await expect(evalCommand(['--run', dir, '--n', '20', '--floor-draws', bad], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
    }
  });

  test('sample / eval --batch: n samples in calls of at most --batch, peak memory following the batch, not n', async () => {
    const lines: string[] = [];
    const m = await evalCommand(['--run', dir, '--n', '200', '--batch', '64', '--steps', '6', '--solver', 'euler', '--floor-draws', '0'], (l) => lines.push(l));
    expect(m.nfe).toBe(6);
    expect(lines.filter((l) => /^sampled \d+\/200$/.test(l))).toEqual(['sampled 64/200', 'sampled 128/200', 'sampled 192/200', 'sampled 200/200']);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'metrics-6.json'), 'utf8'));
    expect([saved.batch, saved.record.n]).toEqual([64, 200]);
    // the same seed and batch: the same samples
    const again = await evalCommand(['--run', dir, '--n', '200', '--batch', '64', '--steps', '6', '--solver', 'euler', '--floor-draws', '0'], quiet);
    expect(again.slicedW2).toBe(m.slicedW2);
    expect(again.mmd2).toBe(m.mmd2);
    // peak live bytes above those at the start of the call: a 2-D MLP's activations at 4000 samples against 100
    const peakOf = (batch: number) => {
      const live = tf.memory().bytes;
      tf.resetPeakMemory();
      sampleCommand(['--run', dir, '--n', '4000', '--batch', String(batch), '--steps', '4', '--solver', 'euler', '--out', path.join(tmp, `b${batch}.png`)], quiet);
      return tf.memory().peakBytes - live;
    };
    const whole = peakOf(4000), chunked = peakOf(100);
    expect(chunked).toBeLessThan(whole / 4);
    for (const bad of ['0', '-3', '2.5']) expect(() => sampleCommand(['--run', dir, '--n', '10', '--batch', bad], quiet)).toThrow(/batch/);
  });

  test('quantize: int8 evaluation network calibrated through the sampler, close to float32', async () => {
    const lines: string[] = [];
    const r = await quantizeCommand(['--run', dir, '--n', '400', '--calib', '64', '--steps', '6'], (s) => lines.push(s));
    expect(r.report.length).toBeGreaterThanOrEqual(3);
    expect(r.report.every((l) => l.quantized)).toBe(true);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'int8.json'), 'utf8'));
    expect(saved.report.length).toBe(r.report.length);
    expect(fs.existsSync(path.join(dir, 'samples-int8.png'))).toBe(true);
    expect(lines.some((l) => /calibrating: 64\/64/.test(l))).toBe(true);
    // the same noise through both networks: int8 changes the samples' quality by little (a 2-D toy: 0.3 nats)
    expect(Math.abs(r.int8.meanLogProb - r.float32.meanLogProb)).toBeLessThan(0.3);
    expect(r.int8.nfe).toBe(r.float32.nfe);
  });

  test('resume continues bit-identically to an uninterrupted run', async () => {
    const straight = path.join(tmp, 'straight'), resumed = path.join(tmp, 'resumed');
    await trainCommand([...small, '--out', straight, '--steps', '40'], quiet);
    await trainCommand([...small, '--out', resumed, '--steps', '20'], quiet);
    // the saved method, data, options and training flags are the defaults of a resumed run
    await trainCommand(['--out', resumed, '--steps', '40', '--resume'], quiet);
    const a = fs.readFileSync(path.join(straight, 'checkpoint.safetensors'));
    const b = fs.readFileSync(path.join(resumed, 'checkpoint.safetensors'));
    expect(b.equals(a)).toBe(true);
  });

  test('info names the ISA path, threads and CUDA status', () => {
    const lines: string[] = [];
    infoCommand([], (s) => lines.push(s));
    const text = lines.join('\n');
    expect(text).toMatch(/isa: +(scalar|avx2|avx512)/);
    expect(text).toMatch(/threads: +\d+/);
    expect(text).toMatch(/cuda: +not available — /);
    expect(text).toMatch(/edm/);
  });
});

describe('bad flags and configs are errors that list the choices', () => {
  test('no method option shadows a train flag (it could never be set from the command line)', () => {
    for (const m of listMethods()) for (const k of Object.keys(m.options)) expect([m.name, k, k in TRAIN_FLAGS]).toEqual([m.name, k, false]);
  });

  test.each([
    [['--bogus', '1'], /unknown flag --bogus: not a train flag \(--method, --data.*\) nor an option of method 'edm' \(--lr, /],
    [['--data', 'mnist3d'], /--data must be one of eight-gaussians, checkerboard/],
    [['--method', 'nope'], /unknown method 'nope' \(valid: .*edm/],
    [['--steps', 'ten'], /--steps needs a number/],
    [['--steps', '-3'], /--steps must be a positive integer/],
    [['--solver', 'rk45'], /option 'solver' must be one of euler, heun, dpmpp2m/],
    [['--widht', '3'], /unknown flag --widht: .*nor an option of method 'edm'/],
    [['--resume', '--out', path.join(tmp, 'nothing-here')], /--resume: run folder '.*nothing-here' has no checkpoint/],
  ])('%j', async (args, re) => {
    await expect(trainCommand(args as string[], quiet)).rejects.toThrow(re as RegExp);
  });

  test('config files: keys, options, and a broken file', async () => {
    const good = path.join(tmp, 'cfg.json');
    fs.writeFileSync(good, JSON.stringify({ data: 'checkerboard', steps: 5, batch: 32, out: path.join(tmp, 'cfgrun'), samples: 100, options: { hidden: 16, sampleSteps: 4 } }));
    const r = await trainCommand(['--config', good], quiet);
    expect(r.steps).toBe(5);
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp, 'cfgrun', 'config.json'), 'utf8'));
    expect(cfg.options.hidden).toBe(16);
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"steps": 5,');
    await expect(trainCommand(['--config', bad], quiet)).rejects.toMatchObject({ code: 'TF_BAD_FILE' });
    fs.writeFileSync(bad, JSON.stringify({ stpes: 5 }));
    await expect(trainCommand(['--config', bad], quiet)).rejects.toThrow(/unknown key 'stpes'/);
    expectCode(() => sampleCommand(['--run', path.join(tmp, 'missing')], quiet), 'TF_BAD_FILE');
    expectCode(() => sampleCommand(['--n', '3'], quiet), 'TF_INVALID_ARGUMENT');
  });
});

const cli = path.join(root, 'dist', 'cli', 'main.js');
const built = fs.existsSync(cli);
if (!built && process.env.CI) throw new Error('dist/ is missing: run `npm run build:ts` (npm ci does it)');

(built ? describe : describe.skip)('the built command', () => {
  test('Ctrl-C saves a checkpoint and exits 130; --resume picks it up', async () => {
    const dir = path.join(tmp, 'sigint');
    const child = spawn(process.execPath, [cli, 'train', ...small, '--steps', '1000000', '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    // wait until training runs (the first checkpoint at step 20 proves steps are being taken)
    for (let i = 0; i < 600 && !fs.existsSync(path.join(dir, 'checkpoint.safetensors')); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    // 'close', not 'exit': 'exit' can come before the last output is read from the pipes
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect([code, out]).toEqual([130, expect.stringMatching(/interrupted at step (\d+): checkpoint saved/)]);
    const stepAt = Number(/interrupted at step (\d+)/.exec(out)![1]);
    const r = spawnSync(process.execPath, [cli, 'train', '--steps', String(stepAt + 5), '--out', dir, '--resume', '--samples', '100'], { encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`resumed .* at step ${stepAt}`));
  });

  test('file-system errors are one TF_IO line naming the path and the cause, exit 1, no stack trace', () => {
    const f = path.join(os.tmpdir(), `tf-cli-file-${process.pid}`);
    fs.writeFileSync(f, 'x');
    try {
      const r = spawnSync(process.execPath, [cli, 'train', '--steps', '2', '--out', path.join(f, 'run')], { encoding: 'utf8', timeout: 60000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`mkdir '${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/run': a part of the path is a file, not a folder \\[TF_IO\\]`));
      expect(r.stderr).not.toMatch(/\n\s+at /);  // no stack frames
    } finally {
      fs.unlinkSync(f);
    }
  });

  test('bad input exits 2 with the message; --help lists method options', () => {
    const r = spawnSync(process.execPath, [cli, 'train', '--data', 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--data must be one of/);
    const u = spawnSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown command 'frobnicate' \(valid: train, sample, eval/);
    const h = spawnSync(process.execPath, [cli, 'train', '--help'], { encoding: 'utf8' });
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/method edm .*\n(.*\n)*  --sigmaData/);
    expect(h.stdout).toMatch(/ {2}--lr .*\[may change on --resume\]\n/);
    expect(h.stdout).not.toMatch(/ {2}--hidden .*may change on --resume/);
  });
});
