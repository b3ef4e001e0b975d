// Cuts the class-balanced Fashion-MNIST subset shipped in assets/fashion-mnist from the Debian package:
// the first 300 training and 100 test images of each class, in their original order. Run after `npm run build:ts`:
//   node scripts/cut-fashion-subset.js
'use strict';
const fs = require('fs');
const path = require('path');
const { readIdx, encodeIdx } = require('../dist/data/idx');

const SRC = '/usr/share/datasets/fashion-mnist';
const DST = path.join(__dirname, '..', 'assets', 'fashion-mnist');
const PER_CLASS = { train: 300, t10k: 100 };

fs.mkdirSync(DST, { recursive: true });
for (const [stem, per] of Object.entries(PER_CLASS)) {
  const img = readIdx(path.join(SRC, `${stem}-images-idx3-ubyte.gz`));
  const lbl = readIdx(path.join(SRC, `${stem}-labels-idx1-ubyte.gz`));
  const [n, h, w] = img.dims;
  const taken = new Array(10).fill(0);
  const keep = [];
  for (let i = 0; i < n; i++) if (taken[lbl.data[i]] < per) { taken[lbl.data[i]]++; keep.push(i); }
  const images = new Uint8Array(keep.length * h * w);
  const labels = new Uint8Array(keep.length);
  keep.forEach((i, k) => {
    images.set(img.data.subarray(i * h * w, (i + 1) * h * w), k * h * w);
    labels[k] = lbl.data[i];
  });
  fs.writeFileSync(path.join(DST, `${stem}-images-idx3-ubyte.gz`), encodeIdx([keep.length, h, w], images));
  fs.writeFileSync(path.join(DST, `${stem}-labels-idx1-ubyte.gz`), encodeIdx([keep.length], labels));
  console.log(`${stem}: ${keep.length} images`);
}
