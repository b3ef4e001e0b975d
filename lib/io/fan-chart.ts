// Fan charts of probabilistic forecasts and imputations as SVG: the observed series as a line (broken where values
// are missing), and for each predicted stretch its central bands (outer first: e.g. 90 % then 50 %) as filled
// paths and its median as a line. A stretch of one point (a single missing week) is drawn as a short bar, so that
// it stays visible. Optional markers (dots) show the points a forecast was conditioned on. The axes, ticks and text
// escaping are plot.ts's.
import { TensorfieldError } from '../tensor';
import { writeFileAtomicSync } from './atomic';
import { PALETTE, domain, esc, fmt, linearTicks } from './plot';

export interface FanBand { label: string; lo: ArrayLike<number>; hi: ArrayLike<number> }

export interface Fan {
  x: ArrayLike<number>;
  median: ArrayLike<number>;
  /** central intervals, outermost first; each must contain the next one and the median */
  bands: FanBand[];
}

export interface FanChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** the observed series; NaN values break the line */
  observed?: { name?: string; x: ArrayLike<number>; y: ArrayLike<number> };
  /** points marked as dots on top (e.g. the observations a forecast was conditioned on) */
  markers?: { name?: string; x: ArrayLike<number>; y: ArrayLike<number> };
  fans: Fan[];
  /** half-width in pixels of the bar drawn for a one-point stretch (default 3) */
  barHalfWidth?: number;
  width?: number;
  height?: number;
}

/** Band fills, lightest for the outermost interval. */
const BAND_FILL = ['#c6dbef', '#6baed6', '#2171b5'];

