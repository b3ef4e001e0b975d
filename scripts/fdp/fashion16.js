#!/usr/bin/env node
// FDP on 2-D functions (digest B section 1.8, item 5): one Fashion-MNIST class as functions on a 16x16 grid (the
// 14x14 2x2-mean images padded by one pixel of background, -1, on every side), an FDP Gabor INR trained on them,
// samples drawn on the 16x16 grid and the same final adapted INRs read on a 32x32 grid of the same domain
// (super-resolution). Scored by the shipped Fashion classifier: FD_cls of the central 14x14 (16x16 samples) or
// 28x28 (32x32 read-out) against the features of the class's test images at 14x14 (the classifier upsamples 14x14
// inputs by 2), the fraction classified as the class, and the same for as many of the class's train images (the
// real-data floor; train images are not in the reference). Grids of the first 64 samples go to figures/.
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/fdp/fashion16.js <out.json> [--class 1 --seed 1 ...]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const fdp = require('../../dist/models/fdp');
const { loadFashionMNIST, imagesToTensor, describeFashionSource } = require('../../dist/data/fashion_mnist');
const { classifierOutputs } = require('../../dist/metrics/features');
const { gaussianStats, frechetDistanceStats } = require('../../dist/metrics/frechet');
const { saveImageGrid } = require('../../dist/io/png');
const { runRecord } = require('../../dist/cli/record');
const { parseFlags } = require('../flags');

const DEFAULTS = {
  class: 1, seed: 1, evalSeed: 1000, steps: 1500, batch: 32, hidden: 64, layers: 8, innerSteps: 3, innerLr: 1e-2,
  curriculum: 300, lr: 3e-4, warmup: 100, n: 500, sampleSteps: 25, snr: 0.19, factor: 0, source: 'auto',
};
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/fdp/fashion16.js <out.json> [--flag value ...]' });
tf.setNumThreads(1);
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

// the class's images at 14x14 in [-1, 1], [N, 1, 14, 14]
function classImages(split) {
  const ds = loadFashionMNIST({ split, source: o.source });
  const all = imagesToTensor(ds, { resolution: 14 });
  const idx = [];
  for (let i = 0; i < ds.count; i++) if (ds.labels[i] === o.class) idx.push(i);
  const x = all.indexSelect(0, tf.tensor(Int32Array.from(idx), { shape: [idx.length], dtype: 'int32' }));
  all.dispose();
  return x;
}
const pad16 = (x) => tf.pad(x, [1, 1, 1, 1], 'constant', -1);
const crop = (x, side, keep) => x.narrow(2, (side - keep) / 2, keep).narrow(3, (side - keep) / 2, keep).contiguous();

const train14 = classImages('train'), test14 = classImages('test');
const train = pad16(train14);
log(`class ${o.class}: ${train.shape[0]} train / ${test14.shape[0]} test images (${describeFashionSource(o.source).description})`);

tf.manualSeed(o.seed);
const sde = new fdp.HeatSDE({ grid: [16, 16] });
const make = () => new fdp.FdpDenoiser({ grid: [16, 16], channels: 1, hidden: o.hidden, layers: o.layers, innerSteps: o.innerSteps, innerLr: o.innerLr }, sde);
const net = make();
const tr = new fdp.FdpTrainer(net, { lr: o.lr, warmup: o.warmup, decaySteps: o.steps, curriculum: o.curriculum });
const t0 = Date.now();
const lossCurve = [];
let acc = 0, cnt = 0;
for (let s = 1; s <= o.steps; s++) {
  acc += tf.tidy(() => tr.step(train.indexSelect(0, tf.randint(0, train.shape[0], [o.batch])))); cnt++;
  if (s % 100 === 0) { lossCurve.push([s, acc / cnt]); log(`step ${s} loss ${(acc / cnt).toFixed(4)} ${((Date.now() - t0) / s).toFixed(0)} ms/step`); acc = 0; cnt = 0; }
}
const trainSeconds = (Date.now() - t0) / 1000;
const evalNet = make();
tr.ema.copyTo(evalNet);
tf.manualSeed(o.evalSeed);
const t1 = Date.now();
const xs = [], fines = [];
for (let done = 0; done < o.n; done += 125) {
  const m = Math.min(125, o.n - done);
  const r = fdp.sampleFdp(evalNet, m, { steps: o.sampleSteps, snr: o.snr, factor: o.factor, readGrid: [32, 32] });
  xs.push(r.x); fines.push(r.readOut);
  log(`sampled ${done + m}/${o.n}`);
}
const sampleSeconds = (Date.now() - t1) / 1000;
const gen16 = tf.cat(xs, 0).clamp(-1, 1), gen32 = tf.cat(fines, 0).clamp(-1, 1);

const feats = (x) => {
  const r = classifierOutputs(x);
  const stats = gaussianStats(tf.tensor(r.features, { shape: [r.count, r.featureDim], dtype: 'float64' }));
  let hit = 0;
  for (let i = 0; i < r.count; i++) {
    const p = r.probs.subarray(i * 10, (i + 1) * 10);
    if (p.indexOf(Math.max(...p)) === o.class) hit++;
  }
  return { stats, classFraction: hit / r.count };
};
const ref = feats(test14);
const score = (x) => { const f = feats(x); return { fd: frechetDistanceStats(f.stats, ref.stats), classFraction: f.classFraction }; };
const floor = score(train14.narrow(0, 0, o.n).contiguous());
const at16 = score(crop(gen16, 16, 14));
const at32 = score(crop(gen32, 32, 28));
log(`FD_cls: 16x16 ${at16.fd.toFixed(2)} (class ${at16.classFraction.toFixed(3)}), 32x32 read-out ${at32.fd.toFixed(2)} (class ${at32.classFraction.toFixed(3)}); ` +
  `real floor ${floor.fd.toFixed(2)} (class ${floor.classFraction.toFixed(3)}); test images classified as the class ${ref.classFraction.toFixed(3)}`);

const figDir = path.join(__dirname, '..', '..', 'lib', 'models', 'fdp', 'figures');
fs.mkdirSync(figDir, { recursive: true });
const tag = `fashion16-class${o.class}-seed${o.seed}`;
saveImageGrid(gen16.narrow(0, 0, Math.min(64, o.n)), path.join(figDir, `${tag}-16x16.png`), { scale: 4 });
saveImageGrid(gen32.narrow(0, 0, Math.min(64, o.n)), path.join(figDir, `${tag}-32x32.png`), { scale: 2 });
saveImageGrid(train.narrow(0, 0, 64), path.join(figDir, `fashion16-class${o.class}-real.png`), { scale: 4 });
const record = runRecord(`fashion14 class ${o.class} padded to 16x16 (${describeFashionSource(o.source).description}); scripts/fdp/fashion16.js`,
  { n: o.n, seeds: { train: o.seed, evaluation: o.evalSeed } });
const result = { record, options: o, params: net.numParameters(), trainImages: train.shape[0], testImages: test14.shape[0], trainSeconds, sampleSeconds,
  lossCurve, fdCls: { at16, at32, realFloor: floor, testClassFraction: ref.classFraction } };
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, JSON.stringify(result, null, 1));
log(`wrote ${out}`);
