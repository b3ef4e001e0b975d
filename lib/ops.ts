// Functional forms of the tensor ops (tensorfield.add(a, b) etc.), for code that reads better that way.
import { native } from './native';
import { Tensor, TensorLike, wrapNative, rawOperand, handle, handleList, asTensor } from './tensor';

const B = native.binaryOps;
const bin = (op: number) => (a: TensorLike, b: TensorLike): Tensor => {
  if (typeof a === 'number' && typeof b === 'number') throw Object.assign(new TypeError('at least one operand must be a Tensor'), { code: 'TF_INVALID_ARGUMENT' });
  return wrapNative(native.binary(op, rawOperand(a), rawOperand(b)));
};

export const add = bin(B.add);
export const sub = bin(B.sub);
export const mul = bin(B.mul);
export const div = bin(B.div);
export const maximum = bin(B.maximum);
export const minimum = bin(B.minimum);
export const eq = bin(B.eq);
export const ne = bin(B.ne);
export const lt = bin(B.lt);
export const le = bin(B.le);
export const gt = bin(B.gt);
export const ge = bin(B.ge);
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return a.pow(b);
  return bin(B.pow)(a, b);
}
/** Elementwise choice: cond (any dtype, non-zero = true) ? a : b, with broadcasting. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return wrapNative(native.where(handle(cond), rawOperand(a), rawOperand(b)));
}
export function matmul(a: Tensor, b: Tensor): Tensor { return wrapNative(native.matmul(handle(a), handle(b))); }
export function cat(tensors: Tensor[], dim = 0): Tensor { return wrapNative(native.cat(handleList(tensors, 'cat'), dim)); }
export function stack(tensors: Tensor[], dim = 0): Tensor { return wrapNative(native.stack(handleList(tensors, 'stack'), dim)); }
/** F.pad: pad = [lastLeft, lastRight, secondLastLeft, ...]; mode constant | reflect | replicate | circular. */
export function pad(x: Tensor, padding: number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value = 0): Tensor {
  return wrapNative(native.pad(handle(x), padding, mode, value));
}
export function gather(x: Tensor, dim: number, index: Tensor): Tensor { return asTensor(x, 'gather').gather(dim, index); }
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor { return asTensor(x, 'scatterAdd').scatterAdd(dim, index, src); }
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor { return asTensor(x, 'indexSelect').indexSelect(dim, index); }
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor { return asTensor(x, 'indexAdd').indexAdd(dim, index, src); }
export function flip(x: Tensor, dims: number | number[]): Tensor { return asTensor(x, 'flip').flip(dims); }
export function roll(x: Tensor, shifts: number | number[], dims?: number | number[]): Tensor { return asTensor(x, 'roll').roll(shifts, dims); }
export function softmax(x: Tensor, dim: number): Tensor { return asTensor(x, 'softmax').softmax(dim); }
export function logSoftmax(x: Tensor, dim: number): Tensor { return asTensor(x, 'logSoftmax').logSoftmax(dim); }
export function exp(x: Tensor): Tensor { return asTensor(x, 'exp').exp(); }
export function log(x: Tensor): Tensor { return asTensor(x, 'log').log(); }
export function sqrt(x: Tensor): Tensor { return asTensor(x, 'sqrt').sqrt(); }
export function tanh(x: Tensor): Tensor { return asTensor(x, 'tanh').tanh(); }
export function sigmoid(x: Tensor): Tensor { return asTensor(x, 'sigmoid').sigmoid(); }
export function relu(x: Tensor): Tensor { return asTensor(x, 'relu').relu(); }
export function silu(x: Tensor): Tensor { return asTensor(x, 'silu').silu(); }
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor { return asTensor(x, 'gelu').gelu(approximate); }
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor { return asTensor(x, 'clamp').clamp(min, max); }
export function sum(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor { return asTensor(x, 'sum').sum(dim, keepdim); }
export function mean(x: Tensor, dim?: number | number[] | null, keepdim = false): Tensor { return asTensor(x, 'mean').mean(dim, keepdim); }
export function isfinite(x: Tensor): Tensor { return asTensor(x, 'isfinite').isfinite(); }
