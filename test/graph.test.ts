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
  y.sum().backward({ retainGraph: true });
  const g = Array.from(x.grad!.dataSync());
  expect(g[0]).toBeCloseTo(Math.pow(1.000001, 100000), 9);
  y.dispose();  // frees the whole retained graph at once
  x.grad = null;
  x.dispose();
  expect(tf.memory().tensors).toBeLessThanOrEqual(before.tensors + 2);
});
