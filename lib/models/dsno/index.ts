// DSNO (Zheng et al., ICML 2023): distilling a diffusion sampler into an operator that maps noise to the whole
// trajectory in one call. See README.md.
export * from './schedule';
export * from './trajectories';
export * from './operator';
export * from './loss';
export * from './train';
export * from './unet-operator';
export { dsnoMethod } from './method';
import { registerMethod } from '../../registry';
import { dsnoMethod } from './method';
registerMethod(dsnoMethod);
