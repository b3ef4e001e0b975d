// Pictures of results: 2-D sample scatters/histograms as PNG (for the toy targets) and SVG line plots with
// axes, ticks and a legend (loss curves, metric against NFE). Both are written atomically.
import { Tensor, TensorfieldError } from '../tensor';
import { writeFileAtomicSync } from './atomic';
import { RawImage, savePNG } from './png';

export interface ScatterOptions {
  /** Plotted square [lo, hi] on both axes, or [[xlo, xhi], [ylo, yhi]] (default [-4, 4]). */
  range?: [number, number] | [[number, number], [number, number]];
  /** Image side in pixels (default 512). */
  size?: number;
  /**
   * 'density' (default): a 2-D histogram with one bin per pixel, shaded by sqrt(count / max count) so that
   * sparse regions stay visible next to dense modes. 'points': every point one dark pixel.
   */
  mode?: 'density' | 'points';
}

/** Renders points [n, 2] (x to the right, y up) as a grey image on white. Points outside the range are dropped. */
export function scatterImage(points: Tensor, opts: ScatterOptions = {}): RawImage {
  const fn = 'saveScatterPNG';
  if (!(points instanceof Tensor) || points.ndim !== 2 || points.shape[1] !== 2) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: expected points [n, 2], got ${points instanceof Tensor ? `[${points.shape.join(', ')}]` : typeof points}`);
  }
  const size = opts.size ?? 512, mode = opts.mode ?? 'density';
  const r = opts.range ?? [-4, 4];
  const [[x0, x1], [y0, y1]] = (Array.isArray(r[0]) ? r : [r, r]) as [[number, number], [number, number]];
  if (!Number.isInteger(size) || size < 2 || size > 8192 || !(x1 > x0) || !(y1 > y0) || ![x0, x1, y0, y1].every(Number.isFinite) ||
      (mode !== 'density' && mode !== 'points')) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need an integer size 2-8192, finite ranges lo < hi and mode 'density' or 'points'`);
  }
  const v = points.dataSync() as ArrayLike<number>, n = points.shape[0];
  const counts = new Uint32Array(size * size);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const px = Math.floor(((v[2 * i] - x0) / (x1 - x0)) * size), py = Math.floor(((y1 - v[2 * i + 1]) / (y1 - y0)) * size);
    if (!(px >= 0 && px < size && py >= 0 && py < size)) continue; // NaN fails too
    const c = ++counts[py * size + px];
    if (c > max) max = c;
  }
  const data = new Uint8Array(size * size).fill(255);
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    data[i] = mode === 'points' ? 0 : Math.round(255 * (1 - Math.sqrt(counts[i] / max)));
  }
  return { width: size, height: size, channels: 1, data };
}

export function saveScatterPNG(points: Tensor, file: string, opts: ScatterOptions = {}): void {
  savePNG(file, scatterImage(points, opts));
}

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LinePlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: LineSeries[];
  logX?: boolean;
  logY?: boolean;
  /** Pixel size (default 640 x 420). */
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Short decimal text for a tick value (no float noise like 0.30000000000000004). */
export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

/** Ticks at 1, 2 or 5 times a power of ten, about `target` of them across [lo, hi]. */
export function linearTicks(lo: number, hi: number, target = 6): number[] {
  const raw = (hi - lo) / target, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

/**
 * Ticks of a log axis spanning [10^lo, 10^hi]: the powers of ten inside, plus 2x and 5x of them when fewer
 * than three powers fall inside (a short axis would otherwise show one label or none).
 */
function logTicks(lo: number, hi: number): number[] {
  const inside = (v: number) => Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9;
  const powers: number[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) powers.push(Number(`1e${k}`));
  const main = powers.filter(inside);
  if (main.length >= 3) return main;
  return powers.flatMap((p) => [p, 2 * p, 5 * p]).map((v) => Number(v.toPrecision(12))).filter(inside);
}

/** Axis domain from the finite data (positive only on a log axis), padded a little; [0, 1] when there is none. */
export function domain(vals: number[], log: boolean): [number, number] {
  const f = vals.filter((v) => Number.isFinite(v) && (!log || v > 0)).map((v) => (log ? Math.log10(v) : v));
  if (f.length === 0) return [0, 1];
  let lo = Math.min(...f), hi = Math.max(...f);
  if (lo === hi) { lo -= 0.5; hi += 0.5; }
  // A log axis spans the data plus 3% (in decades); rounding out to whole decades would squeeze data that covers
  // a factor of 30 (NFE 4 to 128, say) into a corner.
  if (log) return [lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)];
  const ticks = linearTicks(lo, hi);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : hi - lo;
  return [Math.min(lo, Math.floor(lo / step) * step), Math.max(hi, Math.ceil(hi / step) * step)];
}

