// The pieces of a DiT (Peebles & Xie, "Scalable Diffusion Models with Transformers"): patch embedding with a fixed
// 2-D sin-cos position table, transformer blocks conditioned by adaptive LayerNorm with zero-initialised gates
// (AdaLN-Zero), and the modulated final layer that maps tokens back to patches. The conditioning vector `c`
// [N, condDim] (noise level, plus class) is read as given: callers pass it through SiLU first, as DiT's
// adaLN_modulation does, so that one activated vector can feed every block.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { noGrad } from '../../autograd';
import { Module } from '../module';
import { LayerNorm, Linear, MultiheadAttention } from '../layers';

/** [N, C, H, W] -> [N, (H/p)(W/p), C p p]: tokens in row-major patch order, each patch's values as (c, i, j). */
export function patchify(x: Tensor, p: number): Tensor {
  const [N, C, H, W] = x.shape;
  if (x.ndim !== 4 || H % p || W % p)
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `patchify: expected [N, C, H, W] with H and W divisible by ${p}, got [${x.shape}]`);
  return x.reshape(N, C, H / p, p, W / p, p).permute(0, 2, 4, 1, 3, 5).reshape(N, (H / p) * (W / p), C * p * p);
}

/** The inverse of patchify: [N, (H/p)(W/p), C p p] -> [N, C, H, W]. */
export function unpatchify(t: Tensor, p: number, C: number, H: number, W: number): Tensor {
  const N = t.shape[0];
  if (t.ndim !== 3 || t.shape[1] !== (H / p) * (W / p) || t.shape[2] !== C * p * p)
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `unpatchify: expected [N, ${(H / p) * (W / p)}, ${C * p * p}], got [${t.shape}]`);
  return t.reshape(N, H / p, W / p, C, p, p).permute(0, 3, 1, 4, 2, 5).reshape(N, C, H, W);
}

/**
 * The fixed 2-D sin-cos table [gh gw, dim]: half the channels encode the row, half the column, each as
 * [sin(pos w_k), cos(pos w_k)] with w_k = 10000^(-k/(dim/4)).
 */
export function sincos2d(gh: number, gw: number, dim: number): Tensor {
  if (dim % 4) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sincos2d: dim must be a multiple of 4, got ${dim}`);
  const q = dim / 4, out = new Float32Array(gh * gw * dim);
  for (let r = 0; r < gh; r++) for (let c = 0; c < gw; c++) {
    const row = out.subarray((r * gw + c) * dim, (r * gw + c + 1) * dim);
    for (let k = 0; k < q; k++) {
      const w = Math.pow(10000, -k / q);
      row[k] = Math.sin(r * w); row[q + k] = Math.cos(r * w);
      row[2 * q + k] = Math.sin(c * w); row[3 * q + k] = Math.cos(c * w);
    }
  }
  return tensor(out, { shape: [gh * gw, dim] });
}

/** Patches of [N, C, H, W] to tokens [N, T, dim], plus the fixed position table (a buffer). */
export class PatchEmbed extends Module {
  proj: Linear;
  pos: Tensor;
  constructor(readonly channels: number, readonly height: number, readonly width: number, readonly patch: number, readonly dim: number) {
    super();
    if (height % patch || width % patch)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `PatchEmbed: ${height}x${width} images do not split into ${patch}x${patch} patches`);
    this.proj = this.module('proj', new Linear(channels * patch * patch, dim));
    this.pos = this.buffer('pos', sincos2d(height / patch, width / patch, dim));
  }
  get tokens(): number { return (this.height / this.patch) * (this.width / this.patch); }
  forward(x: Tensor): Tensor { return this.proj.forward(patchify(x, this.patch)).add(this.pos); }
}

/** x (1 + scale) + shift, with [N, dim] modulation broadcast over the tokens of x [N, T, dim]. */
function modulate(x: Tensor, shift: Tensor, scale: Tensor): Tensor {
  return x.mul(scale.unsqueeze(1).add(1)).add(shift.unsqueeze(1));
}

/**
 * One DiT block: x += g1 attn(mod(LN(x))); x += g2 mlp(mod(LN(x))), with (shift, scale, gate) x 2 from one linear
 * map of c. That map starts at zero, so the gates are zero and the block starts as the identity (AdaLN-Zero).
 * `causal`: token i attends to tokens <= i only (sequence models, e.g. the DiffusionBlocks char-LM).
 */
export class DiTBlock extends Module {
  norm1: LayerNorm; attn: MultiheadAttention; norm2: LayerNorm; fc1: Linear; fc2: Linear; ada: Linear;
  constructor(readonly dim: number, heads: number, condDim: number, mlpRatio = 4, readonly causal = false) {
    super();
    this.norm1 = this.module('norm1', new LayerNorm(dim, { affine: false, eps: 1e-6 }));
    this.attn = this.module('attn', new MultiheadAttention(dim, heads));
    this.norm2 = this.module('norm2', new LayerNorm(dim, { affine: false, eps: 1e-6 }));
    this.fc1 = this.module('fc1', new Linear(dim, mlpRatio * dim));
    this.fc2 = this.module('fc2', new Linear(mlpRatio * dim, dim));
    this.ada = this.module('ada', new Linear(condDim, 6 * dim));
    noGrad(() => { this.ada.weight.mul_(0); this.ada.bias!.mul_(0); });
  }
  forward(x: Tensor, c: Tensor): Tensor {
    const m = this.ada.forward(c), d = this.dim;
    const part = (i: number) => m.narrow(1, i * d, d);
    const a = this.attn.forward(modulate(this.norm1.forward(x), part(0), part(1)), null, { causal: this.causal });
    const h = x.add(a.mul(part(2).unsqueeze(1)));
    const y = this.fc2.forward(this.fc1.forward(modulate(this.norm2.forward(h), part(3), part(4))).gelu());
    return h.add(y.mul(part(5).unsqueeze(1)));
  }
}

/** LN, modulation by c, and a linear map to patch values; the modulation and the output map start at zero. */
export class DiTFinalLayer extends Module {
  norm: LayerNorm; ada: Linear; out: Linear;
  constructor(readonly dim: number, condDim: number, patchValues: number) {
    super();
    this.norm = this.module('norm', new LayerNorm(dim, { affine: false, eps: 1e-6 }));
    this.ada = this.module('ada', new Linear(condDim, 2 * dim));
    this.out = this.module('out', new Linear(dim, patchValues));
    noGrad(() => { for (const l of [this.ada, this.out]) { l.weight.mul_(0); l.bias!.mul_(0); } });
  }
  forward(x: Tensor, c: Tensor): Tensor {
    const m = this.ada.forward(c);
    return this.out.forward(modulate(this.norm.forward(x), m.narrow(1, 0, this.dim), m.narrow(1, this.dim, this.dim)));
  }
}
