// The default demo (until the CLI's main job exists): trains a tiny MLP to fit y = sin(3x) * x on [-1, 1]
// with plain SGD + momentum written against the engine, printing the loss as it falls.
import * as tf from '../index';

function main(): void {
  const steps = Number(process.env.DEMO_STEPS ?? 1000);
  tf.manualSeed(0);
  const info = tf.info();
  console.log(`tensorfield demo: tiny MLP regression | ISA ${info.isa} | ${info.threads} threads | ${info.cpu}`);
  const hidden = 64;
  const init = (fanIn: number, shape: number[]) =>
    tf.keep(tf.rand(shape).mul(2).sub(1).mul(1 / Math.sqrt(fanIn)).requiresGrad_());
  const params = [init(1, [1, hidden]), init(1, [hidden]), init(hidden, [hidden, hidden]), init(hidden, [hidden]),
                  init(hidden, [hidden, 1]), init(hidden, [1])];
  const velocity = params.map((p) => tf.zerosLike(p));
  const [w1, b1, w2, b2, w3, b3] = params;
  const lr = Number(process.env.DEMO_LR ?? 0.2), momentum = 0.9, batch = 256;
  const t0 = Date.now();
  let first = NaN, last = NaN;
  for (let step = 0; step <= steps; step++) {
    const loss = tf.tidy(() => {
      const x = tf.rand([batch, 1]).mul(2).sub(1);
      const y = x.mul(3).sin().mul(x);
      const h1 = x.matmul(w1).add(b1).silu();
      const h2 = h1.matmul(w2).add(b2).silu();
      const pred = h2.matmul(w3).add(b3);
      const l = pred.sub(y).square().mean();
      for (const p of params) p.grad = null;
      l.backward();
      tf.noGrad(() => {
        params.forEach((p, i) => {
          const g = p.grad!;
          velocity[i].mul_(momentum).add_(g);
          p.sub_(velocity[i], lr);
        });
      });
      return l.item();
    });
    if (step === 0) first = loss;
    last = loss;
    if (step % 100 === 0) console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(6)}`);
  }
  const secs = (Date.now() - t0) / 1000;
  console.log(`loss ${first.toFixed(4)} -> ${last.toFixed(4)} in ${steps} steps (${(steps / secs).toFixed(0)} steps/s); ` +
              `native memory ${tf.memory().bytes} bytes in ${tf.memory().tensors} tensors`);
  if (!(last < first * 0.1)) {
    console.error('demo: the loss did not fall by 10x — something is wrong');
    process.exitCode = 1;
  }
}

main();
