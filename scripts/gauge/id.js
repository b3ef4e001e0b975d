#!/usr/bin/env node
// Intrinsic dimension from learned score fields (digest B §2.6.2), with the criteria fixed before the run:
//   the conservative model gives the exact dimension at >= 90 % of 50 held-out points with estimator A (score-SVD,
//   K = 4 D = 40 perturbations at sigma_min), and B1 (Jacobian spectrum) agrees with A at >= 90 % of them;
//   the free model's accuracy and Jacobian asymmetry are reported as measured.
// Data: (a) S^2 in R^10, (b) a 3-D Gaussian in a random 3-D subspace of R^10 (10,000 training points each, random
// isometries from lib/data/manifold). VE-SDE sigma in [0.01, 4]; nets 3 x 128 SiLU; Adam 1e-3, batch 256, 4,000
// steps (the digest's plan; nothing was tuned). Seeds 1-3 (none used before). One JSON line per run.
// Also estimator B2 (the flow-map Jacobian, 50 RK4 steps each way) at the first 10 of the 50 points, and with
// --figure FILE.svg the singular values of Y(t) for seed 1's conservative model at the subspace's first point,
// beside the exact field's.
//   node scripts/gauge/id.js [seeds=1,2,3] [steps=4000] [--figure FILE.svg] [--data 'S^5' (a name prefix)]
//     [--width 128] [--t-power 1] [--models conservative,free] [--b1-sigma 0.01[,0.02,...]] [--n-train 10000]
// (S^5 in R^20 was added after the first two were run; the same criteria apply to it. --width, --t-power (sigma
// draws crowded towards sigma_min: t = u^p) and --models came with the second attempt at the spheres; --b1-sigma
// (B1 evaluated at the field's noise level sigma_B1 with the cut 1 / (2 sigma_B1^2); the first value fills
// accuracyB1 / agreementAB1, every value is listed in b1BySigma), --n-train and the B2-A agreement with the fourth.
// The figure is drawn for the subspace, with the exact field beside it, when the subspace is among the data;
// otherwise for the first dataset (learned field only).)
const tf = require('../../dist/index.js');
const g = require('../../dist/models/gauge/index.js');

