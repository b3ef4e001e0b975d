// Internal re-exports for modules that sit above tensor.ts (avoids import cycles through index.ts).
export { Tensor, wrapNative, zerosLike, zeros, tensor } from './tensor';
export { stack } from './ops';
