#!/usr/bin/env node
// Trains the Fashion-MNIST classifier behind tensorfield.metrics (FD_cls, the classifier score, precision/
// recall) on the full training set with tensorfield itself, evaluates it on the 10000 test images and writes
//   assets/classifier/fashion-cnn.safetensors          the weights (float32), with the results in its metadata
//   assets/classifier/fashion-test-stats.safetensors   mean and covariance (float64) of the real test set's
//                                                      penultimate features, at 28x28 and at 14x14 (2x2 means,
//                                                      then upsampled back the way 14x14 samples are scored)
// Usage: npm run build:ts && node scripts/train-fashion-classifier.js [--epochs 5] [--width 16] [--batch 64]
//        [--lr 0.002] [--seed 0] [--threads 2] [--out assets/classifier] [--limit N (first N images of each split: smoke runs)]
// Needs the full Fashion-MNIST (apt-get install dataset-fashion-mnist).
'use strict';
const path = require('path');
const fs = require('fs');
const { spawnSync } = require('child_process');

// glibc raises its mmap threshold after the first large free, and from then on serves the multi-megabyte
// activation buffers from its heaps, where (with the engine's worker threads freeing them) they are not
// reused: the process grew by ~5 MB a step, to 23 GB before the OOM killer stopped it, while the engine's own
// count of live bytes stayed flat. A fixed threshold keeps every large buffer mmapped and returned on free.
// It must be set before the allocator starts, so the script re-runs itself once with it.
if (!process.env.MALLOC_MMAP_THRESHOLD_) {
  const r = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' } });
  process.exit(r.status ?? 1);
}
const tf = require('../dist');

function parseArgs(argv) {
  const o = { epochs: 5, width: 16, batch: 64, lr: 2e-3, seed: 0, threads: 2, limit: 0, out: path.join(__dirname, '..', 'assets', 'classifier') };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, ''), v = argv[i + 1];
    if (!(k in o) || v === undefined) throw new Error(`unknown or incomplete option '${argv[i]}'`);
    o[k] = k === 'out' ? v : Number(v);
  }
  return o;
}

// Seeded shuffles (mulberry32, lib/data/prng.ts) so a run is reproducible from its seed alone.
const rng = require('../dist/data/prng').mulberry32;
function permutation(n, rand) {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); const t = p[i]; p[i] = p[j]; p[j] = t; }
  return p;
}

const mb = (b) => (b / 2 ** 20).toFixed(1);

