// The addon is context-aware: worker_threads load it alongside the main thread and compute at the same time,
// each with its own seeded generator and grad mode, sharing the one thread pool. Workers require the compiled
// addon directly (ts-jest does not run inside a worker), so the shared compute code below uses the raw API.
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as tf from '../lib';
import { settle } from './helpers';
import { native } from '../lib/native';

const ADDON = path.resolve(__dirname, '..', 'build', 'Release', 'tensorfield.node');

// Runs in the workers and on the main thread: matmuls, reductions (one long enough for the pool to split)
// and a backward pass, all from the thread's generator seeded with `seed`. Returns plain numbers. Elements are
// read with item(), not data(): a data() view keeps its storage alive until garbage collection, and the tests
// count storages.
const COMPUTE = `function compute(tf, seed, iters) {
  tf.manualSeed(seed);
  const U = tf.unaryOps, B = tf.binaryOps;
  const at = (t, i) => {
    const f = tf.reshape(t, [-1]), e = tf.select(f, 0, i), v = tf.itemOf(e);
    tf.dispose(f); tf.dispose(e);
    return v;
  };
  const out = [];
  for (let i = 0; i < iters; i++) {
    const a = tf.randn([64, 48], 'float64'), b = tf.randn([48, 80], 'float64');
    const c = tf.matmul(a, b);
    const s = tf.sum(c, null, false), m = tf.amax(c, 1, false);
    out.push(tf.itemOf(s), at(m, 0), at(m, 63));
    const x = tf.randn([32, 16], 'float32'), w = tf.randn([16, 8], 'float32');
    tf.setRequiresGrad(w, true);
    const xw = tf.matmul(x, w), h = tf.unary(U.tanh, xw), hh = tf.binary(B.mul, h, h);
    const loss = tf.mean(hh, null, false);
    tf.backward([loss], [null], false, false);
    const g = tf.gradOf(w), gs = tf.sum(g, null, false);
    out.push(tf.itemOf(loss), tf.itemOf(gs), at(g, 3));
    const v = tf.rand([1 << 17], 'float32'), vs = tf.sum(v, null, false);
    out.push(tf.itemOf(vs));
    for (const t of [a, b, c, s, m, x, w, xw, h, hh, loss, g, gs, v, vs]) tf.dispose(t);
  }
  return out;
}`;

// eslint-disable-next-line @typescript-eslint/no-implied-eval
const compute = new Function(`return (${COMPUTE})`)() as (t: typeof native, seed: number, iters: number) => number[];

/** Worker source: waits at a shared barrier so that all workers start computing together. */
function workerSource(body: string): string {
  return `
const { parentPort, workerData } = require('worker_threads');
const tf = require(workerData.addon);
const compute = (${COMPUTE});
const now = () => performance.timeOrigin + performance.now();
if (workerData.barrier) {
  const b = new Int32Array(workerData.barrier);
  Atomics.add(b, 0, 1);
  Atomics.notify(b, 0);
  while (Atomics.load(b, 0) < workerData.parties) Atomics.wait(b, 0, Atomics.load(b, 0), 50);
}
${body}`;
}

type Msg = { type: string; [k: string]: unknown };

