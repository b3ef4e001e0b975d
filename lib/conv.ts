// Convolutions (NCHW). conv2d and convTranspose2d run natively (im2col + GEMM); both are differentiable to
// any order and in forward mode.
import { native } from './native';
import { Tensor, wrapNative } from './tensor';

export type Pair = number | [number, number];
export interface Conv2dOptions {
  bias?: Tensor | null;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

/** y = x * w (+ bias): x [N, C, H, W], w [O, C/groups, kh, kw], bias [O]. */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const y = wrapNative(native.conv2d(x._h, w._h, pair(opts.stride, 1), pair(opts.padding, 0), pair(opts.dilation, 1), opts.groups ?? 1));
  return opts.bias ? y.add(opts.bias.reshape(1, -1, 1, 1)) : y;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: Pair;
}

/**
 * Transposed convolution (PyTorch's conv_transpose2d): x [N, Cin, H, W], w [Cin, Cout/groups, kh, kw].
 * It is the gradient of conv2d with respect to its input, which is how it is computed.
 */
export function convTranspose2d(x: Tensor, w: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const [sh, sw] = pair(opts.stride, 1), [ph, pw] = pair(opts.padding, 0), [dh, dw] = pair(opts.dilation, 1);
  const [oh, ow] = pair(opts.outputPadding, 0);
  const groups = opts.groups ?? 1;
  const [N, , H, W] = x.shape;
  const [, coutPerGroup, kh, kw] = w.shape;
  const Ho = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1;
  const Wo = (W - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1;
  const y = wrapNative(native.conv2dInputGrad(x._h, w._h, [N, coutPerGroup * groups, Ho, Wo], [sh, sw], [ph, pw], [dh, dw], groups));
  return opts.bias ? y.add(opts.bias.reshape(1, -1, 1, 1)) : y;
}
