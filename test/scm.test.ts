// sCM / TrigFlow (lib/models/scm) against independent oracles: float64 central differences for the JVP
// through the whole network, closed forms for Gaussian data, and the exact Gaussian-mixture teacher.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { GaussianMixture } from '../lib/data/gmm';
import { meanLogLikelihood } from '../lib/metrics/likelihood';
import * as scm from '../lib/models/scm';
import { Module } from '../lib/nn/module';
import { arr, expectClose, expectCode, jvpcheck } from './helpers';

const SD = 0.5;
const col = (v: number, n: number, dtype: 'float32' | 'float64' = 'float64') => tf.full([n], v, { dtype });

describe('network and JVP', () => {
  test('native JVP through the whole F (positional embedding + adaptive double norm) equals float64 central differences', () => {
    tf.manualSeed(1);
    const net = new scm.ScmMLP({ dim: 3, hidden: 16, blocks: 2, embDim: 8, dtype: 'float64' });
    const x = tf.randn([5, 3], { dtype: 'float64' });
    const t = tf.rand([5], { dtype: 'float64' }).mul(1.5).add(0.03);
    // eps = 1e-6: truncation O(eps²·F''') ~ 1e-12, rounding O(1e-16/eps) ~ 1e-10, so 1e-7 (relative to the
    // output scale) is three orders above the noise of the difference quotient yet far below any wrong rule.
    // jvpcheck also compares against reverse-over-reverse (double VJP) to 1e-9.
    jvpcheck((a, b) => net.forward(a, b), [x, t], { eps: 1e-6, atol: 1e-7, rtol: 1e-7, label: 'ScmMLP' });
    net.dispose();
  });

  test('rearranged tangents: jvp(F, (x/sd, t), (cs·dx/dt, cs·sd)) = sd·cs·dF/dt', () => {
    tf.manualSeed(2);
    const net = new scm.ScmMLP({ dim: 2, hidden: 16, blocks: 2, embDim: 8, dtype: 'float64' });
    const B = 6;
    const x = tf.randn([B, 2], { dtype: 'float64' });
    const xdot = tf.randn([B, 2], { dtype: 'float64' });
    const tv = [0.02, 0.3, 0.7, 1.1, 1.5, 1.5707];
    const t = tf.tensor(Float64Array.from(tv));
    const cs = t.cos().mul(t.sin());
    const [, [jv]] = tf.func.jvp((a: Tensor, b: Tensor) => net.forward(a, b), [x.div(SD), t], [xdot.mul(cs.reshape(B, 1)), cs.mul(SD)]);
    // dF/dt along the path (x + eps·xdot, t + eps), by float64 central differences.
    const eps = 1e-6;
    const Fat = (e: number) => tf.noGrad(() => net.forward(x.add(xdot.mul(e)).div(SD), t.add(e)));
    const dFdt = Fat(eps).sub(Fat(-eps)).div(2 * eps);
    const ref = dFdt.mul(cs.reshape(B, 1)).mul(SD);
    const scale = Math.max(1, ...arr(ref).map(Math.abs));
    expectClose(arr(jv), arr(ref), 1e-7 * scale, 1e-7, 'rearranged');
    net.dispose();
  });

  test('f(x, 0) = x exactly (float32), and f is the one-step DDIM jump elsewhere', () => {
    tf.manualSeed(3);
    const net = new scm.ScmMLP({ dim: 2, hidden: 8, blocks: 1, embDim: 8 });
    const x = tf.randn([7, 2]);
    const f0 = scm.consistencyFunction(net.asNet(), x, col(0, 7, 'float32'), SD);
    expect(Array.from(f0.dataSync())).toEqual(Array.from(x.dataSync()));
    const t = 0.9;
    const tt = col(t, 7, 'float32');
    const f = scm.consistencyFunction(net.asNet(), x, tt, SD);
    const step = tf.noGrad(() => tf.samplers.trigflowStep(x, net.forward(x.div(SD), tt), t, 0, SD));
    expectClose(arr(f), arr(step), 1e-6, 1e-6, 'f vs fused step');
    net.dispose();
  });

  test('the logvar head starts at 0 and pnorm has unit RMS', () => {
    const h = new scm.LogvarHead(16);
    expect(arr(h.forward(tf.tensor([0.1, 1.2])))).toEqual([0, 0]);
    const p = scm.pnorm(tf.tensor([[3, 4], [0.1, 0]], { dtype: 'float64' }));
    // mean(p²) = m/(m + 1e-8) for mean square m: 1 - 2e-6 for the second row (m = 0.005).
    expectClose(arr(p.square().mean(-1)), [12.5 / (12.5 + 1e-8), 0.005 / (0.005 + 1e-8)], 1e-12, 0, 'pnorm');
  });
});

