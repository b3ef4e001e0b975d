#!/usr/bin/env node
// Tables of the follow-up runs fixed in the criteria files' "followUp-2026-12-07" entries (no new pass / fail
// criterion): OU noise against white and GP noise on the held-out seeds of seattle-weather and co2, the persistence
// baselines of seattle-weather, and co2's GP / white ratio over seeds 1-6. Missing runs are listed as such.
// Usage: node scripts/spd/followup-summary.js
'use strict';
const fs = require('fs');
const path = require('path');
const dir = path.join(__dirname, '../../lib/models/spd/results');
const rd = (name) => { const f = path.join(dir, `${name}.json`); return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null; };
const f = (v, d = 3) => (v == null ? 'not run' : v.toFixed(d));
const msd = (a, d = 3) => { const m = a.reduce((x, y) => x + y, 0) / a.length; const sd = a.length > 1 ? Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1)) : 0; return `${f(m, d)} +- ${f(sd, d)}`; };
const commit = (...rs) => rs.filter(Boolean).map((r) => r.git.commit.slice(0, 7) + (r.git.dirty ? '+' : '')).filter((v, i, a) => a.indexOf(v) === i).join(', ');

for (const [data, unit, d] of [['seattle', 'C', 3], ['co2', 'ppm', 4]]) {
  const v2 = rd(`${data}-ou-s0-val-theta2`), v20 = rd(`${data}-ou-s0-val-theta20`);
  console.log(`\n## ${data}: OU theta chosen on seed 0 validation: theta 2 ${f(v2?.crps, d)}, theta 20 ${f(v20?.crps, d)} ${unit}`);
  console.log(`| seed | theta | CRPS OU (${unit}) | CRPS white | CRPS GP | OU / white | GP / white | continuity OU | commit |`);
  console.log('|---|---|---|---|---|---|---|---|---|');
  const ou = [], gp = [];
  for (const s of [1, 2, 3]) {
    const o = rd(`${data}-ou-s${s}-test`), w = rd(`${data}-white-s${s}-test`), g = rd(`${data}-gp-s${s}-test`);
    if (o && w) ou.push(o.crps / w.crps);
    if (g && w) gp.push(g.crps / w.crps);
    console.log(`| ${s} | ${o ? o.options.theta : ''} | ${f(o?.crps, d)} | ${f(w?.crps, d)} | ${f(g?.crps, d)} | ${o && w ? f(o.crps / w.crps) : ''} | ${g && w ? f(g.crps / w.crps) : ''} | ${o ? f(o.continuityRatio) : ''} | ${commit(o)} |`);
  }
  if (ou.length) console.log(`| mean +- sd | | | | | ${msd(ou)} | ${msd(gp)} | | |`);
}

const bt = rd('seattle-baselines-test'), bv = rd('seattle-baselines-val');
if (bt && bv) {
  console.log('\n## seattle baselines (no model; evaluation seed 1000, 100 draws per forecast)');
  console.log('| split | climatology | persistence | anomaly persistence | (closed forms) |');
  console.log('|---|---|---|---|---|');
  for (const [n, b] of [['val 2014', bv], ['test 2015', bt]]) {
    console.log(`| ${n} | ${f(b.climatology.crps)} | ${f(b.persistence.crps)} | ${f(b.anomalyPersistence.crps)} | ${f(b.climatology.crpsClosedForm)} / ${f(b.persistence.crpsClosedForm)} / ${f(b.anomalyPersistence.crpsClosedForm)} |`);
  }
  console.log(`per lead (test): persistence ${bt.persistence.crpsPerLead.map((v) => v.toFixed(2)).join(' ')}`);
  console.log(`                 anomaly     ${bt.anomalyPersistence.crpsPerLead.map((v) => v.toFixed(2)).join(' ')}`);
  console.log(`                 climatology ${bt.climatology.crpsPerLead.map((v) => v.toFixed(2)).join(' ')}`);
}

console.log('\n## co2 GP / white over training seeds 1-6 (test split; 1-3 judged the criterion, 4-6 added after)');
console.log('| seed | CRPS GP | CRPS white | GP / white | commit |');
console.log('|---|---|---|---|---|');
const ratios = [];
for (const s of [1, 2, 3, 4, 5, 6]) {
  const g = rd(`co2-gp-s${s}-test`), w = rd(`co2-white-s${s}-test`);
  if (g && w) ratios.push(g.crps / w.crps);
  console.log(`| ${s} | ${f(g?.crps, 4)} | ${f(w?.crps, 4)} | ${g && w ? f(g.crps / w.crps) : ''} | ${commit(g, w)} |`);
}
if (ratios.length) console.log(`| mean +- sd (n = ${ratios.length}) | | | ${msd(ratios)} | |`);
