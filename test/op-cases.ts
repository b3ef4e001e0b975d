// The differentiable ops, each as (label, fn, inputs): one table drives the first-order gradient checks,
// the second-order checks and the forward-mode (JVP) checks. Inputs avoid the kinks of non-smooth ops
// (|x| > 0.2 around 0 for relu/abs, no ties for max/min), where a finite difference is meaningless.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { randn64 } from './helpers';

export interface OpCase {
  label: string;
  fn: (...xs: Tensor[]) => Tensor;
  inputs: () => Tensor[];
  opts?: { eps?: number; atol?: number; rtol?: number };
}

/** randn, pushed away from 0 by at least `gap` (keeps finite differences off kinks). */
export function awayFromZero(shape: number[], gap = 0.2): Tensor {
  return tf.noGrad(() => {
    const x = randn64(...shape);
    return x.add(x.sign().mul(gap)).add(x.eq(0).double().mul(gap));
  });
}
export function positive(shape: number[]): Tensor { return tf.noGrad(() => tf.rand(shape, { dtype: 'float64' }).add(0.5)); }

export function opCases(): OpCase[] {
  const c: OpCase[] = [];
  const add = (label: string, fn: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[], opts?: OpCase['opts']) =>
    c.push({ label, fn, inputs, opts });

  add('neg', (x) => x.neg(), () => [randn64(3, 4)]);
  add('exp', (x) => x.exp(), () => [randn64(3, 4)]);
  add('log', (x) => x.log(), () => [positive([3, 4])]);
  add('log1p', (x) => x.log1p(), () => [positive([3, 4])]);
  add('expm1', (x) => x.expm1(), () => [randn64(3, 4)]);
  add('sqrt', (x) => x.sqrt(), () => [positive([3, 4])]);
  add('rsqrt', (x) => x.rsqrt(), () => [positive([3, 4])]);
  add('abs', (x) => x.abs(), () => [awayFromZero([3, 4])]);
  add('sin', (x) => x.sin(), () => [randn64(3, 4)]);
  add('cos', (x) => x.cos(), () => [randn64(3, 4)]);
  add('tanh', (x) => x.tanh(), () => [randn64(3, 4)]);
  add('sigmoid', (x) => x.sigmoid(), () => [randn64(3, 4)]);
  add('relu', (x) => x.relu(), () => [awayFromZero([3, 4])]);
  add('leakyRelu', (x) => x.leakyRelu(0.1), () => [awayFromZero([3, 4])]);
  add('elu', (x) => x.elu(0.7), () => [awayFromZero([3, 4])]);
  add('silu', (x) => x.silu(), () => [randn64(3, 4)]);
  add('gelu', (x) => x.gelu(), () => [randn64(3, 4)]);
  add('gelu tanh', (x) => x.gelu('tanh'), () => [randn64(3, 4)]);
  add('softplus', (x) => x.softplus(2, 5), () => [randn64(3, 4).mul(2)]);
  add('clamp', (x) => x.clamp(-0.5, 0.7), () => [tf.tensor([-2, -0.9, -0.3, 0.1, 0.4, 0.9, 1.5], { dtype: 'float64' })]);
  add('erf', (x) => x.erf(), () => [randn64(3, 4)]);
  add('reciprocal', (x) => x.reciprocal(), () => [positive([3, 4])]);
  add('square', (x) => x.square(), () => [randn64(3, 4)]);
  add('pow scalar 3', (x) => x.pow(3), () => [randn64(3, 4)]);
  add('pow scalar -1.5', (x) => x.pow(-1.5), () => [positive([3, 4])]);
  add('pow scalar 0', (x) => x.pow(0), () => [randn64(3)]);
  const shapes: [number[], number[]][] = [[[3, 4], [3, 4]], [[3, 1, 4], [2, 4]], [[4], [3, 4]], [[], [2, 3]], [[2, 3], []]];
  for (const [sa, sb] of shapes) {
    const tag = `[${sa}] x [${sb}]`;
    add(`add ${tag}`, (a, b) => a.add(b), () => [randn64(...sa), randn64(...sb)]);
    add(`sub ${tag}`, (a, b) => a.sub(b), () => [randn64(...sa), randn64(...sb)]);
    add(`mul ${tag}`, (a, b) => a.mul(b), () => [randn64(...sa), randn64(...sb)]);
    add(`div ${tag}`, (a, b) => a.div(b), () => [randn64(...sa), positive(sb)]);
    add(`pow ${tag}`, (a, b) => a.pow(b), () => [positive(sa), randn64(...sb)]);
    add(`maximum ${tag}`, (a, b) => tf.maximum(a, b), () => [randn64(...sa), randn64(...sb)]);
    add(`minimum ${tag}`, (a, b) => tf.minimum(a, b), () => [randn64(...sa), randn64(...sb)]);
  }
  add('scalar operands', (a) => a.mul(3).add(1).div(2).sub(0.5), () => [randn64(5)]);
  add('number - tensor', (a) => tf.sub(2, a), () => [randn64(5)]);
  add('number / tensor', (a) => tf.div(1, a), () => [positive([5])]);
  const cond = tf.tensor([[1, 0, 1, 0]], { dtype: 'uint8' });
  add('where with broadcasting', (a, b) => tf.where(cond, a, b), () => [randn64(3, 4), randn64(3, 1)]);
  add('a tensor used twice', (a) => a.mul(a).add(a.exp()), () => [randn64(3, 2)]);
  add('sum', (x) => x.sum(), () => [randn64(3, 4)]);
  add('sum dim 1', (x) => x.sum(1), () => [randn64(3, 4, 2)]);
  add('sum dims [0, 2] keepdim', (x) => x.sum([0, 2], true), () => [randn64(3, 4, 2)]);
  add('mean dim -1', (x) => x.mean(-1), () => [randn64(3, 4)]);
  add('mean dims [0, 2]', (x) => x.mean([0, 2]), () => [randn64(3, 4, 2)]);
  add('var dim 1', (x) => x.var(1), () => [randn64(3, 5)]);
  add('var correction 0', (x) => x.var(null, { correction: 0 }), () => [randn64(3, 5)]);
  add('std keepdim', (x) => x.std([0, 1], { keepdim: true }), () => [randn64(3, 5, 2)]);
  add('amax dim 1', (x) => x.amax(1), () => [randn64(4, 6)]);
  add('amin dims keepdim', (x) => x.amin([0, 1], true), () => [randn64(4, 6)]);
  add('max(dim).values', (x) => x.max(0).values, () => [randn64(4, 6)]);
  add('min(dim, keepdim).values', (x) => x.min(-1, true).values, () => [randn64(4, 6)]);
  add('max()', (x) => x.max(), () => [randn64(4, 6)]);
  add('logsumexp dim 1', (x) => x.logsumexp(1), () => [randn64(3, 5)]);
  add('logsumexp all keepdim', (x) => x.logsumexp([0, 1], true), () => [randn64(3, 5)]);
  add('norm 2', (x) => x.norm(2), () => [randn64(3, 4)]);
  add('norm 1', (x) => x.norm(1, 1), () => [awayFromZero([3, 4])]);
  add('norm 3', (x) => x.norm(3, 0, true), () => [awayFromZero([3, 4])]);
  add('norm inf', (x) => x.norm(Infinity, 1), () => [randn64(3, 4)]);
  add('cumsum dim 1', (x) => x.cumsum(1), () => [randn64(3, 5)]);
  add('cumsum dim 0', (x) => x.cumsum(0), () => [randn64(4, 2, 3)]);
  for (const d of [0, 1, -1]) {
    add(`softmax dim ${d}`, (x) => x.softmax(d), () => [randn64(3, 4, 5)]);
    add(`logSoftmax dim ${d}`, (x) => x.logSoftmax(d), () => [randn64(3, 4, 5)]);
  }
  add('matmul 2-D', (a, b) => a.matmul(b), () => [randn64(3, 4), randn64(4, 5)]);
  add('matmul batched broadcast', (a, b) => a.matmul(b), () => [randn64(2, 1, 3, 4), randn64(3, 4, 2)]);
  add('matmul vector . vector', (a, b) => a.matmul(b), () => [randn64(4), randn64(4)]);
  add('matmul vector @ batch', (a, b) => a.matmul(b), () => [randn64(4), randn64(2, 4, 3)]);
  add('matmul batch @ vector', (a, b) => a.matmul(b), () => [randn64(2, 3, 4), randn64(4)]);
  add('matmul transposed operands', (a, b) => a.T.matmul(b.T), () => [randn64(4, 3), randn64(5, 4)]);
  const ar = tf.arange(12, undefined, 1, { dtype: 'float64' }).reshape(6, 2);
  add('reshape', (x) => x.reshape(6, 2).mul(ar), () => [randn64(3, 4)]);
  add('view', (x) => x.view(-1), () => [randn64(3, 4)]);
  add('flatten', (x) => x.flatten(1), () => [randn64(2, 3, 4)]);
  add('permute + reshape (copy)', (x) => x.permute(2, 0, 1).reshape(4, 6), () => [randn64(2, 3, 4)]);
  add('transpose', (x) => x.transpose(0, 1).exp(), () => [randn64(3, 4)]);
  const w = randn64(3, 2, 4);
  add('expand', (x) => x.expand(3, 2, 4).mul(w), () => [randn64(2, 1)]);
  add('slice with step', (x) => x.slice(1, 1, 6, 2), () => [randn64(3, 7)]);
  add('slice negative start', (x) => x.slice(0, -2), () => [randn64(4, 3)]);
  add('narrow', (x) => x.narrow(1, 2, 3), () => [randn64(3, 7)]);
  add('select', (x) => x.select(0, 1), () => [randn64(3, 7)]);
  add('squeeze / unsqueeze', (x) => x.squeeze(1).unsqueeze(0), () => [randn64(3, 1, 4)]);
  add('squeeze all', (x) => x.squeeze(), () => [randn64(1, 3, 1)]);
  add('contiguous', (x) => x.T.contiguous(), () => [randn64(3, 4)]);
  add('clone', (x) => x.clone().mul(x), () => [randn64(3, 4)]);
  add('to the ref device and back', (x) => x.to('ref').square().to('cpu').mul(x), () => [randn64(3, 4)]);
  add('cat', (a, b) => tf.cat([a, b, a], 1), () => [randn64(2, 3), randn64(2, 1)]);
  add('stack', (a, b) => tf.stack([a, b], 1), () => [randn64(2, 3), randn64(2, 3)]);
  const idx2 = tf.tensor([[0, 2, 2], [1, 0, 3]], { dtype: 'int32' });
  add('gather', (x) => x.gather(1, idx2), () => [randn64(2, 4)]);
  add('scatterAdd', (x, s) => x.scatterAdd(1, idx2, s), () => [randn64(2, 4), randn64(2, 3)]);
  const idx1 = tf.tensor([2, 0, 2], { dtype: 'int32' });
  add('indexSelect', (x) => x.indexSelect(0, idx1), () => [randn64(4, 3)]);
  add('indexAdd', (x, s) => x.indexAdd(1, idx1, s), () => [randn64(2, 4), randn64(2, 3)]);
  add('pad constant', (x) => tf.pad(x, [1, 2, 0, 1]), () => [randn64(2, 3, 4)]);
  add('pad constant crop', (x) => tf.pad(x, [-1, 1], 'constant', 0.5), () => [randn64(3, 4)]);
  add('pad reflect', (x) => tf.pad(x, [2, 1, 1, 2], 'reflect'), () => [randn64(2, 4, 4)]);
  add('pad replicate', (x) => tf.pad(x, [2, 1], 'replicate'), () => [randn64(2, 3)]);
  add('pad circular', (x) => tf.pad(x, [1, 2, 2, 1], 'circular'), () => [randn64(3, 4)]);
  add('flip', (x) => x.flip([0, 2]), () => [randn64(2, 3, 4)]);
  add('roll dims', (x) => x.roll([1, -2], [0, 1]), () => [randn64(3, 4)]);
  add('roll flat', (x) => x.roll(5), () => [randn64(3, 4)]);
  add('repeat', (x) => x.repeat(2, 1, 3), () => [randn64(3, 2)]);
  add('conv2d padding 1', (x, w) => tf.conv2d(x, w, { padding: 1 }), () => [randn64(2, 3, 5, 6), randn64(4, 3, 3, 3)]);
  add('conv2d stride/dilation/groups', (x, w) => tf.conv2d(x, w, { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }),
    () => [randn64(1, 4, 7, 7), randn64(6, 2, 2, 3)]);
  add('conv2d with bias', (x, w, b) => tf.conv2d(x, w, { bias: b, stride: 2 }), () => [randn64(2, 2, 5, 5), randn64(3, 2, 3, 3), randn64(3)]);
  add('convTranspose2d stride 2, outputPadding', (x, w) => tf.convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 }),
    () => [randn64(1, 4, 3, 3), randn64(4, 3, 3, 3)]);
  add('convTranspose2d groups', (x, w) => tf.convTranspose2d(x, w, { groups: 2, dilation: 2 }), () => [randn64(2, 4, 3, 4), randn64(4, 1, 2, 2)]);
  add('groupNorm (fused) with affine', (x, w, b) => tf.nn.functional.groupNorm(x, 2, w, b), () => [randn64(2, 4, 3, 3), randn64(4), randn64(4)]);
  add('groupNorm (fused) no affine, [N, C, L]', (x) => tf.nn.functional.groupNorm(x, 3, null, null, 1e-3), () => [randn64(3, 6, 5)]);
  add('groupNorm (fused) weight only', (x, w) => tf.nn.functional.groupNorm(x, 1, w), () => [randn64(2, 3, 2, 2), randn64(3)]);
  add('attention (fused)', (q, k, v) => tf.nn.functional.scaledDotProductAttention(q, k, v), () => [randn64(2, 3, 4), randn64(2, 5, 4), randn64(2, 5, 3)]);
  add('attention (fused) causal, 4-D', (q, k, v) => tf.nn.functional.scaledDotProductAttention(q, k, v, { causal: true }),
    () => [randn64(1, 2, 4, 3), randn64(1, 2, 4, 3), randn64(1, 2, 4, 2)]);
  // f is linear, so a large step is exact up to float32 rounding: |err| <= 2 * 2^-24 * |x| / eps ~ 1e-5
  add('float64 -> float32 -> float64', (x) => x.to('float32').mul(2).to('float64'), () => [randn64(3)], { eps: 1e-2, atol: 1e-4, rtol: 1e-4 });
  return c;
}
