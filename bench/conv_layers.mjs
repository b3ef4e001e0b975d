// Per-layer convolution times of the conv U-Net (bench/conv_denoiser.mjs), batch 128: forward, input gradient and
// weight gradient of each distinct layer shape, at 1 and at T threads interleaved in one process (1, T, 1, T, ...)
// so a shared VM's slow phases fall on both; medians, and the parallel efficiency T1 / (T x TT) per row.
// The gradients run through autograd with only the input (or only the weight) requiring grad, timed as
// forward + backward minus the forward's median.
// Run: npm run build:ts && node bench/conv_layers.mjs [T=2] [reps=9]
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const T = Number(process.argv[2] ?? 2), reps = Number(process.argv[3] ?? 9);
const B = 128;
// name, Cin, Cout, k, H (input), stride; every 3x3 pads 1
const layers = [
  ['inc 1->32 @28', 1, 32, 3, 28, 1], ['d1 32->32 @28', 32, 32, 3, 28, 1], ['down 32->64 s2', 32, 64, 3, 28, 2],
  ['d2/mid 64->64 @14', 64, 64, 3, 14, 1], ['upc 64->32 @28', 64, 32, 3, 28, 1], ['u1.c1 64->32 @28', 64, 32, 3, 28, 1],
  ['u1.skip 64->32 1x1', 64, 32, 1, 28, 1], ['outc 32->1 @28', 32, 1, 3, 28, 1],
];
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const time = (f) => { const t0 = performance.now(); tf.tidy(() => { f(); }); return performance.now() - t0; };  // nothing kept
tf.manualSeed(0);
const rows = [];
let sum1 = 0, sumT = 0;
for (const [name, ci, co, k, H, s] of layers) {
  const x = tf.keep(tf.randn([B, ci, H, H])), w = tf.keep(tf.randn([co, ci, k, k]).mul(0.1));
  const opts = { padding: k === 3 ? 1 : 0, stride: s };
  const Ho = Math.floor((H + 2 * opts.padding - k) / s) + 1;
  const g = tf.keep(tf.randn([B, co, Ho, Ho]));
  const fwd = () => tf.conv2d(x, w, opts);
  const grad = (which) => () => {
    const xx = which === 'x' ? x.detach() : x, ww = which === 'w' ? w.detach() : w;
    (which === 'x' ? xx : ww).requiresGrad = true;
    tf.conv2d(xx, ww, opts).backward(g);
  };
  const cases = { forward: fwd, 'input grad': grad('x'), 'weight grad': grad('w') };
  const t = {};
  for (const [c, f] of Object.entries(cases)) {
    t[c] = { 1: [], [T]: [] };
    for (let r = 0; r < reps + 1; r++)
      for (const th of [1, T]) {
        tf.setNumThreads(th);
        const ms = time(f);
        if (r > 0) t[c][th].push(ms);  // the first round warms caches and the allocator
      }
  }
  if (process.env.DEBUG) console.log(name, JSON.stringify(t));
  const f1 = median(t.forward[1]), fT = median(t.forward[T]);
  for (const c of Object.keys(cases)) {
    const m1 = c === 'forward' ? f1 : median(t[c][1]) - f1, mT = c === 'forward' ? fT : median(t[c][T]) - fT;
    sum1 += m1; sumT += mT;
    rows.push({ layer: name, pass: c, ms1: +m1.toFixed(2), [`ms${T}`]: +mT.toFixed(2), eff: +(m1 / (T * mT)).toFixed(2) });
  }
  tf.dispose([x, w, g]);
}
console.log(`${'layer'.padEnd(20)} ${'pass'.padEnd(12)} ${'1T ms'.padStart(8)} ${(T + 'T ms').padStart(8)}  eff`);
for (const r of rows) console.log(`${r.layer.padEnd(20)} ${r.pass.padEnd(12)} ${r.ms1.toFixed(2).padStart(8)} ${r[`ms${T}`].toFixed(2).padStart(8)}  ${r.eff.toFixed(2)}`);
console.log(`all rows: ${sum1.toFixed(1)} ms at 1 thread, ${sumT.toFixed(1)} at ${T}: efficiency ${(sum1 / (T * sumT)).toFixed(2)} (${tf.info().cpu}, ${tf.info().isa})`);
