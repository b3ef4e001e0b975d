// The rate network: raw(n_t - (nMax/2) p_k, k) with the integer observation index k as its time input, through a
// sinusoidal ("positional") embedding of k itself, as the official NCSN++ config does. Vectors and small images
// (8x8) use an MLP on the flattened item ('mlp': the embedding enters at the input only; 'resmlp': a residual MLP whose
// every layer reads it through FiLM); larger images a U-Net. The output is the raw value; rateOf() makes it the
// positive rate estimate.
import { Tensor, TensorfieldError } from '../../tensor';
import { Module } from '../../nn/module';
import { MLPDenoiser } from '../../nn/models/mlp_denoiser';
import { FiLMResidualMLP } from '../../nn/models/film_mlp';
import { UNet } from '../../nn/models/unet';

export type BlackoutNetKind = 'auto' | 'mlp' | 'resmlp' | 'unet';
export const BLACKOUT_NETS: readonly BlackoutNetKind[] = ['auto', 'mlp', 'resmlp', 'unet'];

export interface BlackoutNetOptions {
  /** Shape of one item: [dim] or [C, H, W]. */
  itemShape: number[];
  net?: BlackoutNetKind;
  /** MLP width and hidden layers ('resmlp': residual width and FiLM layers). */
  hidden?: number;
  layers?: number;
  /** MLP time-embedding width. */
  embDim?: number;
  /** U-Net base channels (levels x1, x2). */
  channels?: number;
  dropout?: number;
}

/** 'auto': an MLP for vectors and items of at most 64 elements (8x8 digits), the U-Net otherwise. */
export function resolveNetKind(itemShape: number[], kind: BlackoutNetKind): 'mlp' | 'resmlp' | 'unet' {
  const numel = itemShape.reduce((a, b) => a * b, 1);
  const chosen = kind === 'auto' ? (itemShape.length === 1 || numel <= 64 ? 'mlp' : 'unet') : kind;
  if (chosen === 'unet' && itemShape.length !== 3) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout: the U-Net needs image items [C, H, W], got [${itemShape}] (use --net mlp)`);
  }
  if (chosen !== 'mlp' && chosen !== 'resmlp' && chosen !== 'unet') throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout: net must be one of ${BLACKOUT_NETS.join(', ')}, got '${String(kind)}'`);
  return chosen;
}

export class BlackoutNet extends Module {
  readonly mlp: MLPDenoiser | FiLMResidualMLP | null = null;
  readonly unet: UNet | null = null;
  readonly numel: number;
  constructor(readonly opts: BlackoutNetOptions) {
    super();
    const shape = opts.itemShape;
    this.numel = shape.reduce((a, b) => a * b, 1);
    const kind = resolveNetKind(shape, opts.net ?? 'auto');
    if (kind === 'mlp') {
      // timeScale 1: the embedding sees the integer index k itself (periods up to 10000 resolve k < 10000)
      this.mlp = this.module('mlp', new MLPDenoiser({ dim: this.numel, hidden: opts.hidden ?? 512, layers: opts.layers ?? 2,
        timeEmbedDim: opts.embDim ?? 128, timeScale: 1 }));
    } else if (kind === 'resmlp') {
      this.mlp = this.module('mlp', new FiLMResidualMLP({ dim: this.numel, width: opts.hidden ?? 512, layers: opts.layers ?? 2,
        embDim: opts.embDim ?? 128, timeScale: 1 }));
    } else {
      const [c, h] = shape;
      this.unet = this.module('unet', new UNet({ inChannels: c, imageSize: h, baseChannels: opts.channels ?? 32, channelMult: [1, 2],
        numResBlocks: 1, groups: 8, noiseScale: 1, maxPeriod: 10000, dropout: opts.dropout ?? 0 }));
    }
  }
  /** x [B, ...itemShape], k [B] (observation indices, float) -> raw rates [B, ...itemShape]. */
  forward(x: Tensor, k: Tensor): Tensor {
    if (this.mlp) return this.mlp.forward(x.reshape(x.shape[0], this.numel), k).reshape(x.shape);
    return this.unet!.forward(x, k);
  }
}
