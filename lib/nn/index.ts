export { Module } from './module';
export type { StateDict, LoadStateDictResult } from './module';
export * from './layers';
export { SiLU, ReLU, GELU, Tanh, Sigmoid, Identity, Flatten } from './activations';
export { ModuleList, ModuleDict } from './containers';
import * as functional from './functional';
export { functional };
import * as models from './models';
export { models };
