// Continuous-Time Functional Diffusion Processes (Franzese et al., NeurIPS 2023): diffusion of functions in a
// Fourier basis with an INR denoiser adapted per sample by inner SGD steps. See README.md.
export * from './sde';
export * from './loss';
export * from './denoiser';
export * from './train';
export * from './sample';
export * from './exact';
export { fdpMethod } from './method';
import { registerMethod } from '../../registry';
import { fdpMethod } from './method';
registerMethod(fdpMethod);
