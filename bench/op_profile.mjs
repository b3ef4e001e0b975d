// Wall time per native entry point during the conv U-Net training step (bench/train.mjs conv), so a thread
// sweep shows which ops do not scale: run it at 1 and at 2 threads and compare the rows.
// Every function of the addon's exports is wrapped before the library loads (require's cache hands the library
// the same object); times are inclusive wall ms per step, summed over calls, median step count from `steps`.
// Run: npm run build:ts && TENSORFIELD_ADDON=cpu node bench/op_profile.mjs [threads] [steps]
import { createRequire } from 'module';
import { makeConvTrainStep } from './conv_denoiser.mjs';
import { timeNativeCalls } from './native_timer.mjs';
const require = createRequire(import.meta.url);
const timer = timeNativeCalls(), acc = timer.acc;
const tf = require('../dist/index.js');
const T = Number(process.argv[2] ?? 1), steps = Number(process.argv[3] ?? 6);
tf.setNumThreads(T); tf.manualSeed(0);
const data = tf.keep(tf.randn([4096, 1, 28, 28]));
const { step } = makeConvTrainStep(tf, data);
for (let i = 0; i < 2; i++) step();
timer.on = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const total = (performance.now() - t0) / steps;
const rows = [...acc].map(([k, e]) => [k, e.ms / steps, e.n / steps]).sort((a, b) => b[1] - a[1]);
const inNative = rows.reduce((s, r) => s + r[1], 0);
console.log(`threads ${T}: step ${total.toFixed(1)} ms, in native calls ${inNative.toFixed(1)} ms (calls may nest: backward)`);
for (const [k, ms, n] of rows.slice(0, 40)) console.log(`${k.padEnd(28)} ${ms.toFixed(2).padStart(9)} ms ${n.toFixed(0).padStart(6)} calls`);
const m0 = tf.memory();
step();
const m1 = tf.memory();
console.log(`allocator per step: ${m1.cacheHits - m0.cacheHits} hits, ${m1.cacheMisses - m0.cacheMisses} misses; cached ${(m1.cachedBytes / 2 ** 20).toFixed(0)} MiB of ${(m1.cacheLimitBytes / 2 ** 20).toFixed(0)}; peak ${(m1.peakBytes / 2 ** 20).toFixed(0)} MiB`);
const r0 = process.resourceUsage();
step();
const r1 = process.resourceUsage();
console.log(`page faults per step: ${r1.minorPageFault - r0.minorPageFault} minor, ${r1.majorPageFault - r0.majorPageFault} major`);
try { const sm = (await import('fs')).readFileSync('/proc/self/smaps_rollup', 'utf8').match(/AnonHugePages:\s+(\d+)/); if (sm) console.log(`AnonHugePages ${(Number(sm[1]) / 1024).toFixed(0)} MiB`); } catch {}
