// Implicit neural representations with Gabor (WIRE) activations, as FDP's INR denoiser uses them: an MLP on
// per-point inputs (coordinates, time, ...) whose hidden activation is sin(omega h) exp(-s h^2), with the input
// re-fed to every hidden layer (skip connections) and SIREN-like uniform init. Weights are stored [in, out] so
// that forwardWith() can run a batch of per-sample parameter sets ([B, in, out], e.g. after per-sample inner
// SGD steps) as batched GEMMs, [B, N, in] x [B, in, out].
import { Tensor, TensorfieldError } from '../tensor';
import { cat, matmul } from '../ops';
import { Module } from './module';
import { uniform } from './layers';

/** The Gabor wavelet activation sin(freq h) exp(-expConst h^2) (WIRE; FDP: freq 30, expConst 10). */
export function gabor(h: Tensor, freq = 30, expConst = 10): Tensor {
  return h.mul(freq).sin().mul(h.square().mul(-expConst).exp());
}

export interface GaborINROptions {
  inDim: number;
  outDim: number;
  hidden: number;
  /** Hidden (Gabor) layers; a last linear layer follows. */
  layers: number;
  /** Gabor frequency (default 30) and Gaussian width constant (default 10). */
  freq?: number;
  expConst?: number;
  /** Concatenate the input to every hidden layer's output (default true). */
  skip?: boolean;
}

export class GaborINR extends Module {
  readonly o: Required<GaborINROptions>;
  constructor(opts: GaborINROptions) {
    super();
    this.o = { freq: 30, expConst: 10, skip: true, ...opts };
    const { inDim, outDim, hidden, layers } = this.o;
    for (const [v, what] of [[inDim, 'inDim'], [outDim, 'outDim'], [hidden, 'hidden'], [layers, 'layers']] as const) {
      if (!(Number.isInteger(v) && v >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `GaborINR: ${what} must be an integer >= 1, got ${v}`);
    }
    // SIREN-like init: the first layer U(+-1/fan_in), the rest U(+-sqrt(6/fan_in)/freq), so that freq * h stays O(1)
    for (let l = 0; l <= layers; l++) {
      const fanIn = l === 0 ? inDim : hidden + (this.o.skip ? inDim : 0);
      const out = l === layers ? outDim : hidden;
      const bound = l === 0 ? 1 / fanIn : Math.sqrt(6 / fanIn) / this.o.freq;
      // held as properties w0, b0, ... too, so that toDtype / load can swap the tensors
      const self = this as unknown as Record<string, Tensor>;
      self[`w${l}`] = this.param(`w${l}`, uniform([fanIn, out], bound));
      self[`b${l}`] = this.param(`b${l}`, uniform([out], bound));
    }
  }

  /** The parameters in forwardWith's order: [w0, b0, w1, b1, ..., wL, bL]. */
  flatParams(): Tensor[] { return this.parameters(); }

  forward(x: Tensor): Tensor { return this.forwardWith(this.flatParams(), x); }

  /**
   * x [N, inDim] or [B, N, inDim] -> [.., N, outDim]. params as flatParams(), each either shared ([in, out], [out])
   * or per sample ([B, in, out], [B, 1, out]; x then [B, N, inDim]).
   */
  forwardWith(params: Tensor[], x: Tensor): Tensor {
    const L = this.o.layers;
    if (params.length !== 2 * (L + 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `GaborINR.forwardWith: expected ${2 * (L + 1)} parameter tensors, got ${params.length}`);
    if (x.ndim < 2 || x.shape[x.ndim - 1] !== this.o.inDim) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `GaborINR: input must be [..., N, ${this.o.inDim}], got [${x.shape}]`);
    }
    let h = x;
    for (let l = 0; l <= L; l++) {
      h = matmul(h, params[2 * l]).add(params[2 * l + 1]);
      if (l < L) {
        h = gabor(h, this.o.freq, this.o.expConst);
        if (this.o.skip) h = cat([h, x.ndim === h.ndim ? x : x.expand([...h.shape.slice(0, -1), this.o.inDim])], -1);
      }
    }
    return h;
  }
}
