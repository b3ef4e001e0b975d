// The command under misuse (issue 19): a locked run folder, what --resume may change, errors that name the path
// and the cause instead of a stack trace, method options checked before training, non-finite samples, and a
// --out on a pseudo file system.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../lib/models';
import { trainCommand } from '../lib/cli/train';
import { gitState } from '../lib/cli/record';
import { sampleCommand, evalCommand } from '../lib/cli/commands';
const LOCK_NAME = 'train.lock';  // lib/cli/lock.ts

const root = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-cli-hard-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const quiet = () => undefined;
const small = ['--method', 'edm', '--data', 'eight-gaussians', '--batch', '32', '--hidden', '16', '--layers', '1', '--samples', '100',
  '--steps', '20', '--ckpt-every', '10'];
const cli = path.join(root, 'dist', 'cli', 'main.js');
const built = fs.existsSync(cli);
if (!built && process.env.CI) throw new Error('dist/ is missing: run `npm run build:ts` (npm ci does it)');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('a run folder is locked while a run writes to it', () => {
  test('a lock held by a live process: train and --resume are TF_LOCKED naming its pid; nothing is written', async () => {
    const dir = path.join(tmp, 'locked');
    await trainCommand([...small, '--out', dir], quiet);
    const before = fs.readFileSync(path.join(dir, 'checkpoint.safetensors'));
    fs.writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify({ pid: process.ppid, started: '2026-01-01T00:00:00Z', command: 'train --out x' }));
    for (const args of [[...small, '--out', dir], ['--out', dir, '--resume', '--steps', '30']]) {
      await expect(trainCommand(args, quiet)).rejects.toMatchObject({
        code: 'TF_LOCKED', message: expect.stringMatching(new RegExp(`'${escape(dir)}' is in use by another run: process ${process.ppid} `)),
      });
    }
    expect(fs.readFileSync(path.join(dir, 'checkpoint.safetensors')).equals(before)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_NAME), 'utf8')).pid).toBe(process.ppid);  // not ours to remove
    fs.unlinkSync(path.join(dir, LOCK_NAME));
  });

  test('a lock whose process is gone is taken over; the lock is released on normal exit and on errors', async () => {
    const dir = path.join(tmp, 'stale-lock');
    fs.mkdirSync(dir);
    const dead = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_NAME), JSON.stringify({ pid: dead, started: '2026-01-01T00:00:00Z', command: 'train' }));
    const r = await trainCommand([...small, '--out', dir], quiet);
    expect(r.steps).toBe(20);
    expect(fs.existsSync(path.join(dir, LOCK_NAME))).toBe(false);
    // an error mid-run (divergence) releases it too
    await expect(trainCommand(['--out', dir, '--resume', '--steps', '40', '--lr', '1e15'], quiet)).rejects.toMatchObject({ code: 'TF_NON_FINITE' });
    expect(fs.existsSync(path.join(dir, LOCK_NAME))).toBe(false);
  });

  (built ? test : test.skip)('two processes: the second train into the same --out exits 1 with TF_LOCKED naming the first; the first releases it on exit', async () => {
    const dir = path.join(tmp, 'two');
    const first = spawn(process.execPath, [cli, 'train', ...small, '--steps', '1000000', '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (d) => { out += d; });
    first.stderr.on('data', (d) => { out += d; });
    try {
      for (let i = 0; i < 600 && !fs.existsSync(path.join(dir, 'checkpoint.safetensors')); i++) await new Promise((res) => setTimeout(res, 50));
      expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_NAME), 'utf8')).pid).toBe(first.pid);
      const second = spawnSync(process.execPath, [cli, 'train', ...small, '--out', dir], { encoding: 'utf8', timeout: 60000 });
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`in use by another run: process ${first.pid} .*\\[TF_LOCKED\\]`));
      expect(second.stderr).not.toMatch(/\n\s+at /);
    } finally {
      first.kill('SIGINT');
    }
    // 'close', not 'exit': 'exit' can come before the last output is read from the pipes
    const code = await new Promise<number | null>((res) => first.on('close', (c) => res(c)));
    expect([code, out]).toEqual([130, expect.stringMatching(/interrupted at step/)]);
    expect(fs.existsSync(path.join(dir, LOCK_NAME))).toBe(false);
  }, 60000);
});

