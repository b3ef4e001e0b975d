// The performance issue's conv denoiser (../shared/baselines/models.py ConvDenoiser: 1x28x28, 32/64 channels,
// GroupNorm(8), SiLU, sinusoidal time embedding -> MLP 128, one concat skip) as nn modules, in fp32 and after
// quantizeModel (every Linear / Conv2d int8, norms and activations fp32): images/s of one forward at batch 64,
// no grad, median of repeated runs, and the int8 model's output error against fp32.
// Run: `npm run build:ts && node bench/int8_unet.mjs [threads]`.
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const { nn, quant: Q } = tf;

const T = Number(process.argv[2] ?? 1);
tf.setNumThreads(T);
const info = tf.info();
console.log(`tensorfield int8 kernel ${info.int8Kernel} (fp32 ${info.isa}) | ${info.cpu} | ${T} thread(s) | node ${process.version}`);

class ResBlock extends nn.Module {
  constructor(cin, cout, tdim) {
    super();
    this.n1 = this.module('n1', new nn.GroupNorm(8, cin)); this.c1 = this.module('c1', new nn.Conv2d(cin, cout, 3, { padding: 1 }));
    this.t = this.module('t', new nn.Linear(tdim, cout));
    this.n2 = this.module('n2', new nn.GroupNorm(8, cout)); this.c2 = this.module('c2', new nn.Conv2d(cout, cout, 3, { padding: 1 }));
    this.skip = cin !== cout ? this.module('skip', new nn.Conv2d(cin, cout, 1)) : null;
  }
  forward(x, temb) {
    let h = this.c1.forward(this.n1.forward(x).silu());
    h = h.add(this.t.forward(temb).reshape(temb.shape[0], -1, 1, 1));
    h = this.c2.forward(this.n2.forward(h).silu());
    return (this.skip ? this.skip.forward(x) : x).add(h);
  }
}
export class ConvDenoiser extends nn.Module {
  constructor(c1 = 32, c2 = 64, temb = 64, tdim = 128) {
    super();
    this.temb = temb;
    this.tm1 = this.module('tm1', new nn.Linear(temb, tdim)); this.tm2 = this.module('tm2', new nn.Linear(tdim, tdim));
    this.inc = this.module('inc', new nn.Conv2d(1, c1, 3, { padding: 1 }));
    this.d1 = this.module('d1', new ResBlock(c1, c1, tdim));
    this.down = this.module('down', new nn.Conv2d(c1, c2, 3, { stride: 2, padding: 1 }));
    this.d2 = this.module('d2', new ResBlock(c2, c2, tdim));
    this.mid = this.module('mid', new ResBlock(c2, c2, tdim));
    this.upc = this.module('upc', new nn.Conv2d(c2, c1, 3, { padding: 1 }));
    this.u1 = this.module('u1', new ResBlock(2 * c1, c1, tdim));
    this.onorm = this.module('onorm', new nn.GroupNorm(8, c1)); this.outc = this.module('outc', new nn.Conv2d(c1, 1, 3, { padding: 1 }));
  }
  forward(x, cNoise) {
    const half = this.temb / 2;
    const a = cNoise.mul(1000).unsqueeze(1).mul(tf.arange(0, half).mul(-Math.log(10000) / half).exp());
    const temb = this.tm2.forward(this.tm1.forward(tf.cat([a.cos(), a.sin()], 1)).silu()).silu();
    const h0 = this.d1.forward(this.inc.forward(x), temb);
    let h = this.mid.forward(this.d2.forward(this.down.forward(h0), temb), temb);
    h = this.upc.forward(nn.functional.upsampleNearest(h, 2));
    h = this.u1.forward(tf.cat([h, h0], 1), temb);
    return this.outc.forward(this.onorm.forward(h).silu());
  }
}

function median(fn, n = 9) {
  for (let i = 0; i < 2; i++) fn();
  const ts = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); fn(); ts.push(performance.now() - s); }
  ts.sort((a, b) => a - b);
  return ts[n >> 1];
}

tf.manualSeed(0);
const B = 64;
const fp32 = new ConvDenoiser();
const int8 = new ConvDenoiser();
int8.loadStateDict(fp32.stateDict());
// calibration: EDM-noised inputs over the sampler's sigma range (c_noise = log(sigma) / 4), as a sampler sees them
const batch = () => {
  const sigma = tf.randn([B]).mul(1.2).sub(1.2).exp();
  const x = tf.randn([B, 1, 28, 28]).mul(sigma.reshape(-1, 1, 1, 1).square().add(0.25).sqrt().reciprocal());
  return [x, sigma.log().div(4)];
};
const calib = [0, 1, 2, 3].map(batch);
const t0 = performance.now();
const report = Q.quantizeModel(int8, calib, {});
console.log(`quantizeModel: ${(performance.now() - t0).toFixed(0)} ms for ${report.length} layers (4 calibration batches of ${B})`);
const [x, c] = batch();
const run = (m) => tf.noGrad(() => tf.tidy(() => { m.forward(x, c).dataSync(); }));
const tF = median(() => run(fp32));
const tQ = median(() => run(int8));
const yf = tf.noGrad(() => fp32.forward(x, c)), yq = tf.noGrad(() => int8.forward(x, c));
const rel = Math.sqrt(yq.sub(yf).square().sum().item() / yf.square().sum().item());
console.log('| model | ms per batch of 64 | images/s |');
console.log('|---|---|---|');
console.log(`| fp32 | ${tF.toFixed(1)} | ${(B * 1000 / tF).toFixed(0)} |`);
console.log(`| int8 (all ${report.filter((r) => r.quantized).length} Linear/Conv2d) | ${tQ.toFixed(1)} | ${(B * 1000 / tQ).toFixed(0)} |`);
console.log(`int8 / fp32 speed: ${(tF / tQ).toFixed(2)}x; int8 output relative error vs fp32: ${(100 * rel).toFixed(2)} %`);
if (process.env.REPORT) console.log(Q.formatReport(report));
if (process.env.PROFILE) {
  // time inside the Linear / Conv2d layers (fp32 and int8) against the whole forward
  for (const [name, m] of [['fp32', fp32], ['int8', int8]]) {
    let inside = 0;
    for (const [, l] of m.namedModules()) {
      if (!(l instanceof nn.Linear || l instanceof nn.Conv2d || l instanceof Q.QuantizedLinear || l instanceof Q.QuantizedConv2d)) continue;
      const f = l.forward.bind(l);
      l.forward = (...a) => { const s = performance.now(); const y = f(...a); inside += performance.now() - s; return y; };
    }
    inside = 0;
    const t = median(() => run(m), 5);
    console.log(`${name}: forward ${t.toFixed(0)} ms, Linear/Conv2d ${(inside / 7).toFixed(0)} ms`);
  }
}
