// Where int8 pays, layer by layer (issue 26): every Linear and Conv2d of the EDM U-Net the quantization experiment
// uses (lib/models/edm: 32 / 64 channels, one res block per level, attention at the lower level), at 14x14 and 28x28,
// batch 64: the float32 layer against its int8 layer on the paper's scheme (uint8 input coded from static
// parameters, int8 weights per output channel, the output coded to uint8 and decoded again: two roundings) and
// against the same int8 layer without the output coding. Each layer runs on the input calibration gave it (the
// first calibration batch: EDM-noised images at mixed levels). Float, int8 and int8-without-output alternate in one
// process (a shared VM's slow phases fall on all three); medians of `reps` rounds after one warm-up round.
// Run: npm run build:ts && node bench/int8_layers.mjs [threads=1] [reps=15]
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const { nn, quant: Q } = tf;

const T = Number(process.argv[2] ?? 1), reps = Number(process.argv[3] ?? 15);
tf.setNumThreads(T);
const B = 64;
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const time = (f) => { const t0 = performance.now(); tf.tidy(() => { f(); }); return performance.now() - t0; };
const info = tf.info();
console.log(`int8 kernel ${info.int8Kernel}, fp32 ${info.isa} | ${info.cpu} | ${T} thread(s) | batch ${B} | ${reps} rounds`);

const rows = [];
for (const size of [14, 28]) {
  tf.manualSeed(0);
  const net = new nn.models.UNet({ inChannels: 1, imageSize: size, baseChannels: 32, channelMult: [1, 2], numResBlocks: 1, groups: 8, noiseScale: 100 });
  net.eval();
  // EDM-noised inputs at log-normal levels (c_in x, c_noise = ln(sigma) / 4), as the calibration of the recipe sees
  const sigma = tf.randn([B]).mul(1.2).sub(1.2).exp();
  const x = tf.randn([B, 1, size, size]).mul(sigma.reshape(-1, 1, 1, 1)).mul(sigma.reshape(-1, 1, 1, 1).square().add(0.25).rsqrt());
  const { layers } = Q.prepareQat(net, { observer: { kind: 'moving', momentum: 0.01 }, quantizeOutputs: true });
  Q.calibrate(net, [[x, sigma.log().div(4)]]);
  for (const [name, l] of layers) {
    const input = l.sample;
    const spec = l.spec();
    const mk = (s) => (l instanceof Q.QatLinear ? new Q.QuantizedLinear(s) : new Q.QuantizedConv2d(s, { stride: l.conv.opts.stride, padding: l.conv.opts.padding, dilation: l.conv.opts.dilation }));
    const scheme = mk(spec), noOut = mk({ ...spec, weight: spec.weight.clone(), wScale: spec.wScale.clone(), bias: spec.bias ? spec.bias.clone() : null, output: null });
    const cases = { float32: () => l.float.forward(input), int8: () => scheme.forward(input), 'int8 no out': () => noOut.forward(input) };
    const t = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (let r = 0; r <= reps; r++)
      for (const [k, f] of Object.entries(cases)) { const ms = time(f); if (r > 0) t[k].push(ms); }
    const w = l.weight.shape;
    const shape = w.length === 4 ? `conv ${w[1]}->${w[0]} ${w[2]}x${w[3]} @${input.shape[2]}x${input.shape[3]}` : `linear ${w[1]}->${w[0]}`;
    const f = median(t.float32), q = median(t.int8), q0 = median(t['int8 no out']);
    rows.push({ size, name, shape, float32: f, int8: q, int8NoOut: q0 });
    scheme.dispose(); noOut.dispose();
  }
  net.dispose();
}
console.log(`${'image'.padEnd(6)}${'layer'.padEnd(30)}${'shape'.padEnd(28)}${'fp32 ms'.padStart(9)}${'int8 ms'.padStart(9)}${'speed'.padStart(7)}${'no-out ms'.padStart(11)}${'speed'.padStart(7)}`);
for (const r of rows)
  console.log(`${String(r.size).padEnd(6)}${r.name.padEnd(30)}${r.shape.padEnd(28)}${r.float32.toFixed(3).padStart(9)}${r.int8.toFixed(3).padStart(9)}${(r.float32 / r.int8).toFixed(2).padStart(7)}${r.int8NoOut.toFixed(3).padStart(11)}${(r.float32 / r.int8NoOut).toFixed(2).padStart(7)}`);
for (const size of [14, 28]) {
  const s = rows.filter((r) => r.size === size), sum = (k) => s.reduce((a, r) => a + r[k], 0);
  console.log(`${size}x${size}: all layers fp32 ${sum('float32').toFixed(2)} ms, int8 ${sum('int8').toFixed(2)} (${(sum('float32') / sum('int8')).toFixed(2)}x), without output coding ${sum('int8NoOut').toFixed(2)} (${(sum('float32') / sum('int8NoOut')).toFixed(2)}x)`);
}
if (process.env.JSON_OUT) require('fs').writeFileSync(process.env.JSON_OUT, JSON.stringify({ info: { cpu: info.cpu, isa: info.isa, int8Kernel: info.int8Kernel, threads: T, batch: B, reps }, rows }, null, 1));
