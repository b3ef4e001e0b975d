// Blackout diffusion (Santos, Fox, Lubbers & Lin, ICML 2023): generative diffusion on integer counts.
export * from './schedule';
export * from './forward';
export * from './loss';
export * from './network';
export * from './sample';
export * from './exact';
export * from './train';
export { blackoutMethod } from './method';
import { registerMethod } from '../../registry';
import { blackoutMethod } from './method';
registerMethod(blackoutMethod);