describe('--resume may change options that do not change the model', () => {
  test('config.json records the checkout a run was started from; a resume from other code keeps it and says so in the history', async () => {
    const dir = path.join(tmp, 'resume-git');
    await trainCommand([...small, '--out', dir], quiet);
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    const now = gitState();
    expect(cfg.git).toEqual(now);  // { commit, dirty } in a checkout, null outside one
    // pretend the run was started from another commit: the resume keeps that one and records the code it ran
    const other = { commit: 'f'.repeat(40), dirty: false };
    fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, git: other }));
    const lines: string[] = [];
    await trainCommand(['--out', dir, '--resume', '--steps', '25'], (l) => lines.push(l));
    const cfg2 = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    expect(cfg2.git).toEqual(other);
    expect(cfg2.history).toEqual([{ step: 20, date: expect.any(String), changed: { steps: { from: 20, to: 25 } }, git: now }]);
    expect(lines.join('\n')).toMatch(/resume changes --steps 20 -> 25, code fffffff -> /);
    // every resume from other code than the start's records it, this one too
    await trainCommand(['--out', dir, '--resume', '--steps', '30'], quiet);
    const cfg3 = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    expect(cfg3.history[1]).toEqual({ step: 25, date: expect.any(String), changed: { steps: { from: 25, to: 30 } }, git: now });
  });
  test('lr, steps, checkpoint interval, clip and sampling options change on --resume and are recorded in config.json; model options are refused', async () => {
    const dir = path.join(tmp, 'resume-change');
    await trainCommand([...small, '--out', dir], quiet);
    const lines: string[] = [];
    const r = await trainCommand(['--out', dir, '--resume', '--steps', '30', '--ckpt-every', '5', '--lr', '1e-4', '--clip', '0.5',
      '--sampleSteps', '8', '--solver', 'euler'], (s) => lines.push(s));
    expect(r.steps).toBe(30);
    expect(r.metrics!.nfe).toBe(8);  // the new sampling options are used
    expect(lines.join('\n')).toMatch(/resume changes --lr 0\.001 -> 0\.0001/);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg.options).toMatchObject({ lr: 1e-4, clip: 0.5, sampleSteps: 8, solver: 'euler', hidden: 16 });
    expect(cfg.train).toMatchObject({ steps: 30, 'ckpt-every': 5 });
    expect(cfg.history).toEqual([{ step: 20, date: expect.any(String), changed: {
      lr: { from: 1e-3, to: 1e-4 }, clip: { from: 1, to: 0.5 }, sampleSteps: { from: 18, to: 8 }, solver: { from: 'heun', to: 'euler' },
      steps: { from: 20, to: 30 }, 'ckpt-every': { from: 10, to: 5 },
    } }]);
    // a second resume keeps the history and adds to it
    await trainCommand(['--out', dir, '--resume', '--steps', '35'], quiet);
    const cfg2 = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(cfg2.history.map((h: { step: number }) => h.step)).toEqual([20, 30]);
    expect(cfg2.history[1].changed).toEqual({ steps: { from: 30, to: 35 } });
    // what changes the model is still refused, saying what may change
    for (const [flag, value] of [['--hidden', '32'], ['--layers', '2'], ['--sigmaData', '1']]) {
      await expect(trainCommand(['--out', dir, '--resume', '--steps', '40', flag, value], quiet)).rejects.toMatchObject({
        code: 'TF_INVALID_ARGUMENT', message: expect.stringMatching(new RegExp(`was trained with ${flag} .*only these may change: --lr, .*--clip`)),
      });
    }
    await expect(trainCommand(['--out', dir, '--resume', '--method', 'interpolant'], quiet)).rejects.toThrow(/was trained with method edm/);
  });

  test('the divergence advice is followable: its --resume --lr command runs', async () => {
    const dir = path.join(tmp, 'diverge');
    await trainCommand([...small, '--out', dir], quiet);
    let msg = '';
    try {
      await trainCommand(['--out', dir, '--resume', '--steps', '40', '--lr', '1e15'], quiet);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('TF_NON_FINITE');
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^training diverged at step 2\d: .*the last good checkpoint \(step 20\)/);
    const advice = /tensorfield train (--resume --out \S+ --lr \S+)/.exec(msg);
    expect(advice).not.toBeNull();
    expect(advice![1]).toBe(`--resume --out ${dir} --lr 100000000000000`);
    const lines: string[] = [];
    const follow = trainCommand([...advice![1].split(' '), '--steps', '22'], (s) => lines.push(s));
    // it resumes (lr 1e5 may diverge again: then the error is that, a few steps later, not a refusal)
    await follow.catch((e) => expect(e).toMatchObject({ code: 'TF_NON_FINITE',
      message: expect.stringMatching(/^training diverged at step 2[12]|^the samples drawn from 'edm' at training step 22/) }));
    expect(lines.join('\n')).toMatch(/resumed .* at step 20/);
    // both resumes are on record, each from the step it resumed at
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).history.map((h: { step: number; changed: { lr: unknown } }) => [h.step, h.changed.lr]))
      .toEqual([[20, { from: 1e-3, to: 1e15 }], [20, { from: 1e15, to: 1e14 }]]);
  });
});

