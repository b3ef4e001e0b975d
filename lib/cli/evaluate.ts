// Sample-quality metrics for a data source, as metrics.json reports them. Points: sliced W2, MMD², energy
// distance against fresh real draws, the exact mean log-density (and the real data's own, so a reader sees the
// gap), mode coverage. Images: FD_cls and the classifier score against the real test set, with the real-data
// floor at the same sample count (FD is biased upward at small n, so the floor is what to compare with).
import { Tensor } from '../tensor';
import { tidy } from '../scope';
import type { DataSource } from '../data/sources';
import { slicedWasserstein, mmd2, energyDistance, modeCoverage } from '../metrics/samples';
import { meanLogLikelihood } from '../metrics/likelihood';
import { fashionFrechetDistanceAsync, classifierScoreAsync } from '../metrics/fashion';

export type Metrics = Record<string, number>;

export async function evaluateSamples(src: DataSource, samples: Tensor, onProgress?: (msg: string) => void): Promise<Metrics> {
  const n = samples.shape[0];
  const m: Metrics = { samples: n };
  if (src.kind === 'points') {
    const real = src.real(n);
    try {
      m.slicedW2 = slicedWasserstein(samples, real, { p: 2, seed: 0 });
      const k = Math.min(n, 2000);  // MMD and energy are O(n²)
      const [a, b] = tidy(() => [samples.slice(0, 0, k).contiguous(), real.slice(0, 0, k).contiguous()]);
      m.mmd2 = mmd2(a, b);
      m.energyDistance = energyDistance(a, b);
      a.dispose(); b.dispose();
      if (src.density) {
        m.meanLogProb = meanLogLikelihood(samples, src.density).mean;
        m.realMeanLogProb = meanLogLikelihood(real, src.density).mean;
      }
      if (src.modes) {
        const c = modeCoverage(samples, src.modes.centres, { radius: src.modes.radius });
        m.modesHit = c.modesHit;
        m.modeTV = c.tv;
        m.offModeFraction = c.offModeFraction;
      }
    } finally {
      real.dispose();
    }
    return m;
  }
  onProgress?.('classifier features of the samples');
  m.fdCls = await fashionFrechetDistanceAsync(samples);
  m.classifierScore = await classifierScoreAsync(samples);
  onProgress?.('real-data floor at the same sample count');
  const real = src.real(n);
  try {
    m.fdClsRealFloor = await fashionFrechetDistanceAsync(real);
  } finally {
    real.dispose();
  }
  return m;
}
