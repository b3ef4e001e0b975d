// Metrics for generative models: Fréchet distances, a Fashion-MNIST classifier's scores, sample-based
// distances for toy data, likelihood conversions and forecast scores.
export { frechetDistance, frechetDistanceStats, gaussianStats } from './frechet';
export type { GaussianStats } from './frechet';
export { symmetricEigen } from './linalg';
export type { Samples } from './linalg';
export {
  FashionClassifier, loadFashionClassifier, crossEntropy, roundTrip14, toClassifierInput, FEATURE_DIM, NUM_CLASSES,
  CLASSIFIER_DIR, CLASSIFIER_FILE,
} from './classifier';
export {
  classifierOutputs, classifierOutputsAsync, classifierFeatures, classifierFeaturesAsync, classifierAccuracy,
} from './features';
export type { FeatureOptions, AsyncFeatureOptions, ClassifierOutputs } from './features';
