#!/usr/bin/env node
// Issue 20's sampling-cost claim, timed under control: routed sampling runs one block's layers per evaluation, so
// the time per evaluation should fall towards 1/B of end to end's plus the shared stem and head. Builds the
// Fashion experiment's denoiser (196-d items, width 512, L = 12, shared stem/head) and the 2-D one (2-d, width 128,
// L = 12) for B = 1, 2, 3, 4 (random weights: the cost does not depend on them), and times sampleRouted (Euler, 32
// levels) of n items per configuration. Configurations alternate round by round in one process (a shared
// machine's slow minutes fall on all), one warm-up round, medians of `rounds`.
// With --out FILE: the table, the verdicts of scripts/diffusion-blocks/criteria-sample-cost.json and the run's
// record go to FILE as JSON.
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/diffusion-blocks/sample-cost.js [--n 1000] [--rounds 7] [--out FILE]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
const DB = require('../../dist/models/diffusion-blocks');
const { runRecord } = require('../../dist/cli/record');

const { o } = parseFlags(process.argv.slice(2), { n: 1000, rounds: 7, out: '' },
  { usage: 'node scripts/diffusion-blocks/sample-cost.js [--n 1000] [--rounds 7] [--out FILE]', min: 0, max: 0 });
const criteria = JSON.parse(fs.readFileSync(path.join(__dirname, 'criteria-sample-cost.json'), 'utf8'));
const report = { settings: [], verdicts: [] };
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
  report.settings.push({ name: st.name, rows: cfgs.map((c) => ({ B: c.B, medianMs: median(c.ms), ms: c.ms })) });
  for (const c of cfgs.slice(1)) {
    const ratio = median(c.ms) / e2e, bound = criteria.factor / c.B;
    report.verdicts.push({ setting: st.name, B: c.B, ratio, bound, pass: ratio <= bound });
  }
  console.log(`\n${st.name}`);
  console.log('| B | ms per evaluation (median) | min-max | ratio to end to end | 1/B |');
  console.log('|---|---|---|---|---|');
  for (const c of cfgs) {
    const m = median(c.ms);
    console.log(`| ${c.B} | ${m.toFixed(2)} | ${Math.min(...c.ms).toFixed(2)}-${Math.max(...c.ms).toFixed(2)} | ${(m / e2e).toFixed(3)} | ${(1 / c.B).toFixed(3)} |`);
    c.net.dispose();
  }
}
for (const v of report.verdicts) console.log(`${v.setting}, B = ${v.B}: ratio ${v.ratio.toFixed(3)} <= ${v.bound.toFixed(3)}: ${v.pass ? 'met' : 'NOT met'}`);
if (o.out) {
  fs.writeFileSync(o.out, JSON.stringify({ ...report, criteria, record: runRecord('random weights (no data)', { n: o.n, seeds: { weights: 11 } }) }, null, 1));
  console.log(`wrote ${o.out}`);
}
