// The DiffusionBlocks character LM (lib/models/diffusion-blocks/charlm.ts) and its judge, the add-k character
// n-gram (lib/metrics/ngram.ts): n-gram probabilities against closed forms, the LM's causality, block isolation and
// AdaLN-Zero start, and an end-to-end check: trained on a cyclic text it generates the cycle.
import * as tf from '../lib';
import { CharNGram } from '../lib/metrics/ngram';
import { CharBlockLM, CharLMTrainer, edmWeight, generateChars } from '../lib/models/diffusion-blocks/charlm';
import { DEFAULT_NOISE } from '../lib/models/diffusion-blocks/partition';
import { arr, expectArraysEqual, expectClose, expectCode } from './helpers';

describe('character n-gram with add-k smoothing', () => {
  test('p(c | h) = (count(h c) + k) / (count(h) + k V) on a cyclic text; every context sums to 1', () => {
    const m = 50, k = 0.1, ids = Int32Array.from({ length: 3 * m }, (_, i) => i % 3);
    const g = new CharNGram(3, 4, k).fit(ids);  // V = 4: id 3 never occurs
    expect(g.size).toBe(3 * m - 2);
    // "0 1" is followed by 2 at positions 3j + 2, j = 0 .. m-1
    expectClose([Math.exp(g.logProb([0, 1], 2))], [(m + k) / (m + 4 * k)], 1e-14);
    expectClose([Math.exp(g.logProb([0, 1], 0))], [k / (m + 4 * k)], 1e-14);
    expectClose([Math.exp(g.logProb([3, 3], 1))], [1 / 4], 1e-14);  // an unseen context: uniform
    for (const h of [[0, 1], [2, 0], [1, 1], [3, 3]]) {
      expectClose([[0, 1, 2, 3].reduce((s, c) => s + Math.exp(g.logProb(h, c)), 0)], [1], 1e-13, 0, `h=${h}`);
    }
    // the cycle itself: its 3m - 2 trigrams are "0 1 2" (m times), "1 2 0" and "2 0 1" (m - 1 times each)
    const lp = (c: number) => Math.log((c + k) / (c + 4 * k));
    expectClose([g.perplexity([ids])], [Math.exp(-(m * lp(m) + 2 * (m - 1) * lp(m - 1)) / (3 * m - 2))], 1e-12);
  });
  test('uniform random text scores perplexity ~V under a model fitted on more of it', () => {
    tf.manualSeed(2);
    const V = 6;
    const draw = (n: number) => Int32Array.from(tf.randint(0, V, [n]).dataSync() as ArrayLike<number>);
    const g = new CharNGram(2, V, 1).fit(draw(200000));
    // bigram counts of 200k draws: each p within ~1 % of 1/V, so the perplexity is V to ~0.1 %
    expectClose([g.perplexity([draw(20000)])], [V], 0.02 * V);
  });
  test('bad input is TF_INVALID_ARGUMENT', () => {
    expectCode(() => new CharNGram(0, 5), 'TF_INVALID_ARGUMENT');
    expectCode(() => new CharNGram(3, 1), 'TF_INVALID_ARGUMENT');
    expectCode(() => new CharNGram(3, 5, 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => new CharNGram(8, 1e5), 'TF_INVALID_ARGUMENT');
    const g = new CharNGram(2, 3);
    expectCode(() => g.perplexity([Int32Array.from([0, 1])]), 'TF_INVALID_ARGUMENT');  // not fitted
    expectCode(() => g.fit(Int32Array.from([0, 3])), 'TF_INVALID_ARGUMENT');
    g.fit(Int32Array.from([0, 1, 2]));
    expectCode(() => g.logProb([0, 1], 2), 'TF_INVALID_ARGUMENT');
    expectCode(() => g.perplexity([Int32Array.from([1])]), 'TF_INVALID_ARGUMENT');
  });
});

const cfg = { vocab: 5, ctx: 8, width: 16, layers: 4, blocks: 2, heads: 2, embDim: 16, targetDim: 8, sigmaData: 0.5 };

describe('CharBlockLM', () => {
  test('AdaLN-Zero start: D = c_skip z exactly; causal: position t reads nothing after t', () => {
    tf.manualSeed(3);
    const net = new CharBlockLM(cfg);
    const ids = tf.tensor(Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2]), { shape: [1, 8], dtype: 'int32' });
    const z = tf.randn([1, 8, 8]), sigma = tf.tensor(Float32Array.from([0.7]), { shape: [1] });
    const cSkip = 0.25 / (0.49 + 0.25);
    expectClose(arr(net.forwardBlock(0, ids, z, sigma).D), arr(z).map((v) => v * cSkip), 1e-6);
    // move the zero-initialised maps so the layers do something, then perturb position 5 only
    tf.noGrad(() => { for (const p of net.parameters()) p.add_(tf.randnLike(p).mul(0.1)); });
    const a = arr(net.forwardBlock(1, ids, z, sigma).logits);
    const ids2 = tf.tensor(Int32Array.from([0, 1, 2, 3, 4, 3, 3, 3]), { shape: [1, 8], dtype: 'int32' });
    const z2 = z.clone();
    tf.noGrad(() => { z2.narrow(1, 5, 3).add_(1); });
    const b = arr(net.forwardBlock(1, ids2, z2, sigma).logits);
    expectArraysEqual(b.slice(0, 5 * 5), a.slice(0, 5 * 5), 'positions 0-4');
    expect(Math.max(...b.slice(25).map((v, i) => Math.abs(v - a[25 + i])))).toBeGreaterThan(1e-3);
  });
  test('a block step runs only its layers; the others get no gradient; the loss weights are lambda normalised', () => {
    tf.manualSeed(4);
    const net = new CharBlockLM(cfg);
    const tr = new CharLMTrainer(net, { partition: 'equiprob', overlap: 0.1, noise: DEFAULT_NOISE, lr: 1e-3, clip: 1 });
    const w = tf.randint(0, 5, [4, 9]).to('int32');
    const before = net.layers.map((l) => arr(l.fc1.weight)), outBefore = arr(net.final.out.weight);
    const r = tr.step(0, w);
    expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
    expect(r.stepBytes).toBeGreaterThan(0);
    expect(net.layerRuns).toEqual([1, 1, 0, 0]);
    // block 1's layers are untouched and hold no optimizer state; block 0's Adam and the shared one stepped (at the
    // AdaLN-Zero start only the final output map has a nonzero gradient, so that is what moves)
    expectArraysEqual(arr(net.layers[2].fc1.weight), before[2], 'block 1 layer 2');
    expect(tr.opt.adams[1]).toBeNull();
    expect(tr.opt.adams[0]).not.toBeNull();
    expect(arr(net.final.out.weight).some((v, i) => v !== outBefore[i])).toBe(true);
    expect(edmWeight(0.5, 0.5)).toBeCloseTo(8, 12);
  });
  test('trained on a cyclic text, generation continues the cycle (B = 2, routed Euler steps)', () => {
    tf.manualSeed(5);
    const net = new CharBlockLM({ ...cfg, layers: 2 });
    const tr = new CharLMTrainer(net, { partition: 'equiprob', overlap: 0.1, noise: DEFAULT_NOISE, lr: 3e-3, clip: 1 });
    const text = Int32Array.from({ length: 400 }, (_, i) => [0, 1, 2, 3, 4][i % 5]);
    for (let s = 0; s < 300; s++) {
      const starts = tf.randint(0, text.length - 9, [16]).dataSync() as Int32Array;
      const win = new Int32Array(16 * 9);
      starts.forEach((st, i) => win.set(text.subarray(st, st + 9), i * 9));
      tr.step(s % 2, tf.tensor(win, { shape: [16, 9], dtype: 'int32' }));
    }
    const g = generateChars(net, tr.edges, [Int32Array.from([1, 2]), Int32Array.from([3, 4])], 12, { steps: 8, sigmaMin: 0.002, sigmaMax: 80 });
    // the cycle 0 1 2 3 4 from where each prompt stops
    expect(Array.from(g.ids[0])).toEqual(Array.from({ length: 12 }, (_, i) => (3 + i) % 5));
    expect(Array.from(g.ids[1])).toEqual(Array.from({ length: 12 }, (_, i) => i % 5));
    // every Euler step ran one block: 8 steps x 12 characters
    expect(g.forwards.reduce((a, b) => a + b, 0)).toBe(8 * 12);
    expect(g.forwards.every((f) => f > 0)).toBe(true);
  });
  test('bad input is a TF_* error', () => {
    expectCode(() => new CharBlockLM({ ...cfg, layers: 3 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new CharBlockLM({ ...cfg, heads: 3 }), 'TF_INVALID_ARGUMENT');
    const net = new CharBlockLM(cfg);
    const ids = tf.zeros([1, 4], { dtype: 'int32' });
    expectCode(() => net.forwardBlock(2, ids, tf.zeros([1, 4, 8]), tf.ones([1])), 'TF_INVALID_ARGUMENT');
    expectCode(() => net.forwardBlock(0, ids, tf.zeros([1, 4, 7]), tf.ones([1])), 'TF_SHAPE_MISMATCH');
    expectCode(() => net.forwardBlock(0, tf.zeros([1, 9], { dtype: 'int32' }), tf.zeros([1, 9, 8]), tf.ones([1])), 'TF_SHAPE_MISMATCH');
    expectCode(() => generateChars(net, [0.002, 0.3, 80], [], 3, { steps: 4, sigmaMin: 0.002, sigmaMax: 80 }), 'TF_INVALID_ARGUMENT');
  });
});
