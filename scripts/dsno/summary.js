#!/usr/bin/env node
// The README table of DSNO experiment A from the runs' results.json files (scripts/dsno/dsno-2d.js):
//   node scripts/dsno/summary.js <results.json> ...
'use strict';
const fs = require('fs');
const f3 = (v) => (v >= 0 ? ' ' : '') + v.toFixed(3);
const rows = [];
for (const file of process.argv.slice(2)) {
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  const t256 = r.rows.find((x) => x.name.startsWith('teacher') && x.nfe === 256);
  const dsno = r.rows.find((x) => x.name.startsWith('DSNO modes') && !x.name.includes('ablation'));
  const abl = r.rows.find((x) => x.name.includes('ablation'));
  const c = r.criteria;
  const yes = (b) => (b === null ? 'n/a' : b ? 'met' : '**not met**');
  rows.push(`| ${r.record.seeds.train} | ${r.options.steps} | ${r.record.git.commit.slice(0, 7)}${r.record.git.dirty ? ' (+ uncommitted edits)' : ''} | ${f3(dsno.logp)} ± ${dsno.logpSe.toFixed(3)} | ${f3(dsno.logp - t256.logp)} | ${dsno.tv.toFixed(3)} | ${dsno.off.toFixed(3)} | ${dsno.interMse.toExponential(2)} | ${abl ? f3(abl.logp) : '-'} | ${abl ? abl.interMse.toExponential(2) : '-'} | ${yes(c.within02OfTeacher256)} | ${yes(c.beatsTeacher1 && c.beatsTeacher2 && c.beatsTeacher4)} | ${yes(c.modeTv005)} | ${yes(c.ablationWorseIntermediate)} |`);
}
console.log('| train seed | steps | commit | DSNO E[log p] | minus teacher(256) | TV | off-mode | DSNO interm. MSE | ablation E[log p] | ablation interm. MSE | (1) 0.2 nats | (2) beats 1/2/4 steps | (3) TV | (4) ablation worse |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
