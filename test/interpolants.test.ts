// Stochastic interpolants against independent oracles. For a Gaussian base and a Gaussian-mixture target, x_t
// is itself a Gaussian mixture, so log rho_t, b, v, eta and s are closed forms (lib/models/interpolants/exact.ts);
// here those closed forms are first checked against the equations they must satisfy (the score is the gradient
// of log rho_t, the velocity satisfies the continuity equation, by finite differences in float64), then used
// as the reference for the objectives, the samplers and the likelihoods.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { GaussianMixture } from '../lib/data/gmm';
import * as SI from '../lib/models/interpolants';
import { arr, expectClose, expectCode } from './helpers';

const rho0 = new GaussianMixture({ means: [[0, 0]], std: 1, name: 'normal' });
const rho1 = new GaussianMixture({ means: [[-2, 0], [2, 1], [0, -2.5]], weights: [0.5, 0.3, 0.2], std: [0.3, 0.5, 0.4] });

const linear = SI.interpolant({ path: 'linear', gamma: 'brownian' });
const oneSided = SI.interpolant({ path: 'one-sided-linear' });
const exactLin = new SI.GaussianMixtureInterpolant(linear, rho0, rho1);
const exactOs = new SI.GaussianMixtureInterpolant(oneSided, rho0, rho1);

const f64 = (rows: number[][]) => tf.tensor(rows, { dtype: 'float64' });

describe('schedules', () => {
  // Three entries per row (scale a last): with two, jest would pass its done callback as the third.
  const combos: [SI.PathName, SI.GammaName | undefined, number][] = [
    ['linear', 'zero', 1], ['linear', 'brownian', 1], ['linear', 'a-brownian', 2], ['linear', 'bsquared', 1], ['linear', 'sinesquared', 1],
    ['trig', 'brownian', 1], ['trig', 'sinesquared', 0.5], ['trig', 'zero', 1], ['encoder-decoder', 'sinesquared', 1],
    ['encoder-decoder', 'brownian', 1], ['one-sided-linear', undefined, 1], ['one-sided-trig', undefined, 1], ['mirror', 'brownian', 1],
  ];
  test.each(combos)('%s / %s: boundary values, derivatives, finite gamma gamma\'', (path, gamma, a) => {
    const I = SI.interpolant({ path, gamma, gammaScale: a });
    const c0 = I.coefficients(0), c1 = I.coefficients(1);
    if (path === 'mirror') {
      expect([c0.alpha, c0.beta, c1.alpha, c1.beta]).toEqual([0, 1, 0, 1]);
    } else {
      expect(c0.alpha).toBeCloseTo(1, 14); expect(c0.beta).toBeCloseTo(0, 14);
      expect(c1.alpha).toBeCloseTo(0, 14); expect(c1.beta).toBeCloseTo(1, 14);
    }
    expect(c0.gamma).toBeCloseTo(0, 14); expect(c1.gamma).toBeCloseTo(0, 14);
    expect(Number.isFinite(c0.gg) && Number.isFinite(c1.gg)).toBe(true);
    // Central differences with h = 1e-6 in float64: truncation ~h² f''' ~ 1e-11, rounding ~1e-16/h = 1e-10.
    const h = 1e-6;
    for (const t of [0.1, 0.3, 0.45, 0.55, 0.7, 0.9]) {
      const c = I.coefficients(t), p = I.coefficients(t + h), m = I.coefficients(t - h);
      expect(Math.abs((p.alpha - m.alpha) / (2 * h) - c.dAlpha)).toBeLessThan(1e-7);
      expect(Math.abs((p.beta - m.beta) / (2 * h) - c.dBeta)).toBeLessThan(1e-7);
      expect(Math.abs((p.gamma - m.gamma) / (2 * h) - c.dGamma)).toBeLessThan(1e-7);
      expect(Math.abs(c.gg - c.gamma * c.dGamma)).toBeLessThan(1e-12);
      if (!I.gammaSchedule.isZero) expect(c.gamma).toBeGreaterThan(0);
    }
  });

  test('brownian gamma\' is infinite at the ends while gamma gamma\' = (1 - 2t)/2', () => {
    const c0 = linear.coefficients(0), c1 = linear.coefficients(1);
    expect(c0.dGamma).toBe(Infinity); expect(c1.dGamma).toBe(-Infinity);
    expect(c0.gg).toBe(0.5); expect(c1.gg).toBe(-0.5);
  });

  test('the trig path is variance preserving: alpha² + beta² + gamma² = 1', () => {
    const I = SI.interpolant({ path: 'trig', gamma: 'a-brownian', gammaScale: 0.5 });
    for (const t of [0, 0.2, 0.5, 0.8, 1]) {
      const c = I.coefficients(t);
      expect(c.alpha ** 2 + c.beta ** 2 + c.gamma ** 2).toBeCloseTo(1, 14);
    }
  });

  test('bad input', () => {
    expectCode(() => SI.interpolant({ path: 'bogus' as SI.PathName }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'linear', gamma: 'bogus' as SI.GammaName }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'one-sided-linear', gamma: 'brownian' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'mirror', gamma: 'zero' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'trig', gamma: 'a-brownian', gammaScale: 4 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.gammaSchedule('brownian', -1), 'TF_INVALID_ARGUMENT');
    expectCode(() => linear.coefficients(1.5), 'TF_INVALID_ARGUMENT');
  });
});
