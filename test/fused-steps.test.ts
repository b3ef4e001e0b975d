// Every fused denoising step against the same update composed from ordinary ops, from the same generator
// state (the fused noise is what randn(shape) draws, so stochastic steps compare element for element).
// Tolerances: in float64 the two evaluation orders differ by a few roundings of terms of magnitude <= ~20
// (states ~N(0,1)·2, coefficients <= ~5), so 1e-12 absolute is ~50x the worst case and any wrong coefficient
// (>= 1e-3 relative) fails it; in float32 the same argument with eps 6e-8 gives 2e-5.
import * as tf from '../lib';
import { Tensor } from '../lib';
import * as S from '../lib/samplers/steps';
import { arr, expectArraysEqual, expectClose, expectCode } from './helpers';

type DT = 'float32' | 'float64';
const shape = [3, 5, 7];  // 105 elements: not a multiple of the 4-element noise blocks
const TOL: Record<DT, number> = { float64: 1e-12, float32: 2e-5 };

function inputs(dtype: DT, k: number): Tensor[] {
  tf.manualSeed(100 + k);
  return Array.from({ length: k }, () => tf.randn(shape, { dtype }).mul(2));
}

/** Runs fused and composed from the same generator state; compares values and the generator's final state. */
function same(dtype: DT, fused: () => Tensor, composed: () => Tensor, label: string): void {
  tf.manualSeed(7);
  const a = fused();
  const afterFused = tf.getRngState();
  tf.manualSeed(7);
  const b = composed();
  const afterComposed = tf.getRngState();
  expect(a.dtype).toBe(dtype);
  expect(a.shape).toEqual(shape);
  expectClose(arr(a), arr(b), TOL[dtype], 0, label);
  expect(afterFused).toEqual(afterComposed);  // the step consumes exactly the draws the composition does
}

const noise = (dtype: DT) => tf.randn(shape, { dtype });

