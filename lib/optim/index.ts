export { Optimizer, SGD, Adam, AdamW, clipGradNorm } from './optimizer';
export type { ParamGroup, AdamOptions } from './optimizer';
export { LRScheduler, warmup, cosine, stepDecay, warmupCosine } from './schedule';
export type { Schedule } from './schedule';
export { EMA } from './ema';
