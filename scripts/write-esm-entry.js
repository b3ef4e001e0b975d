// Writes dist/index.mjs: an ES module re-exporting the CommonJS build by name, so `import { tensor } from
// 'tensorfield'` works alongside `require('tensorfield')`.
const fs = require('fs');
const path = require('path');
const dist = path.join(__dirname, '..', 'dist');
const api = require(path.join(dist, 'index.js'));
const names = Object.keys(api).filter((k) => k !== 'default' && k !== '__esModule');
const lines = [
  "import cjs from './index.js';",
  ...names.map((n) => `export const ${n} = cjs.${n};`),
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