function start(body: string, data: Record<string, unknown>): { worker: Worker; messages: Msg[]; next: (type: string) => Promise<Msg>; exited: Promise<number> } {
  const worker = new Worker(workerSource(body), { eval: true, workerData: { addon: ADDON, ...data } });
  const messages: Msg[] = [];
  const waiting: { type: string; resolve: (m: Msg) => void }[] = [];
  worker.on('message', (m: Msg) => {
    messages.push(m);
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (waiting[i].type === m.type) { waiting[i].resolve(m); waiting.splice(i, 1); }
    }
  });
  let failure: unknown = null;
  worker.on('error', (e) => { failure = e; });
  const exited = new Promise<number>((resolve) => worker.on('exit', resolve));
  const next = (type: string) => {
    const seen = messages.find((m) => m.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise<Msg>((resolve, reject) => {
      waiting.push({ type, resolve });
      void exited.then((code) => reject(new Error(`worker exited (code ${code}) before '${type}': ${String(failure)}`)));
    });
  };
  return { worker, messages, next, exited };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('worker_threads', () => {
  test('two workers compute at the same time and match the main thread for the same seeds', async () => {
    await settle();
    const before = tf.memory();
    const iters = 60;
    const barrier = new SharedArrayBuffer(4);
    const seeds = [1234, 987654];
    const ws = seeds.map((seed) => start(`
      parentPort.postMessage({ type: 'started' });
      const t0 = now();
      const res = compute(tf, workerData.seed, workerData.iters);
      parentPort.postMessage({ type: 'done', res, t0, t1: now(), mem: tf.memory() });
    `, { seed, iters, barrier, parties: 2 }));
    await Promise.all(ws.map((w) => w.next('started')));

    // While they run, the main thread keeps working: its own generator and results are unaffected.
    let mainIters = 0, bothRunning = 0;
    const running = () => ws.every((w) => !w.messages.some((m) => m.type === 'done'));
    native.manualSeed(42);
    const mainExpected = compute(native, 42, 1);
    while (running() || mainIters < 3) {
      const r = compute(native, 42, 1);
      expect(r).toEqual(mainExpected);
      const k = tf.tidy(() => tf.ones([32, 32]).matmul(tf.ones([32, 32])).sum().item());
      expect(k).toBe(32 * 32 * 32);
      if (running()) bothRunning++;
      mainIters++;
      await tick();
    }
    const done = await Promise.all(ws.map((w) => w.next('done')));
    await Promise.all(ws.map((w) => w.exited));
    expect(bothRunning).toBeGreaterThan(0);

    // they overlapped in time (the barrier released them together)
    const t0 = Math.max(...done.map((d) => d.t0 as number)), t1 = Math.min(...done.map((d) => d.t1 as number));
    expect(t0).toBeLessThan(t1);

    // same seed, same numbers: reference values computed here, after the fact
    seeds.forEach((seed, i) => {
      const res = Array.from(done[i].res as number[]);
      expect(res.length).toBe(iters * 7);
      expect(res.every(Number.isFinite)).toBe(true);
      expect(res).toEqual(compute(native, seed, iters));
    });
    // different seeds gave different numbers
    expect((done[0].res as number[])[0]).not.toBe((done[1].res as number[])[0]);

    // everything the workers allocated is gone with them
    expect(tf.memory().storages).toBe(before.storages);
    expect(tf.memory().tensors).toBe(before.tensors);
  });

  test('grad mode and the generator are per thread', async () => {
    const w = start(`
      tf.setGradEnabled(false);
      tf.manualSeed(7);
      const x = tf.randn([3], 'float32');
      parentPort.postMessage({ type: 'done', grad: tf.isGradEnabled(), x: Array.from(tf.dataOf(x)) });
    `, {});
    native.setGradEnabled(true);
    native.manualSeed(7);
    const mine = Array.from(native.dataOf(native.randn([3], 'float32')) as Float32Array);
    const d = await w.next('done');
    await w.exited;
    expect(d.grad).toBe(false);
    expect(native.isGradEnabled()).toBe(true);
    expect(Array.from(d.x as number[])).toEqual(mine);
  });

  test('terminating workers mid-computation does not crash the process', async () => {
    await settle();
    const before = tf.memory();
    // one in a loop of small ops and backward passes, one inside long native calls, one holding tensors
    const loops = start(`
      let first = true;
      for (;;) {
        const r = compute(tf, 5, 1);
        const keep = tf.randn([64, 64], 'float32');
        tf.setRequiresGrad(keep, true);
        globalThis.held = (globalThis.held || []).concat([tf.sum(tf.matmul(keep, keep), null, false)]);
        if (first) { parentPort.postMessage({ type: 'running', r }); first = false; }
      }
    `, {});
    const longCalls = start(`
      const a = tf.randn([700, 700], 'float32');
      parentPort.postMessage({ type: 'running' });
      for (;;) tf.dispose(tf.matmul(a, a));
    `, {});
    const holder = start(`
      const held = [];
      for (let i = 0; i < 50; i++) held.push(tf.randn([256], 'float64'));
      globalThis.held = held;
      parentPort.postMessage({ type: 'running' });
      setInterval(() => {}, 1000);  // stay alive until terminated
    `, {});
    await Promise.all([loops, longCalls, holder].map((w) => w.next('running')));
    await new Promise((r) => setTimeout(r, 100));
    const codes = await Promise.all([loops, longCalls, holder].map((w) => w.worker.terminate()));
    expect(codes).toEqual([1, 1, 1]);
    expect(Array.from((loops.messages[0].r as number[]))).toEqual(compute(native, 5, 1));

    // the process, the addon and the thread pool are still fine
    const k = tf.tidy(() => tf.ones([300, 300]).matmul(tf.ones([300, 300])).sum().item());
    expect(k).toBe(300 * 300 * 300);
    expect(tf.rand([1 << 18]).sum().item()).toBeGreaterThan(0);
    // the terminated workers' tensors were released at teardown
    expect(tf.memory().storages).toBeLessThanOrEqual(before.storages + 2);  // + the two main-thread results in flight

    // and a fresh worker can load the addon again afterwards
    const again = start(`parentPort.postMessage({ type: 'done', r: compute(tf, 9, 1) });`, {});
    const d = await again.next('done');
    await again.exited;
    expect(Array.from(d.r as number[])).toEqual(compute(native, 9, 1));
  });

  test('a worker that throws a TF error inside reports it with its code', async () => {
    const w = start(`
      try { tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 5])); } catch (e) { parentPort.postMessage({ type: 'done', code: e.code, msg: e.message }); }
    `, {});
    const d = await w.next('done');
    await w.exited;
    expect(d.code).toBe('TF_SHAPE_MISMATCH');
    expect(d.msg).toMatch(/\[2, 3\].*\[4, 5\]/);
  });
});
