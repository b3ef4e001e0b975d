// A seeded DataLoader over in-memory tensors that share their first dimension (images and labels, say).
//
// Order. With shuffle on, epoch e visits the rows in a permutation drawn by SeededRandom from (seed, e) alone:
// the same seed gives the same order whatever else the program draws from the engine generator, however many
// loaders exist, and whichever epoch one starts from (resuming at epoch 5 sees epoch 5's order).
//
// Ownership. Every batch is a fresh tensor (rows gathered with indexSelect, so it never aliases the dataset):
// the caller owns it and must dispose it, or run the step inside tidy(). The loader keeps nothing per batch.
//
// No prefetching. Batch preparation is synchronous native work on the calling thread, so an async iterator on
// the same thread cannot overlap it with the training step; only a worker thread could, and that worker shares
// the engine's one thread pool and would hand its batch over by copying it into the main thread's engine.
// Measured on a shared 2-core AVX2 machine (Fashion-MNIST, batches of 128 at 28x28, two runs): a shuffled
// gather costs 0.13-0.29 ms and gather + randomHorizontalFlip 1.15-1.28 ms; copying a ready batch in from
// another thread (tensor(typedArray)) 0.03-0.05 ms; one training step of a 784-256-784 MLP denoiser 24-50 ms and
// of a two-layer 3x3 conv denoiser (1-32-1 channels) ~420 ms. A worker could thus hide at most ~1.2 ms per step:
// under 5% for the smallest model and 0.3% for the smallest conv model, while a second engine instance would
// compete for the same two cores during the step. Not worth it, so the async iterator
// prepares each batch when asked and yields to the event loop between batches (so timers and I/O such as
// asynchronous checkpoint writes keep running during an epoch); that is all it does differently.
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { tidy } from '../scope';
import { SeededRandom } from './prng';

export interface DataLoaderOptions<B> {
  batchSize: number;
  /** Visit the rows in a fresh seeded permutation each epoch (default false: in order). */
  shuffle?: boolean;
  /** Seed of the shuffles (default 0). */
  seed?: number;
  /** Drop the last batch of an epoch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Epochs one iteration runs through (default 1). */
  epochs?: number;
  /**
   * Applied to each gathered batch inside tidy(): tensors it creates and does not return are disposed, and so is
   * the gathered batch unless returned. Random transforms draw from the engine generator (seed it for repeats).
   */
  transform?: (batch: B) => B;
}

type Batch = Tensor | Tensor[];

export class DataLoader<B extends Batch = Tensor[]> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly epochs: number;
  /** Rows in the dataset. */
  readonly size: number;
  private readonly tensors: Tensor[];
  private readonly single: boolean;
  private readonly transform: ((b: B) => B) | null;

  /** `data`: one tensor (batches are tensors) or an array of tensors with equal first dimension (batches are arrays). */
  constructor(data: B, opts: DataLoaderOptions<B>) {
    const fn = 'DataLoader';
    this.single = data instanceof Tensor;
    const list = (this.single ? [data] : data) as Tensor[];
    if (!Array.isArray(list) || list.length === 0 || !list.every((t) => t instanceof Tensor)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: data must be a Tensor or a non-empty array of Tensors`);
    }
    if (list.some((t) => t.ndim === 0)) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: scalars cannot be batched`);
    const n = list[0].shape[0];
    list.forEach((t, i) => {
      if (t.shape[0] !== n) {
        throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: tensor ${i} has ${t.shape[0]} rows, tensor 0 has ${n}`);
      }
    });
    const o = opts ?? ({} as DataLoaderOptions<B>);
    const posInt = (v: unknown, what: string) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be a positive integer, got ${String(v)}`);
      return v;
    };
    this.batchSize = posInt(o.batchSize, 'batchSize');
    this.epochs = posInt(o.epochs ?? 1, 'epochs');
    this.seed = o.seed ?? 0;
    if (!Number.isSafeInteger(this.seed)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: seed must be an integer, got ${this.seed}`);
    this.shuffle = !!o.shuffle;
    this.dropLast = !!o.dropLast;
    this.transform = o.transform ?? null;
    if (this.transform !== null && typeof this.transform !== 'function') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: transform must be a function`);
    this.tensors = list;
    this.size = n;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** The row order of epoch `e` (0-based): the identity, or that epoch's seeded permutation. */
  order(e: number): Int32Array {
    if (!Number.isInteger(e) || e < 0 || e > 0xffffffff) throw new TensorfieldError('TF_INVALID_ARGUMENT', `DataLoader.order: epoch must be a non-negative integer, got ${e}`);
    if (!this.shuffle) return Int32Array.from({ length: this.size }, (_, i) => i);
    return new SeededRandom(this.seed, e).permutation(this.size);
  }

  /** Batch `b` of epoch `e`, gathered (and transformed) now; owned by the caller. */
  batch(e: number, b: number, order = this.order(e)): B {
    if (!Number.isInteger(b) || b < 0 || b >= this.length) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `DataLoader.batch: batch ${b} out of range [0, ${this.length})`);
    }
    const rows = order.subarray(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize));
    return tidy(() => {
      const idx = tensor(rows, { shape: [rows.length] });
      const gathered = this.tensors.map((t) => t.indexSelect(0, idx));
      const out = (this.single ? gathered[0] : gathered) as B;
      return this.transform ? this.transform(out) : out;
    });
  }

  /** The batches of one epoch. */
  *epoch(e: number): Generator<B> {
    const order = this.order(e);
    for (let b = 0; b < this.length; b++) yield this.batch(e, b, order);
  }

  *[Symbol.iterator](): Generator<B> {
    for (let e = 0; e < this.epochs; e++) yield* this.epoch(e);
  }

  /** The same batches as the sync iterator, yielding to the event loop between them (see the file comment). */
  async *[Symbol.asyncIterator](): AsyncGenerator<B> {
    for (let e = 0; e < this.epochs; e++) {
      const order = this.order(e);
      for (let b = 0; b < this.length; b++) {
        await new Promise<void>((r) => setImmediate(r));
        yield this.batch(e, b, order);
      }
    }
  }
}
