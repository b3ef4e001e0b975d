// One 3x3 convolution forward repeated: mean ms per call over `reps` calls after 5 warm-up calls. For A/B checks
// of two builds of the addon (TENSORFIELD_ADDON=path/to/tensorfield.node), alternated by the caller.
// Run: npm run build:ts && node bench/conv_repeat.mjs [threads=1] [N,C,O,H=128,32,32,28] [reps=150]
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const T = Number(process.argv[2] ?? 1);
const [N, C, O, H] = (process.argv[3] ?? '128,32,32,28').split(',').map(Number);
const reps = Number(process.argv[4] ?? 150);
tf.setNumThreads(T);
const x = tf.keep(tf.randn([N, C, H, H])), w = tf.keep(tf.randn([O, C, 3, 3]).mul(0.1));
for (let i = 0; i < 5; i++) tf.tidy(() => { tf.conv2d(x, w, { padding: 1 }); });
const t0 = performance.now();
for (let i = 0; i < reps; i++) tf.tidy(() => { tf.conv2d(x, w, { padding: 1 }); });
console.log(JSON.stringify({ bench: 'conv2d 3x3 forward', shape: [N, C, H, H], out: O, threads: T, reps, ms: (performance.now() - t0) / reps }));
