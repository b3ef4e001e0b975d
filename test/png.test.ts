// PNG and plot output, checked independently of the encoder: Python's zlib and struct decode the files in a
// child process (chunk CRCs, IHDR, inflated scanlines), and a bitwise CRC-32 written here (no table) checks
// the chunks again in JS. SVG plots are checked for balanced tags and for the plotted points themselves.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import * as tf from '../lib';
import { encodePNG, saveImageGrid, imageGrid, saveScatterPNG, scatterImage, linePlotSVG, saveLinePlot, crc32 } from '../lib/io';
import { expectCode } from './helpers';

const PY = '/usr/bin/python3';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-png-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PY_DECODE = `
import json, struct, sys, zlib
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'signature'
pos, chunks, idat = 8, [], b''
while pos < len(b):
    n, = struct.unpack('>I', b[pos:pos+4]); typ = b[pos+4:pos+8]; body = b[pos+8:pos+8+n]
    crc, = struct.unpack('>I', b[pos+8+n:pos+12+n])
    assert zlib.crc32(typ + body) & 0xffffffff == crc, 'crc of ' + typ.decode()
    chunks.append(typ.decode())
    if typ == b'IHDR': w, h, depth, ctype, comp, filt, inter = struct.unpack('>IIBBBBB', body)
    if typ == b'IDAT': idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
ch = {0: 1, 2: 3, 6: 4}[ctype]
stride = w * ch + 1
assert len(raw) == stride * h, 'scanline bytes'
assert all(raw[y * stride] == 0 for y in range(h)), 'filter type'
pix = b''.join(raw[y * stride + 1:(y + 1) * stride] for y in range(h))
print(json.dumps({'chunks': chunks, 'w': w, 'h': h, 'depth': depth, 'ctype': ctype, 'pix': pix.hex()}))
`;

function pyDecode(file: string): { chunks: string[]; w: number; h: number; depth: number; ctype: number; pix: string } {
  return JSON.parse(execFileSync(PY, ['-c', PY_DECODE, file], { encoding: 'utf8' }));
}
const havePy = fs.existsSync(PY);

/** Bitwise CRC-32 (reflected polynomial 0xEDB88320), independent of the encoder's table. */
function crcBitwise(b: Uint8Array): number {
  let c = ~0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** Walks the chunks in JS: checks every CRC with crcBitwise and returns IHDR fields and the inflated scanlines. */
function jsDecode(png: Buffer): { w: number; h: number; ctype: number; raw: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  let pos = 8, w = 0, h = 0, ctype = -1;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const n = png.readUInt32BE(pos), type = png.toString('latin1', pos + 4, pos + 8);
    expect(png.readUInt32BE(pos + 8 + n)).toBe(crcBitwise(png.subarray(pos + 4, pos + 8 + n)));
    if (type === 'IHDR') { w = png.readUInt32BE(pos + 8); h = png.readUInt32BE(pos + 12); ctype = png[pos + 17]; }
    if (type === 'IDAT') idat.push(png.subarray(pos + 8, pos + 8 + n));
    pos += 12 + n;
  }
  return { w, h, ctype, raw: zlib.inflateSync(Buffer.concat(idat)) };
}