/** F(xIn, t) = a(t)·xIn with a a small MLP of the positional embedding of t: the exact model class for Gaussian data. */
class SlopeModel extends Module {
  emb: scm.TimeEmbedding; l1: scm.Dense; l2: scm.Dense;
  constructor() {
    super();
    this.emb = this.module('emb', new scm.TimeEmbedding(16));
    this.l1 = this.module('l1', new scm.Dense(16, 32, 'float64'));
    this.l2 = this.module('l2', new scm.Dense(32, 1, 'float64'));
  }
  slope(t: Tensor): Tensor { return this.l2.forward(this.l1.forward(this.emb.forward(t)).silu()); }
  forward(xIn: Tensor, t: Tensor): Tensor { return this.slope(t).mul(xIn); }
}

describe('analytic Gaussian case: x0 ~ N(0, s² I)', () => {
  const S = 0.8, D = 2;
  const grid = Array.from({ length: 30 }, (_, i) => 0.05 + (i * (1.5 - 0.05)) / 29);
  // Two errors: of the slope a(t) itself, and of the consistency map it implies, f = g(t)·x with gain
  // g = cos t - sin t·a(t) against s/sqrt(v_t). The objective constrains a(t) only through f, i.e. weighted
  // by sin t, so the slope is loosest at small t while the map (what sampling uses) is uniformly tight.
  const errors = (m: SlopeModel, ema?: tf.optim.EMA) => {
    const copy = new SlopeModel();
    if (ema) ema.copyTo(copy); else copy.loadStateDict(m.stateDict());
    const a = arr(tf.noGrad(() => copy.slope(tf.tensor(Float64Array.from(grid)))));
    copy.dispose();
    const astar = grid.map((t) => scm.gaussianCase.consistencySlope(t, S, SD));
    const slope = Math.max(...grid.map((t, i) => Math.abs(a[i] - astar[i])));
    const gain = Math.max(...grid.map((t, i) => Math.abs(Math.cos(t) - Math.sin(t) * a[i] - S / Math.sqrt(scm.gaussianCase.variance(t, S, SD)))));
    return { slope, gain };
  };
  const teacher = (xIn: Tensor, t: Tensor) =>
    xIn.mul(tf.tensor(Float64Array.from(arr(t), (v) => scm.gaussianCase.teacherSlope(v, S, SD))).reshape(-1, 1));

  function train(mode: 'scd' | 'sct', steps: number, batch: number, lr: number) {
    tf.manualSeed(Number(process.env.SCM_SEED ?? (mode === 'scd' ? 11 : 12)));
    const m = new SlopeModel();
    const lv = new scm.LogvarHead(16, 'float64');
    const tr = new scm.ConsistencyTrainer(m, { sigmaD: SD, mode, teacher, warmupSteps: 100, optim: { lr }, emaDecay: 0.99, logvar: lv, pMean: -1.0, pStd: 1.4 });
    const before = errors(m);
    const t0 = Date.now();
    for (let i = 0; i < steps; i++) {
      // Cosine learning-rate decay to 10%: the normalised tangent gives steps of constant size, so a constant
      // rate leaves Adam jittering at a floor set by the rate rather than converging.
      tr.opt.groups[0].lr = lr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * i) / steps)));
      tf.tidy(() => tr.trainStep(tf.randn([batch, D], { dtype: 'float64' }).mul(S)));
    }
    const after = errors(m), ema = errors(m, tr.ema);
    const f = (e: { slope: number; gain: number }) => `slope ${e.slope.toFixed(4)}, map gain ${e.gain.toFixed(4)}`;
    console.log(`${mode}, max error over t in [0.05, 1.5]: init ${f(before)}; trained ${f(after)}; EMA ${f(ema)} (${steps} steps, ${Date.now() - t0} ms)`);
    m.dispose(); lv.dispose();
    return { before, after, ema };
  }

  test('sCD with the exact teacher converges to a*(t)', () => {
    const r = train('scd', 800, 128, 3e-3);
    // The gain s/sqrt(v_t) runs from 1 to 1.6; the untrained model's is ~1.5.
    expect(r.ema.gain).toBeLessThan(0.02);
    expect(r.ema.slope).toBeLessThan(0.05);
  });

  test('sCT from data alone converges too (looser)', () => {
    const r = train('sct', 800, 128, 3e-3);
    // sCT's tangent uses one sample of (x0, z) instead of E[v | x_t]: a noisier gradient of the same fixed point.
    expect(r.ema.gain).toBeLessThan(0.04);
    expect(r.ema.slope).toBeLessThan(0.1);
  });
});
