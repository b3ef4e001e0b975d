// Training and sampling of the neural-process benchmark's model with DSPD (100 steps, beta 1e-4 -> 0.2): the noisy
// targets are diffused with the noise process over their own times; the context stays clean and conditions the
// denoiser. Sampling draws whole batches of repeated curves, in chunks so memory stays bounded.
import { Tensor, TensorfieldError } from '../../tensor';
import { tidy } from '../../scope';
import { Adam } from '../../optim/optimizer';
import { dspdLoss, sampleDspd } from './dspd';
import { dspdSchedule, type DspdSchedule } from './schedule';
import { npBatch, type NpDenoiser } from './np-model';
import type { NoiseProcess } from './noise';
import type { NpCurve } from './np-data';
import { seededUniform } from './np-data';

export interface NpTrainOptions {
  epochs?: number;
  batch?: number;
  lr?: number;
  weightDecay?: number;
  /** shuffles the curves each epoch */
  seed?: number;
  schedule?: DspdSchedule;
  /** called after every step (progress) */
  onStep?: (step: number, total: number, loss: number) => void;
}

/** Trains in place; returns the mean loss of each epoch. */
export function trainNp(net: NpDenoiser, curves: NpCurve[], noise: NoiseProcess, o: NpTrainOptions = {}): number[] {
  const epochs = o.epochs ?? 200, bs = o.batch ?? 128, s = o.schedule ?? dspdSchedule(100);
  if (!(Number.isInteger(epochs) && epochs >= 1 && Number.isInteger(bs) && bs >= 1)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `trainNp: epochs and batch must be positive integers, got ${epochs}, ${bs}`);
  }
  // the code's Adam with weight decay 1e-5
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 1e-3, weightDecay: o.weightDecay ?? 1e-5 });
  const u = seededUniform(o.seed ?? 0);
  const perEpoch = Math.ceil(curves.length / bs), total = epochs * perEpoch;
  const curve: number[] = [];
  let step = 0;
  for (let e = 0; e < epochs; e++) {
    const order = curves.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(u() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    let sum = 0;
    for (let p = 0; p < perEpoch; p++) {
      const l = tidy(() => {
        const b = npBatch(order.slice(p * bs, (p + 1) * bs).map((i) => curves[i]), noise);
        const loss = dspdLoss((x, k) => net.forward(x, k, b), b.yT, b.L, s, { target: 'correlated', mask: b.mT });
        opt.zeroGrad(); loss.backward(); opt.step();
        return loss.item();
      });
      sum += l;
      o.onStep?.(++step, total, l);
    }
    curve.push(sum / perEpoch);
  }
  return curve;
}

/**
 * `m` samples per curve at its own targets (or at `grid`): [curves, m, M] values, M the padded target count
 * (each curve's first tt.length entries are real). Chunks of `chunk` series bound the memory.
 */
export function sampleNp(net: NpDenoiser, curves: NpCurve[], noise: NoiseProcess, m: number, o: { grid?: Float64Array; schedule?: DspdSchedule; chunk?: number } = {}): { values: Float64Array; M: number } {
  const s = o.schedule ?? dspdSchedule(100);
  const per = Math.max(1, Math.floor((o.chunk ?? 4000) / m));
  const M = o.grid ? o.grid.length : Math.max(...curves.map((c) => c.tt.length));
  const out = new Float64Array(curves.length * m * M);
  net.eval();
  for (let i = 0; i < curves.length; i += per) {
    const part = curves.slice(i, i + per);
    tidy(() => {
      const b = npBatch(part, noise, { repeat: m, grid: o.grid });
      const x: Tensor = sampleDspd((xx, k) => net.forward(xx, k, b), b.L, s, { target: 'correlated' });
      const v = x.dataSync() as Float32Array, Mb = x.shape[1];
      // copy row by row: this chunk's padded width Mb may be narrower than M
      for (let r = 0; r < part.length * m; r++) for (let j = 0; j < Mb; j++) out[(i * m + r) * M + j] = v[r * Mb + j];
    });
  }
  net.train();
  return { values: out, M };
}
