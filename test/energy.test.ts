// A conservative score field s = -grad_x E(x, sigma), trained *through its gradient* (createGraph), reaches
// the same denoising score-matching loss as a free-form score network of the same size on a 2-D Gaussian
// mixture. Both use the same data, noise draws, optimizer and step count.
import * as tf from '../lib';
import { Tensor } from '../lib';

const H = 64, BATCH = 256, STEPS = 400;
const sigmas = [0.1, 0.2, 0.4, 0.8];
const centers = [[1.5, 0], [-1.5, 0], [0, 1.5], [0, -1.5]];

function init(shape: number[], fanIn: number): Tensor {
  return tf.keep(tf.rand(shape).mul(2).sub(1).mul(1 / Math.sqrt(fanIn)).requiresGrad_());
}
function makeNet(out: number): Tensor[] {
  return [init([3, H], 3), init([H], 3), init([H, H], H), init([H], H), init([H, out], H), init([out], H)];
}
function mlp(p: Tensor[], x: Tensor, logSigma: Tensor): Tensor {
  const h1 = tf.cat([x, logSigma], 1).matmul(p[0]).add(p[1]).silu();
  const h2 = h1.matmul(p[2]).add(p[3]).silu();
  return h2.matmul(p[4]).add(p[5]);
}

class Adam {
  m: Tensor[]; v: Tensor[]; t = 0;
  constructor(public params: Tensor[], public lr = 2e-3) {
    this.m = params.map((p) => tf.keep(tf.zerosLike(p)));
    this.v = params.map((p) => tf.keep(tf.zerosLike(p)));
  }
  step(): void {
    this.t++;
    const b1 = 0.9, b2 = 0.999, c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    tf.noGrad(() => this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;  // e.g. the energy's output bias: it does not affect grad_x E
      this.m[i].mul_(b1).add_(g, 1 - b1);
      this.v[i].mul_(b2).add_(g.square(), 1 - b2);
      p.sub_(this.m[i].div(c1).div(this.v[i].div(c2).sqrt().add(1e-8)), this.lr);
      p.grad = null;
    }));
  }
}

function batch(step: number): { xt: Tensor; ls: Tensor; target: Tensor; w: Tensor } {
  tf.manualSeed(Number(process.env.ENERGY_SEED ?? 1000) + step);  // the same draws for both models
  const k = tf.randint(0, 4, [BATCH]);
  const c = tf.tensor(centers).indexSelect(0, k);
  const x0 = c.add(tf.randn([BATCH, 2]).mul(0.3));
  const si = tf.randint(0, sigmas.length, [BATCH]);
  const sig = tf.tensor(sigmas).indexSelect(0, si).unsqueeze(1);
  const z = tf.randn([BATCH, 2]);
  return { xt: x0.add(z.mul(sig)), ls: sig.log(), target: z.neg().div(sig), w: sig.square() };
}

function train(score: (p: Tensor[], x: Tensor, ls: Tensor) => Tensor, params: Tensor[]): number {
  const opt = new Adam(params);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    losses.push(tf.tidy(() => {
      const { xt, ls, target, w } = batch(s);
      const l = score(params, xt, ls).sub(target).square().sum(1, true).mul(w).mean();
      l.backward();
      opt.step();
      return l.item();
    }));
  }
  return losses.slice(-50).reduce((a, b) => a + b, 0) / 50;
}

test('energy-parameterised score trained through grad_x E matches a free-form score net', () => {
  tf.manualSeed(0);
  const free = makeNet(2);
  tf.manualSeed(0);
  const energy = makeNet(1);
  const freeLoss = train((p, x, ls) => mlp(p, x, ls), free);
  const energyLoss = train((p, x, ls) => {
    const xr = x.requiresGrad ? x : x.detach().requiresGrad_();
    const E = mlp(p, xr, ls).sum();
    const [g] = tf.autograd.grad(E, [xr], { createGraph: true });  // s = -dE/dx, differentiable in the params
    return g!.neg();
  }, energy);
  // An untrained net scores E||z||^2 = 2; the DSM loss has an irreducible floor below that (the variance of
  // the conditional score). Over four data seeds (ENERGY_SEED=1000..4000) the energy/free ratio was
  // 0.987-1.000 and the free-form loss 1.56-1.60, so "within 10 %" and "< 1.75" leave room for noise while
  // an energy net whose gradient path were broken would stay near 2.
  console.log(`DSM loss after ${STEPS} steps: free-form ${freeLoss.toFixed(4)}, energy ${energyLoss.toFixed(4)}`);
  expect(energyLoss).toBeLessThan(freeLoss * 1.1);
  expect(freeLoss).toBeLessThan(1.75);
});
