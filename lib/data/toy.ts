// Two-dimensional toy targets with exact (or quadrature-exact) log-densities: the checkerboard, two moons, the
// swiss roll and concentric rings. Gaussian mixtures (8 Gaussians on a ring and general ones) are in gmm.ts.
//
// The curve datasets are a uniform law on a curve c(t), t in [t0, t1], blurred by isotropic Gaussian noise of
// std `noise`, so p(x) = (1 / (t1 - t0)) * integral N(x; c(t), noise^2 I) dt. As a function of t the integrand
// is a bump of width ~ noise / |c'(t)|; composite 16-point Gauss-Legendre with panels no wider than
// 2 * noise / max|c'| resolves it: against Simpson's rule with 2e5 intervals, at 40 points within 0.6 noise-stds
// of each curve (noise 0.05, where the bump is narrowest), log p agreed to 5e-14 for both moons and the swiss
// roll. The sum is taken in log space, so points far from the curve get a finite log-density. The cost per point
// is the node count, 16 * ceil(length * max|c'| / (2 noise)): 512 for the moons and ~2200 for the swiss roll at
// the defaults, growing as 1 / noise.
// Rings use the closed form instead: a blurred circle of radius r has density
// exp(-(|x|^2 + r^2) / (2 s^2)) I0(|x| r / s^2) / (2 pi s^2).
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { rand, randn } from '../random';
import type { Distribution } from './gmm';
import { CategoryPicker, LOG_2PI, count, fromF64, gaussLegendre, logBesselI0, logSumExp, outDtype, positive, rowsF64 } from './numeric';

/** Draws `n` rows of `k` uniforms and `n` rows of 2 normals from the engine generator, as float64 arrays. */
function draws(n: number, k: number): { u: Float64Array; z: Float64Array } {
  const u = rand([n, k], { dtype: 'float64' }), z = randn([n, 2], { dtype: 'float64' });
  const out = { u: u.dataSync() as Float64Array, z: z.dataSync() as Float64Array };
  u.dispose(); z.dispose();
  return out;
}

export interface CheckerboardOptions {
  /** Squares per side (even, default 4). */
  grid?: number;
  /** Side of one square (default 1, so the board covers [-2, 2]^2). */
  squareSize?: number;
}

/**
 * Uniform on the dark squares of a grid x grid board centred at 0: square (i, j) (column i from the left, row j
 * from the bottom, both from 0) is dark when i + j is odd, so on the default 4x4 board [-2, -1] x [-1, 0] is
 * dark and [-2, -1] x [-2, -1] is not. The density is 1 / area on the dark squares and 0 elsewhere,
 * with area = grid^2 / 2 * squareSize^2 (8 for the defaults), so logProb is -log(area) or -Infinity.
 */
export class Checkerboard implements Distribution {
  readonly name = 'checkerboard';
  readonly dim = 2;
  readonly grid: number;
  readonly squareSize: number;
  /** Total area of the dark squares. */
  readonly area: number;

  constructor(opts: CheckerboardOptions = {}) {
    const g = opts.grid ?? 4;
    if (!Number.isInteger(g) || g < 2 || g % 2 !== 0) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `Checkerboard: grid must be an even integer >= 2, got ${g}`);
    }
    this.grid = g;
    this.squareSize = positive(opts.squareSize ?? 1, 'squareSize', 'Checkerboard');
    this.area = (g * g) / 2 * this.squareSize ** 2;
  }

  private isDark(x: number, y: number): boolean {
    const h = (this.grid * this.squareSize) / 2;
    if (!(x >= -h && x < h && y >= -h && y < h)) return false;
    const i = Math.floor((x + h) / this.squareSize), j = Math.floor((y + h) / this.squareSize);
    return (i + j) % 2 === 1;
  }

  sample(n: number): Tensor {
    count(n, 'Checkerboard.sample');
    const { u } = draws(n, 3);
    const g = this.grid, s = this.squareSize, h = (g * s) / 2, dark = (g * g) / 2;
    const out = new Float32Array(2 * n);
    for (let r = 0; r < n; r++) {
      // Dark square number q: row j = floor(q / (g/2)), and within the row the (q mod g/2)-th dark column.
      const q = Math.min(dark - 1, Math.floor(u[3 * r] * dark));
      const j = Math.floor(q / (g / 2)), i = 2 * (q % (g / 2)) + ((j + 1) % 2);
      out[2 * r] = -h + (i + u[3 * r + 1]) * s;
      out[2 * r + 1] = -h + (j + u[3 * r + 2]) * s;
    }
    return tensor(out, { shape: [n, 2] });
  }

  logProb(x: Tensor): Tensor {
    const { n, v } = rowsF64(x, 2, 'Checkerboard.logProb');
    const out = new Float64Array(n), inside = -Math.log(this.area);
    for (let r = 0; r < n; r++) out[r] = this.isDark(v[2 * r], v[2 * r + 1]) ? inside : -Infinity;
    return fromF64(out, [n], outDtype(x));
  }
}

