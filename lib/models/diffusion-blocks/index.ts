// DiffusionBlocks (Shing & Akiba 2025): see README.md.
export * from './partition';
export { BlockwiseDenoiser, FiLMResidualLayer, BlockStem, BlockHead, type BlockwiseConfig, type StemMode } from './model';
export { BlockOptimizers } from './optimizers';
export { BlockStreams, BlockTrainer, sampleRouted, type BlockTrainConfig, type StepReport, type RoutedSampleOptions } from './train';
export { dblocksMethod, createDblocks, checkDblocksOptions, blockOfStep, stepsOfBlock, DBLOCKS_OPTIONS, type DblocksRun } from './method';
export { assembleBlocks } from './assemble';
export { CharBlockLM, CharLMTrainer, generateChars, edmWeight, type CharLMConfig, type CharLMTrainConfig, type CharGenerateOptions, type CharStepReport } from './charlm';
export { dblocksLmMethod, createDblocksLm, checkDblocksLmOptions, heldOutBits, heldOutBound, DBLOCKS_LM_OPTIONS, type DblocksLmRun } from './lm-method';
export { embeddingBound, type EmbeddingBoundOptions, type EmbeddingBound } from './lm-bound';
