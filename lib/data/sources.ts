// Training data by name, as the CLI and the paper scripts ask for it: 2-D toy densities (exact log-density and,
// for mixtures, modes) and Fashion-MNIST at 28 or 14 pixels. Each source draws batches from the engine
// generator, so a checkpoint that stores the generator state resumes the same batch sequence.
import { Tensor, TensorfieldError } from '../tensor';
import { randint } from '../random';
import { tidy } from '../scope';
import type { Distribution } from './gmm';
import { eightGaussians } from './gmm';
import { Checkerboard, TwoMoons, SwissRoll, Rings } from './toy';
import { loadFashionMNIST, imagesToTensor, randomHorizontalFlip } from './fashion_mnist';

export interface DataSource {
  name: string;
  kind: 'points' | 'images';
  /** Shape of one item: [dim] or [C, H, W]. */
  itemShape: number[];
  /** A random training batch (float32, the caller owns it). */
  batch(n: number): Tensor;
  /** n held-out real items for evaluation (images: the test split; points: fresh draws). */
  real(n: number): Tensor;
  /** The exact density, when known. */
  density?: Distribution;
  /** Mode centres and a radius for mode-coverage metrics, when the target has modes. */
  modes?: { centres: number[][]; radius: number };
  /** Where the data came from (a file path or 'generated'). */
  origin: string;
}

const TOY: Record<string, () => Distribution> = {
  'eight-gaussians': () => eightGaussians(),
  checkerboard: () => new Checkerboard(),
  'two-moons': () => new TwoMoons(),
  'swiss-roll': () => new SwissRoll(),
  rings: () => new Rings(),
};
const IMAGES = ['fashion', 'fashion14'] as const;
export const DATA_SOURCES: readonly string[] = [...Object.keys(TOY), ...IMAGES];

export interface DataSourceOptions {
  /** Fashion-MNIST: 'auto' (Debian package, else the shipped subset), 'full', 'embedded' or a directory. */
  fashionSource?: string;
  /** Images: random horizontal flips in training batches. */
  flip?: boolean;
}

function toySource(name: string): DataSource {
  const d = TOY[name]();
  const src: DataSource = {
    name, kind: 'points', itemShape: [d.dim], density: d, origin: 'generated',
    batch: (n) => d.sample(n), real: (n) => d.sample(n),
  };
  const modes = (d as { modes?: number[][] }).modes;
  const stds = (d as { stds?: Float64Array }).stds;
  // within 3 component stds of a centre counts as on the mode (99% of a 2-D Gaussian's mass is inside 3.03 std)
  if (modes && stds) src.modes = { centres: modes, radius: 3 * Math.max(...stds) };
  return src;
}

function fashionSource(name: string, o: DataSourceOptions): DataSource {
  const resolution = name === 'fashion14' ? 14 : 28;
  const train = loadFashionMNIST({ split: 'train', source: o.fashionSource ?? 'auto' });
  const images = imagesToTensor(train, { resolution });
  let test: Tensor | null = null;
  return {
    name, kind: 'images', itemShape: [1, resolution, resolution], origin: train.source,
    batch: (n) => tidy(() => {
      const x = images.indexSelect(0, randint(0, train.count, [n]));
      return o.flip ? randomHorizontalFlip(x) : x;
    }),
    real: (n) => {
      if (!test) test = imagesToTensor(loadFashionMNIST({ split: 'test', source: o.fashionSource ?? 'auto' }), { resolution });
      const m = Math.min(n, test.shape[0]);
      return test.slice(0, 0, m).contiguous();
    },
  };
}

/** A data source by name (valid names: DATA_SOURCES). */
export function openDataSource(name: string, opts: DataSourceOptions = {}): DataSource {
  if (name in TOY) return toySource(name);
  if ((IMAGES as readonly string[]).includes(name)) return fashionSource(name, opts);
  throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown data '${name}' (valid: ${DATA_SOURCES.join(', ')})`);
}
