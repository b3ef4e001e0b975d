// The temporal spectral convolution of Fourier neural operators (DSNO's temporal layer, FNO's spectral conv):
// along the time dim, y = irfft(W_k rfft(x)_k for the lowest `modes` bins k, zero for the rest), W_k a complex
// [in, out] matrix per bin. Linear in x and in W, built from tf.fft ops, so gradients, double backward and JVP
// come from their rules. Layout [B, C, T, ...rest]: channels at dim 1, time at dim 2, any trailing dims (pixels)
// transformed independently.
import { Tensor, TensorfieldError, tensor, zeros } from '../tensor';
import { rand } from '../random';
import { cat, matmul } from '../ops';
import { rfft, irfft } from '../fft';
import { Module } from './module';

/**
 * The functional form: x [B, Cin, T, ...rest] real, weight [Cin, Cout, modes, 2] complex; bins k < min(modes,
 * T/2 + 1) are mixed by weight[:, :, k], the rest are dropped. Returns [B, Cout, T, ...rest].
 */
export function spectralConv1d(x: Tensor, weight: Tensor): Tensor {
  if (x.ndim < 3) throw new TensorfieldError('TF_SHAPE_MISMATCH', `spectralConv1d: x must be [B, C, T, ...], got [${x.shape}]`);
  if (weight.ndim !== 4 || weight.shape[3] !== 2)
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `spectralConv1d: weight must be [Cin, Cout, modes, 2], got [${weight.shape}]`);
  const [B, cin, T] = x.shape;
  const rest = x.shape.slice(3);
  const [win, cout, modes] = weight.shape;
  if (win !== cin) throw new TensorfieldError('TF_SHAPE_MISMATCH', `spectralConv1d: x has ${cin} channels, weight expects ${win}`);
  const K = Math.min(modes, Math.floor(T / 2) + 1);
  if (K < 1) throw new TensorfieldError('TF_SHAPE_MISMATCH', 'spectralConv1d: needs at least one mode');
  const R = rest.reduce((a, b) => a * b, 1);
  // [B, Cin, K, ...rest, 2] -> [K, B R, 2 Cin]: each row the real parts of its Cin values, then the imaginary
  const X = rfft(x, { dim: 2 }).narrow(2, 0, K);
  const nd = X.ndim;
  const Xm = X.permute([2, 0, ...rest.map((_, i) => 3 + i), nd - 1, 1]).reshape([K, B * R, 2 * cin]);
  // (Xr + i Xi)(Wr + i Wi) as one real product per bin: [Xr Xi] [[Wr, Wi], [-Wi, Wr]] = [Yr Yi]
  const W = weight.narrow(2, 0, K).permute([2, 0, 1, 3]);  // [K, Cin, Cout, 2]
  const Wr = W.select(3, 0), Wi = W.select(3, 1);
  const Wb = cat([cat([Wr, Wi], 2), cat([Wi.neg(), Wr], 2)], 1);  // [K, 2 Cin, 2 Cout]
  const Ym = matmul(Xm, Wb);                                        // [K, B R, 2 Cout]
  // -> [B, Cout, K, ...rest, 2]; irfft treats the missing bins K..T/2 as zero
  const Y = Ym.reshape([K, B, ...rest, 2, cout]).permute([1, rest.length + 3, 0, ...rest.map((_, i) => 2 + i), rest.length + 2]);
  return irfft(Y, { dim: 2, n: T });
}

export type SpectralInit = 'fno' | 'identity' | 'zeros';

export class SpectralConv1d extends Module {
  weight: Tensor;
  /**
   * init 'fno' (default): real and imaginary parts uniform on [0, 1/(in out)), as the FNO/DSNO code does;
   * 'identity' (in = out): W_k = I for every kept bin, so with all bins kept the layer is the identity; 'zeros'.
   */
  constructor(public inChannels: number, public outChannels: number, public modes: number, opts: { init?: SpectralInit } = {}) {
    super();
    for (const [k, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['modes', modes]] as const)
      if (!Number.isInteger(v) || v < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `SpectralConv1d: ${k} must be a positive integer, got ${v}`);
    const init = opts.init ?? 'fno';
    let w: Tensor;
    if (init === 'fno') w = rand([inChannels, outChannels, modes, 2]).mul(1 / (inChannels * outChannels));
    else if (init === 'zeros') w = zeros([inChannels, outChannels, modes, 2]);
    else if (init === 'identity') {
      if (inChannels !== outChannels) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'SpectralConv1d: identity init needs inChannels === outChannels');
      const eye = new Float32Array(inChannels * outChannels * modes * 2);
      for (let c = 0; c < inChannels; c++) for (let k = 0; k < modes; k++) eye[((c * outChannels + c) * modes + k) * 2] = 1;
      w = tensor(eye, { shape: [inChannels, outChannels, modes, 2] });
    } else throw new TensorfieldError('TF_INVALID_ARGUMENT', `SpectralConv1d: init must be 'fno', 'identity' or 'zeros', got ${JSON.stringify(init)}`);
    this.weight = this.param('weight', w);
  }
  forward(x: Tensor): Tensor { return spectralConv1d(x, this.weight); }
}
