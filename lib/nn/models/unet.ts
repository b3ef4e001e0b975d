// A U-Net in the DDPM++ / EDM style: residual blocks with GroupNorm + SiLU, time conditioning added per
// block (scale/shift optional), self-attention at chosen resolutions, dropout, skip connections by concat.
import { Tensor, TensorfieldError } from '../../tensor';
import { cat } from '../../ops';
import { Module } from '../module';
import { Conv2d, Dropout, GroupNorm, Linear, SinusoidalEmbedding, AttentionBlock2d, forwardAdd, inputCoding, outputCoding, forwardCoded } from '../layers';
import { rmsNorm, upsampleNearest } from '../functional';
import { tidy } from '../../scope';

export interface UNetConfig {
  inChannels: number;
  outChannels?: number;
  /** Base channel count; level i has baseChannels * channelMult[i]. */
  baseChannels?: number;
  channelMult?: number[];
  numResBlocks?: number;
  /** Resolutions (feature-map side lengths) that get self-attention. */
  attnResolutions?: number[];
  imageSize: number;
  dropout?: number;
  /** Class-conditional: number of classes (label embedding added to the time embedding). */
  numClasses?: number;
  groups?: number;
  heads?: number;
  /** Multiplier for the noise-level input before the sinusoidal embedding. */
  noiseScale?: number;
  /** Time conditioning as scale and shift of the second norm (adaptive, as in DDPM++/EDM) instead of a bias. */
  adaptiveScale?: boolean;
  /**
   * Adaptive double normalisation (sCM): the predicted scale and shift are themselves RMS-normalised over the
   * channels, y = norm(h) * pnorm(scale) + pnorm(shift), which bounds them whatever the conditioning does and
   * keeps the network's time derivative (the JVP of consistency training) tame. Implies adaptiveScale.
   */
  doubleNorm?: boolean;
  /** Longest period of the sinusoidal time embedding (default 10000; sCM's c_noise(t) = t uses 10). */
  maxPeriod?: number;
}

export class ResBlock extends Module {
  n1: GroupNorm; c1: Conv2d; emb: Linear; n2: GroupNorm; drop: Dropout; c2: Conv2d; skip: Conv2d | null;
  constructor(public cin: number, public cout: number, embDim: number, groups: number, dropout: number, public adaptive: boolean,
    public doubleNorm = false) {
    super();
    this.n1 = this.module('n1', new GroupNorm(Math.min(groups, cin), cin));
    this.c1 = this.module('c1', new Conv2d(cin, cout, 3, { padding: 1 }));
    this.emb = this.module('emb', new Linear(embDim, adaptive ? 2 * cout : cout));
    this.n2 = this.module('n2', new GroupNorm(Math.min(groups, cout), cout));
    this.drop = this.module('drop', new Dropout(dropout));
    this.c2 = this.module('c2', new Conv2d(cout, cout, 3, { padding: 1 }));
    this.skip = cin !== cout ? this.module('skip', new Conv2d(cin, cout, 1)) : null;
  }
  forward(x: Tensor, emb: Tensor): Tensor {
    // int8 convolutions (static input coding) get their input as codes, written by the norm's pass; an int8 c1
    // that codes its output hands those codes to the second norm (adaptive blocks: nothing is added in between)
    const h1 = this.n1.forwardSilu(x, inputCoding(this.c1));
    const oc = this.adaptive ? outputCoding(this.c1) : null;
    let h = oc ? forwardCoded(this.c1, h1) : this.c1.forward(h1);
    const codes2 = this.drop.training && this.drop.p > 0 ? null : inputCoding(this.c2);
    const e = this.emb.forward(emb), col = (v: Tensor) => v.reshape(x.shape[0], -1, 1, 1);
    if (this.adaptive) {
      let scale = e.narrow(1, 0, this.cout), shift = e.narrow(1, this.cout, this.cout);
      // double norm: both at unit RMS over the channels (pnorm, 1e-8 as in sCM); otherwise scale around 1
      if (this.doubleNorm) { scale = rmsNorm(scale, null, 1e-8); shift = rmsNorm(shift, null, 1e-8); } else scale = scale.add(1);
      // one pass when sampling (nothing differentiated); norm, product, sum and SiLU as ops when training
      h = this.n2.forwardModulated(h, scale, shift, true, codes2, oc);
    } else {
      h = this.n2.forwardSilu(h.add(col(e)), codes2);
    }
    const r = this.skip ? this.skip.forward(x) : x;
    return forwardAdd(this.c2, this.drop.forward(h), r);  // the int8 conv adds r in its epilogue
  }
}

export class UNet extends Module {
  embed: SinusoidalEmbedding; t1: Linear; t2: Linear; label: Linear | null;
  inc: Conv2d; outNorm: GroupNorm; outc: Conv2d;
  down: { blocks: ResBlock[]; attn: (AttentionBlock2d | null)[]; pool: Conv2d | null }[] = [];
  mid1: ResBlock; midAttn: AttentionBlock2d; mid2: ResBlock;
  up: { blocks: ResBlock[]; attn: (AttentionBlock2d | null)[]; upConv: Conv2d | null }[] = [];

