#!/usr/bin/env node
// Markdown table of every run in lib/models/fdp/results/*.json, each judged against scripts/fdp/criteria.json.
//   node scripts/fdp/summary.js
'use strict';
const fs = require('fs');
const path = require('path');
const dir = path.join(__dirname, '..', '..', 'lib', 'models', 'fdp', 'results');
const crit = JSON.parse(fs.readFileSync(path.join(__dirname, 'criteria.json'), 'utf8'));
const f = (v, d = 3) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(d));
const rows = ['| run | data | model (params) | train s / steps | seed | leakage | amp W1 k=1,2,3 | MMD² (bound) | super-res MMD² (bound), fine-grid leakage | commit | verdict |',
  '|---|---|---|---|---|---|---|---|---|---|---|'];
for (const file of fs.readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'seed0-tuning.json').sort()) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const o = r.options, m = r.metrics, fl = r.floor;
  const c = crit[o.data];
  const bound = c.mmd2.factor * Math.max(fl.mmd2, 0) + c.mmd2.slack;
  const fails = [];
  const leakOk = o.data === 'bandlimited64' ? m.leakage < c.leakage.max : m.leakage <= m.leakageRef + c.leakage.maxExcess;
  if (!leakOk) fails.push('leakage');
  if (m.ampW1.some((v) => v >= c.ampW1.max)) fails.push('W1');
  if (!(m.mmd2 <= bound)) fails.push('MMD');
  let sr = '—';
  if (r.superRes) {
    const sb = 1.5 * Math.max(m.mmd2, 0) + 0.001;
    sr = `${f(r.superRes.metrics.mmd2, 4)} (${f(sb, 4)}), ${f(r.superRes.leakageFineGrid)}`;
    if (!(r.superRes.metrics.mmd2 <= sb) || !(r.superRes.leakageFineGrid < 0.05)) fails.push('super-res');
  }
  const held = o.seed !== 0 ? 'held-out' : 'seed 0 (tuning)';
  rows.push(`| ${file} | ${o.data} (n gen ${o.nGen}, floor sets ${r.sizes ? r.sizes.floorSets.join('/') : '?'}) | ${o.model} (${r.params}) | ${r.trainSeconds.toFixed(0)} / ${r.steps} | ${o.seed} ${held} | ${f(m.leakage)} (ref ${f(m.leakageRef)}) | ${m.ampW1.map((v) => f(v)).join(', ')} | ${f(m.mmd2, 4)} (${f(bound, 4)}) | ${sr} | ${r.record.git ? r.record.git.commit.slice(0, 7) + (r.record.git.dirty ? ' (dirty)' : '') : '?'} | ${fails.length ? 'FAIL: ' + fails.join(', ') : 'pass'} |`);
}
console.log(rows.join('\n'));