describe('PNG encoder', () => {
  test('crc32 matches the check value of the standard and a bitwise implementation', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const b = new Uint8Array(1000).map((_, i) => (i * 131 + 7) & 255);
    expect(crc32(b)).toBe(crcBitwise(b));
  });

  test.each([[1, 0], [3, 2], [4, 6]] as const)('%i-channel image round-trips through an independent decoder', (channels, ctype) => {
    const width = 7, height = 5;
    const data = new Uint8Array(width * height * channels).map((_, i) => (i * 37 + 11) & 255);
    const png = encodePNG({ width, height, channels, data });
    const js = jsDecode(png);
    expect([js.w, js.h, js.ctype]).toEqual([width, height, ctype]);
    const stride = width * channels + 1;
    for (let y = 0; y < height; y++) {
      expect(js.raw[y * stride]).toBe(0);
      expect(js.raw.subarray(y * stride + 1, (y + 1) * stride)).toEqual(Buffer.from(data.subarray(y * (stride - 1), (y + 1) * (stride - 1))));
    }
    if (havePy) {
      const f = path.join(dir, `c${channels}.png`);
      fs.writeFileSync(f, png);
      const d = pyDecode(f);
      expect(d.chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect([d.w, d.h, d.depth, d.ctype]).toEqual([width, height, 8, ctype]);
      expect(d.pix).toBe(Buffer.from(data).toString('hex'));
    }
  });

  test('bad images are refused', () => {
    expectCode(() => encodePNG({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }), 'TF_SHAPE_MISMATCH');
    expectCode(() => encodePNG({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) }), 'TF_INVALID_ARGUMENT');
    expectCode(() => encodePNG({ width: 1, height: 1, channels: 2 as 1, data: new Uint8Array(2) }), 'TF_INVALID_ARGUMENT');
  });
});