  constructor(public cfg: UNetConfig) {
    super();
    const C = cfg.baseChannels ?? 64, mult = cfg.channelMult ?? [1, 2, 2], nb = cfg.numResBlocks ?? 2;
    const g = cfg.groups ?? 8, drop = cfg.dropout ?? 0, heads = cfg.heads ?? 1, attnRes = cfg.attnResolutions ?? [];
    const dn = cfg.doubleNorm ?? false, ad = dn || (cfg.adaptiveScale ?? true);
    if (cfg.imageSize % (1 << (mult.length - 1))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `UNet: image size ${cfg.imageSize} is not divisible by 2^${mult.length - 1}`);
    const E = 4 * C;
    this.embed = this.module('embed', new SinusoidalEmbedding(C, cfg.maxPeriod ?? 10000, cfg.noiseScale ?? 1));
    this.t1 = this.module('t1', new Linear(C, E));
    this.t2 = this.module('t2', new Linear(E, E));
    this.label = cfg.numClasses ? this.module('label', new Linear(cfg.numClasses, E, { bias: false })) : null;
    this.inc = this.module('inc', new Conv2d(cfg.inChannels, C, 3, { padding: 1 }));
    const skipCh: number[] = [C];
    let ch = C, res = cfg.imageSize;
    mult.forEach((m, level) => {
      const blocks: ResBlock[] = [], attn: (AttentionBlock2d | null)[] = [];
      for (let i = 0; i < nb; i++) {
        blocks.push(this.module(`down${level}.res${i}`, new ResBlock(ch, C * m, E, g, drop, ad, dn)));
        ch = C * m;
        attn.push(attnRes.includes(res) ? this.module(`down${level}.attn${i}`, new AttentionBlock2d(ch, heads, g)) : null);
        skipCh.push(ch);
      }
      const last = level === mult.length - 1;
      const pool = last ? null : this.module(`down${level}.pool`, new Conv2d(ch, ch, 3, { stride: 2, padding: 1 }));
      if (!last) { skipCh.push(ch); res /= 2; }
      this.down.push({ blocks, attn, pool });
    });
    this.mid1 = this.module('mid1', new ResBlock(ch, ch, E, g, drop, ad, dn));
    this.midAttn = this.module('midAttn', new AttentionBlock2d(ch, heads, g));
    this.mid2 = this.module('mid2', new ResBlock(ch, ch, E, g, drop, ad, dn));
    [...mult].reverse().forEach((m, r) => {
      const level = mult.length - 1 - r;
      const blocks: ResBlock[] = [], attn: (AttentionBlock2d | null)[] = [];
      for (let i = 0; i <= nb; i++) {
        blocks.push(this.module(`up${level}.res${i}`, new ResBlock(ch + skipCh.pop()!, C * m, E, g, drop, ad, dn)));
        ch = C * m;
        attn.push(attnRes.includes(res) ? this.module(`up${level}.attn${i}`, new AttentionBlock2d(ch, heads, g)) : null);
      }
      const upConv = level === 0 ? null : this.module(`up${level}.upconv`, new Conv2d(ch, ch, 3, { padding: 1 }));
      if (level > 0) res *= 2;
      this.up.push({ blocks, attn, upConv });
    });
    this.outNorm = this.module('outNorm', new GroupNorm(Math.min(g, ch), ch));
    this.outc = this.module('outc', new Conv2d(ch, cfg.outChannels ?? cfg.inChannels, 3, { padding: 1 }));
  }

  /** x [N, C, H, W], noise level / time [N], optional one-hot labels [N, numClasses]. */
  forward(x: Tensor, t: Tensor, labels?: Tensor | null): Tensor { return this.forwardWith(x, t, labels ?? null); }

  /**
   * forward, with `between` applied to the features after every residual block (after its attention, if any)
   * and after the middle, in order, k counting from 0: where an operator network (DSNO) inserts its temporal
   * layers. The features passed to and returned by `between` are released by the forward once consumed: a
   * hook that keeps one must clone it.
   */
  forwardWith(x: Tensor, t: Tensor, labels: Tensor | null, between?: (h: Tensor, k: number) => Tensor): Tensor {
    let k = 0;
    const hook = (h: Tensor) => (between ? between(h, k++) : h);
    let emb = this.t2.forward(this.t1.forward(this.embed.forward(t)).silu());
    if (this.label && labels) emb = emb.add(this.label.forward(labels));
    emb = emb.silu();
    // Each block runs in its own tidy(): its intermediates (norms, activations, the concat, attention weights) are
    // released when it returns, so a no-grad forward holds the skips and one block's temporaries, not every
    // intermediate of the network until the caller's scope ends (measured at batch 1000, 28x28, 32 channels:
    // 7.2 GB live, and 3x slower per image from faulting fresh pages). Under autograd the tape keeps what the
    // backward needs (storage is reference-counted), so this frees nothing it needs.
    let h = this.inc.forward(x);
    const skips = [h];
    for (const lv of this.down) {
      lv.blocks.forEach((b, i) => {
        h = tidy(() => hook(lv.attn[i] ? lv.attn[i]!.forward(b.forward(h, emb)) : b.forward(h, emb)));
        skips.push(h);
      });
      if (lv.pool) { h = lv.pool.forward(h); skips.push(h); }
    }
    h = tidy(() => hook(this.mid2.forward(this.midAttn.forward(this.mid1.forward(h, emb)), emb)));
    for (const lv of this.up) {
      lv.blocks.forEach((b, i) => {
        const prev = h, skip = skips.pop()!;
        h = tidy(() => {
          const y = b.forward(cat([prev, skip], 1), emb);
          return hook(lv.attn[i] ? lv.attn[i]!.forward(y) : y);
        });
        prev.dispose(); skip.dispose();
      });
      if (lv.upConv) { const prev = h; h = tidy(() => lv.upConv!.forward(upsampleNearest(prev, 2))); prev.dispose(); }
    }
    return tidy(() => this.outc.forward(this.outNorm.forwardSilu(h, inputCoding(this.outc))));
  }
}
