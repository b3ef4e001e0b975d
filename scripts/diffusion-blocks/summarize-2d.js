#!/usr/bin/env node
// Applies scripts/diffusion-blocks/criteria.json to the held-out 2-D runs in lib/models/diffusion-blocks/results
// (<config>-s<seed>.json) and prints the README's tables (markdown) and verdicts; writes results/summary-2d.json.
//   node scripts/diffusion-blocks/summarize-2d.js [criteria file, default criteria.json]
// A criteria file may name a run-name suffix (criteria-ema.json: "suffix": "-ema", runs <config>-ema-s<seed>.json)
// and its summary file ("summary": "summary-2d-ema.json").
'use strict';
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '../../lib/models/diffusion-blocks/results');
const C = JSON.parse(fs.readFileSync(process.argv[2] ?? path.join(__dirname, 'criteria.json'), 'utf8'));
const SUFFIX = C.suffix ?? '';
const CONFIGS = ['e2e', 'b3', 'b4', 'b4-g0', 'b4-uni-g0'];
const runs = {};
for (const c of CONFIGS) {
  runs[c] = C.heldOutSeeds.map((s) => {
    const f = path.join(dir, `${c}${SUFFIX}-s${s}.json`);
    return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
  }).filter(Boolean);
}
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v) => (v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)) : NaN);
const lp = (c) => runs[c].map((r) => r.meanLogProb);
const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

console.log('| config | seed | E[log p_true] (± s.e.) | mode TV | modes hit | off-mode | step peak (MB) | shared (MB) | optimizer state (MB) | train s | sample s/eval | commit |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const c of CONFIGS) for (const r of runs[c]) {
  console.log(`| ${c} | ${r.options.seed} | ${fmt(r.meanLogProb)} ± ${fmt(r.meanLogProbStdError)} | ${fmt(r.modeTV, 4)} | ${r.modesHit} | ${fmt(r.offModeFraction, 4)} | ` +
    `${fmt(r.stepPeakBytes / 1e6, 2)} | ${fmt(r.sharedStepBytes / 1e6, 2)} | ${fmt(r.optimizerStateBytes / 1e6, 2)} | ${fmt(r.trainSeconds, 0)} | ${(r.sampleSecondsPerEval * 1e3).toFixed(2)} ms | ${r.record.git?.commit?.slice(0, 7) ?? '?'}${r.record.git?.dirty ? '+dirty' : ''} |`);
}
console.log('\n| config | seeds | mean E[log p_true] | s.d. over seeds | mean mode TV | max mode TV |');
console.log('|---|---|---|---|---|---|');
for (const c of CONFIGS) {
  if (!runs[c].length) continue;
  const tv = runs[c].map((r) => r.modeTV);
  console.log(`| ${c} | ${runs[c].map((r) => r.options.seed).join(', ')} | ${fmt(mean(lp(c)))} | ${fmt(sd(lp(c)))} | ${fmt(mean(tv), 4)} | ${fmt(Math.max(...tv), 4)} |`);
}

const verdicts = [];
const have = (...cs) => cs.every((c) => runs[c].length === C.heldOutSeeds.length);
for (const c of ['b3', 'b4']) {
  if (!have('e2e', c)) { verdicts.push([`${c}: E[log p] within ${C.logProbWithinNats}`, 'not run']); continue; }
  const gap = mean(lp('e2e')) - mean(lp(c));
  verdicts.push([`${c}: mean E[log p] >= e2e - ${C.logProbWithinNats} (gap ${fmt(gap)})`, gap <= C.logProbWithinNats ? 'met' : 'NOT met']);
  const tv = Math.max(...runs[c].map((r) => r.modeTV));
  verdicts.push([`${c}: every mode TV <= ${C.modeTVMax} (max ${fmt(tv, 4)})`, tv <= C.modeTVMax ? 'met' : 'NOT met']);
  const B = runs[c][0].blocks, e2ePeak = mean(runs.e2e.map((r) => r.stepPeakBytes));
  const worst = Math.max(...runs[c].map((r) => r.stepPeakBytes / (e2ePeak / B + r.sharedStepBytes)));
  verdicts.push([`${c}: step peak <= ${1 + C.memoryTolerance} x (e2e/B + shared) (worst ratio ${fmt(worst)})`, worst <= 1 + C.memoryTolerance ? 'met' : 'NOT met']);
}
if (have('b4-g0', 'b4-uni-g0')) {
  const d = mean(lp('b4-g0')) - mean(lp('b4-uni-g0'));
  verdicts.push([`equiprob beats uniform at B 4, overlap 0 (difference ${fmt(d)} nats)`, d > 0 ? 'met' : 'NOT met']);
} else verdicts.push(['equiprob beats uniform', 'not run']);
if (have('b4', 'b4-g0')) {
  const d = mean(lp('b4')) - mean(lp('b4-g0'));
  verdicts.push([`overlap 0.1 no worse than 0 by more than ${C.overlapMarginNats} (difference ${fmt(d)} nats)`, d >= -C.overlapMarginNats ? 'met' : 'NOT met']);
} else verdicts.push(['overlap 0.1 no worse than 0', 'not run']);
console.log('\n| criterion | verdict |\n|---|---|');
for (const [k, v] of verdicts) console.log(`| ${k} | ${v} |`);
fs.writeFileSync(path.join(dir, C.summary ?? 'summary-2d.json'), JSON.stringify({ criteria: C, verdicts }, null, 1) + '\n');