const args = process.argv.slice(2);
const fig = args.includes('--figure') ? args.splice(args.indexOf('--figure'), 2)[1] : null;
const only = args.includes('--data') ? args.splice(args.indexOf('--data'), 2)[1] : null;
const opt = (name, d) => (args.includes(name) ? args.splice(args.indexOf(name), 2)[1] : d);
const width = Number(opt('--width', '128'));
const tPower = Number(opt('--t-power', '1'));
const models = opt('--models', 'conservative,free').split(',');
const b1Sigmas = opt('--b1-sigma', '0.01').split(',').map(Number);
const nTrain = Number(opt('--n-train', '10000'));
const seeds = (args[0] ?? '1,2,3').split(',').map(Number);
const steps = Number(args[1] ?? 4000);
const sigmaMin = 0.01;
// [name, true dimension, ambient dimension, make]
const datasets = [
  ['S^2 in R^10', 2, 10, () => new tf.data.SphereManifold({ intrinsicDim: 2, ambientDim: 10, seed: 11 })],
  ['3-D Gaussian in R^10', 3, 10, () => new tf.data.SubspaceManifold({ intrinsicDim: 3, ambientDim: 10, seed: 12 })],
  ['S^5 in R^20', 5, 20, () => new tf.data.SphereManifold({ intrinsicDim: 5, ambientDim: 20, seed: 13 })],
].filter(([name]) => !only || name.startsWith(only));
function figure(man, x0, learned, d, D, name, seed) {
  const exact = d === 3 ? g.flowMapDimension(g.subspaceGaussianVeScore(man.embedding, D, 3), x0.double(), { steps: 50, sigmaMin, sigmaMax: 4 }) : null;
  const series = [];
  const shown = (j) => j < d + 1 || j === D - 1;   // the manifold's d, the first off-manifold one and the smallest
  for (const [r, dash] of [[learned, ''], [exact, ' (exact)']]) {
    if (!r) continue;
    for (let j = 0; j < D; j++) if (shown(j)) series.push({ name: `${j < d ? 'on' : 'off'}-manifold sv ${j + 1}${dash}`, x: r.t, y: r.singularValues.map((sv) => sv[j]) });
  }
  tf.io.saveLinePlot(fig, { title: `Singular values of the flow-map Jacobian Y(t) = dx_t/dx_1, ${name} (conservative model, seed ${seed})`,
    xLabel: 't (VE: sigma = 0.01 * 400^t)', yLabel: 'singular value', logY: true, series });
  console.error(`wrote ${fig}`);
}
const figData = datasets.some(([, d]) => d === 3) ? 3 : datasets[0]?.[1];
tf.setNumThreads(Number(process.env.TENSORFIELD_NUM_THREADS ?? 1));
for (const seed of seeds) {
  for (const [name, d, D, make] of datasets) {
    for (const kind of models) {
      tf.manualSeed(seed);
      const man = make();
      const train = tf.keep(man.sample(nTrain)), test = tf.keep(man.sample(50));
      const net = kind === 'conservative' ? new g.ConservativeScoreNet(D, width, 3) : new g.FreeScoreNet(D, width, 3);
      const t0 = Date.now();
      const loss = g.trainScore(net, (n) => train.indexSelect(0, tf.randint(0, nTrain, [n], { dtype: 'int32' })), { steps, lr: 1e-3, batch: 256, sigmaMin, sigmaMax: 4, tPower });
      const trainS = (Date.now() - t0) / 1000;
      const sig = tf.keep(tf.full([1], sigmaMin));
      const scoreAt = (level) => (x) => tf.tidy(() => net.score(x, tf.full([x.shape[0]], level), kind === 'conservative'));
      const score = (x) => tf.tidy(() => net.score(x, sig.expand(x.shape[0]), kind === 'conservative'));
      let okA = 0, asym = 0;
      const dimsA = [];
      const b1 = b1Sigmas.map(() => ({ ok: 0, agree: 0 }));
      for (let i = 0; i < 50; i++) {
        const x0 = test.select(0, i);
        const a = g.scoreSvdDimension(score, x0, sigmaMin);
        okA += a.dim === d;
        dimsA.push(a.dim);
        b1Sigmas.forEach((level, k) => {
          const b = g.jacobianDimension(level === sigmaMin ? score : scoreAt(level), x0, level);
          b1[k].ok += b.dim === d; b1[k].agree += a.dim === b.dim;
          if (k === 0) asym += b.asymmetry / 50;
        });
      }
      let okB2 = 0, agreeB2 = 0;
      const histB2 = {};
      for (let i = 0; i < 10; i++) {
        const r = g.flowMapDimension((x, s) => net.score(x, tf.full([x.shape[0]], s), kind === 'conservative'), test.select(0, i), { steps: 50, sigmaMin, sigmaMax: 4 });
        okB2 += r.dim === d; agreeB2 += r.dim === dimsA[i];
        histB2[r.dim] = (histB2[r.dim] ?? 0) + 1;
        if (fig && seed === seeds[0] && i === 0 && kind === 'conservative' && d === figData) figure(man, test.select(0, 0), r, d, D, name, seed);
      }
      const hist = {};
      for (const v of dimsA) hist[v] = (hist[v] ?? 0) + 1;
      const b1BySigma = Object.fromEntries(b1Sigmas.map((level, k) => [level, { accuracyB1: b1[k].ok / 50, agreementAB1: b1[k].agree / 50 }]));
      console.log(JSON.stringify({ data: name, trueDim: d, model: kind, seed, steps, width, tPower, nTrain, b1Sigma: b1Sigmas[0], finalLoss: +loss.toFixed(4), trainSeconds: trainS,
        accuracyA: okA / 50, accuracyB1: b1[0].ok / 50, accuracyB2of10: okB2 / 10, agreementAB1: b1[0].agree / 50, agreementAB2of10: agreeB2 / 10,
        jacobianAsymmetry: +asym.toExponential(2), histogramA: hist, histogramB2: histB2, ...(b1Sigmas.length > 1 ? { b1BySigma } : {}) }));
      net.dispose(); train.dispose(); test.dispose(); sig.dispose();
    }
  }
}
