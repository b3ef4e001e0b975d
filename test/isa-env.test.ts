// TENSORFIELD_ISA forces a kernel path and TENSORFIELD_NUM_THREADS sizes the one thread pool, both read when the
// addon loads (so they are checked in child processes); setNumThreads resizes the pool at run time. Results
// that the algorithms make thread-count independent must not change with the thread count.
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor } from '../lib';
import { forEachIsa } from './helpers';

const ADDON = path.resolve(__dirname, '..', 'build', 'Release', 'tensorfield.node');

// The child prints what it runs on, plus hashes of a seeded randn and of a matmul of seeded inputs.
const CHILD = `
const crypto = require('crypto');
const tf = require(${JSON.stringify(ADDON)});
const hash = (t) => { const d = tf.dataOf(t); return crypto.createHash('sha256').update(Buffer.from(d.buffer, d.byteOffset, d.byteLength)).digest('hex'); };
if (process.env.SET_THREADS) tf.setNumThreads(Number(process.env.SET_THREADS));
tf.manualSeed(2024);
const r = tf.randn([100003], 'float32');
const a = tf.randn([150, 130], 'float32'), b = tf.randn([130, 170], 'float32');
const i = tf.info();
console.log(JSON.stringify({ isa: i.isa, supported: i.supportedIsas, threads: i.threads, getNumThreads: tf.getNumThreads(),
  randn: hash(r), matmul: hash(tf.matmul(a, b)) }));
`;

interface ChildInfo { isa: string; supported: string[]; threads: number; getNumThreads: number; randn: string; matmul: string }

