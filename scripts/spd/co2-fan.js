#!/usr/bin/env node
// Fan chart of the imputed real missing weeks of statsmodels co2 (issue 25): the observed weekly series over
// [from, to) (decimal years) with, on each real missing run, the imputer's median and its 50 % and 90 % central
// bands, read from a scripts/spd/co2-impute.js result written with --real-gaps 1.
//
//   node scripts/spd/co2-fan.js lib/models/spd/results/co2-gp-s1-test.json lib/models/spd/figures/co2-gaps-1964.svg --from 1963.5 --to 1965.5
'use strict';
const fs = require('fs');
const { parseFlags } = require('../flags');
const spd = require('../../dist/models/spd');
const { saveFanChart } = require('../../dist/io');

const { positional: [input, out], o } = parseFlags(process.argv.slice(2), { from: 1963.5, to: 1965.5, title: '' },
  { usage: 'node scripts/spd/co2-fan.js <result.json> <out.svg> [--from year] [--to year] [--title text]', min: 2, max: 2 });
const r = JSON.parse(fs.readFileSync(input, 'utf8'));
if (!Array.isArray(r.realGaps)) throw new Error(`${input} has no realGaps (run co2-impute.js with --real-gaps 1)`);
const d = spd.co2ImputationData({ window: r.options.window });
// decimal year of a day count (days since 1970-01-01)
const year = (day) => { const t = new Date(day * 86400000), y = t.getUTCFullYear(); return y + (day * 86400000 - Date.UTC(y, 0, 1)) / (Date.UTC(y + 1, 0, 1) - Date.UTC(y, 0, 1)); };
const inside = (day) => year(day) >= o.from && year(day) < o.to;
const ox = [], oy = [];
for (let i = 0; i < d.days.length; i++) if (inside(d.days[i])) { ox.push(year(d.days[i])); oy.push(d.raw[i]); }
const fans = r.realGaps.filter((g) => g.weeks.every((w) => inside(w.day))).map((g) => ({
  x: g.weeks.map((w) => year(w.day)), median: g.weeks.map((w) => w.median),
  bands: [{ label: '90 %', lo: g.weeks.map((w) => w.q05), hi: g.weeks.map((w) => w.q95) }, { label: '50 %', lo: g.weeks.map((w) => w.q25), hi: g.weeks.map((w) => w.q75) }],
}));
const weeks = fans.reduce((a, f) => a + f.x.length, 0);
saveFanChart(out, {
  title: o.title || `co2 ${o.from}-${o.to}: ${weeks} real missing weeks imputed (${r.noise} noise, seed ${r.options.seed}, ${r.options.samples} samples)`,
  xLabel: 'year', yLabel: 'CO2 (ppm)', observed: { name: 'observed weekly', x: ox, y: oy }, fans,
});
console.log(`${out}: ${fans.length} runs, ${weeks} weeks, ${ox.length - weeks} observed weeks`);