describe.each(['float64', 'float32'] as DT[])('fused steps equal their composition (%s)', (dtype) => {
  test('euler and heun (EDM)', () => {
    const [x, D, xe, Dn] = inputs(dtype, 4);
    const s = 1.7, sn = 0.9;
    same(dtype, () => S.eulerStep(x, D, s, sn), () => x.add(x.sub(D).div(s).mul(sn - s)), 'euler');
    same(dtype, () => S.heunStep(x, D, xe, Dn, s, sn),
      () => x.add(x.sub(D).div(s).add(xe.sub(Dn).div(sn)).mul((sn - s) / 2)), 'heun');
  });

  test('churn', () => {
    const [x] = inputs(dtype, 1);
    same(dtype, () => S.edmChurn(x, 0.8, 1.1, 1.007), () => x.add(noise(dtype).mul(Math.sqrt(1.1 ** 2 - 0.8 ** 2) * 1.007)), 'churn');
    // no churn (sigmaHat = sigma) is no noise and no draw, like the last DDPM step with sigma 0
    same(dtype, () => S.edmChurn(x, 0.8, 0.8), () => x.mul(1), 'churn at gamma 0');
  });

  test('ddim, deterministic and eta > 0', () => {
    const [x, eps] = inputs(dtype, 2);
    const a = 0.3, ap = 0.55;
    for (const eta of [0, 0.5, 1]) {
      const sig = eta * Math.sqrt((1 - ap) / (1 - a) * (1 - a / ap));
      same(dtype, () => S.ddimStep(x, eps, a, ap, eta), () => {
        const x0 = x.sub(eps.mul(Math.sqrt(1 - a))).div(Math.sqrt(a));
        const r = x0.mul(Math.sqrt(ap)).add(eps.mul(Math.sqrt(1 - ap - sig * sig)));
        return eta > 0 ? r.add(noise(dtype).mul(sig)) : r;
      }, `ddim eta ${eta}`);
    }
  });

  test('ddpm ancestral', () => {
    const [x, eps] = inputs(dtype, 2);
    const alpha = 0.97, abar = 0.4, sigma = Math.sqrt(0.03);
    same(dtype, () => S.ddpmStep(x, eps, alpha, abar, sigma),
      () => x.sub(eps.mul((1 - alpha) / Math.sqrt(1 - abar))).div(Math.sqrt(alpha)).add(noise(dtype).mul(sigma)), 'ddpm');
  });

  test('euler-maruyama with scalar and tensor diffusion, both time directions', () => {
    const [x, f] = inputs(dtype, 2);
    for (const dt of [0.05, -0.05]) {
      same(dtype, () => S.eulerMaruyamaStep(x, f, 0.7, dt),
        () => x.add(f.mul(dt)).add(noise(dtype).mul(0.7 * Math.sqrt(Math.abs(dt)))), `em dt ${dt}`);
    }
    tf.manualSeed(3);
    const g = tf.rand([3, 1, 1], { dtype });  // per-sample diffusion, broadcast
    same(dtype, () => S.eulerMaruyamaStep(x, f, g, 0.02),
      () => x.add(f.mul(0.02)).add(noise(dtype).mul(Math.sqrt(0.02)).mul(g)), 'em tensor g');
  });

  test('stochastic interpolant SDE, forward and backward, and the ODE limit', () => {
    const [x, b, s] = inputs(dtype, 3);
    for (const [eps, dt, dir] of [[0.5, 0.01, 1], [0.5, -0.01, -1], [2, 0.02, 1]] as [number, number, 1 | -1][]) {
      same(dtype, () => S.interpolantSdeStep(x, b, s, eps, dt, dir),
        () => x.add(b.add(s.mul(dir * eps)).mul(dt)).add(noise(dtype).mul(Math.sqrt(2 * eps * Math.abs(dt)))), `si ${eps} ${dt}`);
    }
    same(dtype, () => S.interpolantSdeStep(x, b, null, 0, 0.01), () => x.add(b.mul(0.01)), 'si ode');
  });

  test('trigflow consistency (1 and 2 step) and ddim', () => {
    const [x, F] = inputs(dtype, 2);
    const sd = 0.5, t = 1.4, tn = 1.1;
    const x0 = () => x.mul(Math.cos(t)).sub(F.mul(Math.sin(t) * sd));
    same(dtype, () => S.trigflowStep(x, F, t, 0, sd), x0, 'trigflow to 0');
    same(dtype, () => S.trigflowStep(x, F, t, tn, sd), () => x0().mul(Math.cos(tn)).add(noise(dtype).mul(Math.sin(tn) * sd)), 'trigflow renoise');
    same(dtype, () => S.trigflowDdimStep(x, F, t, tn, sd), () => x.mul(Math.cos(t - tn)).sub(F.mul(Math.sin(t - tn) * sd)), 'trig ddim');
  });

  test('dpm-solver++(2M): composition, and exact on a point-mass target', () => {
    const [x, D, Dp] = inputs(dtype, 3);
    const [a, s, an, sn, hPrev] = [0.8, 0.6, 0.9, 0.3, 0.4];
    const h = S.logSnrStep(a, s, an, sn);
    const r = hPrev / h;
    const Dm = () => D.mul(1 + 1 / (2 * r)).sub(Dp.mul(1 / (2 * r)));
    same(dtype, () => S.dpmpp2mStep(x, D, null, a, s, an, sn), () => x.mul(sn / s).sub(D.mul(an * Math.expm1(-h))), 'first order');
    same(dtype, () => S.dpmpp2mStep(x, D, Dp, a, s, an, sn, hPrev), () => x.mul(sn / s).sub(Dm().mul(an * Math.expm1(-h))), '2M');
    same(dtype, () => S.dpmpp2mStep(x, D, Dp, a, s, an, 0, hPrev), () => D.mul(an), 'to sigma 0');
    // With a point mass at x0 the denoiser is exactly x0 and the PF-ODE solution is alpha x0 + sigma n with n
    // fixed: the solver is exact at any order (an independent closed form, not a composition of the same formula).
    const x0 = D;
    const xt = x0.mul(a).add(Dp.mul(s));
    const exact = x0.mul(an).add(Dp.mul(sn));
    expectClose(arr(S.dpmpp2mStep(xt, x0, x0, a, s, an, sn, hPrev)), arr(exact), TOL[dtype] * 5, 0, 'point mass');
  });

  test('count steps: binomial bridge and tau-leaping', () => {
    tf.manualSeed(11);
    const nMax = 20;
    const n = tf.randint(0, nMax + 1, shape).to(dtype);
    const y = tf.rand(shape, { dtype }).mul(30).sub(5);  // some negative, some past nMax - n
    const [pT, pS] = [0.2, 0.45];
    const q = tf.full(shape, (pS - pT) / (1 - pT), { dtype });
    same(dtype, () => S.binomialBridgeStep(n, y, pT, pS, nMax), () => {
      const missing = y.add(0.5).floor().minimum(n.neg().add(nMax)).clamp(0, Infinity);
      return n.add(tf.binomial(missing, q));
    }, 'bridge');
    same(dtype, () => S.tauLeapStep(n, y, pT, pS, nMax), () => n.add(tf.poisson(y.clamp(0, Infinity).mul(q))).clamp(0, nMax), 'tau');
    // the bridge from pT to pS = 1 with the true y = n0 - n restores n0 exactly
    const n0 = tf.randint(0, nMax + 1, shape).to(dtype);
    const nt = tf.binomial(n0, tf.full(shape, 0.3, { dtype }));
    expectArraysEqual(arr(S.binomialBridgeStep(nt, n0.sub(nt), 0.3, 1, nMax)), arr(n0), 'fused-steps line 134');
  });
});

