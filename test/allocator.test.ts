// The buffer allocator (native/core/allocator): large buffers are recycled through a bounded cache, small ones go
// to the C heap, and the two never mix — a heap block that reached the mmap cache was later munmap'd under a live
// tensor (a segfault after a few hundred training steps).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../lib';

const KiB = 1024;

afterAll(() => tf.backend.setCacheLimit('auto'));

// In a child process, so the counters see only this script's allocations: in a shared jest worker, earlier
// files' handles are finalized (and their blocks released) at GC points the test does not control.
const root = path.join(__dirname, '..');
const built = fs.existsSync(path.join(root, 'dist', 'index.js'));
if (!built && process.env.CI) throw new Error('dist/ is missing: run `npm run build:ts` (npm ci does it)');
const script = `
const tf = require(${JSON.stringify(path.join(root, 'dist'))});
const large = () => tf.memory().cacheHits + tf.memory().cacheMisses;
const out = {};
let before = large();
for (const n of [1, 1000, 16368]) tf.zeros([n]).dispose();
out.heap = large() - before;
before = large();
tf.zeros([16369]).dispose();
out.edge = large() - before;
const hits = tf.memory().cacheHits;
for (let i = 0; i < 10; i++) tf.zeros([16384]).dispose();
out.reused = tf.memory().cacheHits - hits;
console.log(JSON.stringify(out));
`;

(built ? test : test.skip)('buffers just under 64 KiB stay on the heap; from 64 KiB they go through the cache and are reused', () => {
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const o = JSON.parse(r.stdout.trim());
  expect(o.heap).toBe(0);     // up to 16368 floats (65472 bytes): heap blocks, never counted
  expect(o.edge).toBe(1);     // 16369 floats round up to exactly 64 KiB: a cache block, on allocation and on release
  expect(o.reused).toBe(10);  // the same size class freed and taken again: every round served from the cache
});

test('eviction under a tiny cache limit keeps every live tensor intact', () => {
  tf.backend.setCacheLimit(256 * KiB);
  tf.manualSeed(0);
  const live: { t: tf.Tensor; v: number }[] = [];
  // sizes straddle the heap/cache boundary and several classes; buffers are freed and refilled out of order
  const sizes = [16000, 16362, 16369, 16384, 17000, 20480, 33000, 65536, 100000];
  for (let i = 0; i < 400; i++) {
    const n = sizes[i % sizes.length] + (i % 7);
    live.push({ t: tf.full([n], i), v: i });
    if (live.length > 6) {
      const k = (i * 5) % live.length;
      const [old] = live.splice(k, 1);
      expect(old.t.min().item()).toBe(old.v);
      expect(old.t.max().item()).toBe(old.v);
      old.t.dispose();
    }
  }
  for (const { t, v } of live) {
    expect(t.min().item()).toBe(v);
    t.dispose();
  }
  expect(tf.memory().cachedBytes).toBeLessThanOrEqual(256 * KiB);
  tf.backend.setCacheLimit(0);
  expect(tf.memory().cachedBytes).toBe(0);
});

// A full cache of sizes no longer in use must not shut out the sizes in use: the oldest blocks make room. Before
// the fix, once stale classes filled the limit every new block was unmapped on release and every acquire missed
// (a char-LM whose context grew one position per character ran 5-10x slower once the cache was full).
const staleScript = `
const tf = require(${JSON.stringify(path.join(root, 'dist'))});
tf.backend.setCacheLimit(1024 * 1024);
// fill the 1 MiB cache with four 256 KiB blocks of one class, then stop using that class
const a = [0, 1, 2, 3].map(() => tf.zeros([65536]));
for (const t of a) t.dispose();
const full = tf.memory().cachedBytes;
const hits = tf.memory().cacheHits;
// another class (320 KiB), allocated and freed 10 times
for (let i = 0; i < 10; i++) tf.zeros([81920]).dispose();
console.log(JSON.stringify({ full, reused: tf.memory().cacheHits - hits, cached: tf.memory().cachedBytes }));
`;

(built ? test : test.skip)('a cache full of stale size classes evicts its oldest blocks, so the class in use is served from the cache', () => {
  const r = spawnSync(process.execPath, ['-e', staleScript], { encoding: 'utf8', timeout: 60000 });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const o = JSON.parse(r.stdout.trim());
  expect(o.full).toBe(1024 * 1024);
  expect(o.reused).toBe(9);  // the first acquire misses; its release evicts two old blocks; the other 9 hit
  expect(o.cached).toBeLessThanOrEqual(1024 * 1024);
});

// Medium buffers (1-64 KiB) come from per-thread free lists of at most 8 blocks per size class (native/core/
// allocator.cpp MediumCache): a block must never be handed out twice while live, whatever the order of frees.
test('medium buffers (per-thread free lists): many live at once in every class keep their own values', () => {
  const sizes = [241, 257, 500, 1000, 2000, 4000, 8000, 12000, 16368];  // 964 B .. 65472 B: all seven classes
  const live: { t: tf.Tensor; v: number }[] = [];
  for (let i = 0; i < 600; i++) {
    live.push({ t: tf.full([sizes[i % sizes.length] + (i % 3)], i), v: i });
    if (live.length > 40) {  // more live blocks per class than a list keeps; freed out of order
      const [old] = live.splice((i * 7) % live.length, 1);
      expect([old.t.min().item(), old.t.max().item()]).toEqual([old.v, old.v]);
      old.t.dispose();
    }
  }
  for (const { t, v } of live) {
    expect([t.min().item(), t.max().item()]).toEqual([v, v]);
    t.dispose();
  }
});

