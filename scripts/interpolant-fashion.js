#!/usr/bin/env node
// Fashion-MNIST 14x14 for issue 9: the probability-flow ODE against the forward SDE of a trained `interpolant`
// run (a U-Net velocity b and a U-Net denoiser eta = E[x0 | x_t], s = -eta / alpha), as FD_cls (Frechet
// distance in the shipped classifier's features, against the real test set) against the number of network
// evaluations, with the real-data floor at the same sample count and sample grids.
//
//   npm run build:ts
//   node dist/cli/main.js train --method interpolant --data fashion14 --fields b-eta --channels 16 --batch 64 \
//     --lr 1e-3 --steps 2500 --flip --threads 1 --out runs/si-f14
//   TENSORFIELD_NUM_THREADS=1 node scripts/interpolant-fashion.js runs/si-f14 [--n 1000] [--nfe 10,20,50,100] [--eps 0.5]
//
// Every sampler starts from the same base noise. NFE counts evaluations of the drift: Heun takes 2 per step, and
// an SDE drift evaluation runs both networks (b and eta), an ODE one only b. Writes <run>/fashion-nfe.json,
// fd-nfe.svg and samples-{ode,sde}-nfe<k>.png.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const SI = require('../dist/models/interpolants');
require('../dist/models');
const { openRun, saveSamples, logDataset } = require('../dist/cli/train');
const { evaluateSamples } = require('../dist/cli/evaluate');
const { runRecord } = require('../dist/cli/record');
const { run: runSolver } = require('../dist/samplers/solvers');
const { saveLinePlot } = require('../dist/io/plot');

const DEFAULTS = { n: 1000, nfe: '10,20,50,100', eps: 0.5, seed: 0, batch: 250 };


async function main() {
  const { positional: [dir], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/interpolant-fashion.js <runDir> [--n 1000] [--nfe 10,20,50,100] [--eps 0.5]' });
  const { cfg, src, run, step } = openRun(dir);
  if (cfg.method !== 'interpolant' || src.kind !== 'images') throw new Error(`${dir}: not an interpolant run on images`);
  const opt = cfg.options;
  const I = SI.interpolant({ path: opt.path, gamma: opt.gamma === 'auto' ? undefined : opt.gamma, gammaScale: opt.gammaScale });
  if (!I.oneSided) throw new Error('this script samples from the Gaussian base: train a one-sided path');
  const nets = run.evalNetwork();
  const { b, s } = SI.samplingFields(I, opt.fields, nets);
  tf.manualSeed(o.seed);
  const x0 = tf.keep(tf.randn([o.n, ...src.itemShape]));
  const log = (...a) => console.log(...a);
  logDataset(src, log);
  const record = runRecord(src, { n: o.n, seeds: { base: o.seed, brownian: o.seed + 1, train: Number(cfg.train.seed ?? 0), floor: 0 } });
  log(`${dir}: step ${step}, fields ${opt.fields}, path ${opt.path}; n = ${o.n}`);
  // Sampled in batches so the activations of one network call stay small.
  const sampleAll = (make) => {
    const parts = [];
    let nfe = 0;
    for (let i = 0; i < o.n; i += o.batch) {
      const xb = x0.slice(0, i, Math.min(o.n, i + o.batch));
      const r = runSolver(make(xb));
      parts.push(r.x);
      nfe = r.nfe;
      xb.dispose();
    }
    const x = tf.cat(parts, 0);
    parts.forEach((p) => p.dispose());
    return { x, nfe };
  };
  const rows = [];
  let floor = null;
  for (const nfe of o.nfe.split(',').map(Number)) {
    const steps = Math.max(1, Math.round(nfe / 2));
    for (const kind of ['ode', 'sde']) {
      const t0 = Date.now();
      tf.manualSeed(o.seed + 1);  // the same Brownian increments for every NFE's SDE run
      const r = sampleAll((xb) => (kind === 'ode'
        ? SI.odeSampler(b, xb, { method: 'heun', steps })
        : SI.sdeSampler(b, s, xb, { method: 'heun', steps, eps: SI.sdeEps(I, o.eps) })));
      const secs = (Date.now() - t0) / 1000;
      saveSamples(src, r.x, path.join(dir, `samples-${kind}-nfe${r.nfe}.png`));
      // the real-data floor once (3 disjoint samples of n train images, not in the reference statistics)
      const m = await evaluateSamples(src, r.x, undefined, { floorDraws: floor ? 0 : 3 });
      r.x.dispose();
      if (!floor && 'fdClsRealFloor' in m) {
        floor = { mean: m.fdClsRealFloor, sd: m.fdClsRealFloorSd, min: m.fdClsRealFloorMin, max: m.fdClsRealFloorMax, draws: m.fdClsRealFloorDraws, n: m.fdClsRealFloorN };
        log(`real-data floor at n = ${floor.n}: ${floor.mean.toFixed(2)} ± ${floor.sd.toFixed(2)} (sd over ${floor.draws} disjoint train samples; ${floor.min.toFixed(2)}-${floor.max.toFixed(2)})`);
      }
      const row = { kind, steps, nfe: r.nfe, networkCalls: kind === 'ode' ? r.nfe : 2 * r.nfe, fdCls: m.fdCls, classifierScore: m.classifierScore, seconds: secs };
      rows.push(row);
      log(`${kind} heun ${String(steps).padStart(3)} steps  nfe ${String(r.nfe).padStart(4)}  FD_cls ${m.fdCls.toFixed(2)}  score ${m.classifierScore.toFixed(2)}  (${secs.toFixed(0)} s)`);
    }
  }
  x0.dispose();
  const series = ['ode', 'sde'].map((k) => ({ name: k === 'ode' ? 'ODE (Heun)' : `SDE (Heun, eps ${o.eps}(1 - t))`, x: rows.filter((r) => r.kind === k).map((r) => r.nfe), y: rows.filter((r) => r.kind === k).map((r) => r.fdCls) }));
  if (floor) series.push({ name: `real data, not in the reference (n = ${o.n}, mean of ${floor.draws})`, x: series[0].x, y: series[0].x.map(() => floor.mean) });
  saveLinePlot(path.join(dir, 'fd-nfe.svg'), { title: `interpolant on Fashion-MNIST 14x14: FD_cls against NFE (n = ${o.n})`, xLabel: 'NFE', yLabel: 'FD_cls', logY: true, series });
  fs.writeFileSync(path.join(dir, 'fashion-nfe.json'), JSON.stringify({ record, step, options: opt, n: o.n, eps: o.eps, floor, rows }, null, 2));
  log(`wrote ${dir}/fashion-nfe.json, fd-nfe.svg, samples-*.png`);
}

main().catch((e) => { console.error(e); process.exit(1); });
