// The real-data floor of FD_cls must be an independent sample: real images that are not in the reference
// statistics (the 10000 test images), in disjoint draws, reported as mean and spread. And every result records
// what it was computed on: the data set (full Fashion-MNIST or the shipped subset), n, seeds, commit, command.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor } from '../lib';
import { openDataSource, buildFloorPool, type DataSource, type FloorPool } from '../lib/data/sources';
import { loadFashionMNIST, imagesToTensor, describeFashionSource, FASHION_MNIST_DEBIAN_DIR, type ImageDataset } from '../lib/data/fashion_mnist';
import { evaluateSamples } from '../lib/cli/evaluate';
import { runRecord, gitState, commandLine } from '../lib/cli/record';
import { logDataset } from '../lib/cli/train';
import { expectCode } from './helpers';

const M = tf.metrics;
const root = path.join(__dirname, '..');
const fullInstalled = fs.existsSync(path.join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz'));

/** One exact key per image row of a [k, 1, r, r] float32 tensor. */
function rowKeys(x: Tensor): string[] {
  const d = x.contiguous().dataSync() as Float32Array;
  const size = d.length / x.shape[0];
  return Array.from({ length: x.shape[0] }, (_, i) => Buffer.from(d.buffer, d.byteOffset + i * size * 4, size * 4).toString('base64'));
}

/** The source with its floor pool wrapped so every image the floor takes is seen (and, optionally, a smaller count). */
function spied(src: DataSource, count?: number): { src: DataSource; taken: { pos: number[]; keys: string[] }[] } {
  const taken: { pos: number[]; keys: string[] }[] = [];
  const inner = src.floorPool!();
  const pool: FloorPool = {
    ...inner, count: count ?? inner.count,
    take: (p) => { const x = inner.take(p); taken.push({ pos: Array.from(p), keys: rowKeys(x) }); return x; },
  };
  return { src: { ...src, floorPool: () => pool }, taken };
}

const n = 64;
let fake: Tensor;
let src14: DataSource;

beforeAll(() => {
  tf.setNumThreads(1);
  tf.manualSeed(3);
  fake = tf.keep(tf.rand([n, 1, 14, 14]).mul(2).sub(1));
  src14 = openDataSource('fashion14', { fashionSource: 'embedded' });
});

describe('FD_cls real-data floor', () => {
  test('comes from images outside the reference statistics, in >= 3 mutually disjoint draws of the same n', async () => {
    // The reference statistics are those of the 10000 test images of the full set.
    expect(M.fashionReferenceStats(14).count).toBe(10000);
    const { src, taken } = spied(src14);
    const m = await evaluateSamples(src, fake);
    expect(taken.length).toBe(3);
    expect([m.fdClsRealFloorDraws, m.fdClsRealFloorN]).toEqual([3, n]);
    for (const t of taken) expect(t.pos.length).toBe(n);
    const positions = new Set(taken.flatMap((t) => t.pos));
    expect(positions.size).toBe(3 * n);  // disjoint draws
    // No image of the floor is an image of the reference: compared with every test image available here (the full
    // 10000 when the Debian package is installed, else the subset's 1000, all of which are in the reference).
    const test = loadFashionMNIST({ split: 'test', source: fullInstalled ? 'full' : 'embedded' });
    const ref = imagesToTensor(test, { resolution: 14 });
    const refKeys = new Set(rowKeys(ref));
    ref.dispose();
    const overlapping = taken.flatMap((t) => t.keys).filter((k) => refKeys.has(k)).length;
    expect(overlapping).toBe(0);
    // and they are real images: each is some train image of the source.
    const train = imagesToTensor(loadFashionMNIST({ split: 'train', source: 'embedded' }), { resolution: 14 });
    const trainKeys = new Set(rowKeys(train));
    train.dispose();
    expect(taken.flatMap((t) => t.keys).every((k) => trainKeys.has(k))).toBe(true);
    // mean and spread
    expect(m.fdClsRealFloorMin).toBeLessThanOrEqual(m.fdClsRealFloor);
    expect(m.fdClsRealFloor).toBeLessThanOrEqual(m.fdClsRealFloorMax);
    expect(m.fdClsRealFloorSd).toBeGreaterThan(0);
    expect(m.fdClsRealFloorMax - m.fdClsRealFloorMin).toBeGreaterThan(0);
    // the samples (uniform noise) score far above real data
    expect(m.fdCls).toBeGreaterThan(5 * m.fdClsRealFloorMax);
  });

  test('the floor is reproducible and does not touch the engine generator', async () => {
    tf.manualSeed(11);
    const a = await evaluateSamples(src14, fake);
    const after = tf.rand([4]).dataSync();
    tf.manualSeed(11);
    const b = await evaluateSamples(src14, fake);
    expect(Array.from(tf.rand([4]).dataSync())).toEqual(Array.from(after));
    expect(b.fdClsRealFloor).toBe(a.fdClsRealFloor);
    const c = await evaluateSamples(src14, fake, undefined, { floorSeed: 1 });
    expect(c.fdClsRealFloor).not.toBe(a.fdClsRealFloor);
  });

  test('a small pool gives fewer draws with a warning, none below two; floorDraws 0 skips it; bad options are TF_INVALID_ARGUMENT', async () => {
    const msgs: string[] = [];
    const two = spied(src14, 2 * n + 1);
    const m2 = await evaluateSamples(two.src, fake, (s) => msgs.push(s));
    expect([two.taken.length, m2.fdClsRealFloorDraws]).toEqual([2, 2]);
    expect(msgs.some((s) => /warning: only 2 disjoint floor samples/.test(s))).toBe(true);
    const one = spied(src14, 2 * n - 1);
    const m1 = await evaluateSamples(one.src, fake, (s) => msgs.push(s));
    expect(one.taken.length).toBe(0);
    expect('fdClsRealFloor' in m1).toBe(false);
    expect(msgs.some((s) => /needs at least 2 disjoint samples/.test(s))).toBe(true);
    const none = spied(src14);
    const m0 = await evaluateSamples(none.src, fake, undefined, { floorDraws: 0 });
    expect([none.taken.length, 'fdClsRealFloor' in m0, Number.isFinite(m0.fdCls)]).toEqual([0, false, true]);
    for (const bad of [{ floorDraws: -1 }, { floorDraws: 1 }, { floorDraws: 1.5 }, { floorSeed: 0.5 }]) {
      await expect(evaluateSamples(src14, fake, undefined, bad)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
    }
  });

  test('the pool leaves out a train image identical to a test image', () => {
    const te = loadFashionMNIST({ split: 'test', source: 'embedded', limit: 5 });
    const tr0 = loadFashionMNIST({ split: 'train', source: 'embedded', limit: 10 });
    const size = tr0.height * tr0.width;
    const images = Uint8Array.from(tr0.images);
    images.set(te.images.subarray(2 * size, 3 * size), 3 * size);  // train image 3 := test image 2
    const tr: ImageDataset = { ...tr0, images };
    const x = imagesToTensor(tr, { resolution: 14 });
    const pool = buildFloorPool(tr, te, x);
    expect([pool.count, pool.excluded]).toEqual([9, 1]);
    expect(Array.from(pool.trainIndices)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    const got = pool.take([3]);
    expect(rowKeys(got)).toEqual(rowKeys(x.narrow(0, 4, 1)));
    got.dispose();
    expectCode(() => pool.take([9]), 'TF_INDEX_OUT_OF_RANGE');
    x.dispose();
  });

  test('disjointDraws: disjoint, reproducible, seeded; bad input is TF_INVALID_ARGUMENT', () => {
    const d = M.disjointDraws(100, 30, 3, 5);
    expect(d.map((a) => a.length)).toEqual([30, 30, 30]);
    expect(new Set(d.flatMap((a) => Array.from(a))).size).toBe(90);
    expect(d.flatMap((a) => Array.from(a)).every((v) => v >= 0 && v < 100)).toBe(true);
    expect(M.disjointDraws(100, 30, 3, 5).map((a) => Array.from(a))).toEqual(d.map((a) => Array.from(a)));
    expect(Array.from(M.disjointDraws(100, 30, 3, 6)[0])).not.toEqual(Array.from(d[0]));
    expectCode(() => M.disjointDraws(100, 40, 3), 'TF_INVALID_ARGUMENT');  // 120 > 100
    expectCode(() => M.disjointDraws(100, 1, 3), 'TF_INVALID_ARGUMENT');
    expectCode(() => M.disjointDraws(100, 10, 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => M.disjointDraws(100, 10, 2, 0.5), 'TF_INVALID_ARGUMENT');
  });
});

describe('recorded results', () => {
  test('the Fashion-MNIST files in words: the full set, the shipped subset, or a folder', () => {
    const sub = describeFashionSource('embedded');
    expect([sub.kind, sub.fellBack]).toEqual(['subset', false]);
    expect(sub.description).toMatch(/3,000-image/);
    const auto = describeFashionSource('auto');
    if (fullInstalled) {
      expect([auto.kind, auto.fellBack]).toEqual(['full', false]);
      expect(auto.description).toMatch(/Debian package dataset-fashion-mnist/);
    } else {
      expect([auto.kind, auto.fellBack]).toEqual(['subset', true]);
      expect(auto.description).toMatch(/not installed/);
    }
    expect(describeFashionSource(os.tmpdir()).kind).toBe('folder');
    expectCode(() => describeFashionSource(''), 'TF_INVALID_ARGUMENT');
  });

  test('a fallback to the subset is said plainly at the start', () => {
    const lines: string[] = [];
    logDataset({ ...src14, dataset: { ...describeFashionSource('embedded'), requested: 'auto', fellBack: true } }, (s) => lines.push(s));
    expect(lines[0]).toMatch(/^data: .*subset/);
    expect(lines.some((s) => /^NOTE: the full Fashion-MNIST is not installed/.test(s))).toBe(true);
    const quiet: string[] = [];
    logDataset(src14, (s) => quiet.push(s));
    expect(quiet).toEqual([`data: ${src14.dataset!.description}`]);
  });

  test('runRecord: data set, n, seeds, commit and command', () => {
    const r = runRecord(src14, { n: 256, seeds: { train: 0, floor: 0 }, argv: ['/usr/bin/node', path.join(process.cwd(), 'dist/cli/main.js'), 'eval', '--run', 'a b'] });
    expect([r.data, r.dataset!.kind, r.n, r.seeds]).toEqual(['fashion14', 'subset', 256, { train: 0, floor: 0 }]);
    expect(r.command).toBe("node dist/cli/main.js eval --run 'a b'");
    let head: string | null = null;
    try { head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { head = null; }
    if (head) expect(r.git!.commit).toBe(head); else expect(r.git).toBeNull();
    expect(runRecord('eight-gaussians').dataset).toBeUndefined();
    expectCode(() => runRecord(src14, { seeds: { train: 1.5 } }), 'TF_INVALID_ARGUMENT');
    expectCode(() => runRecord(src14, { n: -1 }), 'TF_INVALID_ARGUMENT');
  });

  test('outside a git checkout the commit is absent, not an error; a folder inside another repository is not its checkout', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-nogit-'));
    try {
      expect(gitState(dir)).toBeNull();
      // an installed copy (node_modules/tensorfield) inside a user's repository must not record the user's commit
      let haveGit = true;
      try {
        const g = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
        g('init', '-q'); g('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x');
      } catch { haveGit = false; }
      if (haveGit) {
        expect(gitState(dir)?.commit).toMatch(/^[0-9a-f]{40}$/);
        const sub = path.join(dir, 'node_modules', 'tensorfield');
        fs.mkdirSync(sub, { recursive: true });
        expect(gitState(sub)).toBeNull();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(commandLine(['node', 'x.js', "it's"])).toBe(`node x.js 'it'\\''s'`);
  });
});
