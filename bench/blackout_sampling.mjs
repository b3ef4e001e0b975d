// Blackout sampling throughput (images/s over a whole T-step run from the empty image) with the fused native
// count steps against the same steps composed from engine ops (binomial / poisson draws, rounding, clipping), for
// the binomial bridge and tau-leaping. The rate is a fixed stand-in (a constant image of 8 missing units per
// pixel, the counts' midpoint), so the figure is the sampler's own cost, not a network's; a real rate network adds
// its forward per step to both columns. Medians over `reps` runs.
// Run: `npm run build:ts && TENSORFIELD_NUM_THREADS=1 node bench/blackout_sampling.mjs [--reps 5]`.
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const { blackoutSchedule, sampleIndices } = require('../dist/models/blackout/index.js');
const S = tf.samplers;

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 5) || 5;
const info = tf.info();
console.log(`tensorfield ${info.isa} | ${info.cpu} | ${info.threads} threads | node ${process.version} | medians of ${reps}`);

// Composed from ops: the bridge's deficit clip(round half up(y), 0, nMax - n), a binomial draw and an add; tau:
// a Poisson draw of max(y, 0) q, an add and a clip. Both write the new state into a fresh tensor each step.
function bridgeComposed(n, y, pT, pS, nMax) {
  const q = tf.fullLike(n, (pS - pT) / (1 - pT));
  return n.add(tf.binomial(y.add(0.5).floor().minimum(n.neg().add(nMax)).clamp(0, Infinity), q));
}
function tauComposed(n, y, pT, pS, nMax) {
  return n.add(tf.poisson(y.clamp(0, Infinity).mul((pS - pT) / (1 - pT)))).clamp(0, nMax);
}

function run(shape, T, nMax, kind, fused) {
  const s = blackoutSchedule(T, 10), idx = sampleIndices(T, T);
  const y = tf.full(shape, nMax / 2);
  let n = tf.zeros(shape);
  const t0 = process.hrtime.bigint();
  for (let i = idx.length - 1; i >= 0; i--) {
    const pT = s.p[idx[i]], pS = i > 0 ? s.p[idx[i - 1]] : 1;
    if (fused) {
      if (kind === 'bridge') S.binomialBridgeStep(n, y, pT, pS, nMax, { out: n });
      else S.tauLeapStep(n, y, pT, pS, nMax, { out: n });
    } else {
      const next = tf.tidy(() => (kind === 'bridge' ? bridgeComposed : tauComposed)(n, y, pT, pS, nMax));
      n.dispose();
      n = next;
    }
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  n.dispose(); y.dispose();
  return secs;
}

const median = (a) => { const b = [...a].sort((u, v) => u - v); return b[b.length >> 1]; };
const cases = [
  { what: 'digits 8x8, nMax 16', shape: [2000, 1, 8, 8], T: 200, nMax: 16 },
  { what: 'Fashion 14x14 4-bit', shape: [1000, 1, 14, 14], T: 1000, nMax: 15 },
  { what: 'Fashion 28x28 8-bit', shape: [256, 1, 28, 28], T: 1000, nMax: 255 },
];
console.log('| data | batch | T | sampler | fused images/s | composed images/s | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const c of cases) {
  for (const kind of ['bridge', 'tau']) {
    tf.manualSeed(0);
    run(c.shape, Math.min(c.T, 20), c.nMax, kind, true);  // warm-up (allocator cache, code paths)
    run(c.shape, Math.min(c.T, 20), c.nMax, kind, false);
    const f = [], o = [];
    for (let r = 0; r < reps; r++) { f.push(run(c.shape, c.T, c.nMax, kind, true)); o.push(run(c.shape, c.T, c.nMax, kind, false)); }
    const fi = c.shape[0] / median(f), oi = c.shape[0] / median(o);
    console.log(`| ${c.what} | ${c.shape[0]} | ${c.T} | ${kind} | ${fi.toFixed(1)} | ${oi.toFixed(1)} | ${(fi / oi).toFixed(2)}x |`);
  }
}
