// Very deep graphs: building, differentiating and freeing them must not recurse on the C++ stack.
import * as tf from '../lib';

test('a 200k-op chain backpropagates and frees without stack overflow', () => {
  const before = tf.memory();
  const x = tf.ones([2], { dtype: 'float64', requiresGrad: true });
  const y = tf.tidy(() => {
    let h = x;
    for (let i = 0; i < 100000; i++) h = h.mul(1.000001).add(0);
    return h;
  });
  const loss = y.sum();
  loss.backward(null, { retainGraph: true });
  const g = tf.tidy(() => Array.from(x.grad!.dataSync()));
  expect(g[0]).toBeCloseTo(Math.pow(1.000001, 100000), 9);
  loss.dispose();
  y.dispose();  // the last references to the retained graph: it is freed here, all at once
  x.grad = null;
  x.dispose();
  expect(tf.memory().tensors).toBe(before.tensors);
  expect(tf.memory().bytes).toBe(before.bytes);
});