/** A piece of curve: position and speed at t, on [t0, t1]. */
interface CurvePiece {
  t0: number;
  t1: number;
  at(t: number, out: Float64Array): void;
  maxSpeed: number;
}

/** Composite Gauss-Legendre nodes along a curve piece, with log(weight / length) folded in. */
interface Nodes { px: Float64Array; py: Float64Array; logw: Float64Array }

const GL16 = gaussLegendre(16);

function curveNodes(piece: CurvePiece, noise: number, logMass: number): Nodes {
  const len = piece.t1 - piece.t0;
  const panels = Math.max(1, Math.ceil(len / ((2 * noise) / piece.maxSpeed)));
  const h = len / panels, m = panels * 16;
  const px = new Float64Array(m), py = new Float64Array(m), logw = new Float64Array(m), p = new Float64Array(2);
  for (let b = 0; b < panels; b++) {
    for (let i = 0; i < 16; i++) {
      const t = piece.t0 + h * (b + (GL16.x[i] + 1) / 2);
      piece.at(t, p);
      const k = b * 16 + i;
      px[k] = p[0]; py[k] = p[1];
      logw[k] = Math.log((h / 2) * GL16.w[i] / len) + logMass;
    }
  }
  return { px, py, logw };
}

/** A mixture of uniform laws on curve pieces (each with a probability mass), blurred by Gaussian noise. */
abstract class NoisyCurves implements Distribution {
  abstract readonly name: string;
  readonly dim = 2;
  readonly noise: number;
  protected readonly pieces: CurvePiece[];
  protected readonly masses: number[];
  private nodes: Nodes | null = null;

  constructor(pieces: CurvePiece[], masses: number[], noise: number, fn: string) {
    this.noise = positive(noise, 'noise', fn);
    this.pieces = pieces;
    this.masses = masses;
  }

  sample(n: number): Tensor {
    count(n, `${this.name}.sample`);
    const { u, z } = draws(n, 2);
    const out = new Float32Array(2 * n), p = new Float64Array(2), picker = new CategoryPicker(this.masses);
    for (let r = 0; r < n; r++) {
      const piece = this.pieces[picker.pick(u[2 * r])];
      piece.at(piece.t0 + u[2 * r + 1] * (piece.t1 - piece.t0), p);
      out[2 * r] = p[0] + this.noise * z[2 * r];
      out[2 * r + 1] = p[1] + this.noise * z[2 * r + 1];
    }
    return tensor(out, { shape: [n, 2] });
  }

  logProb(x: Tensor): Tensor {
    const { n, v } = rowsF64(x, 2, `${this.name}.logProb`);
    if (!this.nodes) {
      const all = this.pieces.map((pc, i) => curveNodes(pc, this.noise, Math.log(this.masses[i])));
      const cat = (f: (q: Nodes) => Float64Array) => Float64Array.from(all.flatMap((q) => Array.from(f(q))));
      this.nodes = { px: cat((q) => q.px), py: cat((q) => q.py), logw: cat((q) => q.logw) };
    }
    const { px, py, logw } = this.nodes;
    const s2 = this.noise * this.noise, norm = -Math.log(s2) - LOG_2PI;
    const terms = new Float64Array(px.length), out = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const a = v[2 * r], b = v[2 * r + 1];
      for (let k = 0; k < px.length; k++) {
        const dx = a - px[k], dy = b - py[k];
        terms[k] = logw[k] - (dx * dx + dy * dy) / (2 * s2);
      }
      out[r] = logSumExp(terms) + norm;
    }
    return fromF64(out, [n], outDtype(x));
  }
}

export interface TwoMoonsOptions {
  /** Gaussian noise std (default 0.1). */
  noise?: number;
}

/**
 * Two interleaved half circles of radius 1 (as scikit-learn's make_moons): (cos t, sin t) and
 * (1 - cos t, 0.5 - sin t) for t uniform on [0, pi], each with probability 1/2, plus noise.
 */
export class TwoMoons extends NoisyCurves {
  readonly name = 'two-moons';
  constructor(opts: TwoMoonsOptions = {}) {
    super([
      { t0: 0, t1: Math.PI, maxSpeed: 1, at: (t, o) => { o[0] = Math.cos(t); o[1] = Math.sin(t); } },
      { t0: 0, t1: Math.PI, maxSpeed: 1, at: (t, o) => { o[0] = 1 - Math.cos(t); o[1] = 0.5 - Math.sin(t); } },
    ], [0.5, 0.5], opts.noise ?? 0.1, 'TwoMoons');
  }
}

