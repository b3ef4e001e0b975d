// A character n-gram model with add-k smoothing: the independent judge of sampled text ("generative perplexity":
// how likely a held-out n-gram model finds the samples). p(c | h) = (count(h c) + k) / (count(h) + k V) over the
// V ids, with h the n - 1 preceding ids; positions with fewer than n - 1 predecessors are not scored.
import { TensorfieldError } from '../tensor';

export class CharNGram {
  private readonly ctxCounts = new Map<number, number>();
  private readonly pairCounts = new Map<number, number>();
  private fitted = 0;

  constructor(readonly order: number, readonly vocabSize: number, readonly k = 0.1) {
    const fn = 'CharNGram';
    if (!Number.isInteger(order) || order < 1 || order > 8) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: order must be an integer in [1, 8], got ${order}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: vocabSize must be an integer >= 2, got ${vocabSize}`);
    // keys are the context read as a base-V number: V^order must stay an exact double
    if (Math.pow(vocabSize, order) > Number.MAX_SAFE_INTEGER) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${vocabSize}^${order} contexts do not fit exact keys`);
    if (!(k > 0 && Number.isFinite(k))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: k must be a positive number, got ${k}`);
  }

  private check(ids: ArrayLike<number>, what: string): void {
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i];
      if (!(Number.isInteger(v) && v >= 0 && v < this.vocabSize))
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `CharNGram.${what}: id ${v} at ${i} is outside [0, ${this.vocabSize})`);
    }
  }

  /** Adds the counts of one text (may be called for several texts; n-grams do not cross between them). */
  fit(ids: ArrayLike<number>): this {
    this.check(ids, 'fit');
    const n = this.order, V = this.vocabSize;
    for (let i = n - 1; i < ids.length; i++) {
      let h = 0;
      for (let j = i - n + 1; j < i; j++) h = h * V + ids[j];
      this.ctxCounts.set(h, (this.ctxCounts.get(h) ?? 0) + 1);
      const key = h * V + ids[i];
      this.pairCounts.set(key, (this.pairCounts.get(key) ?? 0) + 1);
      this.fitted++;
    }
    return this;
  }

  /** Scored n-grams seen by fit. */
  get size(): number { return this.fitted; }

  /** ln p(c | h) for the context h (n - 1 ids, oldest first). */
  logProb(h: ArrayLike<number>, c: number): number {
    if (h.length !== this.order - 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `CharNGram.logProb: the context must hold ${this.order - 1} ids, got ${h.length}`);
    this.check(h, 'logProb');
    this.check([c], 'logProb');
    let key = 0;
    for (let j = 0; j < h.length; j++) key = key * this.vocabSize + h[j];
    return this.logProbKey(key, c);
  }

  private logProbKey(h: number, c: number): number {
    const V = this.vocabSize;
    return Math.log(((this.pairCounts.get(h * V + c) ?? 0) + this.k) / ((this.ctxCounts.get(h) ?? 0) + this.k * V));
  }

  /** Mean ln p over the scored positions of a text, and how many were scored. */
  meanLogProb(ids: ArrayLike<number>): { mean: number; count: number } {
    this.check(ids, 'meanLogProb');
    if (this.fitted === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'CharNGram.meanLogProb: the model has not been fitted');
    const n = this.order, V = this.vocabSize;
    let s = 0, count = 0;
    for (let i = n - 1; i < ids.length; i++) {
      let h = 0;
      for (let j = i - n + 1; j < i; j++) h = h * V + ids[j];
      s += this.logProbKey(h, ids[i]);
      count++;
    }
    if (count === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `CharNGram.meanLogProb: a text of ${ids.length} ids has no ${n}-gram`);
    return { mean: s / count, count };
  }

  /** exp(-mean ln p) over several texts pooled (each scored on its own, no n-gram crossing texts). */
  perplexity(texts: ArrayLike<number>[]): number {
    let s = 0, count = 0;
    for (const t of texts) {
      if (t.length < this.order) continue;
      const r = this.meanLogProb(t);
      s += r.mean * r.count; count += r.count;
    }
    if (count === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `CharNGram.perplexity: no text holds a ${this.order}-gram`);
    return Math.exp(-s / count);
  }
}
