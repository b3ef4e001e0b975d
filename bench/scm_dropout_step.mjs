// Cost of dropout in sCT: one sCT training step on the CLI's Fashion-MNIST 14x14 U-Net (16 channels, batch 64)
// at dropout 0 and 0.2, alternated twice so a drift in the machine's load shows. The step includes the mask
// replay of scmLoss (the JVP pass and the gradient pass draw the same masks). Median over repeats.
// Run: npm run build:ts && TENSORFIELD_NUM_THREADS=1 node bench/scm_dropout_step.mjs [reps]
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const scm = require('../dist/models/scm/index.js');
const { UNet } = require('../dist/nn/models/unet.js');
const reps = Number(process.argv[2] ?? 9);

for (const p of [0, 0.2, 0, 0.2]) {
  tf.manualSeed(0);
  const net = new UNet({ inChannels: 1, imageSize: 14, baseChannels: 16, channelMult: [1, 2], numResBlocks: 1, groups: 8,
    noiseScale: 1, maxPeriod: 10, doubleNorm: true, dropout: p });
  const tr = new scm.ConsistencyTrainer(net, { sigmaD: 0.5, mode: 'sct', warmupSteps: 10, logvar: new scm.LogvarHead(128) });
  const x0 = tf.randn([64, 1, 14, 14]).mul(0.5);
  const ts = [];
  for (let i = 0; i < reps + 3; i++) {  // the first 3 are warm-up (allocator caches, Adam state)
    const t0 = process.hrtime.bigint();
    tf.tidy(() => tr.trainStep(x0));
    if (i >= 3) ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  console.log(`dropout ${p}: sCT step median ${ts[ts.length >> 1].toFixed(1)} ms (min ${ts[0].toFixed(1)}, max ${ts[ts.length - 1].toFixed(1)})`);
  x0.dispose();
  net.dispose();
}
