// The SVG fan chart (lib/io/fan-chart.ts): well-formed XML with escaped text; every band path, read back from the
// file, encloses the median at each point in pixel space, the inner band lies inside the outer one, and a one-point
// stretch is a bar; a missing observed value breaks the line; unordered or mis-sized bands are TF_* errors.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fanChartSVG, saveFanChart } from '../lib/io';
import { expectCode } from './helpers';

/** Tag names in document order; fails unless every element is closed in order and no text holds a raw < or >. */
function balanced(svg: string): string[] {
  const stack: string[] = [], seen: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (close) expect(stack.pop()).toBe(name);
    else { seen.push(name); if (!self) stack.push(name); }
  }
  expect(stack).toEqual([]);
  expect(svg.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]/);
  return seen;
}

/** The vertices [x, y] of each band path, per fan, in document order. */
function bandPaths(svg: string): { fan: number; label: string; pts: number[][] }[] {
  const out: { fan: number; label: string; pts: number[][] }[] = [];
  for (const g of svg.matchAll(/<g class="fan" data-index="(\d+)">([\s\S]*?)<\/g>/g)) {
    for (const p of g[2].matchAll(/<path class="band" data-label="([^"]*)"[^>]* d="M ([^"]*) Z"\/>/g)) {
      out.push({ fan: Number(g[1]), label: p[1], pts: p[2].split(' L ').map((s) => s.split(' ').map(Number)) });
    }
  }
  return out;
}

function medians(svg: string): number[][][] {
  return [...svg.matchAll(/<polyline class="median"[^>]* points="([^"]*)"/g)].map((m) => m[1].split(' ').map((s) => s.split(',').map(Number)));
}

const fan = {
  x: [1964.0, 1964.1, 1964.2, 1964.3],
  median: [319.5, 320.4, 321.0, 320.2],
  bands: [
    { label: '90 %', lo: [318.5, 319.0, 319.6, 318.9], hi: [320.6, 321.8, 322.5, 321.6] },
    { label: '50 %', lo: [319.1, 319.9, 320.5, 319.7], hi: [319.9, 320.9, 321.5, 320.7] },
  ],
};
const single = { x: [1965.5], median: [318.0], bands: [{ label: '90 %', lo: [317.2], hi: [318.9] }, { label: '50 %', lo: [317.7], hi: [318.3] }] };

describe('fan chart SVG', () => {
  test('well formed; each band encloses the median, the inner band lies in the outer; a one-point stretch is a bar', () => {
    const svg = fanChartSVG({
      title: 'co2 <imputed & observed>', xLabel: 'year', yLabel: 'ppm', fans: [fan, single],
      observed: { name: 'weekly co2', x: [1963.9, 1964.0, 1964.1, 1964.2, 1964.3, 1964.4], y: [319, Number.NaN, Number.NaN, Number.NaN, Number.NaN, 320.5] },
    });
    expect(balanced(svg)[0]).toBe('svg');
    expect(svg).toContain('co2 &lt;imputed &amp; observed&gt;');
    const bands = bandPaths(svg), meds = medians(svg);
    expect(bands.map((b) => [b.fan, b.label])).toEqual([[0, '90 %'], [0, '50 %'], [1, '90 %'], [1, '50 %']]);
    expect(meds.map((m) => m.length)).toEqual([4, 2]);
    // fan 0: the path runs along the upper edge left to right and back along the lower edge; in pixels the upper
    // edge has the smaller y. The median's pixel must lie between them at the same x (to the 0.01 px rounding).
    for (const b of bands.filter((q) => q.fan === 0)) {
      expect(b.pts).toHaveLength(8);
      for (let j = 0; j < 4; j++) {
        const up = b.pts[j], low = b.pts[7 - j], med = meds[0][j];
        expect(up[0]).toBeCloseTo(med[0], 2);
        expect(low[0]).toBeCloseTo(med[0], 2);
        expect(up[1]).toBeLessThan(med[1]);
        expect(low[1]).toBeGreaterThan(med[1]);
      }
    }
    const [outer, inner] = bands.filter((q) => q.fan === 0);
    for (let j = 0; j < 8; j++) expect(j < 4 ? inner.pts[j][1] > outer.pts[j][1] : inner.pts[j][1] < outer.pts[j][1]).toBe(true);
    // larger values are higher on the page
    expect(meds[0][2][1]).toBeLessThan(meds[0][0][1]);
    // fan 1 (one week): a rectangle 2 x 3 px wide around the point, the median a 6 px tick inside it
    for (const b of bands.filter((q) => q.fan === 1)) {
      expect(b.pts).toHaveLength(4);
      expect(b.pts[1][0] - b.pts[0][0]).toBeCloseTo(6, 2);
      expect(b.pts[0][1]).toBeLessThan(meds[1][0][1]);
      expect(b.pts[2][1]).toBeGreaterThan(meds[1][0][1]);
    }
    // the observed line is broken by the missing weeks: two lone points, no polyline
    const obs = /<g class="observed"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1];
    expect(obs.match(/<circle/g)).toHaveLength(2);
    expect(obs).not.toContain('<polyline');
  });

  test('saveFanChart writes the same document; bad bands are TF_* errors', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fan-')), 'fan.svg');
    saveFanChart(f, { fans: [fan] });
    expect(fs.readFileSync(f, 'utf8')).toBe(fanChartSVG({ fans: [fan] }));
    // a median outside its band, an inner band sticking out of the outer one, mismatched lengths, x not increasing
    expectCode(() => fanChartSVG({ fans: [{ ...fan, median: [330, 320.4, 321.0, 320.2] }] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => fanChartSVG({ fans: [{ ...fan, bands: [fan.bands[1], fan.bands[0]] }] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => fanChartSVG({ fans: [{ ...fan, median: [1, 2] }] }), 'TF_SHAPE_MISMATCH');
    expectCode(() => fanChartSVG({ fans: [{ ...fan, x: [1, 1, 2, 3] }] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => fanChartSVG({ fans: [fan], observed: { x: [1, 2], y: [1] } }), 'TF_SHAPE_MISMATCH');
  });
});
