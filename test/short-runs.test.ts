// Many short rows and short innermost runs: the paths that keep an op from paying a kernel call per few elements
// (a sum over a last dim of 2..8 elements adds strided columns; a copy whose last dim is a broadcast writes each
// source element k times in one pass; the strided loop keeps a dense run of 4+ elements innermost). Nearest 2x
// upsampling, x [N, C, H, 1, W, 1] expanded to [N, C, H, 2, W, 2], and its gradient (the sum over each 2 x 2
// window) exercise all three. Every result is checked against plain loops in JavaScript, on every ISA path.
import * as tf from '../lib';
import { arr, forEachIsa } from './helpers';

const up2 = (x: tf.Tensor) => {
  const [N, C, H, W] = x.shape;
  return x.reshape(N, C, H, 1, W, 1).expand(N, C, H, 2, W, 2).reshape(N, C, 2 * H, 2 * W);
};

describe('short rows and short inner runs', () => {
  test('a sum over a last dim of 2..9 elements, many rows: small integers exact, normal data within the bound', () => {
    tf.manualSeed(41);
    const rows = 3001;  // >= 1024 outputs: the column-add path (R <= 8); R = 9 the sum kernel's own loop
    forEachIsa((isa) => {
      for (const dtype of ['float32', 'float64'] as const)
        for (let R = 2; R <= 9; R++) {
          const ints = tf.randint(-50, 50, [rows, R]).to(dtype);
          const xi = arr(ints), si = arr(ints.sum(1));
          for (let o = 0; o < rows; o++) {
            let s = 0;
            for (let r = 0; r < R; r++) s += xi[o * R + r];
            if (si[o] !== s) throw new Error(`${isa} ${dtype} R ${R}: row ${o} summed to ${si[o]}, expected ${s}`);
          }
          // any order of R float additions errs by at most g(R - 1) sum |x| (Higham 4.2), plus the final rounding
          const u = dtype === 'float32' ? 2 ** -24 : 2 ** -53;
          const normal = tf.randn([rows, R], { dtype });
          const xn = arr(normal), sn = arr(normal.sum(1));
          let worst = 0;
          for (let o = 0; o < rows; o++) {
            let s = 0, a = 0;
            for (let r = 0; r < R; r++) { s += xn[o * R + r]; a += Math.abs(xn[o * R + r]); }
            const bound = ((R - 1) * u / (1 - (R - 1) * u)) * a + u * Math.abs(s);
            worst = Math.max(worst, Math.abs(sn[o] - s) / bound);
          }
          expect([isa, dtype, R, worst <= 1]).toEqual([isa, dtype, R, true]);
        }
    });
  });

  test('nearest 2x and 3x upsampling by expand: every element where the plain loop puts it, every dtype', () => {
    tf.manualSeed(42);
    forEachIsa((isa) => {
      for (const dtype of ['float32', 'float64', 'int32', 'uint8'] as const)
        for (const k of [2, 3]) {
          const [N, C, H, W] = [3, 5, 7, 9];
          const x = tf.randint(0, 200, [N, C, H, W]).to(dtype);
          // a permuted (non-contiguous) source too: the copy walks the source with its own strides
          for (const src of [x, x.permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2)]) {
            const y = src.reshape(N, C, H, 1, W, 1).expand(N, C, H, k, W, k).reshape(N, C, k * H, k * W);
            const xv = arr(x), yv = arr(y);
            const want: number[] = [];
            for (let n = 0; n < N; n++) for (let c = 0; c < C; c++)
              for (let i = 0; i < k * H; i++) for (let j = 0; j < k * W; j++)
                want.push(xv[((n * C + c) * H + Math.floor(i / k)) * W + Math.floor(j / k)]);
            expect([isa, dtype, k, yv.length === want.length && yv.every((v, i) => v === want[i])]).toEqual([isa, dtype, k, true]);
          }
        }
    });
  });

  test('the gradient of 2x upsampling is the sum over each 2 x 2 window (exact on small integers)', () => {
    tf.manualSeed(43);
    forEachIsa((isa) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const [N, C, H, W] = [4, 8, 16, 16];  // N C H W = 8192 windows: the column-add path of the sum
        const x = tf.zeros([N, C, H, W], { dtype });
        x.requiresGrad = true;
        const g = tf.randint(-9, 10, [N, C, 2 * H, 2 * W]).to(dtype);
        up2(x).backward(g);
        const gv = arr(g), dx = arr(x.grad!);
        let bad = -1;
        for (let n = 0; n < N && bad < 0; n++) for (let c = 0; c < C; c++)
          for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
            const at = (a: number, b: number) => gv[((n * C + c) * 2 * H + 2 * i + a) * 2 * W + 2 * j + b];
            const o = ((n * C + c) * H + i) * W + j;
            if (dx[o] !== at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) bad = o;
          }
        expect([isa, dtype, bad]).toEqual([isa, dtype, -1]);
      }
    });
  });

  test('a broadcast add over [N, C, H, 2, W] rows (a dense inner run of W kept innermost) matches the loop', () => {
    tf.manualSeed(44);
    forEachIsa((isa) => {
      const [N, C, H, W] = [2, 3, 33, 14];
      const a = tf.randint(-100, 100, [N, C, H, 1, W]).to('float32');
      const b = tf.randint(-100, 100, [1, C, 1, 2, 1]).to('float32');
      const av = arr(a), bv = arr(b), out = arr(a.add(b));
      let bad = -1;
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++)
        for (let r = 0; r < 2; r++) for (let w = 0; w < W; w++) {
          const o = (((n * C + c) * H + h) * 2 + r) * W + w;
          if (out[o] !== av[((n * C + c) * H + h) * W + w] + bv[c * 2 + r]) bad = o;
        }
      expect([isa, bad]).toEqual([isa, -1]);
    });
  });
});
