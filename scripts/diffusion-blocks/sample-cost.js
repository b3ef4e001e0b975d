#!/usr/bin/env node
// Issue 20's sampling-cost claim, timed under control: routed sampling runs one block's layers per evaluation, so
// the time per evaluation should fall towards 1/B of end to end's plus the shared stem and head. Builds the
// Fashion experiment's denoiser (196-d items, width 512, L = 12, shared stem/head) and the 2-D one (2-d, width 128,
// L = 12) for B = 1, 2, 3, 4 (random weights: the cost does not depend on them), and times sampleRouted (Euler, 32
// levels) of n items per configuration. Configurations alternate round by round in one process (a shared
// machine's slow minutes fall on all), one warm-up round, medians of `rounds`.
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/diffusion-blocks/sample-cost.js [--n 1000] [--rounds 7]
'use strict';
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
const DB = require('../../dist/models/diffusion-blocks');

const { o } = parseFlags(process.argv.slice(2), { n: 1000, rounds: 7 },
  { usage: 'node scripts/diffusion-blocks/sample-cost.js [--n 1000] [--rounds 7]', min: 0, max: 0 });
const settings = [
  { name: 'fashion14 (196-d, width 512)', dim: 196, width: 512, sigmaData: 0.5 },
  { name: '2-D (width 128)', dim: 2, width: 128, sigmaData: 1.005 },
];
const BS = [1, 2, 3, 4];
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const info = tf.info();
console.log(`${info.cpu} | ${info.isa} | ${info.threads} thread(s) | n = ${o.n} | Euler 32 levels | ${o.rounds} rounds`);
for (const st of settings) {
  const cfgs = BS.map((B) => {
    tf.manualSeed(11);
    const net = new DB.BlockwiseDenoiser({ dim: st.dim, layers: 12, blocks: B, width: st.width, embDim: st.width, stem: 'shared' });
    net.eval();
    return { B, net, edges: DB.partitionEdges(B), ms: [] };
  });
  const so = { steps: 32, solver: 'euler', sigmaMin: 0.002, sigmaMax: 80, sigmaData: st.sigmaData };
  for (let r = 0; r <= o.rounds; r++) {
    for (const c of cfgs) {
      tf.manualSeed(100 + r);
      const t0 = process.hrtime.bigint();
      const s = tf.noGrad(() => DB.sampleRouted(c.net, c.edges, o.n, so));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r > 0) c.ms.push(ms / s.nfe);
      s.x.dispose();
    }
  }
  const e2e = median(cfgs[0].ms);
  console.log(`\n${st.name}`);
  console.log('| B | ms per evaluation (median) | min-max | ratio to end to end | 1/B |');
  console.log('|---|---|---|---|---|');
  for (const c of cfgs) {
    const m = median(c.ms);
    console.log(`| ${c.B} | ${m.toFixed(2)} | ${Math.min(...c.ms).toFixed(2)}-${Math.max(...c.ms).toFixed(2)} | ${(m / e2e).toFixed(3)} | ${(1 / c.B).toFixed(3)} |`);
    c.net.dispose();
  }
}
