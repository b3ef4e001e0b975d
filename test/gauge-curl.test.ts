// The curl penalty (lib/models/gauge/curl.ts), the 2-D alternative to a conservative net: zero for gradient
// fields, the hand value for a rotation, and its double-backward training gradient against finite differences.
import * as tf from '../lib';
import * as g from '../lib/models/gauge';
import { expectCode, paramFdWorst } from './helpers';

describe('curl penalty (2-D)', () => {
  tf.manualSeed(1);
  const x = tf.randn([64, 2], { dtype: 'float64' }).mul(2);
  // E = sin(x1) x2^2 + x1^3: grad E = (cos(x1) x2^2 + 3 x1^2, 2 sin(x1) x2), both cross derivatives 2 cos(x1) x2
  const gradE = (y: tf.Tensor) => {
    const a = y.select(1, 0), b = y.select(1, 1);
    return tf.stack([a.cos().mul(b.square()).add(a.square().mul(3)), a.sin().mul(b).mul(2)], 1);
  };
  // c R90 x = c (-x2, x1): d s1/dx2 - d s2/dx1 = -c - c = -2c everywhere
  const rotation = (c: number) => (y: tf.Tensor) => tf.stack([y.select(1, 1).mul(-c), y.select(1, 0).mul(c)], 1);

  test('zero for a gradient field; -2c for the rotation c R90 x, so the penalty is 4 c^2 (weighted: 4 c^2 mean w)', () => {
    // the cross derivatives are O(10) here and equal in exact arithmetic; float64 leaves ~1e-14
    expect(g.curl2d(gradE, x).abs().amax().item()).toBeLessThan(1e-12);
    expect(g.curlPenalty(g.curl2d(gradE, x)).item()).toBeLessThan(1e-24);
    for (const c of [0.5, 3]) {
      const curl = g.curl2d((y) => gradE(y).add(rotation(c)(y)), x);
      expect(curl.add(2 * c).abs().amax().item()).toBeLessThan(1e-12);
      expect(Math.abs(g.curlPenalty(curl).item() - 4 * c * c)).toBeLessThan(1e-10);
      const w = tf.rand([64], { dtype: 'float64' });
      expect(Math.abs(g.curlPenalty(curl, w).item() - 4 * c * c * w.mean().item())).toBeLessThan(1e-10);
    }
    // a field with a component constant in x (an unused input) has a zero Jacobian row there
    expect(g.curl2d((y) => tf.stack([y.select(1, 0).mul(0).add(1), y.select(1, 0).mul(2)], 1), x).sub(-2).abs().amax().item()).toBeLessThan(1e-15);
  });

  test('a conservative net has no curl; a free net has', () => {
    tf.manualSeed(2);
    const sig = tf.full([16], 0.3);
    const y = tf.randn([16, 2]);
    const cons = new g.ConservativeScoreNet(2, 32, 2), free = new g.FreeScoreNet(2, 32, 2);
    const cc = g.curl2d((z) => cons.score(z, sig, true), y), cf = g.curl2d((z) => free.score(z, sig), y);
    const scale = g.curl2d((z) => free.score(z, sig), y).abs().mean().item();
    expect(scale).toBeGreaterThan(1e-3);
    // float32 Hessian of the energy: symmetric to rounding, ~1e-7 of its entries
    expect(cc.abs().amax().item()).toBeLessThan(1e-5 * Math.max(1, scale));
    expect(cf.abs().amax().item()).toBeGreaterThan(1e-3);
  });

  test('the DSM loss with the curl penalty: its double-backward gradient matches float64 central differences', () => {
    tf.manualSeed(9);
    const net = new g.FreeScoreNet(2, 8, 2).toDtype('float64');
    const x0 = tf.randn([6, 2], { dtype: 'float64' });
    const loss = () => { tf.manualSeed(10); return g.dsmLoss(net, x0, { curlWeight: 5 }); };
    // the penalty is a real part of the loss here (the draws are the same in both)
    tf.manualSeed(10);
    const plain = g.dsmLoss(net, x0).item();
    expect(loss().item() - plain).toBeGreaterThan(1e-3);
    const l = loss();
    l.backward();
    const worst = paramFdWorst(net.parameters().slice(0, 4), loss);
    // float64 central differences, h = 1e-5: truncation ~1e-10 relative, rounding ~1e-7 for the smallest entries;
    // a penalty left out of the backward pass (or a first-order-only gradient) is off by O(1)
    expect(worst).toBeLessThan(1e-5);
  });

  test('bad input is a TF_* error', () => {
    expectCode(() => g.curl2d(gradE, tf.randn([4, 3], { dtype: 'float64' })), 'TF_SHAPE_MISMATCH');
    expectCode(() => g.curl2d((y) => y.sum(1), x), 'TF_SHAPE_MISMATCH');
    const x3 = tf.randn([4, 3]);
    expectCode(() => g.dsmLoss(new g.FreeScoreNet(3, 8, 1), x3, { curlWeight: 1 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => g.dsmLoss(new g.FreeScoreNet(2, 8, 1), tf.randn([4, 2]), { curlWeight: -1 }), 'TF_INVALID_ARGUMENT');
  });

  test("CLI: method gauge trains a free 2-D field with --curl; the option on a conservative field or in 10-D is refused", async () => {
    await import('../lib/models');  // registers the methods, as the CLI's main does
    const { trainCommand } = await import('../lib/cli/train');
    const fs = await import('fs'), os = await import('os'), path = await import('path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-curl-'));
    const quiet = () => undefined;
    try {
      for (const [name, curl] of [['c', '1'], ['p', '0']])
        await trainCommand(['--method', 'gauge', '--field', 'free', '--curl', curl, '--data', 'eight-gaussians', '--steps', '5', '--seed', '1', '--out', path.join(dir, name)], quiet);
      // the first step's loss comes from the same net and draws in both runs: with the penalty it is larger
      // (measured: by ~1e-3 on eight-gaussians at initialisation)
      const first = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name, 'loss.json'), 'utf8'))[0][1] as number;
      expect(first('c') - first('p')).toBeGreaterThan(1e-5);
      await expect(trainCommand(['--method', 'gauge', '--curl', '1', '--data', 'eight-gaussians', '--steps', '5', '--out', path.join(dir, 'd')], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
      await expect(trainCommand(['--method', 'gauge', '--field', 'free', '--curl', '1', '--data', 'subspace3-r10', '--steps', '5', '--out', path.join(dir, 'e')], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
