// DSNO's operator for images (the code's TDDPMm, digest A §4.3): the teacher's U-Net, its weights copied in, run
// on all B·M slices at once ([B, M, C, H, W] flattened to [B·M, C, H, W]) with each slice's own time input; the
// input noise is repeated over the slices (the code applies the first conv once and repeats its output, which is
// the same thing); after every residual block and the middle, h <- h + LeakyReLU(SpectralConv1d(h)) along the M
// slices (modes 0: none). One forward call returns the whole trajectory [B, M, C, H, W].
import { Tensor, TensorfieldError, tensor, zeros } from '../../tensor';
import { Module } from '../../nn/module';
import { ModuleList } from '../../nn/containers';
import { SpectralConv1d } from '../../nn/spectral';
import { UNet, type UNetConfig } from '../../nn/models/unet';
import { noGrad } from '../../autograd';

export interface DsnoUNetConfig {
  unet: UNetConfig;
  /** the time input the backbone takes for each of the M slices (a TrigFlow teacher: its angle tau) */
  sliceTimes: number[];
  modes?: number;
  spectralInit?: 'fno' | 'zeros';
}

export class DsnoUNet extends Module {
  unet: UNet;
  timeConvs: ModuleList<SpectralConv1d>;
  readonly sliceTimes: number[];
  constructor(cfg: DsnoUNetConfig) {
    super();
    const modes = cfg.modes ?? 2;
    if (!Number.isInteger(modes) || modes < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `DsnoUNet: modes must be an integer >= 0, got ${modes}`);
    if (!Array.isArray(cfg.sliceTimes) || cfg.sliceTimes.length < 1 || cfg.sliceTimes.some((t) => !Number.isFinite(t)))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', 'DsnoUNet: sliceTimes must be a non-empty list of finite numbers');
    this.sliceTimes = cfg.sliceTimes;
    this.unet = this.module('unet', new UNet(cfg.unet));
    // the channel count at each insertion point, from one dry pass of the backbone
    const channels: number[] = [];
    const s = cfg.unet.imageSize;
    noGrad(() => this.unet.forwardWith(zeros([1, cfg.unet.inChannels, s, s]), zeros([1]), null, (h) => { channels.push(h.shape[1]); return h; }));
    this.timeConvs = this.module('timeConvs', new ModuleList(modes > 0
      ? channels.map((c) => new SpectralConv1d(c, c, modes, { init: cfg.spectralInit ?? 'fno' })) : []));
  }

  get M(): number { return this.sliceTimes.length; }

  /** xT [B, C, H, W] (sigma_d-normalised noise) -> [B, M, C, H, W]. */
  forward(xT: Tensor): Tensor {
    const c = this.unet.cfg;
    if (xT.ndim !== 4 || xT.shape[1] !== c.inChannels || xT.shape[2] !== c.imageSize || xT.shape[3] !== c.imageSize)
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `DsnoUNet: input must be [B, ${c.inChannels}, ${c.imageSize}, ${c.imageSize}], got [${xT.shape}]`);
    const [B, C, H, W] = xT.shape, M = this.M;
    const x = xT.unsqueeze(1).expand([B, M, C, H, W]).reshape([B * M, C, H, W]);
    const t = tensor(Float32Array.from(this.sliceTimes), { shape: [1, M] }).to(xT.dtype as never).expand([B, M]).reshape([B * M]);
    const temporal = (h: Tensor, k: number): Tensor => {
      if (!this.timeConvs.length) return h;
      const [, ch, hh, ww] = h.shape;
      const ht = h.reshape([B, M, ch, hh, ww]).permute([0, 2, 1, 3, 4]);  // [B, ch, M, H, W]: channels, then time
      return ht.add(this.timeConvs.get(k).forward(ht).leakyRelu(0.01)).permute([0, 2, 1, 3, 4]).reshape([B * M, ch, hh, ww]);
    };
    return this.unet.forwardWith(x, t, null, temporal).reshape([B, M, ...(c.outChannels ? [c.outChannels] : [C]), H, W]);
  }
}
