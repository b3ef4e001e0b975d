// Forward-mode and double-backward cost on the conv denoiser, relative to the plain forward / backward.
// Run: node bench/jvp.mjs [batch] (after `npm run build:ts`); PyTorch side: /usr/bin/python3 bench/jvp_torch.py.
import { createRequire } from 'module';
import { makeConvDenoiser } from './conv_denoiser.mjs';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const B = Number(process.argv[2] ?? 32);
const reps = Number(process.env.REPS ?? 7);
tf.manualSeed(0);
const net = makeConvDenoiser(tf);
const params = Object.values(net.params);
const x = tf.keep(tf.randn([B, 1, 28, 28])), t = tf.keep(tf.rand([B]));
const tx = tf.keep(tf.randn([B, 1, 28, 28])), tt = tf.keep(tf.ones([B]));

function median(fn) {
  fn();  // warm-up
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    tf.tidy(fn);
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

const fwd = median(() => tf.noGrad(() => net.forward(x, t)));
const jvp = median(() => tf.noGrad(() => tf.func.jvp((a, b) => net.forward(a, b), [x, t], [tx, tt])));
params.forEach((p) => (p.requiresGrad = true));
const bwd = median(() => { net.forward(x, t).square().mean().backward(); params.forEach((p) => (p.grad = null)); });
const fwdGrad = median(() => net.forward(x, t).square().mean());
const xr = x.detach().requiresGrad_();
const cg = median(() => {
  const y = net.forward(xr, t).square().mean();
  tf.autograd.grad(y, [xr, ...params], { createGraph: true });
});
const info = tf.info();
console.log(JSON.stringify({ engine: 'tensorfield', isa: info.isa, threads: info.threads, batch: B,
  forward_ms: fwd, forward_jvp_ms: jvp, jvp_ratio: jvp / fwd,
  backward_ms: bwd - fwdGrad, create_graph_backward_ms: cg - fwdGrad, create_graph_ratio: (cg - fwdGrad) / (bwd - fwdGrad) }, null, 1));