(built ? describe : describe.skip)('TF_* errors naming the path and the cause, exit 1, no stack trace', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60000 });
  const expectOneLine = (r: ReturnType<typeof run>, code: string, re: RegExp) => {
    expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(re)]);
    expect(r.stderr).toMatch(new RegExp(`\\[${code}\\]\\n$`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };
  let dir = '';
  beforeAll(async () => {
    dir = path.join(tmp, 'no-ckpt');
    await trainCommand([...small, '--out', dir], quiet);
    fs.unlinkSync(path.join(dir, 'checkpoint.safetensors'));
  });

  test('a run folder without its checkpoint: resume, sample and eval', () => {
    const re = new RegExp(`run folder '${escape(dir)}' has no checkpoint \\(${escape(path.join(dir, 'checkpoint.safetensors'))} does not exist`);
    expectOneLine(run('train', '--out', dir, '--resume'), 'TF_BAD_FILE', re);
    expectOneLine(run('sample', '--run', dir), 'TF_BAD_FILE', re);
    expectOneLine(run('eval', '--run', dir), 'TF_BAD_FILE', re);
  });

  test('a --teacher that does not exist', () => {
    const missing = path.join(tmp, 'no-teacher.safetensors');
    expectOneLine(run('train', '--method', 'scd', '--teacher', missing, '--steps', '2', '--out', path.join(tmp, 'scd')), 'TF_BAD_FILE',
      new RegExp(`--teacher '${escape(missing)}': no such file \\(a checkpoint.safetensors of a 'tensorfield train --method trigflow' run`));
    expectOneLine(run('train', '--method', 'sct', '--teacher', tmp, '--steps', '2', '--out', path.join(tmp, 'sct')), 'TF_BAD_FILE', /it is a folder/);
  });

  test('a config.json without its "train" section', () => {
    const d = path.join(tmp, 'no-train-section');
    fs.mkdirSync(d);
    fs.copyFileSync(path.join(dir, 'config.json'), path.join(d, 'config.json'));
    const cfg = JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8'));
    delete cfg.train;
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(cfg));
    const re = new RegExp(`run folder '${escape(d)}': ${escape(path.join(d, 'config.json'))} has no "train" section`);
    expectOneLine(run('sample', '--run', d), 'TF_BAD_FILE', re);
    expectOneLine(run('train', '--out', d, '--resume'), 'TF_BAD_FILE', re);
  });
});

