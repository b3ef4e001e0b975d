// The op table (native/ops/op_table.h) is the one list of elementwise ops; the addon derives its exports from
// it and lib/native.ts declares the same names for TypeScript. These checks fail when the two drift apart, and
// when a name the addon exports has no Tensor method or function that reaches it.
import * as tf from '../lib';
import { native, UNARY_OPS, BINARY_OPS } from '../lib/native';

test('the addon exports exactly the op names lib/native.ts declares, in table order', () => {
  expect(Object.keys(native.unaryOps)).toEqual([...UNARY_OPS]);
  expect(Object.keys(native.binaryOps)).toEqual([...BINARY_OPS]);
  expect(Object.values(native.unaryOps)).toEqual(UNARY_OPS.map((_, i) => i));
  expect(Object.values(native.binaryOps)).toEqual(BINARY_OPS.map((_, i) => i));
  for (const op of native.simdUnaryOps) expect(UNARY_OPS).toContain(op);
  for (const op of native.simdBinaryOps) expect(BINARY_OPS).toContain(op);
});

test('every table op is reachable from the public Tensor', () => {
  // the ops reached under another name or with an argument
  const via: Record<string, string> = { geluTanh: 'gelu', powScalar: 'pow', copy: 'pow' }  // x.pow(1) is the copy op;
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  for (const op of [...UNARY_OPS, ...BINARY_OPS]) {
    const m = via[op] ?? op;
    const where = typeof proto[m] === 'function' ? 'Tensor' : typeof (tf as unknown as Record<string, unknown>)[m] === 'function' ? 'tf' : 'none';
    expect([op, where]).not.toEqual([op, 'none']);
  }
});

test('backward node names come from the table', () => {
  const x = tf.randn([3], { requiresGrad: true });
  expect(x.exp().gradFn).toBe('ExpBackward');
  expect(x.gelu('tanh').gradFn).toBe('GeluTanhBackward');
  expect(x.pow(2).gradFn).toBe('PowBackward');
  expect(x.add(x).gradFn).toBe('AddBackward');
  expect(tf.maximum(x, x.mul(2)).gradFn).toBe('MaximumBackward');
});