function check(opts: FanChartOptions): void {
  const fn = 'fanChartSVG';
  if (!opts || !Array.isArray(opts.fans)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: fans must be an array`);
  if (opts.observed && opts.observed.x?.length !== opts.observed.y?.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: observed x and y must have equal lengths`);
  if (opts.markers) {
    const { x, y } = opts.markers;
    if (x?.length !== y?.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: marker x and y must have equal lengths`);
    for (let j = 0; j < x.length; j++) if (!Number.isFinite(x[j]) || !Number.isFinite(y[j])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: marker ${j} is not finite`);
  }
  opts.fans.forEach((f, i) => {
    const n = f?.x?.length;
    if (!n || f.median?.length !== n || !Array.isArray(f.bands) || f.bands.some((b) => b?.lo?.length !== n || b?.hi?.length !== n)) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: fan ${i} needs x, median and every band's lo / hi of one non-zero length`);
    }
    for (let j = 0; j < n; j++) {
      const vals = [f.x[j], f.median[j], ...f.bands.flatMap((b) => [b.lo[j], b.hi[j]])];
      if (!vals.every(Number.isFinite)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: fan ${i} has a non-finite value at point ${j}`);
      if (j > 0 && !(f.x[j] > f.x[j - 1])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: fan ${i}'s x must increase`);
      let lo = -Infinity, hi = Infinity;
      for (const b of f.bands) {
        // nested: each band inside the previous one, the median inside all
        if (!(b.lo[j] >= lo && b.hi[j] <= hi && b.lo[j] <= f.median[j] && f.median[j] <= b.hi[j])) {
          throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: fan ${i} at point ${j}: band '${b.label}' [${b.lo[j]}, ${b.hi[j]}] must lie inside the previous band and contain the median ${f.median[j]}`);
        }
        lo = b.lo[j]; hi = b.hi[j];
      }
    }
  });
}

/** An SVG fan chart (see the module comment). */
export function fanChartSVG(opts: FanChartOptions): string {
  check(opts);
  const W = opts.width ?? 820, H = opts.height ?? 420, bw = opts.barHalfWidth ?? 3;
  const ml = 70, mr = 20, mt = opts.title ? 40 : 20, mb = 55;
  const pw = W - ml - mr, ph = H - mt - mb;
  const xs: number[] = [], ys: number[] = [];
  if (opts.observed) { xs.push(...Array.from(opts.observed.x)); ys.push(...Array.from(opts.observed.y)); }
  if (opts.markers) { xs.push(...Array.from(opts.markers.x)); ys.push(...Array.from(opts.markers.y)); }
  for (const f of opts.fans) { xs.push(...Array.from(f.x)); ys.push(...Array.from(f.median)); for (const b of f.bands) ys.push(...Array.from(b.lo), ...Array.from(b.hi)); }
  const [dx0, dx1] = domain(xs, false), [dy0, dy1] = domain(ys, false);
  const tx = (v: number) => ml + ((v - dx0) / (dx1 - dx0)) * pw;
  const ty = (v: number) => mt + ph - ((v - dy0) / (dy1 - dy0)) * ph;
  const r2 = (v: number) => v.toFixed(2);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`);
  const xt = linearTicks(dx0, dx1), yt = linearTicks(dy0, dy1);
  out.push('<g class="grid" stroke="#e0e0e0" stroke-width="1">');
  for (const t of xt) out.push(`<line x1="${r2(tx(t))}" y1="${mt}" x2="${r2(tx(t))}" y2="${mt + ph}"/>`);
  for (const t of yt) out.push(`<line x1="${ml}" y1="${r2(ty(t))}" x2="${ml + pw}" y2="${r2(ty(t))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${ml}" y="${mt}" width="${pw}" height="${ph}" fill="none" stroke="black"/>`);
  out.push('<g class="ticks">');
  for (const t of xt) out.push(`<line x1="${r2(tx(t))}" y1="${mt + ph}" x2="${r2(tx(t))}" y2="${mt + ph + 5}" stroke="black"/><text x="${r2(tx(t))}" y="${mt + ph + 18}" text-anchor="middle">${esc(fmt(t))}</text>`);
  for (const t of yt) out.push(`<line x1="${ml - 5}" y1="${r2(ty(t))}" x2="${ml}" y2="${r2(ty(t))}" stroke="black"/><text x="${ml - 8}" y="${r2(ty(t) + 4)}" text-anchor="end">${esc(fmt(t))}</text>`);
  out.push('</g>');
  if (opts.xLabel) out.push(`<text x="${ml + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) out.push(`<text x="16" y="${mt + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${mt + ph / 2})">${esc(opts.yLabel)}</text>`);
  // bands, then medians, then the observed line on top
  opts.fans.forEach((f, i) => {
    const n = f.x.length;
    out.push(`<g class="fan" data-index="${i}">`);
    f.bands.forEach((b, k) => {
      const fill = BAND_FILL[Math.min(k, BAND_FILL.length - 1)];
      // upper edge left to right, lower edge right to left; a single point becomes a bar 2 * bw wide
      const pts = n === 1
        ? [[tx(f.x[0]) - bw, ty(b.hi[0])], [tx(f.x[0]) + bw, ty(b.hi[0])], [tx(f.x[0]) + bw, ty(b.lo[0])], [tx(f.x[0]) - bw, ty(b.lo[0])]]
        : [...Array.from({ length: n }, (_, j) => [tx(f.x[j]), ty(b.hi[j])]), ...Array.from({ length: n }, (_, j) => [tx(f.x[n - 1 - j]), ty(b.lo[n - 1 - j])])];
      out.push(`<path class="band" data-label="${esc(b.label)}" fill="${fill}" stroke="none" d="M ${pts.map(([x, y]) => `${r2(x)} ${r2(y)}`).join(' L ')} Z"/>`);
    });
    const med = n === 1
      ? [[tx(f.x[0]) - bw, ty(f.median[0])], [tx(f.x[0]) + bw, ty(f.median[0])]]
      : Array.from({ length: n }, (_, j) => [tx(f.x[j]), ty(f.median[j])]);
    out.push(`<polyline class="median" fill="none" stroke="${PALETTE[1]}" stroke-width="1.6" points="${med.map(([x, y]) => `${r2(x)},${r2(y)}`).join(' ')}"/>`);
    out.push('</g>');
  });
  if (opts.observed) {
    const o = opts.observed;
    out.push(`<g class="observed" data-name="${esc(o.name ?? 'observed')}">`);
    let run: string[] = [];
    const flush = () => { if (run.length > 1) out.push(`<polyline fill="none" stroke="black" stroke-width="1" points="${run.join(' ')}"/>`); else if (run.length === 1) { const [cx, cy] = run[0].split(','); out.push(`<circle cx="${cx}" cy="${cy}" r="1.5" fill="black"/>`); } run = []; };
    for (let j = 0; j < o.x.length; j++) {
      if (Number.isFinite(o.x[j]) && Number.isFinite(o.y[j])) run.push(`${r2(tx(o.x[j]))},${r2(ty(o.y[j]))}`); else flush();
    }
    flush();
    out.push('</g>');
  }
  if (opts.markers) {
    const k = opts.markers;
    out.push(`<g class="markers" data-name="${esc(k.name ?? 'markers')}">`);
    for (let j = 0; j < k.x.length; j++) out.push(`<circle cx="${r2(tx(k.x[j]))}" cy="${r2(ty(k.y[j]))}" r="2.5" fill="${PALETTE[0]}"/>`);
    out.push('</g>');
  }
  // legend: the observed line, the median, and each band level of the first fan
  const legend: [string, string][] = [];
  if (opts.observed) legend.push([opts.observed.name ?? 'observed', 'black']);
  if (opts.markers) legend.push([opts.markers.name ?? 'markers', PALETTE[0]]);
  if (opts.fans.length) legend.push(['median', PALETTE[1]], ...opts.fans[0].bands.map((b, k): [string, string] => [b.label, BAND_FILL[Math.min(k, BAND_FILL.length - 1)]]));
  out.push('<g class="legend">');
  legend.forEach(([name, color], i) => {
    const y = mt + 14 + i * 18, x = ml + 10;
    out.push(`<rect x="${x}" y="${y - 9}" width="22" height="8" fill="${color}"/><text x="${x + 28}" y="${y}">${esc(name)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Writes fanChartSVG(opts) to `file`, atomically. */
export function saveFanChart(file: string, opts: FanChartOptions): void {
  writeFileAtomicSync(file, [Buffer.from(fanChartSVG(opts), 'utf8')]);
}
