#!/usr/bin/env node
// Table of the seattle-weather forecasting runs on the test split (lib/models/spd/results/seattle-{gp,white}-s{1,2,3}-test.json)
// against scripts/spd/seattle-criteria.json: per seed and mean +- sample standard deviation; seeds whose runs are
// missing are listed as such. Usage: node scripts/spd/seattle-summary.js
'use strict';
const fs = require('fs');
const path = require('path');
const dir = path.join(__dirname, '../../lib/models/spd/results');
const c = JSON.parse(fs.readFileSync(path.join(__dirname, 'seattle-criteria.json'), 'utf8'))['seattle-forecast'];
const file = (k, s) => path.join(dir, `seattle-${k}-s${s}-test.json`);
const rd = (k, s) => (fs.existsSync(file(k, s)) ? JSON.parse(fs.readFileSync(file(k, s), 'utf8')) : null);
const f = (v, d = 3) => v.toFixed(d);
const rows = [];
console.log('| seed | CRPS GP (C) | CRPS white (C) | GP / white | CRPS climatology (C) | pass (GP <= 1.02 white, GP < clim, white < clim) | ES GP | ES white | continuity GP | continuity white | train s GP / white | commit |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of c.heldOutSeeds) {
  const g = rd('gp', s), w = rd('white', s);
  if (!g || !w) { console.log(`| ${s} | ${g ? f(g.crps) : 'not run'} | ${w ? f(w.crps) : 'not run'} | | | | | | | | | |`); continue; }
  const pass = [g.crps <= c.crpsGpVsWhite.maxRatio * w.crps, g.crps < g.climatology.crps, w.crps < w.climatology.crps];
  rows.push({ g, w, pass });
  const commit = [g, w].map((r) => r.git.commit.slice(0, 7) + (r.git.dirty ? '+' : '')).filter((v, i, a) => a.indexOf(v) === i).join(', ');
  console.log(`| ${s} | ${f(g.crps)} | ${f(w.crps)} | ${f(g.crps / w.crps)} | ${f(g.climatology.crps)} | ${pass.map((p) => (p ? 'yes' : 'NO')).join(', ')} | ${f(g.energyScore)} | ${f(w.energyScore)} | ${f(g.continuityRatio)} | ${f(w.continuityRatio)} | ${f(g.trainSeconds, 0)} / ${f(w.trainSeconds, 0)} | ${commit} |`);
}
const ms = (a) => { const m = a.reduce((x, y) => x + y, 0) / a.length; const sd = a.length > 1 ? Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1)) : 0; return `${f(m)} +- ${f(sd)}`; };
if (rows.length) {
  console.log(`| mean +- sd (n = ${rows.length}) | ${ms(rows.map((r) => r.g.crps))} | ${ms(rows.map((r) => r.w.crps))} | ${ms(rows.map((r) => r.g.crps / r.w.crps))} | ${f(rows[0].g.climatology.crps)} | | ${ms(rows.map((r) => r.g.energyScore))} | ${ms(rows.map((r) => r.w.energyScore))} | ${ms(rows.map((r) => r.g.continuityRatio))} | ${ms(rows.map((r) => r.w.continuityRatio))} | | |`);
  const g = rows[0].g;
  console.log(`\nclimatology (2012-2013, +-${g.climatology.halfWidth} days): ensemble CRPS ${f(g.climatology.crps)}, closed form ${f(g.climatology.crpsClosedForm)}; fitted on 2012-2014 (reported only): ${f(g.climatologyTrainVal.crps)} (closed form ${f(g.climatologyTrainVal.crpsClosedForm)})`);
  console.log(`estimator: ${g.crpsEstimator}`);
  const lead = (k) => Array.from({ length: g.crpsPerLead.length }, (_, j) => rows.reduce((a, r) => a + r[k].crpsPerLead[j], 0) / rows.length);
  console.log(`CRPS per lead, mean over seeds: GP ${lead('g').map((v) => f(v, 2)).join(' ')}`);
  console.log(`                                white ${lead('w').map((v) => f(v, 2)).join(' ')}`);
  console.log(`                                climatology ${g.climatology.crpsPerLead.map((v) => f(v, 2)).join(' ')}`);
  console.log(`all criteria on every seed: ${rows.every((r) => r.pass.every(Boolean)) && rows.length === c.heldOutSeeds.length ? 'yes' : 'NO'}`);
}
