#!/usr/bin/env node
// A class-conditional dblocks run sampled at several guidance weights: sample i has class i mod 10 (the method's
// rule), so the shipped Fashion classifier's argmax against i mod 10 is the intended-label accuracy; FD_cls beside it.
// Each (guidance, seed) is one draw of n samples. Writes one JSON with a record.
//   node scripts/diffusion-blocks/guided-eval.js <out.json> <run> [--n 5000] [--guidance 1,2] [--seeds 1021,1022,1023] [--dist dist]
'use strict';
const fs = require('fs');
const path = require('path');
const { parseFlags } = require('../flags');
const { positional: [out, dir], o } = parseFlags(process.argv.slice(2), { n: 5000, guidance: '1,2', seeds: '1021,1022,1023', dist: 'dist' },
  { usage: 'node scripts/diffusion-blocks/guided-eval.js <out.json> <run> [--n 5000] [--guidance 1,2] [--seeds a,b,c]', min: 2, max: 2 });
const D = path.resolve(__dirname, '..', '..', o.dist);
const tf = require(path.join(D, 'index.js'));
require(path.join(D, 'models'));
const { getMethod, resolveOptions } = require(path.join(D, 'registry'));
const { readRunConfig, files } = require(path.join(D, 'cli', 'run-dir'));
const { openDataSource } = require(path.join(D, 'data', 'sources'));
const { dataSpecOf } = require(path.join(D, 'cli', 'train'));
const { classifierOutputs } = require(path.join(D, 'metrics', 'features'));
const { fashionFrechetDistance } = require(path.join(D, 'metrics', 'fashion'));
const { runRecord } = require(path.join(D, 'cli', 'record'));

tf.setNumThreads(1);
const cfg = readRunConfig(dir);
const src = openDataSource(cfg.data);
const m = getMethod(cfg.method);
const rows = [];
for (const w of String(o.guidance).split(',').map(Number)) {
  const run = m.create(dataSpecOf(src), resolveOptions(m, { ...cfg.options, guidance: w }));
  tf.io.loadCheckpoint(files(dir).checkpoint, { model: run.model, ema: run.ema, optimizer: run.optimizer, restoreRng: false });
  for (const seed of String(o.seeds).split(',').map(Number)) {
    tf.manualSeed(seed);
    const t0 = Date.now();
    const parts = [];
    for (let done = 0; done < o.n; done += 1000) parts.push(run.sample(Math.min(1000, o.n - done)).x);
    // the method labels sample i of each call with i mod 10; 1000 is a multiple of 10, so across calls too
    const x = tf.cat(parts, 0); parts.forEach((p) => p.dispose());
    const secs = (Date.now() - t0) / 1000;
    const probs = classifierOutputs(x).probs;
    let hit = 0;
    for (let i = 0; i < o.n; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
      if (best === i % 10) hit++;
    }
    const fd = fashionFrechetDistance(x);
    x.dispose();
    rows.push({ guidance: w, seed, n: o.n, intendedLabelAccuracy: hit / o.n, fdCls: fd, sampleSeconds: secs });
    console.log(`${dir} guidance ${w} seed ${seed}: intended-label accuracy ${(hit / o.n).toFixed(4)}, FD_cls ${fd.toFixed(2)} (${secs.toFixed(0)} s)`);
  }
}
fs.writeFileSync(out, JSON.stringify({ record: runRecord(src, { n: o.n, seeds: { train: Number(cfg.train.seed) } }), run: dir, options: cfg.options, rows }, null, 1));
console.log(`wrote ${out}`);
