export { Module } from './module';
export type { StateDict } from './module';
export * from './layers';
import * as functional from './functional';
export { functional };
import * as models from './models';
export { models };
