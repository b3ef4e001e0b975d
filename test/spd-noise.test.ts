// SPD's noise processes (lib/models/spd/noise.ts) against their definitions: the covariance of many draws, the OU
// sequential sampler against the Cholesky sampler, and the score by triangular solves against an explicit inverse.
// Sampling tolerance: the empirical covariance of n draws has standard error sqrt((1 + rho^2) / n) <= 0.01 per
// entry at n = 20,000, so 0.03 (the bound) is three standard errors for the largest entries.
import * as tf from '../lib';
import { NoiseProcess, gaussianScore, normalizeTimes, scoreFromEps } from '../lib/models/spd';
import { expectClose, expectCode } from './helpers';

beforeAll(() => tf.manualSeed(21));

// irregular times in [0, 1]: sorted uniform draws with both ends
const times = tf.tensor(new Float64Array([0, 0.03, 0.11, 0.12, 0.3, 0.41, 0.42, 0.6, 0.77, 0.9, 0.95, 1]), { dtype: 'float64' });
const N = 12;

function empiricalCov(x: tf.Tensor): Float64Array {
  // x [n, N], mean zero by construction
  const n = x.shape[0];
  return Float64Array.from(x.transpose(0, 1).matmul(x).div(n).dataSync() as Float64Array);
}

test.each([['gp', { sigma: 0.2 }], ['ou', { theta: 2 }], ['white', {}]] as const)('%s: the covariance of 20,000 draws is within 0.03 of Sigma', (kind, o) => {
  const p = new NoiseProcess({ kind, ...o });
  const S = p.covariance(times);
  const L = p.factor(times);
  const x = p.sample(times.unsqueeze(0).expand([20000, N]).contiguous(), undefined, L.unsqueeze(0).expand([20000, N, N]));
  expect(x.shape).toEqual([20000, N]);
  expectClose(empiricalCov(x), Float64Array.from(S.dataSync() as Float64Array), 0.03, 0, kind);
  // the definitions, at two entries
  const t = Array.from(times.dataSync() as Float64Array), Sv = S.dataSync() as Float64Array;
  const def = kind === 'gp' ? Math.exp(-(((t[2] - t[5]) / 0.2) ** 2)) : kind === 'ou' ? Math.exp(-2 * Math.abs(t[2] - t[5])) : 0;
  expect(Sv[2 * N + 5]).toBeCloseTo(def, 14);
  expect(Sv[3 * N + 3]).toBeCloseTo(1 + (kind === 'white' ? 0 : 1e-4), 14);
});

test('OU: the O(N) sequential sampler has the covariance of the Cholesky sampler', () => {
  const p = new NoiseProcess({ kind: 'ou', theta: 2 });
  const T = times.unsqueeze(0).expand([20000, N]).contiguous();
  const seq = p.sampleSequential(T);
  const S = Float64Array.from(p.covariance(times).dataSync() as Float64Array);
  for (let i = 0; i < N; i++) S[i * N + i] -= 1e-4;  // the sequential sampler has no jitter
  expectClose(empiricalCov(seq), S, 0.03, 0, 'sequential vs Sigma');
  const chol = p.sample(T);
  expectClose(empiricalCov(seq), empiricalCov(chol), 0.04, 0, 'sequential vs cholesky draws');  // two sampling errors
  expectCode(() => p.sampleSequential(tf.tensor(new Float64Array([0, 0.5, 0.2]), { dtype: 'float64' })), 'TF_INVALID_ARGUMENT');
  expectCode(() => new NoiseProcess({ kind: 'gp' }).sampleSequential(times), 'TF_INVALID_ARGUMENT');
});

test('the score by triangular solves equals -Sigma^-1 (x - mu) / std^2 (explicit inverse) to 1e-5, and from eps', () => {
  const p = new NoiseProcess({ kind: 'gp', sigma: 0.3 });
  const S = p.covariance(times), L = p.factor(times);
  const x = tf.randn([N], { dtype: 'float64' }), mu = tf.randn([N], { dtype: 'float64' }), std = 0.7;
  // explicit inverse by Gauss-Jordan in float64, independent of the Cholesky code
  const A: number[] = Array.from(S.dataSync() as Float64Array);
  const Inv: number[] = Array.from({ length: N * N }, (_, i) => (i % (N + 1) === 0 ? 1 : 0));
  for (let c = 0; c < N; c++) {
    let piv = c;
    for (let r = c + 1; r < N; r++) if (Math.abs(A[r * N + c]) > Math.abs(A[piv * N + c])) piv = r;
    for (let k = 0; k < N; k++) { [A[c * N + k], A[piv * N + k]] = [A[piv * N + k], A[c * N + k]]; [Inv[c * N + k], Inv[piv * N + k]] = [Inv[piv * N + k], Inv[c * N + k]]; }
    const d = A[c * N + c];
    for (let k = 0; k < N; k++) { A[c * N + k] /= d; Inv[c * N + k] /= d; }
    for (let r = 0; r < N; r++) if (r !== c) {
      const f = A[r * N + c];
      for (let k = 0; k < N; k++) { A[r * N + k] -= f * A[c * N + k]; Inv[r * N + k] -= f * Inv[c * N + k]; }
    }
  }
  const rv = Array.from(x.sub(mu).dataSync() as Float64Array);
  const want = rv.map((_, i) => -rv.reduce((acc, v, j) => acc + Inv[i * N + j] * v, 0) / (std * std));
  const got = Array.from(gaussianScore(x, mu, std, L).dataSync() as Float64Array);
  const scale = Math.max(...want.map(Math.abs));
  expectClose(got, want, 1e-5 * scale, 0, 'score');
  // x = mu + std L eps: the score from eps is -L^-T eps / std, the same vector
  const eps = tf.randn([N], { dtype: 'float64' });
  const xe = mu.add(L.matmul(eps.unsqueeze(-1)).squeeze([-1]).mul(std));
  expectClose(scoreFromEps(eps, std, L).dataSync(), gaussianScore(xe, mu, std, L).dataSync(), 1e-9, 0, 'from eps');
});

test('times are normalised per window; bad options are refused', () => {
  const t = tf.tensor(new Float64Array([10, 12, 20, 5, 6, 7]), { shape: [2, 3], dtype: 'float64' });
  expectClose(normalizeTimes(t).dataSync(), [0, 0.2, 1, 0, 0.5, 1], 1e-15);
  expectCode(() => normalizeTimes(tf.ones([2, 3], { dtype: 'float64' })), 'TF_INVALID_ARGUMENT');
  expectCode(() => new NoiseProcess({ kind: 'gp', sigma: 0 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new NoiseProcess({ kind: 'brown' as never }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new NoiseProcess({ kind: 'ou', jitter: -1 }), 'TF_INVALID_ARGUMENT');
  // batched: two series with their own times give their own covariances
  const p = new NoiseProcess({ kind: 'ou', theta: 1 });
  const S = p.covariance(normalizeTimes(t));
  expect(S.shape).toEqual([2, 3, 3]);
  expect((S.dataSync() as Float64Array)[1]).toBeCloseTo(Math.exp(-0.2), 14);
  expect((S.dataSync() as Float64Array)[9 + 1]).toBeCloseTo(Math.exp(-0.5), 14);
});
