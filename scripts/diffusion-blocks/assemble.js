#!/usr/bin/env node
// Kept for the commands in the README: the same as `tensorfield assemble --out <out> --runs <run>,<run>,...`
// (lib/cli/assemble.ts).
//
//   npm run build:ts
//   node scripts/diffusion-blocks/assemble.js <out> <run for block 0> <run for block 1> ...   (any order)
'use strict';
require('../../dist/models');
const { assembleCommand } = require('../../dist/cli/assemble');

const [out, ...dirs] = process.argv.slice(2);
if (!out || dirs.length === 0) { console.error('usage: assemble.js <out> <run>...'); process.exit(2); }
assembleCommand(['--out', out, '--runs', dirs.join(',')]);