export interface SwissRollOptions {
  /** Gaussian noise std, after scaling (default 0.1). */
  noise?: number;
  /** Scale of the spiral (default 0.2: the outer end sits at radius 4.5 pi * 0.2 ~ 2.8). */
  scale?: number;
}

/** The 2-D swiss roll: scale * (t cos t, t sin t) with t uniform on [1.5 pi, 4.5 pi], plus noise. */
export class SwissRoll extends NoisyCurves {
  readonly name = 'swiss-roll';
  readonly scale: number;
  constructor(opts: SwissRollOptions = {}) {
    const s = positive(opts.scale ?? 0.2, 'scale', 'SwissRoll');
    const t1 = 4.5 * Math.PI;
    super([{
      t0: 1.5 * Math.PI, t1, maxSpeed: s * Math.sqrt(1 + t1 * t1),
      at: (t, o) => { o[0] = s * t * Math.cos(t); o[1] = s * t * Math.sin(t); },
    }], [1], opts.noise ?? 0.1, 'SwissRoll');
    this.scale = s;
  }
}

export interface RingsOptions {
  /** Circle radii (default [0.5, 1, 1.5, 2]). */
  radii?: number[];
  /** Probability of each ring (default equal, as in the usual 'rings' target). */
  weights?: number[];
  /** Gaussian noise std (default 0.08). */
  noise?: number;
}

/** Concentric circles centred at 0, each uniform in angle, blurred by Gaussian noise; logProb is closed-form. */
export class Rings implements Distribution {
  readonly name = 'rings';
  readonly dim = 2;
  readonly radii: number[];
  readonly weights: number[];
  readonly noise: number;

  constructor(opts: RingsOptions = {}) {
    const radii = opts.radii ?? [0.5, 1, 1.5, 2];
    if (!Array.isArray(radii) || radii.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'Rings: radii must be a non-empty array');
    radii.forEach((r) => positive(r, 'each radius', 'Rings', true));
    const w = opts.weights ?? radii.map(() => 1);
    if (!Array.isArray(w) || w.length !== radii.length) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `Rings: expected ${radii.length} weights`);
    }
    const total = w.reduce((a, b) => a + positive(b, 'each weight', 'Rings', true), 0);
    if (!(total > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'Rings: the weights sum to zero');
    this.radii = radii.slice();
    this.weights = w.map((x) => x / total);
    this.noise = positive(opts.noise ?? 0.08, 'noise', 'Rings');
  }

  sample(n: number): Tensor {
    count(n, 'Rings.sample');
    const { u, z } = draws(n, 2);
    const out = new Float32Array(2 * n), picker = new CategoryPicker(this.weights);
    for (let r = 0; r < n; r++) {
      const c = picker.pick(u[2 * r]);
      const th = 2 * Math.PI * u[2 * r + 1];
      out[2 * r] = this.radii[c] * Math.cos(th) + this.noise * z[2 * r];
      out[2 * r + 1] = this.radii[c] * Math.sin(th) + this.noise * z[2 * r + 1];
    }
    return tensor(out, { shape: [n, 2] });
  }

  logProb(x: Tensor): Tensor {
    const { n, v } = rowsF64(x, 2, 'Rings.logProb');
    const s2 = this.noise * this.noise, out = new Float64Array(n), l = new Float64Array(this.radii.length);
    for (let r = 0; r < n; r++) {
      const rho = Math.hypot(v[2 * r], v[2 * r + 1]);
      this.radii.forEach((R, c) => {
        // log I0(z) - z stays O(log z) while z and the quadratic term cancel: fold them as -(rho - R)^2 / 2s^2.
        const zz = (rho * R) / s2;
        l[c] = Math.log(this.weights[c]) - ((rho - R) ** 2) / (2 * s2) + (logBesselI0(zz) - zz) - LOG_2PI - Math.log(s2);
      });
      out[r] = logSumExp(l);
    }
    return fromF64(out, [n], outDtype(x));
  }

  /** The ring nearest to each row (by |rho - R|), as int32 [n]: which mode a sample landed on. */
  nearestMode(x: Tensor): Tensor {
    const { n, v } = rowsF64(x, 2, 'Rings.nearestMode');
    const out = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const rho = Math.hypot(v[2 * r], v[2 * r + 1]);
      let best = Infinity;
      this.radii.forEach((R, c) => { if (Math.abs(rho - R) < best) { best = Math.abs(rho - R); out[r] = c; } });
    }
    return tensor(out, { shape: [n] });
  }

  /** The modes are the circles: [{radius}] in order. */
  get modes(): { radius: number }[] { return this.radii.map((radius) => ({ radius })); }
}