const mediumRssScript = `
const tf = require(${JSON.stringify(path.join(root, 'dist'))});
const sizes = [300, 700, 1500, 3000, 6000, 12000, 16000];
const round = () => { for (let i = 0; i < 1000; i++) tf.tidy(() => { tf.zeros([sizes[i % 7]]).add(1); }); };
for (let r = 0; r < 5; r++) round();
global.gc && global.gc();
const before = process.memoryUsage().rss;
for (let r = 0; r < 50; r++) round();
global.gc && global.gc();
console.log(JSON.stringify({ growth: process.memoryUsage().rss - before }));
`;

(built ? test : test.skip)('50,000 medium allocations after warm-up: resident memory stays flat', () => {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', mediumRssScript], { encoding: 'utf8', timeout: 120000 });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const o = JSON.parse(r.stdout.trim());
  // the lists hold < 0.6 MiB per thread by construction; the rest is V8's heap moving between collections
  expect(o.growth).toBeLessThan(8 * 1024 * 1024);
});

// The automatic limit (the default): twice the high-water of live large blocks, at least 1 GiB. A loop that
// frees and reallocates more than a fixed 1 GiB each step evicted and re-faulted every block (a U-Net sampled at
// batch 1000 ran at 0.3x the speed per image of batch 256). tf.empty maps without touching pages, so the 640 MiB
// here are not made resident.
const autoScript = `
const tf = require(${JSON.stringify(path.join(root, 'dist'))});
const MiB = 1 << 20, m = () => tf.memory();
const out = { auto0: m().cacheLimitAuto, limit0: m().cacheLimitBytes };
const a = [0, 1, 2, 3, 4].map(() => tf.empty([32 * MiB]));  // 5 x 128 MiB live
for (const t of a) t.dispose();
out.limit1 = m().cacheLimitBytes; out.cached1 = m().cachedBytes;
const hits = m().cacheHits, misses = m().cacheMisses;
for (let r = 0; r < 3; r++) { const b = [0, 1, 2, 3, 4].map(() => tf.empty([32 * MiB])); for (const t of b) t.dispose(); }
out.hits = m().cacheHits - hits; out.misses = m().cacheMisses - misses;
tf.backend.setCacheLimit(64 * MiB);
out.set = { auto: m().cacheLimitAuto, limit: m().cacheLimitBytes, cached: m().cachedBytes };
tf.backend.setCacheLimit('auto');
out.back = { auto: m().cacheLimitAuto, limit: m().cacheLimitBytes };
console.log(JSON.stringify(out));
`;

(built ? test : test.skip)("the automatic cache limit follows the working set: 2x the peak of live large blocks, at least 1 GiB; a set limit replaces it until 'auto'", () => {
  const env = { ...process.env };
  delete env.TENSORFIELD_CACHE_MB;
  const r = spawnSync(process.execPath, ['-e', autoScript], { encoding: 'utf8', timeout: 60000, env });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const o = JSON.parse(r.stdout.trim());
  const MiB = 1 << 20;
  expect([o.auto0, o.limit0]).toEqual([true, 1024 * MiB]);  // nothing live yet: the 1 GiB floor
  // 640 MiB live at the peak (size classes are exact at 128 MiB) -> 1280 MiB, and all five blocks stay cached
  expect(o.limit1).toBe(1280 * MiB);
  expect(o.cached1).toBe(640 * MiB);
  expect([o.hits, o.misses]).toEqual([15, 0]);  // three more rounds of the same step: every block reused
  expect(o.set).toEqual({ auto: false, limit: 64 * MiB, cached: 0 });  // over the new limit: the cache is emptied
  expect(o.back).toEqual({ auto: true, limit: 1280 * MiB });  // the high-water is remembered

  // TENSORFIELD_CACHE_MB fixes the limit from the start
  const r2 = spawnSync(process.execPath, ['-e', `const tf = require(${JSON.stringify(path.join(root, 'dist'))}); console.log(JSON.stringify([tf.memory().cacheLimitAuto, tf.memory().cacheLimitBytes]))`],
    { encoding: 'utf8', timeout: 60000, env: { ...env, TENSORFIELD_CACHE_MB: '256' } });
  expect([r2.status, r2.stderr]).toEqual([0, '']);
  expect(JSON.parse(r2.stdout.trim())).toEqual([false, 256 * MiB]);
});

test("setCacheLimit rejects what is neither a byte count nor 'auto' with TF_INVALID_ARGUMENT", () => {
  for (const bad of [-1, NaN, Infinity, 'big' as unknown as number]) {
    let code = '';
    try { tf.backend.setCacheLimit(bad); } catch (e) { code = (e as { code?: string }).code ?? ''; }
    expect(code).toBe('TF_INVALID_ARGUMENT');
  }
});
