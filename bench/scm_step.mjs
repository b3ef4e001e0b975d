// Cost of one sCD (and sCT) training step against one TrigFlow teacher training step: same network (ScmMLP
// for points; for Fashion-MNIST 14x14 the double-normalised U-Net of the CLI methods), same batch, the real
// trainers (sampling t, the loss, backward, Adam, EMA). sCD adds a teacher forward and a forward-mode JVP
// through the student before its own forward/backward. Median over repeats.
// Run: npm run build:ts && TENSORFIELD_NUM_THREADS=1 node bench/scm_step.mjs [reps]   (REPS env also works)
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const scm = require('../dist/models/scm/index.js');
const { eightGaussians } = require('../dist/data/index.js');
const { UNet } = require('../dist/nn/models/unet.js');
const reps = Number(process.argv[2] ?? process.env.REPS ?? 15);
const SD = 0.5;
const configs = [
  { hidden: 128, blocks: 3, batch: 512 },
  { hidden: 256, blocks: 3, batch: 1024 },
  { unet: 16, batch: 64 },
];
// The CLI's image network (lib/models/scm/method.ts): levels x1, x2, one residual block each, c_noise(t) = t.
const unet = (ch) => new UNet({ inChannels: 1, imageSize: 14, baseChannels: ch, channelMult: [1, 2], numResBlocks: 1, groups: 8,
  noiseScale: 1, maxPeriod: 10, doubleNorm: true, dropout: 0 });

function median(fn) {
  for (let i = 0; i < 3; i++) fn(); // warm-up (allocator caches, Adam state)
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

tf.manualSeed(0);
const gmm = eightGaussians({ radius: Math.SQRT1_2, std: 0.05 });
const rows = [];
for (const c of configs) {
  const net = () => (c.unet ? unet(c.unet) : new scm.ScmMLP({ dim: 2, hidden: c.hidden, blocks: c.blocks, embDim: 64 }));
  // Images: uniform in [-1, 1] (the step's cost does not depend on the pixel values).
  const x0 = tf.keep(c.unet ? tf.rand([c.batch, 1, 14, 14]).mul(2).sub(1) : gmm.sample(c.batch));
  const teacherNet = net(), student = net(), sctNet = net();
  student.loadStateDict(teacherNet.stateDict());
  sctNet.loadStateDict(teacherNet.stateDict());
  const frozen = net();
  frozen.loadStateDict(teacherNet.stateDict());
  frozen.eval();
  const tt = new scm.TrigFlowTrainer(teacherNet, { sigmaD: SD, logvar: new scm.LogvarHead(128) });
  const scd = new scm.ConsistencyTrainer(student, { sigmaD: SD, mode: 'scd', teacher: (x, t) => frozen.forward(x, t), logvar: new scm.LogvarHead(128), warmupSteps: 1 });
  const sct = new scm.ConsistencyTrainer(sctNet, { sigmaD: SD, mode: 'sct', logvar: new scm.LogvarHead(128), warmupSteps: 1 });
  const teacherMs = median(() => tt.trainStep(x0));
  const scdMs = median(() => scd.trainStep(x0));
  const sctMs = median(() => sct.trainStep(x0));
  rows.push({ ...c, teacherMs, scdMs, sctMs });
  for (const m of [teacherNet, student, sctNet, frozen]) m.dispose();
  x0.dispose();
}

const info = tf.info();
console.log(`sCM step cost, ${info.isa}, ${info.threads} thread(s), median of ${reps} (after 3 warm-up steps)\n`);
console.log('| network | batch | teacher step (ms) | sCD step (ms) | sCT step (ms) | sCD / teacher | sCT / teacher |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.unet ? `U-Net ${r.unet} ch, 14x14` : `MLP ${r.hidden} x ${r.blocks}`} | ${r.batch} | ${r.teacherMs.toFixed(1)} | ${r.scdMs.toFixed(1)} | ${r.sctMs.toFixed(1)} | ${(r.scdMs / r.teacherMs).toFixed(2)} | ${(r.sctMs / r.teacherMs).toFixed(2)} |`);
}
const worst = Math.max(...rows.map((r) => r.scdMs / r.teacherMs));
console.log(`\ntarget (issue 10): sCD step <= 3x teacher step: ${worst <= 3 ? 'met' : 'NOT met'} (worst ratio ${worst.toFixed(2)})`);
