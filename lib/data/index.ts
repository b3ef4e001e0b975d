// Data: Fashion-MNIST (IDX), toy distributions with exact densities, manifold data, the Brown corpus as characters,
// real time series (vega-datasets, statsmodels), and a seeded DataLoader.
export { parseIdx, readIdx, encodeIdx } from './idx';
export type { IdxArray } from './idx';
export {
  loadFashionMNIST, imagesToTensor, labelsToTensor, randomHorizontalFlip, FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_DIR, FASHION_MNIST_EMBEDDED_DIR, fashionMNISTDir, describeFashionSource,
} from './fashion_mnist';
export type { FashionMNISTOptions, ImageDataset, ImageTensorOptions, Split, FashionDatasetInfo } from './fashion_mnist';
export { GaussianMixture, ringOfGaussians, eightGaussians } from './gmm';
export type { Distribution, GaussianMixtureOptions, RingOfGaussiansOptions, PerRow } from './gmm';
export { Checkerboard, TwoMoons, SwissRoll, Rings } from './toy';
export type { CheckerboardOptions, TwoMoonsOptions, SwissRollOptions, RingsOptions } from './toy';
export { SphereManifold, SubspaceManifold, randomIsometry } from './manifold';
export type { ManifoldOptions, SubspaceOptions } from './manifold';
export { SeededRandom, mulberry32 } from './prng';
export { DataLoader } from './loader';
export type { DataLoaderOptions } from './loader';
export { parseCSV } from './csv';
export {
  loadTimeSeries, readCSVSeries, parseCSVSeries, parseDate, forecastWindows, imputationMasks, subsampleIrregular,
  seriesStats, normalizeSeries, denormalizeValues, seriesLength, STATSMODELS_DATASETS_DIR,
} from './timeseries';
export type {
  TimeSeries, CSVSeriesSpec, KnownSeries, LoadSeriesOptions, WindowOptions, Windows, ImputationOptions, ImputationMasks, NormStats,
} from './timeseries';
export { loadBrownCorpus, untagBrownLine, brownCorpusDir, CharVocabulary, randomWindows } from './text';
export type { BrownOptions, TextCorpus } from './text';
export { npmPackageDir } from './packages';
export { seasonalClimatology } from './climatology';
export type { Climatology, ClimatologyOptions } from './climatology';
export { openDataSource, DATA_SOURCES } from './sources';
export type { DataSource, DataSourceOptions, FloorPool } from './sources';
export { loadCountData, fashionCounts, fashionCountData, digitsCountData, brownCountData, COUNT_SOURCES, SKLEARN_DIGITS_CSV } from './counts';
export type { CountDataset } from './counts';
export { bandLimitedFunctions, dailyCurves } from './functions';
export type { BandLimitedOptions, BandLimitedSet, DailyCurves } from './functions';