function child(env: Record<string, string | undefined>): ChildInfo {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.TENSORFIELD_ISA;
  delete e.TENSORFIELD_NUM_THREADS;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) e[k] = v;
  const r = spawnSync(process.execPath, ['-e', CHILD], { env: e, encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`child failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildInfo;
}

const supported = tf.info().supportedIsas;
const best = supported[supported.length - 1];

describe('TENSORFIELD_ISA', () => {
  const plain = child({});
  test('the default is the best path this CPU supports', () => {
    expect(plain.supported).toEqual(supported);
    expect(plain.supported[0]).toBe('scalar');
    expect(plain.isa).toBe(best);
  });
  test.each(['scalar', 'avx2', 'avx512'])('TENSORFIELD_ISA=%s forces that path when the CPU has it, else the best', (isa) => {
    const c = child({ TENSORFIELD_ISA: isa });
    expect(c.isa).toBe(supported.includes(isa) ? isa : best);
    // randn does not go through the SIMD kernels: the same on every path
    expect(c.randn).toBe(plain.randn);
    if (c.isa === plain.isa) expect(c.matmul).toBe(plain.matmul);
  });
  test.each(['bogus', 'sse4', ''])('an unknown value (%j) falls back to the best path', (isa) => {
    expect(child({ TENSORFIELD_ISA: isa }).isa).toBe(best);
  });
  test('at run time, setIsa switches among the supported paths and refuses the others', () => {
    const prev = tf.backend.isa as 'scalar' | 'avx2' | 'avx512';
    try {
      for (const isa of supported) {
        tf.backend.setIsa(isa as 'scalar' | 'avx2' | 'avx512');
        expect(tf.info().isa).toBe(isa);
      }
      for (const isa of ['avx2', 'avx512'].filter((x) => !supported.includes(x))) {
        let code: string | undefined;
        try { tf.backend.setIsa(isa as 'avx512'); } catch (e) { code = (e as { code?: string }).code; }
        expect(code).toBe('TF_INVALID_ARGUMENT');
      }
    } finally {
      tf.backend.setIsa(prev);
    }
    expect(tf.info().isa).toBe(prev);
  });
});

describe('TENSORFIELD_NUM_THREADS and setNumThreads', () => {
  test.each([1, 3])('TENSORFIELD_NUM_THREADS=%i sizes the pool', (n) => {
    const c = child({ TENSORFIELD_NUM_THREADS: String(n) });
    expect(c.threads).toBe(n);
    expect(c.getNumThreads).toBe(n);
  });
  test('without it (or with a value that is not a positive count) the pool has one thread per core', () => {
    const plain = child({});
    expect(plain.threads).toBeGreaterThanOrEqual(1);
    for (const v of ['0', '-2', 'many']) expect(child({ TENSORFIELD_NUM_THREADS: v }).threads).toBe(plain.threads);
  });
  test('setNumThreads overrides the variable, and results do not depend on the thread count', () => {
    const one = child({ TENSORFIELD_NUM_THREADS: '1' });
    const three = child({ TENSORFIELD_NUM_THREADS: '3' });
    const set2 = child({ TENSORFIELD_NUM_THREADS: '1', SET_THREADS: '2' });
    expect(set2.threads).toBe(2);
    expect(set2.getNumThreads).toBe(2);
    for (const c of [three, set2]) {
      expect(c.isa).toBe(one.isa);
      expect(c.randn).toBe(one.randn);
      expect(c.matmul).toBe(one.matmul);
    }
  });

  const prev = tf.getNumThreads();
  afterEach(() => tf.setNumThreads(prev));

  test('setNumThreads(n) changes getNumThreads() and info().threads', () => {
    for (const n of [1, 2, 3, 1]) {
      tf.setNumThreads(n);
      expect(tf.getNumThreads()).toBe(n);
      expect(tf.info().threads).toBe(n);
      expect(tf.tidy(() => tf.ones([200, 100]).matmul(tf.ones([100, 50])).sum().item())).toBe(200 * 100 * 50);
    }
    let code: string | undefined;
    try { tf.setNumThreads(0); } catch (e) { code = (e as { code?: string }).code; }
    expect(code).toBe('TF_INVALID_ARGUMENT');
    expect(tf.getNumThreads()).toBe(1);
  });

  /** Runs fn with 1 and then 2 threads, returning both results as plain arrays. */
  function withThreads<R>(fn: () => R): [R, R] {
    tf.setNumThreads(1);
    const a = fn();
    tf.setNumThreads(2);
    const b = fn();
    return [a, b];
  }
  const bits = (t: Tensor) => Buffer.from(t.data().buffer, t.data().byteOffset, t.data().byteLength).toString('base64');

  test('randn with a fixed seed is bit-identical with 1 and 2 threads', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const [a, b] = withThreads(() => tf.tidy(() => {
        tf.manualSeed(77);
        return [bits(tf.randn([1 << 20], { dtype })), bits(tf.rand([1000, 300], { dtype })), bits(tf.randint(-5, 5, [50001]))];
      }));
      expect(a).toEqual(b);
    }
  });

  test('matmul is identical with 1 and 2 threads (the k-order of each output element does not change)', () => {
    forEachIsa((isa) => {
      tf.manualSeed(5);
      const cases: [number[], number[]][] = [
        [[300, 200], [200, 257]],  // columns split across threads
        [[513, 64], [64, 40]],     // rows split
        [[8, 33, 17], [17, 29]],   // batches split
        [[1, 4096], [4096, 1]],    // one long dot product
      ];
      for (const dtype of ['float32', 'float64'] as const) {
        for (const [sa, sb] of cases) {
          const a = tf.randn(sa, { dtype }), b = tf.randn(sb, { dtype });
          const bt = b.transpose(-2, -1).contiguous().transpose(-2, -1);  // the same values, strided
          const [r1, r2] = withThreads(() => tf.tidy(() => [bits(a.matmul(b)), bits(a.matmul(bt))]));
          if (r1[0] !== r2[0] || r1[1] !== r2[1]) throw new Error(`${isa} ${dtype} [${sa}]x[${sb}]: results differ between 1 and 2 threads`);
          expect(r1[1]).toBe(r1[0]);
        }
      }
    });
  });

  test('a sum over 1e6 elements agrees with 1 and 2 threads (to rounding: the partial sums differ)', () => {
    forEachIsa(() => {
      tf.manualSeed(11);
      const v32 = tf.rand([1_000_000]);
      const v64 = v32.double();
      let exact = 0;
      for (const x of v64.data() as Float64Array) exact += x;
      const [r1, r2] = withThreads(() => [v32.sum().item(), v64.sum().item()]);
      const s32 = [r1[0], r2[0]], s64 = [r1[1], r2[1]];
      for (const s of s32) expect(Math.abs(s - exact)).toBeLessThan(1e-5 * exact);
      expect(Math.abs(s32[0] - s32[1])).toBeLessThan(1e-5 * exact);
      for (const s of s64) expect(Math.abs(s - exact)).toBeLessThan(1e-10 * exact);
      // a reduction over rows never splits a row: identical
      const m = v32.reshape(1000, 1000);
      const [b1, b2] = withThreads(() => tf.tidy(() => bits(m.sum(1))));
      expect(b1).toBe(b2);
    });
  });
});
