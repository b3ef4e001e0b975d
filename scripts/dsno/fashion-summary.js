#!/usr/bin/env node
// The table of DSNO experiment B from the per-draw records of scripts/dsno/fashion.js:
//   node scripts/dsno/fashion-summary.js lib/models/dsno/results/fashion-draw{0,1,2}.json
// Prints, per sampler, FD_cls per draw and mean ± sd (sample sd over the draws), the intermediate-slice errors,
// the floor, and the issue's two criteria on the means.
'use strict';
const fs = require('fs');

const files = process.argv.slice(2);
if (!files.length) { console.error('usage: node scripts/dsno/fashion-summary.js <draw.json> ...'); process.exit(1); }
const recs = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a) => (a.length < 2 ? 0 : Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1)));
const f2 = (v) => v.toFixed(2);
const samplers = recs[0].rows.map((r) => r.sampler);
const by = {};
for (const s of samplers) by[s] = recs.map((rec) => rec.rows.find((r) => r.sampler === s));
console.log(`draws: ${recs.map((r) => r.seed).join(', ')}; n = ${recs.map((r) => r.n).join(', ')}; commit ${recs.map((r) => (r.record.git ? r.record.git.commit.slice(0, 7) + (r.record.git.dirty ? '+dirty' : '') : '?')).join(', ')}`);
const fl = recs.map((r) => r.floor).filter(Boolean);
if (fl.length) console.log(`real-data floor at n = ${fl[0].n}: ${fl.map((f) => `${f2(f.mean)} ± ${f2(f.sd)}`).join('; ')}`);
console.log(`| sampler | NFE | ${recs.map((r) => `draw ${r.seed}`).join(' | ')} | mean ± sd | classifier score (mean) |`);
console.log(`|---|---|${recs.map(() => '---').join('|')}|---|---|`);
const stat = {};
for (const s of samplers) {
  const rows = by[s];
  const v = rows.map((r) => r.fdCls);
  stat[s] = { mean: mean(v), sd: sd(v), v };
  console.log(`| ${s} | ${rows[0].nfe} | ${v.map(f2).join(' | ')} | ${f2(mean(v))} ± ${f2(sd(v))} | ${f2(mean(rows.map((r) => r.classifierScore)))} |`);
}
for (const s of samplers) if (by[s][0].interMse) {
  const M = by[s][0].interMse.length;
  const per = Array.from({ length: M }, (_, k) => mean(by[s].map((r) => r.interMse[k])));
  console.log(`${s}: per-slice MSE against the teacher's 64-step trajectory (sigma_d units, mean over draws): ${per.map((x) => x.toExponential(2)).join(', ')}; slices 1-${M - 1} mean ${mean(per.slice(0, M - 1)).toExponential(2)}`);
}
const t4 = samplers.find((s) => /teacher.* 4 NFE/.test(s)), t64 = samplers.find((s) => /teacher.* 64 NFE/.test(s));
for (const s of samplers.filter((x) => x.startsWith('dsno'))) {
  const m = stat[s].mean;
  console.log(`${s}: (1) ${f2(m)} <= 1.5 x ${f2(stat[t64].mean)} = ${f2(1.5 * stat[t64].mean)}: ${m <= 1.5 * stat[t64].mean ? 'met' : 'NOT met'} (ratio ${(m / stat[t64].mean).toFixed(3)}; per draw ${stat[s].v.map((v, i) => (v / stat[t64].v[i]).toFixed(3)).join(', ')}); ` +
    `(2) ${f2(m)} < ${f2(stat[t4].mean)}: ${m < stat[t4].mean ? 'met' : 'NOT met'}`);
}
