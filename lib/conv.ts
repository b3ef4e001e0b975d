// Convolutions (NCHW). conv2d and convTranspose2d run natively (im2col + GEMM, or Winograd F(2x2, 3x3) for 3x3
// stride-1 float32 layers); both are differentiable to any order and in forward mode.
import { native } from './native';
import { Tensor, TensorfieldError, wrapNative, handle, asTensor, options } from './tensor';

export type Pair = number | [number, number];
export interface Conv2dOptions {
  bias?: Tensor | null;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

// Sizes are validated by the addon; here only that a pair is a number or [h, w].
const pair = (v: Pair | undefined, d: number, what: string): [number, number] => {
  if (v === undefined || v === null) return [d, d];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return v;
  throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what} must be a number or [h, w]`);
};

/** y = x * w (+ bias): x [N, C, H, W], w [O, C/groups, kh, kw], bias [O]. */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const o = options(opts, 'conv2d');
  const X = asTensor(x, 'conv2d'), Wt = asTensor(w, 'conv2d weight');
  // the bias goes to the addon, which adds it in the GEMM's epilogue when nothing is differentiated
  const bias = o.bias ? asTensor(o.bias, 'conv2d bias')._h : null;
  return wrapNative(native.conv2d(X._h, Wt._h, pair(o.stride, 1, 'stride'), pair(o.padding, 0, 'padding'),
    pair(o.dilation, 1, 'dilation'), o.groups ?? 1, bias));
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

/**
 * Transposed convolution (PyTorch's conv_transpose2d): x [N, Cin, H, W], w [Cin, Cout/groups, kh, kw].
 * It is the gradient of conv2d with respect to its input, which is how it is computed.
 */
export function convTranspose2d(x: Tensor, w: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const o = options(opts, 'convTranspose2d');
  const X = asTensor(x, 'convTranspose2d'), Wt = asTensor(w, 'convTranspose2d weight');
  const [sh, sw] = pair(o.stride, 1, 'stride'), [ph, pw] = pair(o.padding, 0, 'padding');
  const [dh, dw] = pair(o.dilation, 1, 'dilation'), [oh, ow] = pair(o.outputPadding, 0, 'outputPadding');
  const groups = o.groups ?? 1;
  if (X.ndim !== 4 || Wt.ndim !== 4)
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `convTranspose2d: input [N, C, H, W] and weight [Cin, Cout/groups, kh, kw] expected, got [${X.shape}] and [${Wt.shape}]`);
  const [N, , H, W] = X.shape;
  const [, coutPerGroup, kh, kw] = Wt.shape;
  const Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1;
  const Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1;
  const y = wrapNative(native.conv2dInputGrad(handle(X), handle(Wt), [N, coutPerGroup * groups, Ho, Wo], [sh, sw], [ph, pw], [dh, dw], groups));
  return o.bias ? y.add(asTensor(o.bias, 'convTranspose2d bias').reshape(1, -1, 1, 1)) : y;
}
