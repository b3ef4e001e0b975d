#!/usr/bin/env node
// Joins 'dblocks' runs that each trained one block (`tensorfield train --method dblocks --stem own --block i`)
// into one run folder that `tensorfield sample` / `eval` open like any other: its config is the runs' with
// block -1, its checkpoint holds block i's parameters from the run that trained block i (assembleBlocks) and no
// optimizer moments (an assembled run samples; it does not resume training).
//
//   npm run build:ts
//   node scripts/diffusion-blocks/assemble.js <out> <run for block 0> <run for block 1> ...   (any order)
'use strict';
const fs = require('fs');
const tf = require('../../dist/index.js');
require('../../dist/models');
const DB = require('../../dist/models/diffusion-blocks');
const { openRun } = require('../../dist/cli/train');
const { files, writeJson } = require('../../dist/cli/run-dir');
const { saveCheckpoint } = require('../../dist/io/checkpoint');

const [out, ...dirs] = process.argv.slice(2);
if (!out || dirs.length === 0) throw new Error('usage: assemble.js <out> <run>...');
if (fs.existsSync(files(out).checkpoint)) throw new Error(`${out} already holds a checkpoint; choose a new folder`);
const opened = dirs.map((d) => ({ dir: d, ...openRun(d, () => {}) }));
const first = opened[0].cfg;
for (const { dir, cfg } of opened) {
  if (cfg.method !== 'dblocks') throw new Error(`${dir}: method '${cfg.method}', not dblocks`);
  if (!(cfg.options.block >= 0)) throw new Error(`${dir}: trained every block (block ${cfg.options.block}); pass runs of one block each`);
  const a = { ...cfg.options, block: 0 }, b = { ...first.options, block: 0 };
  if (JSON.stringify(a) !== JSON.stringify(b) || cfg.data !== first.data)
    throw new Error(`${dir}: options or data differ from ${opened[0].dir}'s; blocks of one model must share them`);
}
const cfg = { ...first, options: { ...first.options, block: -1 }, train: { ...first.train, assembledFrom: dirs.join(',') } };
const target = opened[0].run;  // its own block is already in place; assembleBlocks copies every block anyway
const sources = opened.map(({ cfg: c, run }) => ({ block: c.options.block, net: run.model }));
DB.assembleBlocks(target.model, sources);
target.optimizer.adams.fill(null);
writeJson(files(out).config, cfg);
saveCheckpoint(files(out).checkpoint, { model: target.model, optimizer: target.optimizer, step: Math.max(...opened.map((r) => r.step)) });
console.log(`assembled blocks ${sources.map((s) => s.block).join(', ')} from ${dirs.join(', ')} into ${out}`);
void tf;
