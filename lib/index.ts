// tensorfield: a native compute engine for diffusion models, driven from TypeScript.
export { Tensor, TensorfieldError, tensor, zeros, ones, full, empty, arange, linspace, eye, zerosLike, onesLike, fullLike } from './tensor';
export type { DType, Shape, TensorLike, NestedArray, CreateOptions } from './tensor';
export type { TypedArray } from './native';
export * from './ops';
export { conv2d, convTranspose2d } from './conv';
export type { Conv2dOptions, ConvTranspose2dOptions } from './conv';
export { manualSeed, getRngState, setRngState, rand, randn, randint, randLike, randnLike, bernoulli, binomial, poisson, multinomial } from './random';
export { tidy, keep, dispose } from './scope';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd';
export { memory, setNumThreads, getNumThreads, info, backend, cuda } from './engine';
export type { MemoryInfo } from './engine';
export type { RngState } from './random';
import * as autograd from './autograd';
import * as func from './func';
import * as nn from './nn';
import * as optim from './optim';
import * as io from './io';
export { autograd, func, nn, optim, io };
