// A PNG encoder (8-bit grey, RGB or RGBA, no interlacing) written against the PNG specification, so pictures
// need no dependency: signature, IHDR, one IDAT holding the zlib stream of filtered scanlines, IEND, each chunk
// with its CRC-32. Every scanline uses filter 0 (None): the images we write are small sample grids, where
// adaptive filtering would save little, and a fixed filter keeps the output easy to check byte for byte.
import * as zlib from 'zlib';
import { Tensor, TensorfieldError } from '../tensor';
import { writeFileAtomicSync } from './atomic';

export interface RawImage {
  width: number;
  height: number;
  /** 1 grey, 3 RGB, 4 RGBA. */
  channels: 1 | 3 | 4;
  /** height x width x channels bytes, row-major. */
  data: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the ISO-HDLC polynomial PNG and zlib use) of the concatenated byte arrays. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(head.subarray(4), body), 0);
  return Buffer.concat([head, body, tail]);
}

const COLOR_TYPE: Record<number, number> = { 1: 0, 3: 2, 4: 6 };
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function encodePNG(img: RawImage): Buffer {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `encodePNG: width and height must be positive integers, got ${width}x${height}`);
  }
  if (!(channels in COLOR_TYPE)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `encodePNG: channels must be 1, 3 or 4, got ${channels}`);
  const row = width * channels;
  if (!(data instanceof Uint8Array) || data.length !== row * height) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `encodePNG: expected ${row * height} bytes for ${width}x${height}x${channels}, got ${data?.length}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[channels];
  // [10..12]: deflate compression, adaptive filtering (method 0), no interlace — all zero.
  const raw = Buffer.alloc((row + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (row + 1)] = 0;
    raw.set(data.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

/** Writes a PNG atomically. */
export function savePNG(file: string, img: RawImage): void {
  writeFileAtomicSync(file, [encodePNG(img)]);
}

export interface ImageGridOptions {
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between images and around the border, before scaling (default 2). */
  padding?: number;
  /** Grey level of the padding, 0-255 (default 0). */
  padValue?: number;
  /** Values mapped to 0 and 255 (default [-1, 1]); values outside are clamped. */
  range?: [number, number];
  /** Integer upscaling by pixel repetition (default 1). */
  scale?: number;
}

/** Lays out a batch [N, C, H, W] (C = 1 or 3) as one grey or RGB image. NaN maps to 0. */
export function imageGrid(x: Tensor, opts: ImageGridOptions = {}): RawImage {
  const fn = 'saveImageGrid';
  if (!(x instanceof Tensor) || x.ndim !== 4 || (x.shape[1] !== 1 && x.shape[1] !== 3)) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: expected a tensor [N, C, H, W] with C = 1 or 3, got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
  }
  const [N, C, H, W] = x.shape;
  const nrow = opts.nrow ?? 8, pad = opts.padding ?? 2, scale = opts.scale ?? 1, padValue = opts.padValue ?? 0;
  const [lo, hi] = opts.range ?? [-1, 1];
  const int = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (N < 1 || !int(nrow, 1) || !int(pad, 0) || !int(scale, 1) || !int(padValue, 0) || padValue > 255 || !(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need N >= 1, integer nrow >= 1, padding >= 0, scale >= 1, padValue 0-255 and a finite range lo < hi ` +
      `(got N=${N}, nrow=${nrow}, padding=${pad}, scale=${scale}, padValue=${padValue}, range=[${lo}, ${hi}])`);
  }
  const cols = Math.min(nrow, N), rows = Math.ceil(N / cols);
  const gw = cols * (W + pad) + pad, gh = rows * (H + pad) + pad;
  const width = gw * scale, height = gh * scale;
  const data = new Uint8Array(width * height * C).fill(padValue);
  const v = x.dataSync() as ArrayLike<number>;
  const k = 255 / (hi - lo);
  for (let n = 0; n < N; n++) {
    const ox = pad + (n % cols) * (W + pad), oy = pad + Math.floor(n / cols) * (H + pad);
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          const val = v[((n * C + c) * H + y) * W + xx];
          const b = val > lo ? (val < hi ? Math.round((val - lo) * k) : 255) : 0; // NaN fails both: 0
          for (let sy = 0; sy < scale; sy++) {
            const base = ((oy + y) * scale + sy) * width + (ox + xx) * scale;
            for (let sx = 0; sx < scale; sx++) data[(base + sx) * C + c] = b;
          }
        }
      }
    }
  }
  return { width, height, channels: C as 1 | 3, data };
}

/** Saves a batch of images [N, C, H, W] as a grid PNG (see ImageGridOptions), atomically. */
export function saveImageGrid(x: Tensor, file: string, opts: ImageGridOptions = {}): void {
  savePNG(file, imageGrid(x, opts));
}
