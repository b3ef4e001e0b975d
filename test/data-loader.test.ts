// DataLoader and its seeded JS generator: coverage and alignment of batches, seeded order independent of
// everything else, epochs and dropLast, the async iterator, transforms, ownership (memory stays flat over many
// epochs) and bad arguments.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { DataLoader, SeededRandom } from '../lib/data';
import { expectCode, settle } from './helpers';

const N = 10;
// Row i of x is [i, 10 + i] and label i is i, so every batch shows which rows it holds and that they align.
function dataset(): [Tensor, Tensor] {
  const x = tf.tensor(Float32Array.from({ length: 2 * N }, (_, k) => (k % 2 === 0 ? k / 2 : 10 + (k - 1) / 2)), { shape: [N, 2] });
  const y = tf.tensor(Int32Array.from({ length: N }, (_, i) => i), { shape: [N] });
  return [x, y];
}
const rowsOf = (b: Tensor[]): number[] => Array.from(b[1].dataSync() as Int32Array);

beforeEach(settle);

test('in order: batch sizes, the short last batch, dropLast, and aligned tensors', () => {
  const [x, y] = dataset();
  const dl = new DataLoader([x, y], { batchSize: 4 });
  expect(dl.length).toBe(3);
  const batches = [...dl];
  expect(batches.map((b) => b[0].shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
  expect(batches.flatMap(rowsOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const b of batches) {
    const xs = b[0].dataSync() as Float32Array, ys = b[1].dataSync() as Int32Array;
    ys.forEach((r, i) => { expect(xs[2 * i]).toBe(r); expect(xs[2 * i + 1]).toBe(10 + r); });
    expect(b[1].dtype).toBe('int32');
    // A batch is a copy: writing to it leaves the dataset alone.
    expect(b[0].sharesStorage(x)).toBe(false);
  }
  const dropped = new DataLoader([x, y], { batchSize: 4, dropLast: true });
  expect(dropped.length).toBe(2);
  expect([...dropped].map((b) => b[0].shape[0])).toEqual([4, 4]);
  // A single tensor gives tensor batches.
  const single = new DataLoader(x, { batchSize: 3 });
  const first = single[Symbol.iterator]().next().value as Tensor;
  expect(first.shape).toEqual([3, 2]);
  tf.dispose([batches, x, y, first]);
});

test('shuffled order: a permutation per epoch, fixed by (seed, epoch) alone', () => {
  const [x, y] = dataset();
  const dl = new DataLoader([x, y], { batchSize: 3, shuffle: true, seed: 7, epochs: 3 });
  const all = [...dl];
  expect(all).toHaveLength(3 * 4);
  const epochs = [0, 1, 2].map((e) => all.slice(4 * e, 4 * e + 4).flatMap(rowsOf));
  for (const ep of epochs) expect([...ep].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(epochs[0]).not.toEqual(epochs[1]);
  expect(epochs[0]).toEqual(Array.from(dl.order(0)));
  // Draws from the engine generator, other loaders and starting at a later epoch change nothing.
  tf.manualSeed(123);
  tf.dispose(tf.rand([1000]));
  const other = new DataLoader([x, y], { batchSize: 5, shuffle: true, seed: 8 });
  tf.dispose([...other]);
  const again = new DataLoader([x, y], { batchSize: 3, shuffle: true, seed: 7 });
  expect([...again.epoch(2)].flatMap(rowsOf)).toEqual(epochs[2]);
  expect(Array.from(new DataLoader(x, { batchSize: 1, shuffle: true, seed: 8 }).order(0))).not.toEqual(epochs[0]);
  // Over many epochs every position sees every row about equally often: each of the 10 x 10 (position, row)
  // cells is Binomial(2000, 1/10); 6 standard errors is 80.
  const count = new Array(100).fill(0);
  const big = new DataLoader(x, { batchSize: 10, shuffle: true, seed: 1 });
  for (let e = 0; e < 2000; e++) big.order(e).forEach((r, pos) => count[pos * 10 + r]++);
  for (const c of count) expect(Math.abs(c - 200)).toBeLessThan(6 * Math.sqrt(2000 * 0.1 * 0.9));
  tf.dispose([all, x, y]);
});

test('the async iterator yields the same batches as the sync one', async () => {
  const [x, y] = dataset();
  const dl = new DataLoader([x, y], { batchSize: 4, shuffle: true, seed: 3, epochs: 2 });
  const sync = [...dl].map((b) => { const r = rowsOf(b); tf.dispose(b); return r; });
  const asyncRows: number[][] = [];
  for await (const b of dl) { asyncRows.push(rowsOf(b)); tf.dispose(b); }
  expect(asyncRows).toEqual(sync);
  tf.dispose([x, y]);
});

test('memory stays flat over many epochs when batches are disposed or used inside tidy', async () => {
  const [x, y] = dataset();
  // The transform creates intermediates; the loader must dispose them and the gathered originals.
  const dl = new DataLoader([x, y], {
    batchSize: 3, shuffle: true, seed: 1, epochs: 50,
    transform: ([bx, by]) => [bx.mul(2).add(1), by],
  });
  await settle();
  const before = tf.memory();
  let checked = 0;
  for (const b of dl) {
    expect((b[0].dataSync() as Float32Array)[0] % 2).toBe(1);
    tf.dispose(b);
    checked++;
  }
  for await (const b of dl) tf.tidy(() => { b[0].sum().item(); tf.dispose(b); });
  const after = tf.memory();
  expect(checked).toBe(50 * 4);
  expect([after.tensors, after.storages, after.bytes]).toEqual([before.tensors, before.storages, before.bytes]);
  tf.dispose([x, y]);
});

test('bad arguments are refused with stable codes', () => {
  const [x, y] = dataset();
  expectCode(() => new DataLoader([x, tf.zeros([3])], { batchSize: 2 }), 'TF_SHAPE_MISMATCH');
  expectCode(() => new DataLoader([x, y], { batchSize: 0 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new DataLoader([x, y], { batchSize: 2, epochs: 1.5 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new DataLoader([], { batchSize: 2 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new DataLoader([x, y], { batchSize: 2, seed: 0.5 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new DataLoader(tf.zeros([]), { batchSize: 1 }), 'TF_SHAPE_MISMATCH');
  expectCode(() => new DataLoader([x, y], { batchSize: 2 }).batch(0, 5), 'TF_INVALID_ARGUMENT');
  tf.dispose([x, y]);
});

test('SeededRandom: uniform and normal moments, integer range, distinct streams, bad seeds refused', () => {
  // n = 1e5 draws: 6 standard errors are 6 * sqrt(1/12 / n) ~ 0.0055 for the uniform mean and
  // 6 * sqrt(2 / n) ~ 0.027 for the normal variance.
  const g = new SeededRandom(2024), n = 100000;
  let su = 0, sn = 0, sn2 = 0;
  const bins = new Array(7).fill(0);
  for (let i = 0; i < n; i++) {
    su += g.next();
    const z = g.normal();
    sn += z; sn2 += z * z;
    const k = g.int(7);
    if (!(k >= 0 && k < 7 && Number.isInteger(k))) throw new Error(`int(7) gave ${k}`);
    bins[k]++;
  }
  expect(Math.abs(su / n - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / n));
  expect(Math.abs(sn / n)).toBeLessThan(6 * Math.sqrt(1 / n));
  expect(Math.abs(sn2 / n - 1)).toBeLessThan(6 * Math.sqrt(2 / n));
  for (const b of bins) expect(Math.abs(b - n / 7)).toBeLessThan(6 * Math.sqrt(n * (1 / 7) * (6 / 7)));
  const first = (seed: number, stream = 0) => { const r = new SeededRandom(seed, stream); return [r.nextUint32(), r.nextUint32(), r.nextUint32()]; };
  expect(first(5)).toEqual(first(5));
  expect(first(5, 1)).not.toEqual(first(5));
  expect(first(5)).not.toEqual(first(6));
  expect(first(2 ** 40)).not.toEqual(first(0));
  expectCode(() => new SeededRandom(0.5), 'TF_INVALID_ARGUMENT');
  expectCode(() => new SeededRandom(1, -1), 'TF_INVALID_ARGUMENT');
});