async function main() {
  const o = parseArgs(process.argv.slice(2));
  tf.setNumThreads(o.threads);
  tf.manualSeed(o.seed);
  const { metrics, data } = tf;
  const t0 = Date.now();
  const limit = o.limit > 0 ? { limit: o.limit } : {};
  const train = data.loadFashionMNIST({ split: 'train', source: 'full', ...limit });
  const test = data.loadFashionMNIST({ split: 'test', source: 'full', ...limit });
  const X = tf.keep(data.imagesToTensor(train));
  const Y = tf.keep(data.labelsToTensor(train));
  const Xt = tf.keep(data.imagesToTensor(test));
  const Yt = test.labels;
  console.log(`data: ${train.count} train, ${test.count} test images from ${train.source}`);

  const model = new metrics.FashionClassifier(o.width);
  console.log(`model: width ${o.width}, ${model.numParameters()} parameters; batch ${o.batch}, ${o.epochs} epochs, Adam lr ${o.lr}`);
  const opt = new tf.optim.Adam(model.parameters(), { lr: o.lr });
  const stepsPerEpoch = Math.floor(train.count / o.batch);
  const total = stepsPerEpoch * o.epochs;
  const sched = new tf.optim.LRScheduler(opt, tf.optim.warmupCosine(200, total, 0.02));
  const rand = rng(o.seed + 1);
  let step = 0;
  const memStart = tf.memory();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    model.train();
    const perm = permutation(train.count, rand);
    let lossSum = 0, correct = 0, seen = 0, tWin = Date.now(), seenWin = 0;
    const te = Date.now();
    for (let s = 0; s < stepsPerEpoch; s++) {
      sched.apply(step);
      const [loss, hits] = tf.tidy(() => {
        const idx = tf.tensor(perm.subarray(s * o.batch, (s + 1) * o.batch), { shape: [o.batch] });
        // Left-right flips: Fashion-MNIST's clothes are (nearly) mirror-symmetric in class, so this is free data.
        const xb = data.randomHorizontalFlip(X.indexSelect(0, idx));
        const yb = Y.indexSelect(0, idx);
        const logits = model.forward(xb);
        const l = metrics.crossEntropy(logits, yb);
        opt.zeroGrad();
        l.backward();
        opt.step();
        return [l.item(), logits.detach().argmax(1).eq(yb).to('float32').sum().item()];
      });
      step++;
      lossSum += loss * o.batch; correct += hits; seen += o.batch; seenWin += o.batch;
      if ((s + 1) % 200 === 0 || s === stepsPerEpoch - 1) {
        const now = Date.now();
        const m = tf.memory();
        console.log(`epoch ${epoch} step ${s + 1}/${stepsPerEpoch} loss ${(lossSum / seen).toFixed(4)} ` +
          `acc ${(correct / seen).toFixed(4)} lr ${sched.lr.toExponential(2)} ${(seenWin / ((now - tWin) / 1000)).toFixed(0)} img/s ` +
          `native ${m.tensors} tensors ${mb(m.bytes)} MiB, process ${mb(process.memoryUsage().rss)} MiB`);
        tWin = now; seenWin = 0;
      }
    }
    model.eval();
    const acc = metrics.classifierAccuracy(Xt, Yt, { model });
    console.log(`== epoch ${epoch}: train loss ${(lossSum / seen).toFixed(4)}, train acc ${(correct / seen).toFixed(4)}, ` +
      `test acc ${acc.toFixed(4)}, ${((Date.now() - te) / 1000).toFixed(0)} s`);
  }
  const trainSeconds = (Date.now() - t0) / 1000;
  model.eval();
  const testAcc = metrics.classifierAccuracy(Xt, Yt, { model });
  const memEnd = tf.memory();
  console.log(`native memory: ${memStart.tensors} tensors ${mb(memStart.bytes)} MiB before training, ` +
    `${memEnd.tensors} tensors ${mb(memEnd.bytes)} MiB after`);

  const f28 = metrics.classifierFeatures(Xt, { model });
  const x14 = metrics.roundTrip14(Xt);
  const f14 = metrics.classifierFeatures(x14, { model });
  const s28 = metrics.gaussianStats(f28), s14 = metrics.gaussianStats(f14);
  const t = (a, shape) => tf.tensor(a, { shape, dtype: 'float64' });
  const D = s28.dim;

  fs.mkdirSync(o.out, { recursive: true });
  const command = `node scripts/train-fashion-classifier.js ${process.argv.slice(2).join(' ')}`.trim();
  const meta = {
    format: 'tensorfield-fashion-classifier', width: String(o.width), epochs: String(o.epochs), batch: String(o.batch),
    lr: String(o.lr), seed: String(o.seed), test_accuracy: testAcc.toFixed(4), train_seconds: trainSeconds.toFixed(0),
    threads: String(o.threads), command,
  };
  const weights = new Map(model.stateDict());
  tf.io.saveSafetensors(path.join(o.out, 'fashion-cnn.safetensors'), weights, meta);
  tf.io.saveSafetensors(path.join(o.out, 'fashion-test-stats.safetensors'), {
    mu28: t(s28.mu, [D]), cov28: t(s28.cov, [D, D]), mu14: t(s14.mu, [D]), cov14: t(s14.cov, [D, D]),
  }, { format: 'tensorfield-fashion-stats', count: String(s28.count), test_accuracy: testAcc.toFixed(4) });
  const fd14 = metrics.frechetDistanceStats(s28, s14);
  console.log(`test accuracy ${testAcc.toFixed(4)} after ${o.epochs} epochs, ${trainSeconds.toFixed(0)} s; ` +
    `FD_cls(test@28, test@14 round trip) ${fd14.toFixed(3)}`);
  console.log(`wrote ${o.out}/fashion-cnn.safetensors (${fs.statSync(path.join(o.out, 'fashion-cnn.safetensors')).size} bytes) ` +
    `and fashion-test-stats.safetensors`);
}

main().catch((e) => { console.error(e); process.exit(1); });
