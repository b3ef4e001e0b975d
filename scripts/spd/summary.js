#!/usr/bin/env node
// Table of the NP benchmark's held-out runs (lib/models/spd/results/np-{gp,white}-s{1,2,3}.json) against
// scripts/spd/criteria.json: per seed and mean +- sample standard deviation. Usage: node scripts/spd/summary.js
'use strict';
const fs = require('fs');
const path = require('path');
const dir = path.join(__dirname, '../../lib/models/spd/results');
const c = JSON.parse(fs.readFileSync(path.join(__dirname, 'criteria.json'), 'utf8'))['np-benchmark'];
const seeds = [1, 2, 3].filter((s) => fs.existsSync(path.join(dir, `np-gp-s${s}.json`)) && fs.existsSync(path.join(dir, `np-white-s${s}.json`)));
const rd = (k, s) => JSON.parse(fs.readFileSync(path.join(dir, `np-${k}-s${s}.json`), 'utf8'));
const rows = seeds.map((s) => {
  const g = rd('gp', s), w = rd('white', s);
  const pass = { ql: g.qlRatio <= c.quantileLoss.max, contGp: g.continuityRatio >= c.continuity.gp[0] && g.continuityRatio <= c.continuity.gp[1],
    contWhite: w.continuityRatio > c.continuity.whiteMin, es: g.energyScore < w.energyScore };
  return { s, g, w, pass, commit: g.git.commit.slice(0, 7) + (g.git.dirty ? '+' : '') };
});
const f = (v, d = 3) => v.toFixed(d);
console.log('| seed | GP QL / oracle | white QL / oracle | continuity GP | continuity white | ES GP | ES white | pass (QL, cont GP, cont white, ES) | commit |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.s} | ${f(r.g.quantileLoss, 4)} / ${f(r.g.oracleQuantileLoss, 4)} = ${f(r.g.qlRatio)} | ${f(r.w.qlRatio)} | ${f(r.g.continuityRatio)} | ${f(r.w.continuityRatio, 1)} | ${f(r.g.energyScore, 4)} | ${f(r.w.energyScore, 4)} | ${Object.values(r.pass).map((p) => (p ? 'yes' : 'NO')).join(', ')} | ${r.commit} |`);
}
const ms = (a) => { const m = a.reduce((x, y) => x + y, 0) / a.length; const sd = a.length > 1 ? Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1)) : 0; return `${f(m)} +- ${f(sd)}`; };
if (rows.length) console.log(`| mean +- sd (n = ${rows.length}) | ${ms(rows.map((r) => r.g.qlRatio))} | ${ms(rows.map((r) => r.w.qlRatio))} | ${ms(rows.map((r) => r.g.continuityRatio))} | ${ms(rows.map((r) => r.w.continuityRatio))} | ${ms(rows.map((r) => r.g.energyScore))} | ${ms(rows.map((r) => r.w.energyScore))} | | |`);
