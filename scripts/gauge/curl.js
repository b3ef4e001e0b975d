#!/usr/bin/env node
// The curl penalty as the 2-D alternative to a conservative net (issue 23): free 2-D score nets trained by VE DSM
// with and without lambda mean(sigma^2 curl^2), and the measured Jacobian asymmetry ||J - J^T||_F / ||J||_F (and the
// curl itself, scaled by sigma^2) at 50 held-out points at three noise levels, the held-out DSM loss without the
// penalty (what the penalty costs the fit), and the dimension estimates A and B1 at sigma_min (the circle's is 1).
// Protocol (lib/models/gauge/README.md): the unit circle in R^2, 10,000 training points, nets 3 x 128 SiLU, Adam
// 1e-3, batch 256, 4,000 steps, sigma in [0.01, 4]; lambda in {0, 1, 10}; seeds 1, 2, 3; reported as measured.
//   node scripts/gauge/curl.js [seeds=1,2,3] [steps=4000] [lambdas=0,1,10]
const tf = require('../../dist/index.js');
const g = require('../../dist/models/gauge/index.js');

const seeds = (process.argv[2] ?? '1,2,3').split(',').map(Number);
const steps = Number(process.argv[3] ?? 4000);
const lambdas = (process.argv[4] ?? '0,1,10').split(',').map(Number);
const sigmaMin = 0.01, levels = [0.01, 0.1, 1];
tf.setNumThreads(Number(process.env.TENSORFIELD_NUM_THREADS ?? 1));
for (const seed of seeds) {
  for (const lambda of lambdas) {
    tf.manualSeed(seed);
    const man = new tf.data.SphereManifold({ intrinsicDim: 1, ambientDim: 2, seed: 14 });
    const train = tf.keep(man.sample(10000)), test = tf.keep(man.sample(50)), val = tf.keep(man.sample(2000));
    const net = new g.FreeScoreNet(2, 128, 3);
    const t0 = Date.now();
    g.trainScore(net, (n) => train.indexSelect(0, tf.randint(0, 10000, [n], { dtype: 'int32' })), { steps, lr: 1e-3, batch: 256, sigmaMin, sigmaMax: 4, curlWeight: lambda });
    const trainSeconds = (Date.now() - t0) / 1000;
    // held-out DSM loss without the penalty, with fixed draws (the same for every lambda)
    tf.manualSeed(1000 + seed);
    const valLoss = tf.tidy(() => g.dsmLoss(net, val, { sigmaMin, sigmaMax: 4 }).item());
    const asym = {}, curl = {};
    for (const s of levels) {
      const score = (x) => tf.tidy(() => net.score(x, tf.full([x.shape[0]], s)));
      let a = 0;
      for (let i = 0; i < 50; i++) a += g.jacobianDimension(score, test.select(0, i), s).asymmetry / 50;
      asym[`sigma ${s}`] = +a.toExponential(2);
      curl[`sigma ${s}`] = +tf.tidy(() => g.curl2d(score, test).abs().mean().item() * s * s).toExponential(2);
    }
    let okA = 0, okB1 = 0;
    const score = (x) => tf.tidy(() => net.score(x, tf.full([x.shape[0]], sigmaMin)));
    for (let i = 0; i < 50; i++) {
      okA += g.scoreSvdDimension(score, test.select(0, i), sigmaMin).dim === 1;
      okB1 += g.jacobianDimension(score, test.select(0, i), sigmaMin).dim === 1;
    }
    console.log(JSON.stringify({ data: 'circle in R^2', model: 'free', lambda, seed, steps, trainSeconds, heldOutDsmLoss: +valLoss.toFixed(4),
      jacobianAsymmetry: asym, meanAbsCurlTimesSigma2: curl, accuracyA: okA / 50, accuracyB1: okB1 / 50 }));
    net.dispose(); train.dispose(); test.dispose(); val.dispose();
  }
}
