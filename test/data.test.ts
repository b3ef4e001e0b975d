// Fashion-MNIST: the shipped subset and (when installed) the full Debian set, the image tensors at 28 and 14,
// flips, and every way an IDX file can be bad — each a TF_BAD_FILE naming the file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as tf from '../lib';
import {
  loadFashionMNIST, imagesToTensor, labelsToTensor, randomHorizontalFlip, parseIdx, readIdx, encodeIdx,
  FASHION_MNIST_DEBIAN_DIR, FASHION_MNIST_EMBEDDED_DIR, type ImageDataset,
} from '../lib/data';
import { expectCode } from './helpers';

const fullInstalled = fs.existsSync(path.join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-fmnist-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function messageOf(fn: () => unknown): string {
  try { fn(); } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; }
  throw new Error('expected an error');
}

function classCounts(ds: ImageDataset): number[] {
  const c = new Array(10).fill(0);
  for (const l of ds.labels) c[l]++;
  return c;
}

describe('datasets', () => {
  test('the embedded subset: 3000 + 1000 images of 28x28, 300 / 100 per class', () => {
    const train = loadFashionMNIST({ source: 'embedded' });
    const test = loadFashionMNIST({ source: 'embedded', split: 'test' });
    expect([train.count, train.height, train.width, test.count]).toEqual([3000, 28, 28, 1000]);
    expect(classCounts(train)).toEqual(new Array(10).fill(300));
    expect(classCounts(test)).toEqual(new Array(10).fill(100));
    expect(train.source).toBe(FASHION_MNIST_EMBEDDED_DIR);
    expect(train.images.length).toBe(3000 * 784);
    expect(loadFashionMNIST({ source: 'embedded', limit: 10 }).count).toBe(10);
  });

  (fullInstalled ? test : test.skip)('the full set: 60000 / 10000, balanced; the subset is its first images of each class', () => {
    const train = loadFashionMNIST({ source: 'full' });
    const test = loadFashionMNIST({ source: 'full', split: 'test' });
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect(classCounts(train)).toEqual(new Array(10).fill(6000));
    expect(classCounts(test)).toEqual(new Array(10).fill(1000));
    expect(loadFashionMNIST().source).toBe(FASHION_MNIST_DEBIAN_DIR);
    for (const [full, sub, per] of [[train, loadFashionMNIST({ source: 'embedded' }), 300], [test, loadFashionMNIST({ source: 'embedded', split: 'test' }), 100]] as const) {
      const seen = new Array(10).fill(0), picked: number[] = [];
      for (let i = 0; i < full.count; i++) if (seen[full.labels[i]]++ < per) picked.push(i);
      expect(picked).toHaveLength(sub.count);
      picked.forEach((i, k) => {
        if (full.labels[i] !== sub.labels[k]) throw new Error(`label ${k}`);
        if (Buffer.compare(full.images.subarray(i * 784, (i + 1) * 784), sub.images.subarray(k * 784, (k + 1) * 784)) !== 0) throw new Error(`image ${k}`);
      });
    }
  });

  test("source 'full' without the Debian files names the package; a custom directory names the missing file", () => {
    // Without the Debian files: the loader is loaded afresh with an fs whose existsSync hides the Debian folder
    // (fs's own properties cannot be redefined, so it is swapped in the module registry instead). The engine
    // modules it imports are mapped to the instances already loaded, so the native addon is not initialised twice.
    const engine = { tensor: require('../lib/tensor'), random: require('../lib/random'), ops: require('../lib/ops') };
    jest.isolateModules(() => {
      const realFs = jest.requireActual('fs') as typeof fs;
      jest.doMock('fs', () => ({ ...realFs, existsSync: (p: fs.PathLike) => !String(p).startsWith(FASHION_MNIST_DEBIAN_DIR) && realFs.existsSync(p) }));
      jest.doMock('../lib/tensor', () => engine.tensor);
      jest.doMock('../lib/random', () => engine.random);
      jest.doMock('../lib/ops', () => engine.ops);
      jest.doMock('../lib/native', () => { throw new Error('the native addon must not be loaded a second time'); });
      const fm = require('../lib/data/fashion_mnist') as typeof import('../lib/data/fashion_mnist');
      expect(messageOf(() => fm.loadFashionMNIST({ source: 'full' }))).toMatch(/^TF_BAD_FILE: .*apt-get install -y dataset-fashion-mnist/);
      // 'auto' falls back to the shipped subset.
      expect(fm.loadFashionMNIST({ source: 'auto', split: 'test' }).source).toBe(FASHION_MNIST_EMBEDDED_DIR);
    });
    for (const m of ['fs', '../lib/tensor', '../lib/random', '../lib/ops', '../lib/native']) jest.dontMock(m);
    expect(messageOf(() => loadFashionMNIST({ source: '/nonexistent/fmnist' })))
      .toMatch(/^TF_BAD_FILE: IDX file '\/nonexistent\/fmnist\/train-images-idx3-ubyte\.gz' cannot be read \(ENOENT\)/);
    expectCode(() => loadFashionMNIST({ split: 'val' as 'train', source: 'embedded' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => loadFashionMNIST({ source: 'embedded', limit: -1 }), 'TF_INVALID_ARGUMENT');
  });
});

describe('tensors', () => {
  const ds = loadFashionMNIST({ source: 'embedded', split: 'test', limit: 20 });

  test('imagesToTensor at 28: [-1, 1] and [0, 1] exactly from the bytes; labels as int32', () => {
    const x = imagesToTensor(ds);
    expect(x.shape).toEqual([20, 1, 28, 28]);
    expect(x.dtype).toBe('float32');
    const v = x.dataSync() as Float32Array;
    for (let i = 0; i < v.length; i++) if (v[i] !== Math.fround((ds.images[i] * 2) / 255 - 1)) throw new Error(`pixel ${i}`);
    const u = imagesToTensor(ds, { range: '[0,1]', indices: [5, 2] }).dataSync() as Float32Array;
    for (let i = 0; i < 784; i++) {
      expect(u[i]).toBe(Math.fround(ds.images[5 * 784 + i] / 255));
      expect(u[784 + i]).toBe(Math.fround(ds.images[2 * 784 + i] / 255));
    }
    const y = labelsToTensor(ds, [3, 0]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync() as Int32Array)).toEqual([ds.labels[3], ds.labels[0]]);
    // Extremes map to the ends of the range.
    expect(Math.min(...v)).toBe(-1);
  });

  test('imagesToTensor at 14 is the 2x2 mean of the 28x28 pixels', () => {
    const x = imagesToTensor(ds, { resolution: 14 }).dataSync() as Float32Array;
    for (let n = 0; n < 20; n++) for (let r = 0; r < 14; r++) for (let c = 0; c < 14; c++) {
      const p = (yy: number, xx: number) => ds.images[n * 784 + yy * 28 + xx];
      const mean = (p(2 * r, 2 * c) + p(2 * r, 2 * c + 1) + p(2 * r + 1, 2 * c) + p(2 * r + 1, 2 * c + 1)) / 4;
      // float32 result of a float64 formula: within one float32 ulp of values in [-1, 1].
      if (Math.abs(x[(n * 14 + r) * 14 + c] - ((mean * 2) / 255 - 1)) > 1.2e-7) throw new Error(`pixel ${n},${r},${c}`);
    }
    expectCode(() => imagesToTensor(ds, { resolution: 5 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => imagesToTensor(ds, { indices: [20] }), 'TF_INVALID_ARGUMENT');
  });

  test('randomHorizontalFlip mirrors whole images, seeded; p = 0 and p = 1', () => {
    const x = imagesToTensor(ds);
    const v = x.dataSync() as Float32Array;
    const flippedOf = (n: number) => Float32Array.from({ length: 784 }, (_, i) => v[n * 784 + Math.floor(i / 28) * 28 + 27 - (i % 28)]);
    tf.manualSeed(11);
    const a = randomHorizontalFlip(x).dataSync() as Float32Array;
    let flips = 0;
    for (let n = 0; n < 20; n++) {
      const img = a.subarray(n * 784, (n + 1) * 784), mirror = flippedOf(n);
      const same = img.every((p, i) => p === v[n * 784 + i]), mirrored = img.every((p, i) => p === mirror[i]);
      expect(same || mirrored).toBe(true);
      if (!same) flips++;
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(20);
    tf.manualSeed(11);
    expect(randomHorizontalFlip(x).dataSync()).toEqual(a);
    expect(randomHorizontalFlip(x, 0).dataSync()).toEqual(v);
    expect((randomHorizontalFlip(x, 1).dataSync() as Float32Array).subarray(0, 784)).toEqual(flippedOf(0));
    expectCode(() => randomHorizontalFlip(tf.zeros([2, 28, 28])), 'TF_SHAPE_MISMATCH');
  });
});

describe('bad IDX files', () => {
  const good = encodeIdx([2, 2, 3], Uint8Array.from({ length: 12 }, (_, i) => i), false);

  test('the encoder and parser round-trip, gzipped or not', () => {
    for (const gz of [false, true]) {
      const a = parseIdx(encodeIdx([2, 2, 3], Uint8Array.from({ length: 12 }, (_, i) => i), gz));
      expect(a.dims).toEqual([2, 2, 3]);
      expect(Array.from(a.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
  });

  const cases: [string, Buffer, RegExp][] = [
    ['truncated data', good.subarray(0, good.length - 1), /need 12 data bytes but the file has 11 \(truncated\)/],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])]), /\(trailing bytes\)/],
    ['truncated header', good.subarray(0, 10), /truncated header/],
    ['too short for the magic', good.subarray(0, 3), /too short for the 4-byte magic/],
    ['wrong magic', Buffer.concat([Buffer.from([1, 0]), good.subarray(2)]), /not an IDX file/],
    ['unsupported type', Buffer.concat([Buffer.from([0, 0, 0x0d]), good.subarray(3)]), /float32 is not supported/],
    ['unknown type', Buffer.concat([Buffer.from([0, 0, 0x07]), good.subarray(3)]), /unknown element type code 0x7/],
    ['zero dimensions', Buffer.from([0, 0, 8, 0]), /zero dimensions/],
    ['bad gzip', Buffer.concat([zlib.gzipSync(good).subarray(0, 20)]), /gzip data is corrupt or truncated/],
    ['corrupt gzip body', (() => { const z = Buffer.from(zlib.gzipSync(good)); z[z.length - 6] ^= 0xff; return z; })(), /gzip data is corrupt/],
  ];
  test.each(cases)('%s is TF_BAD_FILE naming the file', (_, bytes, why) => {
    const f = path.join(tmp, `bad-${_.replace(/\s+/g, '-')}`);
    fs.writeFileSync(f, bytes);
    const msg = messageOf(() => readIdx(f));
    expect(msg).toMatch(new RegExp(`^TF_BAD_FILE: IDX file '${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`));
    expect(msg).toMatch(why);
  });

  function writeSet(dir: string, n: number, labels: number[], imageDims = [n, 28, 28]): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), encodeIdx(imageDims, new Uint8Array(imageDims.reduce((a, b) => a * b, 1))));
    fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), encodeIdx([labels.length], Uint8Array.from(labels)));
  }

  test('a directory of IDX files loads; mismatched label count, label > 9 and 2-D images are TF_BAD_FILE naming the file', () => {
    const ok = path.join(tmp, 'ok');
    writeSet(ok, 3, [0, 9, 4]);
    expect(Array.from(loadFashionMNIST({ source: ok }).labels)).toEqual([0, 9, 4]);
    const mism = path.join(tmp, 'mismatch');
    writeSet(mism, 3, [0, 1]);
    expect(messageOf(() => loadFashionMNIST({ source: mism }))).toMatch(/^TF_BAD_FILE: IDX file '.*mismatch\/train-labels-idx1-ubyte\.gz': expected 3 labels/);
    const big = path.join(tmp, 'label10');
    writeSet(big, 3, [0, 10, 1]);
    expect(messageOf(() => loadFashionMNIST({ source: big }))).toMatch(/^TF_BAD_FILE: IDX file '.*label10\/train-labels-idx1-ubyte\.gz': label 10 at 1/);
    const flat = path.join(tmp, 'flat');
    writeSet(flat, 3, [0, 1, 2], [3, 784]);
    expect(messageOf(() => loadFashionMNIST({ source: flat }))).toMatch(/^TF_BAD_FILE: IDX file '.*flat\/train-images-idx3-ubyte\.gz': images need 3 dimensions/);
  });
});
