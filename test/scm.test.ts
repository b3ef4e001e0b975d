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
