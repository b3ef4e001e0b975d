// How far a quantized denoiser's outputs are from the float network's, per noise level: for each item,
// ||f_q - f||² / ||f||² (the relative MSE of the prediction, eps or the preconditioned target), grouped by the
// level argument (the second input) and averaged within each level; `mean` averages the levels equally.
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import { noGrad } from '../autograd';
import { Module } from '../nn/module';

type Net = Module & { forward: (...a: Tensor[]) => Tensor };

export interface LevelErrors { levels: number[]; relMse: number[]; count: number[]; mean: number }

/** Accumulates over batches: add(inputs) for each, then result(). */
export class RelErrorByLevel {
  private sums = new Map<number, [number, number]>();
  constructor(private net: Module, private ref: Module) {}
  add(inputs: Tensor[]): void {
    const [num, den, lv] = tidy(() => noGrad(() => {
      const y = (this.net as Net).forward(...inputs), r = (this.ref as Net).forward(...inputs);
      const B = r.shape[0];
      const n = y.sub(r).square().reshape(B, -1).sum(1), d = r.square().reshape(B, -1).sum(1);
      return [n.dataSync() as Float32Array, d.dataSync() as Float32Array, inputs[1].reshape(-1).to('float32').dataSync() as Float32Array];
    }));
    for (let i = 0; i < num.length; ++i) {
      const s = this.sums.get(lv[i]) ?? [0, 0];
      s[0] += d(num[i], den[i]); s[1] += 1;
      this.sums.set(lv[i], s);
    }
  }
  result(): LevelErrors {
    const levels = [...this.sums.keys()].sort((a, b) => b - a);
    const relMse = levels.map((l) => this.sums.get(l)![0] / this.sums.get(l)![1]);
    return { levels, relMse, count: levels.map((l) => this.sums.get(l)![1]), mean: relMse.reduce((a, b) => a + b, 0) / Math.max(1, relMse.length) };
  }
}
const d = (n: number, den: number) => (den > 0 ? n / den : n);