describe('fused steps: memory, generator and threads', () => {
  test('in place (out = x) equals out of place, and returns x', () => {
    const [x, D] = inputs('float32', 2);
    tf.manualSeed(5);
    const ref = S.trigflowStep(x, D, 1.2, 0.7, 0.5);
    tf.manualSeed(5);
    const y = x.clone();
    const r = S.trigflowStep(y, D, 1.2, 0.7, 0.5, { out: y });
    expect(r).toBe(y);
    expectArraysEqual(arr(y), arr(ref), 'fused-steps line 147');
  });

  test('deterministic steps leave the generator untouched', () => {
    const [x, D] = inputs('float32', 2);
    tf.manualSeed(9);
    const before = tf.getRngState();
    S.eulerStep(x, D, 1, 0.5);
    S.ddimStep(x, D, 0.3, 0.5, 0);
    expect(tf.getRngState()).toEqual(before);
  });

  test('same result on 1 and 2 threads', () => {
    const big = [64, 1000];
    const x = tf.randn(big), D = tf.randn(big);
    const run = (threads: number) => {
      const prev = tf.getNumThreads();
      tf.setNumThreads(threads);
      try {
        tf.manualSeed(1);
        return arr(S.edmChurn(S.eulerStep(x, D, 1, 0.5), 0.5, 0.7));
      } finally { tf.setNumThreads(prev); }
    };
    expect(run(1)).toEqual(run(2));
  });
});

describe('fused steps: bad input', () => {
  const x = tf.randn([2, 3]);
  test('shape, dtype, int state and disposed tensors', () => {
    expectCode(() => S.eulerStep(x, tf.randn([3, 2]), 1, 0.5), 'TF_SHAPE_MISMATCH');
    expectCode(() => S.eulerStep(x, tf.randn([2, 3], { dtype: 'float64' }), 1, 0.5), 'TF_DTYPE');
    expectCode(() => S.eulerStep(tf.zeros([2, 3], { dtype: 'int32' }), tf.zeros([2, 3], { dtype: 'int32' }), 1, 0.5), 'TF_DTYPE');
    const d = tf.randn([2, 3]);
    d.dispose();
    expectCode(() => S.eulerStep(x, d, 1, 0.5), 'TF_DISPOSED');
    expectCode(() => S.eulerMaruyamaStep(x, x, tf.ones([3, 3]), 0.1), 'TF_SHAPE_MISMATCH');
  });
  test('schedule values', () => {
    expectCode(() => S.eulerStep(x, x, 0, 0.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.eulerStep(x, x, NaN, 0.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.edmChurn(x, 1, 0.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.ddimStep(x, x, 0.3, 0.5, 5), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.heunStep(x, x, x, x, 1, 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.interpolantSdeStep(x, x, null, 0.5, 0.1), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.interpolantSdeStep(x, x, x, 0.5, 0.1, 2 as 1), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.trigflowStep(x, x, 1, 1.2, 0.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.dpmpp2mStep(x, x, x, 1, 0.5, 1, 0.7, 0.1), 'TF_INVALID_ARGUMENT');  // log-SNR decreases
    expectCode(() => S.binomialBridgeStep(tf.full([2, 3], 2.5), x, 0.1, 0.2, 10), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.binomialBridgeStep(tf.full([2, 3], 11), x, 0.1, 0.2, 10), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.tauLeapStep(tf.zeros([2, 3]), x, 0.5, 0.2, 10), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.eulerStep(x, x, '1' as unknown as number, 0.5), 'TF_INVALID_ARGUMENT');
  });
  test('gradients and destinations', () => {
    const w = tf.randn([2, 3]).requiresGrad_();
    expectCode(() => S.eulerStep(w, x, 1, 0.5), 'TF_AUTOGRAD');
    expect(tf.noGrad(() => S.eulerStep(w, x, 1, 0.5)).requiresGrad).toBe(false);
    const buf = tf.randn([4, 3]);
    expectCode(() => S.eulerStep(buf.slice(0, 0, 2), buf.slice(0, 0, 2), 1, 0.5, { out: buf.slice(0, 1, 3) }), 'TF_INPLACE');
    expectCode(() => S.eulerStep(x, x, 1, 0.5, { out: tf.zeros([3, 2]) }), 'TF_SHAPE_MISMATCH');
    expectCode(() => S.eulerStep(x, x, 1, 0.5, { out: tf.zeros([3, 2]).transpose(0, 1) }), 'TF_INVALID_ARGUMENT');
  });
});