describe('image grids', () => {
  test('layout, padding, range mapping, clamping and upscaling, byte for byte', () => {
    // Two 1x2x2 grey images in a row, padding 1, scale 2: grid 2*(2+1)+1 = 7 wide, 2+2 = 4 high, x2.
    const x = tf.tensor([[[[-1, 1], [0, 5]]], [[[Number.NaN, -3], [0.5, -0.5]]]]);
    const img = imageGrid(x, { padding: 1, scale: 2, padValue: 9 });
    expect([img.width, img.height, img.channels]).toEqual([14, 8, 1]);
    const small = [
      [9, 9, 9, 9, 9, 9, 9],
      [9, 0, 255, 9, 0, 0, 9],
      [9, 128, 255, 9, 191, 64, 9],
      [9, 9, 9, 9, 9, 9, 9],
    ];
    const expected = new Uint8Array(14 * 8);
    for (let y = 0; y < 8; y++) for (let xx = 0; xx < 14; xx++) expected[y * 14 + xx] = small[y >> 1][xx >> 1];
    expect(img.data).toEqual(expected);
    const f = path.join(dir, 'grid.png');
    saveImageGrid(x, f, { padding: 1, scale: 2, padValue: 9 });
    const js = jsDecode(fs.readFileSync(f));
    expect([js.w, js.h]).toEqual([14, 8]);
    if (havePy) expect(pyDecode(f).pix).toBe(Buffer.from(expected).toString('hex'));
    // No temporary file is left beside the target (atomic write).
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  test('RGB grids keep channels interleaved; rows wrap at nrow; custom range', () => {
    const x = tf.tensor(Float32Array.from([0, 0.5, 1, 0.25, 0.75, 0.1, 1, 0, 0.5]), { shape: [3, 3, 1, 1] });
    const img = imageGrid(x, { nrow: 2, padding: 0, range: [0, 1] });
    expect([img.width, img.height, img.channels]).toEqual([2, 2, 3]);
    expect(Array.from(img.data)).toEqual([0, 128, 255, 64, 191, 26, 255, 0, 128, 0, 0, 0]);
    expectCode(() => imageGrid(tf.zeros([2, 2, 4, 4])), 'TF_SHAPE_MISMATCH');
    expectCode(() => imageGrid(tf.zeros([2, 1, 4, 4]), { scale: 1.5 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => imageGrid(tf.zeros([2, 1, 4, 4]), { range: [1, 1] }), 'TF_INVALID_ARGUMENT');
  });
});

describe('plots', () => {
  test('scatter density image: white background, darkest at the densest pixel, outside points dropped', () => {
    const pts = tf.tensor([[0.1, 0.1], [0.1, 0.1], [0.1, 0.1], [0.1, 0.1], [-0.9, 0.9], [5, 0], [Number.NaN, 0]]);
    const img = scatterImage(pts, { range: [-1, 1], size: 4 });
    // (0.1, 0.1) -> column 2, row 1; (-0.9, 0.9) -> column 0, row 0 with sqrt(1/4) = 0.5 -> 128.
    const want = new Uint8Array(16).fill(255);
    want[1 * 4 + 2] = 0;
    want[0] = 128;
    expect(img.data).toEqual(want);
    const f = path.join(dir, 'scatter.png');
    saveScatterPNG(pts, f, { range: [[-1, 1], [-1, 1]], size: 4, mode: 'points' });
    const js = jsDecode(fs.readFileSync(f));
    expect(Array.from(js.raw.subarray(1, 5))).toEqual([0, 255, 255, 255]);
    expectCode(() => scatterImage(tf.zeros([3, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => scatterImage(pts, { range: [1, -1] }), 'TF_INVALID_ARGUMENT');
  });

  /** Checks that every opened tag is closed in order (self-closing tags aside) and returns the tag names. */
  function balanced(svg: string): string[] {
    const stack: string[] = [], seen: string[] = [];
    for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
      const [, close, name, , self] = m;
      if (close) expect(stack.pop()).toBe(name);
      else if (!self) { stack.push(name); seen.push(name); } else seen.push(name);
    }
    expect(stack).toEqual([]);
    // No stray angle brackets outside tags (text is escaped).
    expect(svg.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]/);
    return seen;
  }

  test('line plot SVG is well-formed, has axes, ticks, legend and every plottable point', () => {
    const svg = linePlotSVG({
      title: 'loss <train & val>', xLabel: 'step', yLabel: 'loss',
      series: [{ name: 'train', x: [0, 1, 2, 3], y: [4, 3, 2.5, 2] }, { name: 'val', x: [0, 1, 2, 3], y: [5, Number.NaN, 3, 2.9] }],
    });
    const tags = balanced(svg);
    expect(tags[0]).toBe('svg');
    expect(svg).toContain('loss &lt;train &amp; val&gt;');
    expect(svg).toContain('>train<');
    expect(svg).toContain('>val<');
    const polys = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));
    // train: one polyline of 4 points; val: the NaN splits it into a lone point (a circle) and a 2-point line.
    expect(polys.map((p) => p.length)).toEqual([4, 2]);
    expect(svg.match(/<circle/g)).toHaveLength(1);
    // Larger y is higher on the page, x increases to the right.
    const t = polys[0];
    for (let i = 1; i < 4; i++) { expect(t[i][0]).toBeGreaterThan(t[i - 1][0]); expect(t[i][1]).toBeGreaterThan(t[i - 1][1]); }
    expect(svg).toMatch(/<text[^>]*>2\.5<\/text>|<text[^>]*>3<\/text>/);
  });

  test('log axes get power-of-ten ticks and drop non-positive values', () => {
    const svg = linePlotSVG({ series: [{ name: 'fid', x: [1, 10, 100, 1000], y: [300, 0, 20, 5] }], logX: true, logY: true });
    balanced(svg);
    for (const t of ['1', '10', '100', '1000']) expect(svg).toContain(`>${t}</text>`);
    // The y axis (5 to 300) holds only two powers of ten, so 2x and 5x ticks are added.
    for (const t of ['5', '20', '50', '200']) expect(svg).toContain(`>${t}</text>`);
    expect(svg).not.toContain('>2000</text>');
    const polys = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)];
    expect(polys).toHaveLength(1); // (100, 20)-(1000, 5); (1, 300) alone is a circle
    const f = path.join(dir, 'plot.svg');
    saveLinePlot(f, { series: [{ name: 'a', x: [1, 2], y: [1, 2] }] });
    balanced(fs.readFileSync(f, 'utf8'));
    expectCode(() => linePlotSVG({ series: [{ name: 'a', x: [1, 2], y: [1] }] }), 'TF_SHAPE_MISMATCH');
  });
});