describe('method options validated before training starts', () => {
  test.each([
    [['--sampleSteps', '0'], /option 'sampleSteps' must be an integer >= 1, got 0/],
    [['--sigmaMin', '0'], /option 'sigmaMin' must be a number > 0, got 0/],
    [['--sigmaMin', '100', '--sigmaMax', '1'], /option 'sigmaMin' \(100\) must be below option 'sigmaMax' \(1\)/],
    [['--lr', '-1'], /option 'lr' must be a number > 0, got -1/],
    [['--lr', '0x10'], /option 'lr' must be a decimal number, got '0x10'/],
    [['--hidden', '0'], /option 'hidden' must be an integer >= 1, got 0/],
    [['--hidden', '2.5'], /option 'hidden' must be an integer >= 1, got 2.5/],
    [['--steps', '0x10'], /--steps needs a number in decimal notation, got '0x10'/],
    [['--method', 'sct', '--sampleSteps', '3'], /option 'sampleSteps' must be an integer >= 1 and <= 2, got 3/],
  ])('%j', async (args, re) => {
    const out = path.join(tmp, `opts-${(args as string[]).join('_')}`);
    const base = (args as string[]).includes('sct') ? ['--steps', '2'] : small;
    await expect(trainCommand([...base, ...(args as string[]), '--out', out], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT', message: expect.stringMatching(re as RegExp) });
    expect(fs.existsSync(out)).toBe(false);  // refused before anything was made
  });

  test('a config value of the wrong type is refused, not coerced ("lr": [1] is not 1)', async () => {
    const cases: [unknown, RegExp][] = [
      [{ options: { lr: [1] } }, /option 'lr' must be a decimal number, got \[1\] \(a list\)/],
      [{ options: { lr: '0x10' } }, /option 'lr' must be a decimal number, got '0x10'/],
      [{ options: { solver: ['heun'] } }, /option 'solver' must be a string, got \["heun"\]/],
      [{ options: { pMean: true } }, /option 'pMean' must be a decimal number, got true/],
      [{ seed: [5] }, /--seed needs a number in decimal notation, got \[5\]/],
      [{ 'fashion-source': 7 }, /--fashion-source needs a text value, got 7/],
    ];
    for (const [cfg, re] of cases) {
      const f = path.join(tmp, 'wrong-type.json');
      fs.writeFileSync(f, JSON.stringify(cfg));
      await expect(trainCommand([...small, '--config', f, '--out', path.join(tmp, 'wrong-type')], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT', message: expect.stringMatching(re) });
    }
    // the right types still work, from a config and as flags
    const f = path.join(tmp, 'right-type.json');
    fs.writeFileSync(f, JSON.stringify({ seed: 3, options: { lr: 0.002, pMean: -1, solver: 'euler' } }));
    await trainCommand([...small, '--config', f, '--out', path.join(tmp, 'right-type')], quiet);
    const saved = JSON.parse(fs.readFileSync(path.join(tmp, 'right-type', 'config.json'), 'utf8'));
    expect([saved.train.seed, saved.options]).toEqual([3, expect.objectContaining({ lr: 0.002, pMean: -1, solver: 'euler', hidden: 16 })]);
  });

  test('non-finite samples are reported as TF_NON_FINITE naming the step and the sampler, not as a metric input error', async () => {
    // lr 1e3 keeps the loss finite for 40 steps but leaves a network whose samples overflow
    const dir = path.join(tmp, 'nan-samples');
    await expect(trainCommand([...small, '--steps', '40', '--lr', '1e3', '--out', dir], quiet)).rejects.toMatchObject({
      code: 'TF_NON_FINITE', message: expect.stringMatching(/samples drawn from 'edm' at training step 40 with heun, 18 steps hold NaN or infinite values/),
    });
    expect(() => sampleCommand(['--run', dir, '--n', '20', '--steps', '12'], quiet)).toThrow(
      expect.objectContaining({ code: 'TF_NON_FINITE', message: expect.stringMatching(/at training step 40 with heun, 12 steps/) }));
    await expect(evalCommand(['--run', dir, '--n', '20'], quiet)).rejects.toMatchObject({ code: 'TF_NON_FINITE' });
  });
});

describe('train --out on a pseudo file system', () => {
  (fs.existsSync('/proc/self') ? test : test.skip)('train --out /proc/run does not hang: TF_IO naming the folder and the cause', async () => {
    // First in a child with a timeout: a hang (Node's recursive mkdir looping) would block this process for good.
    if (built) {
      const r = spawnSync(process.execPath, [cli, 'train', '--steps', '2', '--out', '/proc/run'], { encoding: 'utf8', timeout: 20000 });
      expect(r.error).toBeUndefined();  // not killed by the timeout
      expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(/cannot create the folder '\/proc\/run': .*\[TF_IO\]\n$/)]);
    }
    const t0 = Date.now();
    await expect(trainCommand([...small, '--out', '/proc/run/x'], quiet)).rejects.toMatchObject({
      code: 'TF_IO', message: expect.stringMatching(/cannot create the folder '\/proc\/run\/x': '\/proc' is on proc, a pseudo file system/),
    });
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 30000);
});
