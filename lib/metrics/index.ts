// Metrics for generative models: Fréchet distances, a Fashion-MNIST classifier's scores, sample-based
// distances for toy data, likelihood conversions and forecast scores.
export { frechetDistance, frechetDistanceStats, gaussianStats } from './frechet';
export type { GaussianStats } from './frechet';
export { symmetricEigen } from './linalg';
export { gaussianKL, cholesky } from './gaussian';
export { knnCrossEntropy } from './knn';
export type { KnnEstimate } from './knn';
export type { Samples } from './linalg';
export {
  FashionClassifier, loadFashionClassifier, crossEntropy, roundTrip14, toClassifierInput, checkImages, FEATURE_DIM, NUM_CLASSES,
  CLASSIFIER_DIR, CLASSIFIER_FILE,
} from './classifier';
export {
  classifierOutputs, classifierOutputsAsync, classifierFeatures, classifierFeaturesAsync, classifierAccuracy,
} from './features';
export type { FeatureOptions, AsyncFeatureOptions, ClassifierOutputs } from './features';
export { classifierPerceptualDistance } from './perceptual';
export type { PerceptualOptions } from './perceptual';
export {
  fashionFrechetDistance, fashionFrechetDistanceAsync, fashionReferenceStats, classifierScore, classifierScoreAsync,
  scoreFromProbs, precisionRecall, REFERENCE_STATS_FILE, disjointDraws, fashionRealFloorAsync,
} from './fashion';
export type { FashionFDOptions, PrecisionRecall, RealFloor } from './fashion';
export { slicedWasserstein, wasserstein1dPow, mmd2, energyDistance, modeCoverage } from './samples';
export type { SlicedWassersteinOptions, MMDOptions, ModeCoverageOptions, ModeCoverage } from './samples';
export {
  meanLogLikelihood, natsToBitsPerDim, bitsPerDimToNats, dequantizedBitsPerDim, dequantize, DEFAULT_BIN_WIDTH,
  bitsPerCharacter, bitsPerCharacterFromLogits,
} from './likelihood';
export type { Density, LogLikelihood } from './likelihood';
export { crpsEnsemble, meanCrps, crpsGaussian, quantileLoss, erf, normalCdf, normalPdf } from './forecast';
export type { CrpsOptions } from './forecast';
export { energyScore, normalizedQuantileLoss, sortedQuantile, DECILES } from './ensemble-scores';
export { countMetrics, countHistogramTV, countHistograms, independentElements, referenceBandwidths, countMatrix } from './counts';
export type { CountMetrics, CountMatrix } from './counts';
export { fourierAmplitudes, outOfBandFraction, medianPairDistance, functionMetrics, functionRows } from './functions';
export type { FunctionMetrics } from './functions';
export { CharNGram } from './ngram';
export { marginalScores } from './marginal';
export type { MarginalScores } from './marginal';
export { textSampleMetrics } from './text';
export type { TextJudgeOptions, TextSampleMetrics } from './text';
