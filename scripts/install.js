#!/usr/bin/env node
// npm "install": uses the prebuilt addon shipped in the package when it loads on this machine, else builds
// from source with node-gyp (g++ and the Node headers needed). A git checkout has no prebuilds/ (ignored, and
// removed after `npm pack`), so `npm install` / `npm ci` there always builds from source, as CI expects.
//   TENSORFIELD_BUILD_FROM_SOURCE=1 (or npm's --build-from-source)  build even when a prebuild is there
//   node scripts/install.js --dry-run                               print the decision, build nothing
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, prebuildFile } = require('./prebuild-path');

function decide() {
  const forced = process.env.TENSORFIELD_BUILD_FROM_SOURCE || process.env.npm_config_build_from_source;
  if (forced && forced !== '0' && forced !== 'false') return { build: true, why: 'a source build was asked for' };
  const file = prebuildFile();
  if (!fs.existsSync(file)) return { build: true, why: `no prebuilt binary for ${process.platform}-${process.arch}` };
  try {
    // Load it once here: a binary that exists but cannot load (another libc, a too-old libstdc++) must not stop
    // the source build that would have worked.
    require(file);
  } catch (e) {
    return { build: true, why: `the prebuilt binary does not load here (${e.message.split('\n')[0]})` };
  }
  return { build: false, why: `using the prebuilt binary ${path.relative(ROOT, file)}` };
}

function main() {
  const d = decide();
  if (!d.build || process.argv.includes('--dry-run')) {
    console.log(`tensorfield install: ${d.build ? 'would build from source' : 'prebuilt'}: ${d.why}`);
    return;
  }
  console.log(`tensorfield install: building from source (${d.why})`);
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '-j', 'max'], { cwd: ROOT, stdio: 'inherit' });
  if (r.error) throw r.error;
  process.exit(r.status ?? 1);
}

main();
