// Gauge freedom, conservative score fields and intrinsic-dimension estimation (Horvat & Pfister, ICLR 2024):
// the no-training gauge experiment (fields.ts), the two score parameterisations (nets.ts), VE-SDE denoising score
// matching (train.ts) and the dimension estimators (id.ts). See README.md.
export * from './fields';
export * from './id';
export * from './nets';
export * from './train';
export * from './flowmap';
export * from './condition';
export * from './curl';
export { gaugeMethod } from './method';
