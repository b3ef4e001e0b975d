export { Optimizer, SGD, Adam, AdamW, clipGradNorm } from './optimizer';
export { AdaBelief } from './adabelief';
export type { AdaBeliefOptions } from './adabelief';
export type { ParamGroup, AdamOptions, StepPolicy } from './optimizer';
export { LRScheduler, warmup, cosine, stepDecay, warmupCosine, inverseSqrt } from './schedule';
export type { Schedule } from './schedule';
export { EMA, GroupedEMA, gammaOfSigmaRel, sigmaRelOfGamma, MAX_SIGMA_REL } from './ema';
