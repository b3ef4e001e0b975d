#!/usr/bin/env node
// Exploratory (no criterion): why B1 fails on the free circle nets of scripts/gauge/curl.js. Seed 1's free nets
// (lambda 0 and 1) and a conservative one, same budget (4,000 steps), the Jacobian eigenvalues at the first three
// held-out points and B1's accuracy at sigma in {0.01, 0.02, 0.05} (cut 1 / (2 sigma^2)).
//   node scripts/gauge/circle-spectrum.js
const tf = require('../../dist/index.js');
const g = require('../../dist/models/gauge/index.js');

tf.setNumThreads(Number(process.env.TENSORFIELD_NUM_THREADS ?? 1));
for (const [kind, lambda] of [['free', 0], ['free', 1], ['conservative', 0]]) {
  tf.manualSeed(1);
  const man = new tf.data.SphereManifold({ intrinsicDim: 1, ambientDim: 2, seed: 14 });
  const train = tf.keep(man.sample(10000)), test = tf.keep(man.sample(50));
  const net = kind === 'free' ? new g.FreeScoreNet(2, 128, 3) : new g.ConservativeScoreNet(2, 128, 3);
  g.trainScore(net, (n) => train.indexSelect(0, tf.randint(0, 10000, [n], { dtype: 'int32' })), { steps: 4000, lr: 1e-3, batch: 256, sigmaMin: 0.01, sigmaMax: 4, curlWeight: lambda });
  const levels = [];
  for (const s of [0.01, 0.02, 0.05]) {
    const score = (x) => tf.tidy(() => net.score(x, tf.full([x.shape[0]], s), kind === 'conservative'));
    let ok = 0;
    const eig = [];
    for (let i = 0; i < 50; i++) {
      const b = g.jacobianDimension(score, test.select(0, i), s);
      ok += b.dim === 1;
      if (i < 3) eig.push(Array.from(b.eigenvalues, (v) => +v.toPrecision(3)));
    }
    levels.push({ sigma: s, cut: +(1 / (2 * s * s)).toFixed(0), accuracyB1: ok / 50, eigenvalues: eig });
  }
  console.log(JSON.stringify({ model: kind, lambda, seed: 1, steps: 4000, levels }));
  net.dispose(); train.dispose(); test.dispose();
}
