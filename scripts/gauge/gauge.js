#!/usr/bin/env node
// Prints the gauge experiment of lib/models/gauge/README.md (the computations test/gauge.test.ts asserts).
//   npm run build:ts && node scripts/gauge/gauge.js
const tf = require('../../dist/index.js');
const g = require('../../dist/models/gauge/index.js');
const mom = (x) => { const m = x.mean(0); const c = x.sub(m).transpose(0, 1).matmul(x.sub(m)).div(x.shape[0]); return [...m.toArray(), ...c.toArray().flat()]; };
for (const mix of [{ means: [[0, 0]], std: 0.5 }, { means: [[-1.5, 0], [1.5, 0.5]], std: 0.5 }]) {
  const A = (x, t) => g.mixtureScore(mix, x, t);
  tf.manualSeed(1);
  const z = tf.randn([20000, 2]);
  let t0 = Date.now();
  const a = mom(g.sampleFlow(A, z)), b = mom(g.sampleFlow(g.rotated(A, 1), z)), c = mom(g.sampleFlow(g.gaussianScore(1.5), z));
  console.log('moments', Date.now() - t0, 'ms', a.map((v) => v.toFixed(3)).join(' '), '| dB', Math.max(...a.map((v, i) => Math.abs(v - b[i]))).toFixed(4), 'dC', Math.max(...a.map((v, i) => Math.abs(v - c[i]))).toFixed(3));
  t0 = Date.now();
  const n = 2000;
  const comp = Array.from({ length: n }, (_, i) => i % mix.means.length);
  const pts = tf.randn([n, 2]).mul(mix.std).add(tf.tensor(Float32Array.from(comp.flatMap((k) => mix.means[k])), { shape: [n, 2] }));
  const na = g.flowNll(A, pts), nb = g.flowNll(g.rotated(A, 1), pts), nc = g.flowNll(g.gaussianScore(1.5), pts);
  const exact = g.mixtureLogProb(mix, pts, 1e-3).neg();
  console.log('nll', Date.now() - t0, 'ms', na.mean().item().toFixed(4), 'A-B', na.sub(nb).abs().mean().item().toExponential(2), 'A-exact', na.sub(exact).abs().mean().item().toExponential(2), 'C-A', nc.sub(na).abs().mean().item().toFixed(3));
  const res = g.gaugeResidual(mix, (x, t) => g.rotated(A, 1)(x, t).sub(A(x, t)), tf.randn([100, 2]), 0.3);
  console.log('gauge residual max', res.abs().amax().item());
}
