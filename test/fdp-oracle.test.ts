// FDP's sampler with exact denoisers (lib/models/fdp/exact.ts): what the predictor-corrector sampler and the heat
// process give when the denoiser makes no error. Gaussian data (independent per Fourier mode): the samples' per-bin
// second moments match the data's; a finite set of functions: the samples are those functions, equally often. So the
// sampler, the score and the reverse drift are checked end to end against closed forms, apart from any learned INR.
import * as tf from '../lib';
import * as fdp from '../lib/models/fdp';
import { expectCode } from './helpers';

const P = 32, HALF = P / 2 + 1;

/** Per-bin E|X(omega)|^2 of functions x [n, 1, P] (orthonormal rfft), float64. */
function secondMoments(sde: fdp.HeatSDE, x: tf.Tensor): Float64Array {
  return tf.tidy(() => sde.spec(x.to('float64')).square().sum(-1).mean(0).reshape([HALF]).dataSync() as Float64Array);
}

describe('exact denoisers through sampleFdp', () => {
  const sde = new fdp.HeatSDE({ grid: [P] });
  // the band-limited data's shape of spectrum: energy in bins 1..3 only, falling with frequency
  const s = new Float64Array(HALF);
  s[1] = 2; s[2] = 1; s[3] = 0.5;

  test('Gaussian data: per-bin second moments of 4000 samples within 9 % of the data\'s at 200 steps', () => {
    // Tolerance: |X|^2 of one complex bin is exponential (2 degrees of freedom), so the mean of n = 4000 has relative
    // sd 1/sqrt(4000) = 1.6 %: 4 sd = 6.3 %; plus the Euler-Maruyama bias at 200 steps, measured at +1-2 % (it is
    // +7-12 % at 25 steps, +1-4 % at 100, within 2 % at 400: /tmp probe, 4000 samples, not kept). 9 % holds both.
    const den = fdp.gaussianDenoiser(sde, s);
    tf.manualSeed(3);
    const r = fdp.sampleFdp(den, 4000, { steps: 200, snr: 0, factor: 0 });
    const got = secondMoments(sde, r.x);
    for (const j of [1, 2, 3]) expect([j, Math.abs(got[j] / s[j] - 1) < 0.09]).toEqual([j, true]);
    // nothing outside the data's band: the final denoise keeps only modes with s > 0
    for (const j of [0, 4, 8, 16]) expect(got[j]).toBeLessThan(1e-12);
    r.x.dispose();
    den.dispose();
  }, 60000);

  test('the check can fail: a denoiser that shrinks 10 % too much gives second moments far below the data\'s', () => {
    const den = fdp.gaussianDenoiser(sde, s);
    const shrunk: fdp.FdpSamplerDenoiser = { ...den, predict: (y, t) => tf.tidy(() => den.predict(y, t).mul(0.9)) };
    tf.manualSeed(3);
    const r = fdp.sampleFdp(shrunk, 2000, { steps: 100, snr: 0, factor: 0 });
    const got = secondMoments(sde, r.x);
    for (const j of [1, 2, 3]) expect(got[j] / s[j]).toBeLessThan(0.85);
    r.x.dispose();
    den.dispose();
  }, 60000);

  test('three functions: every sample is one of them, each about a third of the time (chi-square p > 0.01)', () => {
    const refs = tf.tensor(Float32Array.from({ length: 3 * P }, (_, i) => {
      const m = Math.floor(i / P), j = i % P;
      return [0.8, 0.4, -0.5][m] * Math.sin(2 * Math.PI * (m + 1) * j / P + m) + 0.2 * Math.cos(2 * Math.PI * j / P);
    }), { shape: [3, 1, P] });
    const den = fdp.exactDenoiser(sde, refs);
    tf.manualSeed(4);
    const n = 300;
    const r = fdp.sampleFdp(den, n, { steps: 25, snr: 0.19, factor: 0 });
    const x = r.x.dataSync() as Float32Array, R = refs.dataSync() as Float32Array;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const d = [0, 1, 2].map((m) => { let e = 0; for (let j = 0; j < P; j++) e = Math.max(e, Math.abs(x[i * P + j] - R[m * P + j])); return e; });
      const m = d.indexOf(Math.min(...d));
      expect(d[m]).toBeLessThan(1e-4);
      counts[m]++;
    }
    const chi2 = counts.reduce((a, c) => a + (c - n / 3) ** 2 / (n / 3), 0);
    expect(chi2).toBeLessThan(9.21);  // chi-square, 2 degrees of freedom, p = 0.01
    r.x.dispose();
    den.dispose();
  }, 60000);

  test('exactDenoiser.predict is the posterior mean of an explicit float64 DFT likelihood (per-bin multiplicities)', () => {
    const Q = 8;
    const sq = new fdp.HeatSDE({ grid: [Q] });
    const M = 4;
    tf.manualSeed(9);
    const refs = tf.randn([M, 1, Q], { dtype: 'float64' });
    const den = fdp.exactDenoiser(sq, refs);
    const y = tf.randn([2, 1, Q], { dtype: 'float64' }).mul(0.7);
    const t = 0.3;
    const got = den.predict(y, [t, t]).dataSync() as Float64Array;
    const R = refs.dataSync() as Float64Array, Y = y.dataSync() as Float64Array;
    const I = sq.integral(t);
    for (let b = 0; b < 2; b++) {
      const logp = new Float64Array(M);
      for (let m = 0; m < M; m++) {
        // the full DFT, every frequency 0..Q-1, orthonormal: each complex coefficient of the noise has E|.|^2 = v(f)
        for (let f = 0; f < Q; f++) {
          const w = Math.min(f, Q - f), bb = fdp.bOf(w * w), rr = fdp.rOf(w * w);
          const k = Math.exp(-bb * I), v = (rr / bb) * (1 - k * k);
          let re = 0, im = 0;
          for (let j = 0; j < Q; j++) {
            const d = Y[b * Q + j] - k * R[m * Q + j], a = -2 * Math.PI * f * j / Q;
            re += d * Math.cos(a) / Math.sqrt(Q); im += d * Math.sin(a) / Math.sqrt(Q);
          }
          // summed over all Q frequencies, -1/2 |d_f|^2 / v gives each conjugate pair (f, Q - f) -|d|^2 / v (its
          // real and imaginary parts each have variance v / 2) and DC and Nyquist (real) -d^2 / (2 v)
          logp[m] += -0.5 * (re * re + im * im) / v;
        }
      }
      const mx = Math.max(...logp), w = Array.from(logp, (l) => Math.exp(l - mx)), z = w.reduce((a, c) => a + c, 0);
      for (let j = 0; j < Q; j++) {
        const want = w.reduce((a, wi, m) => a + (wi / z) * R[m * Q + j], 0);
        expect(Math.abs(got[b * Q + j] - want)).toBeLessThan(1e-9);
      }
    }
    den.dispose();
  });

  test('bad input is a TF_ error', () => {
    const refs = tf.zeros([2, 1, P]);
    expectCode(() => fdp.exactDenoiser(sde, tf.zeros([2, 1, 16])), 'TF_SHAPE_MISMATCH');
    const den = fdp.exactDenoiser(sde, refs);
    expectCode(() => den.predict(tf.zeros([2, 1, P]), [0.5, 0.4]), 'TF_INVALID_ARGUMENT');
    expectCode(() => den.predict(tf.zeros([2, 1, P]), [0.5]), 'TF_SHAPE_MISMATCH');
    expectCode(() => den.final(tf.zeros([2, 1, P]), 1e-3, [64]), 'TF_INVALID_ARGUMENT');
    expectCode(() => fdp.gaussianDenoiser(sde, [1, 2]), 'TF_SHAPE_MISMATCH');
    expectCode(() => fdp.gaussianDenoiser(sde, new Float64Array(HALF).fill(-1)), 'TF_INVALID_ARGUMENT');
    den.dispose();
  });
});
