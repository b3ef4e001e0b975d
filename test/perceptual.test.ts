// The classifier-feature (LPIPS-style) distance of lib/metrics/perceptual.ts and its use as the DSNO loss.
import * as tf from '../lib';
import { Tensor } from '../lib';
import * as dsno from '../lib/models/dsno';
import { loadFashionMNIST, imagesToTensor } from '../lib/data';
import { expectClose, expectCode, gradcheck } from './helpers';

const M = tf.metrics;
beforeAll(() => tf.manualSeed(3));

// LPIPS's formula written out on the activations, independently of the library's per-stage loop
function byHand(a: Tensor, b: Tensor, net: InstanceType<typeof M.FashionClassifier>): number[] {
  const fa = net.activations(a), fb = net.activations(b), n = a.shape[0];
  const out = new Array(n).fill(0);
  for (let s = 0; s < fa.length; s++) {
    const A = fa[s].dataSync(), B = fb[s].dataSync(), C = fa[s].shape[1];
    const P = fa[s].shape.slice(2).reduce((x, y) => x * y, 1);
    for (let i = 0; i < n; i++)
      for (let p = 0; p < P; p++) {
        let na = 0, nb = 0;
        for (let c = 0; c < C; c++) { na += A[(i * C + c) * P + p] ** 2; nb += B[(i * C + c) * P + p] ** 2; }
        na = Math.sqrt(na + 1e-10); nb = Math.sqrt(nb + 1e-10);
        let d = 0;
        for (let c = 0; c < C; c++) d += (A[(i * C + c) * P + p] / na - B[(i * C + c) * P + p] / nb) ** 2;
        out[i] += d / P;
      }
  }
  return out;
}

describe('classifierPerceptualDistance', () => {
  test('LPIPS\'s formula over the classifier\'s four stages; zero for equal images, symmetric, within [0, 16]', () => {
    const x = imagesToTensor(loadFashionMNIST({ source: 'embedded', split: 'test', limit: 6 }));
    const a = x.narrow(0, 0, 3), b = x.narrow(0, 3, 3);
    const d = M.classifierPerceptualDistance(a, b);
    expect(d.shape).toEqual([3]);
    // float32 activations summed in float32 against the same activations summed in double here: ~1e-6 relative
    expectClose(d.dataSync(), byHand(a, b, M.loadFashionClassifier()), 1e-5, 1e-5);
    expectClose(M.classifierPerceptualDistance(b, a).dataSync(), d.dataSync(), 1e-6, 1e-6);
    expect(Array.from(M.classifierPerceptualDistance(a, a).dataSync())).toEqual([0, 0, 0]);
    for (const v of d.dataSync()) expect(v > 0 && v <= 16).toBe(true);
    // 14x14 images are read at 28 by repetition, as the classifier's scores read them
    const a14 = tf.nn.functional.avgPool2d(a, 2), b14 = tf.nn.functional.avgPool2d(b, 2);
    const up = (t: Tensor) => tf.nn.functional.upsampleNearest(t, 2);
    expectClose(M.classifierPerceptualDistance(a14, b14).dataSync(), M.classifierPerceptualDistance(up(a14), up(b14)).dataSync(), 0, 0);
  });

  test('it sees content: an image is nearer its noisy copy than images of other classes (criterion fixed before the run)', () => {
    // 40 test images of the embedded subset; each against itself plus N(0, 0.1^2) noise and against the next
    // image of the subset whose class differs. The criterion: the median noisy-copy distance below half the
    // median other-class distance.
    const ds = loadFashionMNIST({ source: 'embedded', split: 'test' });
    const x = imagesToTensor(ds);
    const idx = Array.from({ length: 40 }, (_, i) => i * 25);
    const otherIdx = idx.map((i) => { let j = (i + 1) % ds.count; while (ds.labels[j] === ds.labels[i]) j = (j + 1) % ds.count; return j; });
    const pick = (ii: number[]) => x.indexSelect(0, tf.tensor(Int32Array.from(ii), { shape: [ii.length] }));
    const a = pick(idx), other = pick(otherIdx);
    const noisy = a.add(tf.randn(a.shape).mul(0.1)).clamp(-1, 1);
    const med = (t: Tensor) => { const v = Array.from(t.dataSync()).sort((p, q) => p - q); return (v[19] + v[20]) / 2; };
    const near = med(M.classifierPerceptualDistance(a, noisy)), far = med(M.classifierPerceptualDistance(a, other));
    expect(near).toBeLessThan(0.5 * far);
  });

  test('gradients in both images match float64 central differences (a random float64 network)', () => {
    const net = new M.FashionClassifier(4).toDtype('float64');
    const a = tf.randn([2, 1, 14, 14], { dtype: 'float64' }).tanh(), b = tf.randn([2, 1, 14, 14], { dtype: 'float64' }).tanh();
    const r = tf.tensor(new Float64Array([0.7, -1.3]), { shape: [2] });
    gradcheck((x, y) => M.classifierPerceptualDistance(x, y, { classifier: net }).mul(r).sum(), [a, b], { atol: 1e-6, rtol: 1e-5 });
  });

  test('the shipped classifier stays frozen; bad input is a clear error', () => {
    const a = tf.randn([2, 1, 28, 28]).tanh().requiresGrad_(), b = tf.randn([2, 1, 28, 28]).tanh();
    M.classifierPerceptualDistance(a, b).sum().backward();
    expect(a.grad!.abs().sum().item()).toBeGreaterThan(0);
    expect(M.loadFashionClassifier().parameters().every((p) => p.grad == null)).toBe(true);
    expectCode(() => M.classifierPerceptualDistance(a, tf.randn([3, 1, 28, 28])), 'TF_SHAPE_MISMATCH');
    expectCode(() => M.classifierPerceptualDistance(tf.randn([2, 1, 10, 10]), tf.randn([2, 1, 10, 10])), 'TF_SHAPE_MISMATCH');
    expectCode(() => M.classifierPerceptualDistance(a, 3 as never), 'TF_INVALID_ARGUMENT');
  });
});

describe('DSNO loss with the feature distance', () => {
  test('per slice, the mean over samples of the distance in data units; weights as for L1/L2; gradient reaches pred', () => {
    const sd = 0.5;
    const target = tf.randn([2, 3, 1, 14, 14]).tanh().div(sd);
    const pred = target.add(tf.randn(target.shape).mul(0.3)).detach().requiresGrad_();
    const { loss, perSlice } = dsno.dsnoLoss(pred, target, [1, 2, 4], 'feature', { dataScale: sd });
    const want = [0, 1, 2].map((m) => M.classifierPerceptualDistance(pred.select(1, m).mul(sd), target.select(1, m).mul(sd)).mean().item());
    expectClose(perSlice.dataSync(), want, 1e-6, 1e-5);
    expect(loss.item()).toBeCloseTo((want[0] + 2 * want[1] + 4 * want[2]) / 3, 5);
    loss.backward();
    const g = pred.grad!.dataSync();
    expect(g.every(Number.isFinite) && g.some((v) => v !== 0)).toBe(true);
    expectCode(() => dsno.dsnoLoss(tf.randn([2, 3, 4]), tf.randn([2, 3, 4]), [1, 1, 1], 'feature'), 'TF_SHAPE_MISMATCH');
    expectCode(() => dsno.dsnoLoss(pred, target, [1, 1, 1], 'feature', { dataScale: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => dsno.dsnoLoss(pred, target, [1, 1, 1], 'lpips' as never), 'TF_INVALID_ARGUMENT');
  });
});
