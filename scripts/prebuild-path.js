// Where the prebuilt addon for this machine lives inside the package, shared by scripts/prebuild.js,
// scripts/install.js and (as the same rule) lib/native.ts. One binary per platform and CPU architecture: the
// kernels pick their instruction set (scalar, AVX2, AVX-512) at load from CPUID, so one linux-x64 build serves
// every x86-64 CPU.
const path = require('path');

const ROOT = path.join(__dirname, '..');
const tag = (platform = process.platform, arch = process.arch) => `${platform}-${arch}`;
const prebuildFile = (root = ROOT) => path.join(root, 'prebuilds', tag(), 'tensorfield.node');
const sourceBuildFile = (root = ROOT) => path.join(root, 'build', 'Release', 'tensorfield.node');

module.exports = { ROOT, tag, prebuildFile, sourceBuildFile };
