// A small decoder-only Transformer (pre-norm blocks, causal self-attention, GELU MLP) for character-level
// language modelling and blockwise training experiments.
import { Tensor } from '../../tensor';
import { Module } from '../module';
import { Dropout, Embedding, LayerNorm, Linear, MultiheadAttention, PositionalEmbedding } from '../layers';
import { tidy } from '../../scope';

export interface TransformerConfig {
  vocabSize: number;
  maxLen: number;
  dim?: number;
  depth?: number;
  heads?: number;
  mlpRatio?: number;
  dropout?: number;
  causal?: boolean;
}

export class TransformerBlock extends Module {
  ln1: LayerNorm; attn: MultiheadAttention; ln2: LayerNorm; fc1: Linear; fc2: Linear; drop: Dropout;
  constructor(dim: number, heads: number, mlpRatio: number, dropout: number, public causal: boolean) {
    super();
    this.ln1 = this.module('ln1', new LayerNorm(dim));
    this.attn = this.module('attn', new MultiheadAttention(dim, heads));
    this.ln2 = this.module('ln2', new LayerNorm(dim));
    this.fc1 = this.module('fc1', new Linear(dim, mlpRatio * dim));
    this.fc2 = this.module('fc2', new Linear(mlpRatio * dim, dim));
    this.drop = this.module('drop', new Dropout(dropout));
  }
  forward(x: Tensor): Tensor {
    const h = x.add(this.drop.forward(this.attn.forward(this.ln1.forward(x), null, { causal: this.causal })));
    return h.add(this.drop.forward(this.fc2.forward(this.fc1.forward(this.ln2.forward(h)).gelu())));
  }
}

export class Transformer extends Module {
  tok: Embedding; pos: PositionalEmbedding; blocks: TransformerBlock[]; ln: LayerNorm; head: Linear;
  constructor(public cfg: TransformerConfig) {
    super();
    const d = cfg.dim ?? 128;
    this.tok = this.module('tok', new Embedding(cfg.vocabSize, d));
    this.pos = this.module('pos', new PositionalEmbedding(cfg.maxLen, d));
    this.blocks = Array.from({ length: cfg.depth ?? 4 }, (_, i) =>
      this.module(`block${i}`, new TransformerBlock(d, cfg.heads ?? 4, cfg.mlpRatio ?? 4, cfg.dropout ?? 0, cfg.causal ?? true)));
    this.ln = this.module('ln', new LayerNorm(d));
    this.head = this.module('head', new Linear(d, cfg.vocabSize));
  }
  /** Token features [B, L, dim] before the output head (for blockwise training of intermediate blocks). */
  features(tokens: Tensor): Tensor {
    let h = this.pos.forward(this.tok.forward(tokens));
    // each block in its own tidy(): a no-grad forward frees a block's temporaries (attention weights) as it goes
    for (const b of this.blocks) { const hb = h; h = tidy(() => b.forward(hb)); }
    return this.ln.forward(h);
  }
  /** tokens [B, L] (int32) -> logits [B, L, vocab] */
  forward(tokens: Tensor): Tensor { return this.head.forward(this.features(tokens)); }
  /** Mean next-token cross-entropy of tokens[:, 1:] given tokens[:, :-1]. */
  loss(tokens: Tensor): Tensor {
    const L = tokens.shape[1];
    const logits = this.forward(tokens.narrow(1, 0, L - 1));
    const target = tokens.narrow(1, 1, L - 1).unsqueeze(2);
    return logits.logSoftmax(-1).gather(2, target).mean().neg();
  }
}
