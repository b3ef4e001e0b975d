// The gauge condition div(p r) = 0 in 10 dimensions (lib/models/gauge/condition.ts): exact (JVPs) against a closed
// form and against the 2-D finite differences of fields.ts, and the Hutchinson estimate against the exact value.
import * as tf from '../lib';
import * as g from '../lib/models/gauge';
import { expectCode } from './helpers';

// an isotropic Gaussian mixture in R^D (equal weights, variance v): score sum_k w_k(x) (m_k - x) / v, pure ops so
// forward-mode JVPs go through it
function mixture(D: number, K: number, v: number, seed: number) {
  tf.manualSeed(seed);
  const m = tf.randn([K, D], { dtype: 'float64' }).mul(1.5);
  const score = (x: tf.Tensor) => {
    const d = m.unsqueeze(0).sub(x.unsqueeze(1));                     // [n, K, D]
    const w = d.square().sum(2).mul(-0.5 / v).softmax(1);             // responsibilities
    return w.unsqueeze(2).mul(d).sum(1).div(v);
  };
  return { m, score };
}
// a constant antisymmetric A and a symmetric S: A grad log p is gauge for every density (div(A grad p) =
// sum_ij A_ij d_i d_j p = 0), S grad log p in general is not (for S = I it is the Laplacian of p over p)
function matrices(D: number, seed: number) {
  tf.manualSeed(seed);
  const B = tf.randn([D, D], { dtype: 'float64' });
  return { A: B.sub(B.transpose(0, 1)), S: B.add(B.transpose(0, 1)).mul(0.5) };
}

describe('gauge condition div(p r) / p', () => {
  const D = 10;
  const { m, score } = mixture(D, 3, 0.5, 1);
  const { A, S } = matrices(D, 2);
  const gauge = (x: tf.Tensor) => score(x).matmul(A.transpose(0, 1));   // rows: A s(x)
  const notGauge = (x: tf.Tensor) => score(x).matmul(S);
  tf.manualSeed(3);
  // points near the modes, where p is not negligible
  const x = m.indexSelect(0, tf.tensor(Int32Array.from({ length: 20 }, (_, i) => i % 3))).add(tf.randn([20, D], { dtype: 'float64' }).mul(0.7));

  test('exact: zero for A grad log p, not for S grad log p, and equal to finite differences of p r in 2-D', () => {
    const zero = g.gaugeCondition(gauge, score, x).residual;
    const big = g.gaugeCondition(notGauge, score, x).residual;
    // the two terms div r and r . grad log p are each O(10-100) here; float64 JVPs leave ~1e-13 of them
    expect(zero.abs().amax().item()).toBeLessThan(1e-10);
    // (|Laplacian p / p| ranges over 0.03-100 at these points: it changes sign between the modes)
    expect(big.abs().amax().item()).toBeGreaterThan(10);
    expect(big.abs().gt(1).sum().item()).toBeGreaterThanOrEqual(18);
    // 2-D: against fields.ts's central differences of p r (an independent route: no JVP, p itself)
    const mix: g.Mixture2d = { means: [[-1.5, 0], [1.5, 0.5]], std: 0.5 };
    const t = 0.3;
    const s2 = (y: tf.Tensor) => g.mixtureScore(mix, y, t);
    tf.manualSeed(4);
    const y = tf.randn([50, 2], { dtype: 'float64' });
    const ours = g.gaugeCondition(s2, s2, y).residual.mul(g.mixtureLogProb(mix, y, t).exp());
    const fd = g.gaugeResidual(mix, s2, y, t);
    // central differences with h = 1e-4: truncation ~h^2 |(p r)'''| ~ 1e-8 at most here
    expect(ours.sub(fd).abs().amax().item()).toBeLessThan(1e-7);
    expect(fd.abs().amax().item()).toBeGreaterThan(1e-2);
  });

  test('Hutchinson: unbiased against the exact value within its standard errors, and it flags the non-gauge field', () => {
    tf.manualSeed(5);
    const exact = g.gaugeCondition(notGauge, score, x).residual;
    const h = g.gaugeCondition(notGauge, score, x, { method: 'hutchinson', probes: 64 });
    const z = h.residual.sub(exact).div(h.stderr!);
    // 20 points, 64 probes each: |z| beyond 4.5 has probability ~1e-4 per point (t with 63 degrees of freedom), and
    // the mean of 20 independent z is N(0, 1 / 20)
    expect(z.abs().amax().item()).toBeLessThan(4.5);
    expect(Math.abs(z.mean().item()) * Math.sqrt(20)).toBeLessThan(4);
    // the standard errors are real (not 0 or inflated): the probes vary, and the estimate is within a few of them
    expect(h.stderr!.amin().item()).toBeGreaterThan(0);
    expect(z.abs().mean().item()).toBeGreaterThan(0.2);
    // As a test of the condition: chi^2 = sum over the points of (residual / stderr)^2, ~ chi^2 with 20 degrees of
    // freedom for a gauge field (P(chi^2 > 60) ~ 1e-5), far above for a field that is not. Deep inside one mode
    // A grad log p has the Jacobian -A / v, for which every Rademacher probe gives eps^T A eps = 0 exactly: there
    // both the estimate and its stderr are rounding (~1e-15), so the stderr gets a floor of 1e-10 (the exact
    // residual's rounding level above).
    const chi2 = (r: g.GaugeConditionResult) => r.residual.div(r.stderr!.square().add(1e-20).sqrt()).square().sum().item();
    const hg = g.gaugeCondition(gauge, score, x, { method: 'hutchinson', probes: 64 });
    expect(chi2(hg)).toBeLessThan(60);
    // measured: ~4,500 for the non-gauge field (11 of the 20 points beyond 4.5 standard errors on their own)
    expect(chi2(h)).toBeGreaterThan(200);
  });

  test('bad input is a TF_* error', () => {
    expectCode(() => g.gaugeCondition(gauge, score, x.reshape(-1)), 'TF_SHAPE_MISMATCH');
    expectCode(() => g.gaugeCondition(gauge, score, x, { method: 'hutchinson', probes: 1 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => g.gaugeCondition(gauge, score, x, { method: 'nope' as never }), 'TF_INVALID_ARGUMENT');
  });
});
