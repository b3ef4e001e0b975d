// Sampled text judged by an independent model: the "generative perplexity" of n samples under a character n-gram
// fitted on held-out text only (lib/metrics/ngram.ts), with two references scored by the same judge so a number
// can be read: real text of the same length from the training split (what a perfect sampler approaches; disjoint
// from the judge's text) and text drawn from the training split's character frequencies (what a model that learned
// nothing but frequencies gets).
//
// Every sample is a continuation of one prompt (e.g. a newline: the start of a sentence); the judge scores the
// prompt followed by the sample, so every scored character has the same kind of context in all three sets. The
// real-text floor takes windows that begin with the same prompt in the training text, at positions from a seeded
// generator (its own: the engine's is untouched).
import { TensorfieldError } from '../tensor';
import { CharNGram } from './ngram';
import { SeededRandom } from '../data/prng';

export interface TextJudgeOptions {
  /** n-gram order of the judge (default 5). */
  order?: number;
  /** add-k smoothing of the judge (default 0.1). */
  k?: number;
  /** Seed of the floor's window positions and the unigram draws (default 0). */
  seed?: number;
}

export interface TextSampleMetrics {
  /** Perplexity of the samples (prompt + sample each) under the judge. */
  textPerplexity: number;
  /** The same for real training text after the same prompt: the floor. */
  textPerplexityRealFloor: number;
  /** The same for characters drawn from the training text's frequencies: the no-learning ceiling. */
  textPerplexityUnigram: number;
  /** Characters sampled and scored. */
  textCharacters: number;
  judgeOrder: number;
  /** Characters of held-out text the judge was fitted on. */
  judgeCharacters: number;
}

/**
 * samples: [n][L] ids continuing `prompt` (all the same length L >= 1); train / heldOut: the corpus splits as ids
 * of a vocabulary of `vocabSize`. The judge is fitted on heldOut alone.
 */
export function textSampleMetrics(samples: Int32Array[], prompt: Int32Array, train: Int32Array, heldOut: Int32Array, vocabSize: number,
  opts: TextJudgeOptions = {}): TextSampleMetrics {
  const fn = 'textSampleMetrics';
  const order = opts.order ?? 5, seed = opts.seed ?? 0;
  const n = samples.length, L = n > 0 ? samples[0].length : 0;
  if (n === 0 || L === 0 || samples.some((s) => s.length !== L)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need samples of one common length >= 1`);
  if (prompt.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need a prompt of at least one id`);
  if (prompt.length + L < order) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: prompt + sample (${prompt.length + L} ids) holds no ${order}-gram`);
  if (heldOut.length < order) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the held-out text (${heldOut.length} ids) is too short for a ${order}-gram judge`);
  const judge = new CharNGram(order, vocabSize, opts.k ?? 0.1).fit(heldOut);
  const withPrompt = (s: ArrayLike<number>) => { const o = new Int32Array(prompt.length + s.length); o.set(prompt); o.set(s as ArrayLike<number>, prompt.length); return o; };

  // real windows: training positions where the prompt occurs and a whole sample's length follows it
  const starts: number[] = [];
  for (let i = 0; i + prompt.length + L <= train.length; i++) {
    let ok = true;
    for (let j = 0; j < prompt.length && ok; j++) ok = train[i + j] === prompt[j];
    if (ok) starts.push(i);
  }
  if (starts.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the prompt never occurs in the training text with ${L} characters after it`);
  const rng = new SeededRandom(seed, 1);
  const real = Array.from({ length: n }, () => { const s = starts[rng.int(starts.length)]; return train.slice(s, s + prompt.length + L); });

  // unigram draws by inverse CDF of the training frequencies
  const cdf = new Float64Array(vocabSize);
  for (const c of train) cdf[c]++;
  for (let c = 1; c < vocabSize; c++) cdf[c] += cdf[c - 1];
  const total = cdf[vocabSize - 1];
  const draw = () => { const u = rng.next() * total; let lo = 0, hi = vocabSize - 1; while (lo < hi) { const m = (lo + hi) >> 1; if (cdf[m] > u) hi = m; else lo = m + 1; } return lo; };
  const unigram = Array.from({ length: n }, () => withPrompt(Int32Array.from({ length: L }, draw)));

  return {
    textPerplexity: judge.perplexity(samples.map(withPrompt)),
    textPerplexityRealFloor: judge.perplexity(real),
    textPerplexityUnigram: judge.perplexity(unigram),
    textCharacters: n * L,
    judgeOrder: order,
    judgeCharacters: heldOut.length,
  };
}
