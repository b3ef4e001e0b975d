// `tensorfield bench --int8` and the peak probe behind it (lib/cli/bench-int8.ts, GemmU8S8::dot_chains).
// Oracles: a measured GEMM cannot beat the core's issue rate for its own dot instruction, so the u8 x s8 product's
// fraction of the probed peak must stay below 1 (with room for the VM's noise, not for a wrong operation count:
// counting a dot as half or twice its operations moves the fraction 2x); the reference kernel has no probe.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { benchInt8 } from '../lib/cli/bench-int8';
import { benchCommand } from '../lib/cli/commands';
import { expectCode, withIsa } from './helpers';

const Q = tf.quant;

describe('bench --int8', () => {
  test('the peak probe: positive where the kernel has a dot instruction, 0 on the reference, bad durations rejected', () => {
    const isas = tf.backend.supportedIsas() as ('scalar' | 'avx2' | 'avx512')[];
    for (const isa of isas) withIsa(isa, () => {
      const k = Q.int8Kernel(), p = Q.int8PeakGops(0.05);
      if (k === 'ref' || k === 'amx') expect(p).toBe(0);
      else {
        // one core: above a scalar loop's ~10 GOP/s, below any x86 core's int8 dot rate (~2 TOP/s with AVX-512 VNNI)
        expect(p).toBeGreaterThan(20);
        expect(p).toBeLessThan(4000);
      }
    });
    expectCode(() => Q.int8PeakGops(0), 'TF_INVALID_ARGUMENT');
    expectCode(() => Q.int8PeakGops(60), 'TF_INVALID_ARGUMENT');
  });
  // An independent probe: bench/int8_peak.cpp, hand-written asm with its own operation counts, compiled here.
  // The two must agree within the VM's noise (each is a best of several runs; 30 %), or the op count is wrong.
  const gxx = spawnSync('g++', ['--version']).status === 0;
  (gxx ? test : test.skip)('the probe agrees with bench/int8_peak.cpp (asm, its own counts) for the VNNI and AVX2 kernels', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-peak-'));
    try {
      const bin = path.join(dir, 'peak');
      execFileSync('g++', ['-O2', path.join(__dirname, '..', 'bench', 'int8_peak.cpp'), '-o', bin]);
      const text = execFileSync(bin).toString();
      const vnni = /vpdpbusd zmm x12: ([\d.]+) GOP\/s/.exec(text), avx2 = /vpmaddwd\+vpaddd: ([\d.]+) GMAC\/s/.exec(text);
      const isas = tf.backend.supportedIsas();
      const check = (isa: 'avx2' | 'avx512', kernel: string, want: number) => withIsa(isa, () => {
        if (Q.int8Kernel() !== kernel) return;
        const got = Q.int8PeakGops(0.2);
        expect(got / want).toBeGreaterThan(0.7);
        expect(got / want).toBeLessThan(1.3);
      });
      if (avx2 && isas.includes('avx2')) check('avx2', 'avx2-s16', 2 * Number(avx2[1]));
      if (vnni && isas.includes('avx512')) check('avx512', 'vnni', Number(vnni[1]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('rows: every path timed, no int8 path above the probed peak at one thread', () => {
    const threads = tf.info().threads;
    tf.setNumThreads(1);
    try {
      const lines: string[] = [];
      const r = benchInt8((s) => lines.push(s), 20);
      expect(r.rows.map((x) => x.path)).toEqual(expect.arrayContaining(['u8 x s8 -> s32 (the integer product)',
        'int8 Linear, static: u8 in, u8 out', 'int8 Linear, dynamic: f32 in, f32 out', 'int8 Conv2d, static: f32 in, f32 out']));
      for (const row of r.rows) expect(row.gops).toBeGreaterThan(0);
      if (r.peakGops > 0) {
        // the fastest paths run at 70-80 % of the peak on a VNNI core: a peak counted at half its operations
        // would put them far above 1
        for (const row of r.rows.filter((x) => x.ofPeak !== null)) expect(row.ofPeak!).toBeLessThan(1.3);
        expect(lines.some((l) => / % \|$/.test(l))).toBe(true);
      }
      expect(r.rows.filter((x) => x.path.startsWith('float32')).every((x) => x.ofPeak === null)).toBe(true);
    } finally {
      tf.setNumThreads(threads);
    }
  });
  test('CLI: --int8 alone takes no other flag; --int8 with a file still needs --run', () => {
    expectCode(() => benchCommand(['--int8', '--reps', '3'], () => {}), 'TF_INVALID_ARGUMENT');
    expectCode(() => benchCommand(['--int8', 'x.safetensors'], () => {}), 'TF_INVALID_ARGUMENT');
  });
});
