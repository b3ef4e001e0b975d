#!/usr/bin/env node
// Table of the co2 imputation runs on the test split (lib/models/spd/results/co2-{gp,white}-s{1,2,3}-test.json)
// against scripts/spd/co2-criteria.json: per seed and mean +- sample standard deviation; seeds whose runs are
// missing are listed as such. Usage: node scripts/spd/co2-summary.js
'use strict';
const fs = require('fs');
const path = require('path');
const dir = path.join(__dirname, '../../lib/models/spd/results');
const c = JSON.parse(fs.readFileSync(path.join(__dirname, 'co2-criteria.json'), 'utf8'))['co2-imputation'];
const file = (k, s) => path.join(dir, `co2-${k}-s${s}-test.json`);
const rd = (k, s) => (fs.existsSync(file(k, s)) ? JSON.parse(fs.readFileSync(file(k, s), 'utf8')) : null);
const f = (v, d = 4) => v.toFixed(d);
const rows = [];
console.log('| seed | CRPS GP (ppm) | CRPS white | GP / white | CRPS linear | CRPS seasonal+trend | pass (GP <= 1.02 white, GP < linear, white < linear) | secondary: GP < seasonal+trend | ES GP / white | continuity GP / white | train s GP / white | commit |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of c.heldOutSeeds) {
  const g = rd('gp', s), w = rd('white', s);
  if (!g || !w) { console.log(`| ${s} | ${g ? f(g.crps) : 'not run'} | ${w ? f(w.crps) : 'not run'} | | | | | | | | | |`); continue; }
  const pass = [g.crps <= c.crpsGpVsWhite.maxRatio * w.crps, g.crps < g.linear.crps, w.crps < w.linear.crps];
  const secondary = g.crps < g.harmonic.crps;
  rows.push({ g, w, pass, secondary });
  const commit = [g, w].map((r) => r.git.commit.slice(0, 7) + (r.git.dirty ? '+' : '')).filter((v, i, a) => a.indexOf(v) === i).join(', ');
  console.log(`| ${s} | ${f(g.crps)} | ${f(w.crps)} | ${f(g.crps / w.crps, 3)} | ${f(g.linear.crps)} | ${f(g.harmonic.crps)} | ${pass.map((p) => (p ? 'yes' : 'NO')).join(', ')} | ${secondary ? 'yes' : 'NO'} | ${f(g.energyScore, 3)} / ${f(w.energyScore, 3)} | ${f(g.continuityRatio, 3)} / ${f(w.continuityRatio, 3)} | ${f(g.trainSeconds, 0)} / ${f(w.trainSeconds, 0)} | ${commit} |`);
}
const ms = (a, d = 4) => { const m = a.reduce((x, y) => x + y, 0) / a.length; const sd = a.length > 1 ? Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1)) : 0; return `${f(m, d)} +- ${f(sd, d)}`; };
if (rows.length) {
  console.log(`| mean +- sd (n = ${rows.length}) | ${ms(rows.map((r) => r.g.crps))} | ${ms(rows.map((r) => r.w.crps))} | ${ms(rows.map((r) => r.g.crps / r.w.crps), 3)} | ${f(rows[0].g.linear.crps)} | ${f(rows[0].g.harmonic.crps)} | | | ${ms(rows.map((r) => r.g.energyScore), 3)} / ${ms(rows.map((r) => r.w.energyScore), 3)} | ${ms(rows.map((r) => r.g.continuityRatio), 3)} / ${ms(rows.map((r) => r.w.continuityRatio), 3)} | | |`);
  const g = rows[0].g;
  console.log(`\nlinear interpolation: ensemble CRPS ${f(g.linear.crps)}, closed form ${f(g.linear.crpsClosedForm)}; seasonal+trend: ${f(g.harmonic.crps)}, closed form ${f(g.harmonic.crpsClosedForm)}`);
  console.log(`estimator: ${g.crpsEstimator}`);
  const groups = Object.keys(g.crpsByLength);
  const mean = (k) => groups.map((q) => f(rows.reduce((a, r) => a + r[k].crpsByLength[q].crps, 0) / rows.length, 3));
  console.log(`CRPS by block length (${groups.map((q) => `${q}: ${g.crpsByLength[q].weeks} weeks`).join(', ')}), mean over seeds:`);
  console.log(`  GP ${mean('g').join(' / ')}; white ${mean('w').join(' / ')}; linear ${groups.map((q) => f(g.linear.crpsByLength[q].crps, 3)).join(' / ')}; seasonal+trend ${groups.map((q) => f(g.harmonic.crpsByLength[q].crps, 3)).join(' / ')}`);
  console.log(`pinball (deciles), mean over seeds: GP ${f(rows.reduce((a, r) => a + r.g.pinballDeciles, 0) / rows.length)}, white ${f(rows.reduce((a, r) => a + r.w.pinballDeciles, 0) / rows.length)}, linear ${f(g.linear.pinballDeciles)}, seasonal+trend ${f(g.harmonic.pinballDeciles)}`);
  console.log(`all criteria on every seed: ${rows.every((r) => r.pass.every(Boolean)) && rows.length === c.heldOutSeeds.length ? 'yes' : 'NO'}; secondary on every seed: ${rows.every((r) => r.secondary) && rows.length === c.heldOutSeeds.length ? 'yes' : 'NO'}`);
}