/**
 * An SVG line plot. Non-finite points (and non-positive ones on a log axis) break the line rather than being
 * drawn at a wrong place. Log axes get ticks at the powers of ten.
 */
export function linePlotSVG(opts: LinePlotOptions): string {
  const fn = 'linePlotSVG';
  if (!opts || !Array.isArray(opts.series)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: series must be an array`);
  for (const s of opts.series) {
    if (!s || typeof s.name !== 'string' || s.x?.length !== s.y?.length) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: each series needs a name and x, y of equal length`);
    }
  }
  const W = opts.width ?? 640, H = opts.height ?? 420;
  const ml = 70, mr = 20, mt = opts.title ? 40 : 20, mb = 55;
  const pw = W - ml - mr, ph = H - mt - mb;
  const logX = !!opts.logX, logY = !!opts.logY;
  const xs = opts.series.flatMap((s) => Array.from(s.x)), ys = opts.series.flatMap((s) => Array.from(s.y));
  const [dx0, dx1] = domain(xs, logX), [dy0, dy1] = domain(ys, logY);
  const tx = (v: number) => ml + (((logX ? Math.log10(v) : v) - dx0) / (dx1 - dx0)) * pw;
  const ty = (v: number) => mt + ph - (((logY ? Math.log10(v) : v) - dy0) / (dy1 - dy0)) * ph;
  const ok = (v: number, log: boolean) => Number.isFinite(v) && (!log || v > 0);
  const r2 = (v: number) => v.toFixed(2);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`);
  const ticks = (lo: number, hi: number, log: boolean) => (log ? logTicks(lo, hi) : linearTicks(lo, hi));
  out.push('<g class="grid" stroke="#e0e0e0" stroke-width="1">');
  const xt = ticks(dx0, dx1, logX), yt = ticks(dy0, dy1, logY);
  for (const t of xt) out.push(`<line x1="${r2(tx(t))}" y1="${mt}" x2="${r2(tx(t))}" y2="${mt + ph}"/>`);
  for (const t of yt) out.push(`<line x1="${ml}" y1="${r2(ty(t))}" x2="${ml + pw}" y2="${r2(ty(t))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${ml}" y="${mt}" width="${pw}" height="${ph}" fill="none" stroke="black"/>`);
  out.push('<g class="ticks">');
  for (const t of xt) {
    out.push(`<line x1="${r2(tx(t))}" y1="${mt + ph}" x2="${r2(tx(t))}" y2="${mt + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${r2(tx(t))}" y="${mt + ph + 18}" text-anchor="middle">${esc(fmt(t))}</text>`);
  }
  for (const t of yt) {
    out.push(`<line x1="${ml - 5}" y1="${r2(ty(t))}" x2="${ml}" y2="${r2(ty(t))}" stroke="black"/>`);
    out.push(`<text x="${ml - 8}" y="${r2(ty(t) + 4)}" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  out.push('</g>');
  if (opts.xLabel) out.push(`<text x="${ml + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text x="16" y="${mt + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${mt + ph / 2})">${esc(opts.yLabel)}</text>`);
  opts.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    // One polyline per run of plottable points.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${run.join(' ')}"/>`);
      else if (run.length === 1) {
        const [cx, cy] = run[0].split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
      }
      run = [];
    };
    out.push(`<g class="series" data-name="${esc(s.name)}">`);
    for (let k = 0; k < s.x.length; k++) {
      if (ok(s.x[k], logX) && ok(s.y[k], logY)) run.push(`${r2(tx(s.x[k]))},${r2(ty(s.y[k]))}`);
      else flush();
    }
    flush();
    out.push('</g>');
  });
  out.push('<g class="legend">');
  opts.series.forEach((s, i) => {
    const y = mt + 14 + i * 18, x = ml + pw - 150;
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2.5"/>`);
    out.push(`<text x="${x + 28}" y="${y}">${esc(s.name)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Writes linePlotSVG(opts) to `file`, atomically. */
export function saveLinePlot(file: string, opts: LinePlotOptions): void {
  writeFileAtomicSync(file, [Buffer.from(linePlotSVG(opts), 'utf8')]);
}
