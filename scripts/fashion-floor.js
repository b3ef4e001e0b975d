#!/usr/bin/env node
// The real-data floor of FD_cls at given sample counts, as `tensorfield eval` and the paper scripts now compute it
// (lib/cli/evaluate.ts): FD_cls of disjoint samples of n train images, which are not in the 10000 test images of
// the reference statistics, as mean and spread over --draws draws. For comparison it also prints what the old
// floor reported (the first n test images, inside the reference) and, with --check-bias, whether train images
// (which the classifier was trained on) score differently from unseen images: against statistics of test images
// 5000-9999, disjoint draws of test images 0-4999 against disjoint draws of train images.
//
//   npm run build:ts
//   TENSORFIELD_NUM_THREADS=1 node scripts/fashion-floor.js [--n 256,1000] [--draws 3] [--resolution 14] [--source auto] [--check-bias 1] [--out floor.json]
'use strict';
const fs = require('fs');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const { openDataSource } = require('../dist/data/sources');
const { loadFashionMNIST, imagesToTensor } = require('../dist/data/fashion_mnist');
const { fashionRealFloorAsync, fashionFrechetDistanceAsync, disjointDraws } = require('../dist/metrics/fashion');
const { classifierFeatures } = require('../dist/metrics/features');
const { gaussianStats, frechetDistanceStats } = require('../dist/metrics/frechet');
const { runRecord } = require('../dist/cli/record');
const { logDataset } = require('../dist/cli/train');

const DEFAULTS = { n: '256,1000', draws: 3, resolution: 14, source: 'auto', seed: 0, checkBias: 0, out: '' };

async function main() {
  const { o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/fashion-floor.js [--n 256,1000] [--draws 3] [--resolution 14|28]', min: 0, max: 0 });
  if (o.resolution !== 14 && o.resolution !== 28) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `--resolution must be 14 or 28, got ${o.resolution}`);
  const ns = o.n.split(',').map(Number);
  for (const n of ns) if (!Number.isInteger(n) || n < 2) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `--n takes integers >= 2, got '${o.n}'`);
  const src = openDataSource(o.resolution === 14 ? 'fashion14' : 'fashion', { fashionSource: o.source });
  const log = (s) => console.log(s);
  logDataset(src, log);
  const pool = src.floorPool();
  log(`floor pool: ${pool.count} ${pool.split} images (${pool.excluded} left out as identical to a test image)`);
  const rows = [];
  for (const n of ns) {
    const f = await fashionRealFloorAsync((p) => pool.take(p), pool.count, n, { draws: o.draws, seed: o.seed });
    const old = src.real(n);
    const overlapping = old.shape[0] === n ? await fashionFrechetDistanceAsync(old) : NaN;
    old.dispose();
    rows.push({ n, floor: f, oldOverlapping: overlapping });
    log(`n ${n}: floor ${f.mean.toFixed(3)} ± ${f.sd.toFixed(3)} (sd; min ${f.min.toFixed(3)}, max ${f.max.toFixed(3)}; draws ${f.values.map((v) => v.toFixed(3)).join(', ')}); ` +
      `old floor (first ${n} test images, inside the reference) ${overlapping.toFixed(3)}`);
  }
  let bias = null;
  if (o.checkBias) {
    // Unseen vs seen by the classifier, at the same n, against a reference neither sample is in.
    const test = loadFashionMNIST({ split: 'test', source: o.source });
    if (test.count < 2000) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `--check-bias needs the full test set; ${test.count} test images here`);
    const half = Math.floor(test.count / 2);
    const refIdx = Array.from({ length: test.count - half }, (_, i) => half + i);
    const ref = tf.tidy(() => gaussianStats(classifierFeatures(imagesToTensor(test, { resolution: o.resolution, indices: refIdx }))));
    const fdTo = (x) => tf.tidy(() => frechetDistanceStats(gaussianStats(classifierFeatures(x)), ref));
    bias = [];
    for (const n of ns.filter((k) => k * o.draws <= half)) {
      const unseen = disjointDraws(half, n, o.draws, o.seed).map((d) => { const x = imagesToTensor(test, { resolution: o.resolution, indices: d }); const v = fdTo(x); x.dispose(); return v; });
      const seen = disjointDraws(pool.count, n, o.draws, o.seed).map((d) => { const x = pool.take(d); const v = fdTo(x); x.dispose(); return v; });
      const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
      bias.push({ n, referenceImages: test.count - half, unseenTest: unseen, train: seen });
      log(`bias check n ${n} against test ${half}-${test.count - 1}: unseen test draws ${unseen.map((v) => v.toFixed(3)).join(', ')} (mean ${mean(unseen).toFixed(3)}); ` +
        `train draws ${seen.map((v) => v.toFixed(3)).join(', ')} (mean ${mean(seen).toFixed(3)})`);
    }
  }
  const record = runRecord(src, { seeds: { floor: o.seed } });
  if (o.out) fs.writeFileSync(o.out, JSON.stringify({ record, resolution: o.resolution, pool: { split: pool.split, count: pool.count, excluded: pool.excluded }, rows, bias }, null, 2));
  log(`commit ${record.git ? record.git.commit + (record.git.dirty ? ' (uncommitted changes)' : '') : 'unknown'}${o.out ? `; wrote ${o.out}` : ''}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
