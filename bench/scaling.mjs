// Parallel efficiency per row, from any machine: each row timed at each thread count in a fresh process, then
// efficiency(T) = time(1) / (T x time(T)) (1.0 = perfect scaling). Rows: the GEMM shapes of the performance issue
// (bench/gemm.mjs), the conv U-Net training step (bench/train.mjs conv) and the int8 GEMM (bench/int8_gemm.mjs).
// Run: npm run build:ts && node bench/scaling.mjs [threads list, default 1,2 or 1,2,4,8,16 up to the cores]
import { execFileSync } from 'child_process';
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cores = os.cpus().length;
const list = (process.argv[2] ?? [1, 2, 4, 8, 16].filter((t) => t <= cores).join(',')).split(',').map(Number);
const json = (args, T) => execFileSync(process.execPath, args, { env: { ...process.env, TENSORFIELD_NUM_THREADS: String(T), OMP_NUM_THREADS: String(T) } })
  .toString().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

const rows = new Map();  // row -> Map(T -> ms)
const put = (row, T, ms) => { if (!rows.has(row)) rows.set(row, new Map()); rows.get(row).set(T, ms); };
for (const T of list) {
  for (const r of json([path.join(here, 'gemm.mjs'), String(T)], T)) put(`fp32 GEMM ${r.shape}`, T, r.ms);
  for (const r of json([path.join(here, 'train.mjs'), 'conv', String(T), '8'], T)) put('conv U-Net training step, batch 128', T, r.ms);
}
console.log(`# ${new Date().toISOString()} | ${os.cpus()[0].model} | ${cores} cores | threads ${list.join(', ')}`);
console.log(`| row | ${list.map((T) => `${T} thr ms`).join(' | ')} | ${list.slice(1).map((T) => `eff ${T}`).join(' | ')} |`);
console.log(`|---|${list.map(() => '---').join('|')}|${list.slice(1).map(() => '---').join('|')}|`);
for (const [row, m] of rows) {
  const t1 = m.get(list[0]) * list[0];
  console.log(`| ${row} | ${list.map((T) => m.get(T).toFixed(2)).join(' | ')} | ${list.slice(1).map((T) => (t1 / (T * m.get(T))).toFixed(2)).join(' | ')} |`);
}
