// Fused denoising steps against the same update composed from engine ops (tinybench medians), on an image batch
// the size of the performance issue's sampler (256 x 1 x 28 x 28 float32 = 200k elements, 0.8 MB per tensor).
// Run: `node bench/fused_steps.mjs` (after `npm run build:ts`); TENSORFIELD_NUM_THREADS=1 for one thread.
import { Bench } from 'tinybench';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const S = tf.samplers;

const info = tf.info();
console.log(`tensorfield ${info.isa} | ${info.cpu} | ${info.threads} threads | node ${process.version}`);
tf.manualSeed(0);
const shape = [256, 1, 28, 28];
const [x, d, xe, dn] = [0, 1, 2, 3].map(() => tf.randn(shape));
const n = tf.randint(0, 256, shape).float(), y = tf.rand(shape).mul(60);
const q = tf.full(shape, 0.1);

const cases = {
  'euler': [() => S.eulerStep(x, d, 1.5, 1.2), () => x.add(x.sub(d).div(1.5).mul(-0.3))],
  'heun correction': [() => S.heunStep(x, d, xe, dn, 1.5, 1.2),
    () => x.add(x.sub(d).div(1.5).add(xe.sub(dn).div(1.2)).mul(-0.15))],
  'edm churn (noise)': [() => S.edmChurn(x, 1, 1.2), () => x.add(tf.randn(shape).mul(Math.sqrt(1.44 - 1)))],
  'ddim eta=1 (noise)': [() => S.ddimStep(x, d, 0.3, 0.5, 1), () => {
    const s = Math.sqrt((0.5 / 0.7) * (1 - 0.3 / 0.5));
    const x0 = x.sub(d.mul(Math.sqrt(0.7))).div(Math.sqrt(0.3));
    return x0.mul(Math.sqrt(0.5)).add(d.mul(Math.sqrt(0.5 - s * s))).add(tf.randn(shape).mul(s));
  }],
  'interpolant sde (noise)': [() => S.interpolantSdeStep(x, d, xe, 0.5, 0.01),
    () => x.add(d.add(xe.mul(0.5)).mul(0.01)).add(tf.randn(shape).mul(Math.sqrt(0.01)))],
  'dpm-solver++(2M)': [() => S.dpmpp2mStep(x, d, dn, 1, 1.5, 1, 1.2, 0.3), () => {
    const h = Math.log(1.5 / 1.2), r = 0.3 / h;
    return x.mul(1.2 / 1.5).sub(d.mul(1 + 1 / (2 * r)).sub(dn.mul(1 / (2 * r))).mul(Math.expm1(-h)));
  }],
  'binomial bridge': [() => S.binomialBridgeStep(n, y, 0.2, 0.3, 255),
    () => n.add(tf.binomial(y.add(0.5).floor().minimum(n.neg().add(255)).clamp(0, Infinity), q))],
};

const bench = new Bench({ time: 1500, warmupTime: 300 });
for (const [name, [fused, composed]] of Object.entries(cases)) {
  bench.add(`${name}: fused`, () => tf.tidy(() => { fused(); }));
  bench.add(`${name}: composed`, () => tf.tidy(() => { composed(); }));
}
await bench.run();
const med = (t) => t.result.latency.p50 ?? t.result.latency.median;
const rows = bench.tasks.map((t) => ({ name: t.name, ms: med(t) }));
for (let i = 0; i < rows.length; i += 2) {
  const [f, c] = [rows[i], rows[i + 1]];
  console.log(`${f.name.replace(': fused', '').padEnd(26)} fused ${f.ms.toFixed(3)} ms   composed ${c.ms.toFixed(3)} ms   ${(c.ms / f.ms).toFixed(2)}x`);
}
