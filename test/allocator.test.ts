// The buffer allocator (native/core/allocator): large buffers are recycled through a bounded cache, small ones go
// to the C heap, and the two never mix — a heap block that reached the mmap cache was later munmap'd under a live
// tensor (a segfault after a few hundred training steps).
import * as tf from '../lib';
import { settle } from './helpers';

const KiB = 1024;

afterAll(() => tf.backend.setCacheLimit(2 ** 30));

// Counted by the allocator's hit/miss counters, which only large allocations move (cachedBytes alone could change
// under the test's feet: V8 may finalize other tests' handles, releasing their blocks into the cache, at any time).
test('buffers just under 64 KiB stay on the heap; from 64 KiB they go through the cache and are reused', async () => {
  await settle();
  tf.backend.emptyCache();  // earlier tests in this worker may have filled the cache to its limit (then a freed block is unmapped)
  const large = () => tf.memory().cacheHits + tf.memory().cacheMisses;
  const before = large();
  // up to 16368 floats (65472 bytes, a multiple of 64 under 64 KiB): heap blocks, never counted
  for (const n of [1, 1000, 16368]) tf.zeros([n]).dispose();
  expect(large()).toBe(before);
  // 16369 floats round up to exactly 64 KiB: a cache block — the same decision on allocation and on release
  tf.zeros([16369]).dispose();
  expect(large()).toBe(before + 1);
  // the same 64 KiB size class, freed and taken again: served from the cache. (Asserted over ten rounds with one
  // allowed miss: in a shared jest worker, finalizers of other files' handles run at GC points we do not control.)
  const hits = tf.memory().cacheHits;
  for (let i = 0; i < 10; i++) tf.zeros([16384]).dispose();
  expect(tf.memory().cacheHits - hits).toBeGreaterThanOrEqual(9);
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
