// DSNO's operator network for points (the 2-D analogue of the code's TDDPMm, digest A §4.3): the input noise
// enters a stem once and is repeated over the M output slices; every residual block runs on all B·M slices with
// each slice's own time embedding; after every block a temporal convolution h <- h + LeakyReLU(SpectralConv1d(h))
// mixes the slices along time (modes 0 leaves it out: the ablation); a linear head predicts each slice's state
// directly (x-prediction). One forward call returns the whole trajectory [B, M, dim].
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { Module } from '../../nn/module';
import { ModuleList } from '../../nn/containers';
import { Linear, LayerNorm } from '../../nn/layers';
import { SpectralConv1d } from '../../nn/spectral';
import { sinusoidalEmbedding } from '../../nn/functional';

export interface DsnoMLPConfig {
  dim: number;
  /** the target slices' DSNO times u (the grid without its first, input entry) */
  times: number[];
  width?: number;
  blocks?: number;
  embDim?: number;
  /** temporal Fourier modes kept; 0 = no temporal convolution */
  modes?: number;
  /** 'fno' (the code's init) or 'zeros' (the operator starts as the per-slice network) */
  spectralInit?: 'fno' | 'zeros';
}

class ResBlock extends Module {
  norm: LayerNorm; fc1: Linear; fc2: Linear; emb: Linear;
  constructor(width: number) {
    super();
    this.norm = this.module('norm', new LayerNorm([width]));
    this.fc1 = this.module('fc1', new Linear(width, width));
    this.emb = this.module('emb', new Linear(width, width));
    this.fc2 = this.module('fc2', new Linear(width, width));
  }
  forward(h: Tensor, temb: Tensor): Tensor {
    const a = this.fc1.forward(this.norm.forward(h).silu()).add(this.emb.forward(temb.silu()));
    return h.add(this.fc2.forward(a.silu()));
  }
}

export class DsnoMLP extends Module {
  readonly cfg: Required<DsnoMLPConfig>;
  stem: Linear; t1: Linear; t2: Linear; head: Linear;
  blocks: ModuleList<ResBlock>;
  timeConvs: ModuleList<SpectralConv1d>;
  constructor(cfg: DsnoMLPConfig) {
    super();
    const c = { width: 256, blocks: 3, embDim: 128, modes: 2, spectralInit: 'fno' as const, ...cfg };
    const posInt = (v: number, what: string, min = 1) => {
      if (!Number.isInteger(v) || v < min) throw new TensorfieldError('TF_INVALID_ARGUMENT', `DsnoMLP: ${what} must be an integer >= ${min}, got ${v}`);
    };
    posInt(c.dim, 'dim'); posInt(c.width, 'width'); posInt(c.blocks, 'blocks'); posInt(c.embDim, 'embDim', 2); posInt(c.modes, 'modes', 0);
    if (!Array.isArray(c.times) || c.times.length < 1 || c.times.some((u) => !(u >= 0 && u <= 1)))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `DsnoMLP: times must be a non-empty list in [0, 1], got ${JSON.stringify(c.times)}`);
    this.cfg = c;
    const W = c.width;
    this.stem = this.module('stem', new Linear(c.dim, W));
    this.t1 = this.module('t1', new Linear(c.embDim, W));
    this.t2 = this.module('t2', new Linear(W, W));
    this.blocks = this.module('blocks', new ModuleList(Array.from({ length: c.blocks }, () => new ResBlock(W))));
    this.timeConvs = this.module('timeConvs', new ModuleList(c.modes > 0
      ? Array.from({ length: c.blocks }, () => new SpectralConv1d(W, W, c.modes, { init: c.spectralInit })) : []));
    this.head = this.module('head', new Linear(W, c.dim));
  }

  get M(): number { return this.cfg.times.length; }

  /** xT [B, dim] (sigma_d-normalised noise) -> [B, M, dim], the normalised states at the M times. */
  forward(xT: Tensor): Tensor {
    const { dim, width: W, times } = this.cfg;
    if (xT.ndim !== 2 || xT.shape[1] !== dim) throw new TensorfieldError('TF_SHAPE_MISMATCH', `DsnoMLP: input must be [B, ${dim}], got [${xT.shape}]`);
    const B = xT.shape[0], M = times.length;
    // per-slice time embedding of 1000 u (the code's scale), shared by the batch
    const u = tensor(Float32Array.from(times, (v) => 1000 * v), { shape: [M], device: xT.device as never }).to(xT.dtype as never);
    const temb = this.t2.forward(this.t1.forward(sinusoidalEmbedding(u, this.cfg.embDim)).silu());  // [M, W]
    const tembAll = temb.unsqueeze(0).expand([B, M, W]).reshape([B * M, W]);
    let h = this.stem.forward(xT).unsqueeze(1).expand([B, M, W]).reshape([B * M, W]);
    for (let k = 0; k < this.blocks.length; k++) {
      h = this.blocks.get(k).forward(h, tembAll);
      if (this.timeConvs.length) {
        const ht = h.reshape([B, M, W]).permute([0, 2, 1]);  // [B, W, M]: channels, then time
        h = ht.add(this.timeConvs.get(k).forward(ht).leakyRelu(0.01)).permute([0, 2, 1]).reshape([B * M, W]);
      }
    }
    return this.head.forward(h.silu()).reshape([B, M, dim]);
  }
}
