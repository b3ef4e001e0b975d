#!/usr/bin/env node
// Copies the addon built from source (build/Release/tensorfield.node) to prebuilds/<platform>-<arch>/, where the
// packed package carries it (npm "prepack" runs this), so `npm install tensorfield` needs no compiler.
//   node scripts/prebuild.js          copy (fails if there is no source build to copy)
//   node scripts/prebuild.js --clean  remove prebuilds/ (npm "postpack": a checkout keeps building from source)
const fs = require('fs');
const path = require('path');
const { ROOT, prebuildFile, sourceBuildFile } = require('./prebuild-path');

function main() {
  if (process.argv.includes('--clean')) {
    fs.rmSync(path.join(ROOT, 'prebuilds'), { recursive: true, force: true });
    return;
  }
  const src = sourceBuildFile(), dst = prebuildFile();
  if (!fs.existsSync(src)) {
    console.error(`prebuild: ${path.relative(ROOT, src)} is missing; build it first (npm run build:native)`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  // copy then rename, so a packer never sees half a binary
  fs.copyFileSync(src, `${dst}.tmp`);
  fs.renameSync(`${dst}.tmp`, dst);
  console.log(`prebuild: ${path.relative(ROOT, dst)} (${fs.statSync(dst).size} bytes)`);
}

main();
