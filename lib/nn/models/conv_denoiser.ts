// The performance baselines' ConvDenoiser (../shared/baselines/models.py) with PyTorch's module tree and
// parameter names, so its state_dict, saved from Python, loads by name (loadStateDict) and gives the same
// outputs (test/torch-convdenoiser.test.ts). Each line of forward() follows the Python line it ports.
import { Tensor } from '../../tensor';
import { cat } from '../../ops';
import { Module } from '../module';
import { Conv2d, GroupNorm, Linear, Sequential, SinusoidalEmbedding } from '../layers';
import { Identity, SiLU } from '../activations';
import { upsampleNearest } from '../functional';

/** models.py ResBlock: GroupNorm-SiLU-conv, plus the projected time embedding, GroupNorm-SiLU-conv, residual. */
export class ConvDenoiserBlock extends Module {
  n1: GroupNorm; c1: Conv2d; t: Linear; n2: GroupNorm; c2: Conv2d; skip: Conv2d | Identity;
  constructor(cin: number, cout: number, tdim: number, groups = 8) {
    super();
    this.n1 = this.module('n1', new GroupNorm(groups, cin));
    this.c1 = this.module('c1', new Conv2d(cin, cout, 3, { padding: 1 }));
    this.t = this.module('t', new Linear(tdim, cout));
    this.n2 = this.module('n2', new GroupNorm(groups, cout));
    this.c2 = this.module('c2', new Conv2d(cout, cout, 3, { padding: 1 }));
    this.skip = this.module('skip', cin !== cout ? new Conv2d(cin, cout, 1) : new Identity());
  }
  forward(x: Tensor, temb: Tensor): Tensor {
    let h = this.c1.forward(this.n1.forwardSilu(x));
    h = h.add(this.t.forward(temb).reshape(temb.shape[0], -1, 1, 1));
    h = this.c2.forward(this.n2.forwardSilu(h));
    return this.skip.forward(x).add(h);
  }
}

export interface ConvDenoiserConfig { c1?: number; c2?: number; temb?: number; tdim?: number }

/**
 * Channels c1 at full resolution, c2 at half; GroupNorm(8), SiLU; noise-level embedding sinusoidal(1000 c_noise)
 * -> MLP; one concat skip. Defaults are the baselines' (32, 64, 64, 128) for 1x28x28; any even side works.
 */
export class ConvDenoiser extends Module {
  embed: SinusoidalEmbedding; tmlp: Sequential;
  inc: Conv2d; d1: ConvDenoiserBlock; down: Conv2d; d2: ConvDenoiserBlock; mid: ConvDenoiserBlock;
  upc: Conv2d; u1: ConvDenoiserBlock; onorm: GroupNorm; outc: Conv2d;
  constructor(cfg: ConvDenoiserConfig = {}) {
    super();
    const c1 = cfg.c1 ?? 32, c2 = cfg.c2 ?? 64, temb = cfg.temb ?? 64, tdim = cfg.tdim ?? 128;
    // parameter-free, so it adds no state-dict keys (Python calls a function here)
    this.embed = this.module('embed', new SinusoidalEmbedding(temb, 10000, 1000));
    this.tmlp = this.module('tmlp', new Sequential(new Linear(temb, tdim), new SiLU(), new Linear(tdim, tdim), new SiLU()));
    this.inc = this.module('inc', new Conv2d(1, c1, 3, { padding: 1 }));
    this.d1 = this.module('d1', new ConvDenoiserBlock(c1, c1, tdim));
    this.down = this.module('down', new Conv2d(c1, c2, 3, { stride: 2, padding: 1 }));
    this.d2 = this.module('d2', new ConvDenoiserBlock(c2, c2, tdim));
    this.mid = this.module('mid', new ConvDenoiserBlock(c2, c2, tdim));
    this.upc = this.module('upc', new Conv2d(c2, c1, 3, { padding: 1 }));
    this.u1 = this.module('u1', new ConvDenoiserBlock(2 * c1, c1, tdim));
    this.onorm = this.module('onorm', new GroupNorm(8, c1));
    this.outc = this.module('outc', new Conv2d(c1, 1, 3, { padding: 1 }));
  }
  /** x [N, 1, H, W], cNoise [N] -> [N, 1, H, W] */
  forward(x: Tensor, cNoise: Tensor): Tensor {
    const temb = this.tmlp.forward(this.embed.forward(cNoise));
    const h0 = this.d1.forward(this.inc.forward(x), temb);
    let h = this.mid.forward(this.d2.forward(this.down.forward(h0), temb), temb);
    h = this.upc.forward(upsampleNearest(h, 2));
    h = this.u1.forward(cat([h, h0], 1), temb);
    return this.outc.forward(this.onorm.forwardSilu(h));
  }
}
