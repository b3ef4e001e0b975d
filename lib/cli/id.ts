// tensorfield id: intrinsic-dimension estimates from a trained run's score field (methods with a score(), e.g.
// gauge): per held-out point, estimator A (score-SVD) and optionally B1 (Jacobian spectrum), with a histogram, and
// the accuracy when the data's dimension is known (the manifold sources). Writes <run>/id.json.
import * as path from 'path';
import * as tf from '../index';
import { parseFlags, usageError, type FlagSpec } from './args';
import { openRun } from './train';
import { writeJson } from './run-dir';
import { jacobianDimension, scoreSvdDimension } from '../models/gauge/id';

export const ID_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'run folder of a tensorfield train (a method with a score field: gauge)' },
  n: { type: 'number', default: 50, help: 'held-out points to estimate at' },
  sigma: { type: 'number', help: "noise level of the estimate (default: the run's sigmaMin)" },
  k: { type: 'number', help: 'estimator A: perturbations per point (default 4 x dimension)' },
  jacobian: { type: 'boolean', default: false, help: 'also estimator B1 (Jacobian spectrum; slower)' },
  'jacobian-sigma': { type: 'number', help: 'noise level of estimator B1 (default: --sigma; the S^5 runs of lib/models/gauge use 0.02)' },
  seed: { type: 'number', default: 3, help: 'seed of the held-out points and perturbations' },
};

export interface IdReport {
  n: number;
  sigma: number;
  /** The noise level B1 was evaluated at (with --jacobian). */
  jacobianSigma?: number;
  dims: number[];
  histogram: Record<string, number>;
  trueDim: number | null;
  accuracy: number | null;
  dimsJacobian?: number[];
}

export function idCommand(argv: string[], log = (s: string) => console.log(s)): IdReport {
  const { flags } = parseFlags(argv, ID_FLAGS);
  if (typeof flags.run !== 'string') throw usageError('--run <folder> is required (the --out folder of a tensorfield train)');
  const n = flags.n as number;
  if (!Number.isInteger(n) || n < 1) throw usageError(`--n must be a positive integer, got ${String(flags.n)}`);
  const { src, run, step, ctx } = openRun(flags.run, log);
  if (!run.score || src.kind !== 'points')
    throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `tensorfield id: method '${ctx.method}' on '${src.name}' has no score field on points (train with --method gauge)`);
  const sigma = (flags.sigma as number | undefined) ?? (ctx.options.sigmaMin as number);
  if (!(sigma > 0)) throw usageError(`--sigma must be > 0, got ${String(flags.sigma)}`);
  const sigmaJ = (flags['jacobian-sigma'] as number | undefined) ?? sigma;
  if (!(sigmaJ > 0)) throw usageError(`--jacobian-sigma must be > 0, got ${String(flags['jacobian-sigma'])}`);
  const D = src.itemShape[0];
  const K = (flags.k as number | undefined) ?? 4 * D;
  tf.manualSeed(flags.seed as number);
  const pts = src.real(n);
  const score = (x: tf.Tensor) => run.score!(x, sigma);
  const dims: number[] = [], dimsJ: number[] = [];
  const hist: Record<string, number> = {};
  log(`intrinsic dimension of ${src.name} (ambient ${D}${src.intrinsicDim ? `, true ${src.intrinsicDim}` : ''}) from ${flags.run} (step ${step}), sigma ${sigma}, K ${K}${flags.jacobian ? `, B1 at sigma ${sigmaJ}` : ''}`);
  for (let i = 0; i < n; i++) {
    const x0 = pts.select(0, i);
    const a = scoreSvdDimension(score, x0, sigma, K);
    dims.push(a.dim);
    hist[a.dim] = (hist[a.dim] ?? 0) + 1;
    let line = `point ${String(i).padStart(3)}: A ${a.dim}`;
    if (flags.jacobian) {
      const b = jacobianDimension((x) => run.score!(x, sigmaJ, true), x0, sigmaJ);
      dimsJ.push(b.dim);
      line += `  B1 ${b.dim}  asymmetry ${b.asymmetry.toExponential(2)}`;
    }
    log(line);
  }
  pts.dispose();
  const width = Math.max(...Object.values(hist));
  log('histogram (estimator A):');
  for (const d of Object.keys(hist).map(Number).sort((p, q) => p - q))
    log(`  ${String(d).padStart(3)} | ${'#'.repeat(Math.max(1, Math.round((40 * hist[d]) / width)))} ${hist[d]}`);
  const trueDim = src.intrinsicDim ?? null;
  const accuracy = trueDim === null ? null : dims.filter((d) => d === trueDim).length / n;
  if (accuracy !== null) log(`exact dimension (${trueDim}) at ${(100 * accuracy).toFixed(0)} % of ${n} points`);
  const report: IdReport = { n, sigma, dims, histogram: hist, trueDim, accuracy, ...(flags.jacobian ? { jacobianSigma: sigmaJ, dimsJacobian: dimsJ } : {}) };
  writeJson(path.join(flags.run, 'id.json'), report);
  return report;
}
