// The CUDA device (native/cuda). Three parts:
//   1. always: tf.cuda.status() and the errors when CUDA is not usable (the default CPU build, or the CUDA build on
//      a machine without a GPU or driver): TF_DEVICE with the reason, never a crash;
//   2. always: the functions the CUDA kernels share with the CPU (Philox, the normal draws, the strided index, the
//      per-element bodies: math/hd.h) compiled by g++ and checked on the host (test/native/hd_check.cpp);
//   3. with a GPU only: the conformance cases on 'cuda' against the CPU (they skip, saying so, without one).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import { Tensor } from '../lib';
import { expectArraysEqual, expectClose, expectCode } from './helpers';

const status = tf.cuda.status();
const gpu = status.available;

describe('tf.cuda status', () => {
  test('status() says whether CUDA is built and usable, and why not', () => {
    expect(typeof status.built).toBe('boolean');
    expect(typeof status.available).toBe('boolean');
    expect(typeof status.devices).toBe('number');
    expect(status.reason.length).toBeGreaterThan(0);
    expect(tf.cuda.isAvailable()).toBe(status.available);
    if (!status.built) {
      expect(status.available).toBe(false);
      expect(status.reason).toMatch(/built without CUDA/);
    }
    if (status.built && !status.available) {
      // static cudart on a machine without a driver (35) or without a device (100)
      expect(status.reason).toMatch(/no CUDA (driver|device)|CUDA initialisation failed|compute capability/);
      expect(status.devices).toBe(0);
    }
    if (gpu) expect(status.devices).toBeGreaterThan(0);
  });

  test("info().devices lists 'cuda' only where a GPU is usable", () => {
    expect(tf.info().devices.includes('cuda')).toBe(gpu);
  });

  test('memory(), emptyCache() and synchronize() work with or without a GPU', () => {
    const m = tf.cuda.memory();
    for (const k of ['allocatedBytes', 'cachedBytes', 'peakAllocatedBytes', 'liveBlocks', 'cacheHits', 'cacheMisses',
      'deviceFreeBytes', 'deviceTotalBytes'] as const) expect(typeof m[k]).toBe('number');
    tf.cuda.emptyCache();
    tf.cuda.synchronize();
    if (!gpu) expect(m.allocatedBytes).toBe(0);
  });
});

(gpu ? describe.skip : describe)('without a GPU: TF_DEVICE with the reason, never a crash', () => {
  test('moving a tensor to cuda', () => {
    const x = tf.tensor([1, 2, 3]);
    expectCode(() => x.to('cuda'), 'TF_DEVICE');
    expectCode(() => x.cuda(), 'TF_DEVICE');
    try { x.to('cuda'); } catch (e) { expect((e as Error).message).toContain(status.reason); }
  });
  test('creating on cuda', () => {
    expectCode(() => tf.zeros([2, 3], { device: 'cuda' }), 'TF_DEVICE');
    expectCode(() => tf.ones([2], { device: 'cuda' }), 'TF_DEVICE');
    expectCode(() => tf.full([2], 3, { device: 'cuda' }), 'TF_DEVICE');
    expectCode(() => tf.arange(0, 4, 1, { device: 'cuda' }), 'TF_DEVICE');
    expectCode(() => tf.randn([4], { device: 'cuda' }), 'TF_DEVICE');
    expectCode(() => tf.tensor([1, 2], { device: 'cuda' }), 'TF_DEVICE');
  });
  test('a module moved to cuda', () => {
    const m = new tf.nn.Linear(2, 3);
    expectCode(() => m.toDevice('cuda'), 'TF_DEVICE');
  });
  test('.cpu() of a CPU tensor stays on the CPU with the same values', () => {
    const x = tf.tensor([1, 2]);
    const y = x.cpu();
    expect(y.device).toBe('cpu');
    expect(Array.from(y.data() as Float32Array)).toEqual([1, 2]);
  });
});

// ---- 2. the shared __host__ __device__ functions, on the host ----
describe('math/hd.h functions on the host (test/native/hd_check.cpp)', () => {
  test('Philox, normals, strided index math and per-element bodies', () => {
    const root = path.resolve(__dirname, '..');
    const exe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tf-hd-')), 'hd_check');
    execFileSync('g++', ['-std=c++17', '-O2', '-Wall', '-Werror', '-o', exe, path.join(root, 'test/native/hd_check.cpp')],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = execFileSync(exe).toString();
    expect(out).toMatch(/^ok \d+ checks/);
    fs.rmSync(path.dirname(exe), { recursive: true, force: true });
  }, 120_000);
});

// ---- 3. conformance (R_PROD has no TS method yet, so prod is covered by the kernel's shared combine only) on the GPU ----
// Each case runs the same function on the CPU and on 'cuda' and compares. Tolerances: bit-identical where the
// GPU runs the same arithmetic in the same order (casts, comparisons, fills, copies, where, uniform and integer
// draws, cumsum: sequential in double like the CPU reference); for float math through the device's libm
// (exp, tanh, erf, ...: within 2 ulp by CUDA's documentation) 1e-6 relative for float32; sums in a different
// (tree) order, 1e-5; GEMM, K-term dot products in another order, 1e-5 * sqrt(K) relative to the row's scale.
if (!gpu) {
  test.skip(`conformance on 'cuda': skipped, no usable GPU here (${status.reason})`, () => undefined);
}

const arr = (t: Tensor) => Array.from(t.cpu().data() as ArrayLike<number>);
function onBoth(fn: (dev: 'cpu' | 'cuda') => Tensor): [number[], number[]] {
  return tf.tidy(() => {
    const c = fn('cpu'), g = fn('cuda');
    expect(g.device).toBe('cuda');
    expect(g.shape).toEqual(c.shape);
    expect(g.dtype).toBe(c.dtype);
    return [arr(g), arr(c)];
  }) as [number[], number[]];
}
function seeded(dev: 'cpu' | 'cuda', shape: number[], dtype: 'float32' | 'float64' = 'float32', seed = 1): Tensor {
  tf.manualSeed(seed);
  return tf.randn(shape, { dtype }).to(dev);
}

(gpu ? describe : describe.skip)("conformance on 'cuda' against the CPU", () => {
  const dev = 'cuda' as const;
  test('to / cpu round trip keeps every dtype bit for bit', () => {
    for (const dtype of ['float32', 'float64', 'int32', 'int8', 'uint8'] as const) {
      const x = tf.tensor([[0, 1, 2], [3, 100, 127]], { dtype });
      expectArraysEqual(arr(x.to(dev)), arr(x), dtype);
    }
    const big = tf.randn([3, 1 << 21]);  // larger than a staging buffer: chunked copies
    expectArraysEqual(arr(big.to(dev)), arr(big), 'big');
  });
  test('creation ops', () => {
    const [g, c] = onBoth((d) => tf.full([5, 3], 2.5, { device: d }));
    expectArraysEqual(g, c);
    for (const f of [(d: 'cpu' | 'cuda') => tf.arange(0, 10, 0.5, { device: d }), (d: 'cpu' | 'cuda') => tf.linspace(-1, 1, 17, { device: d }),
      (d: 'cpu' | 'cuda') => tf.eye(4, 6, { device: d }), (d: 'cpu' | 'cuda') => tf.zeros([7], { dtype: 'int8', device: d })]) {
      const [a, b] = onBoth(f);
      expectArraysEqual(a, b);
    }
  });
  const unary: [string, (x: Tensor) => Tensor][] = [
    ['neg', (x) => x.neg()], ['exp', (x) => x.exp()], ['log', (x) => x.abs().add(0.1).log()], ['log1p', (x) => x.abs().log1p()],
    ['expm1', (x) => x.expm1()], ['sqrt', (x) => x.abs().sqrt()], ['rsqrt', (x) => x.abs().add(0.1).rsqrt()], ['abs', (x) => x.abs()],
    ['sign', (x) => x.sign()], ['sin', (x) => x.sin()], ['cos', (x) => x.cos()], ['tanh', (x) => x.tanh()],
    ['sigmoid', (x) => x.sigmoid()], ['relu', (x) => x.relu()], ['leakyRelu', (x) => x.leakyRelu(0.1)], ['elu', (x) => x.elu(0.7)],
    ['silu', (x) => x.silu()], ['gelu', (x) => x.gelu()], ['gelu tanh', (x) => x.gelu('tanh')], ['softplus', (x) => x.softplus(2, 5)],
    ['clamp', (x) => x.clamp(-0.5, 0.7)], ['erf', (x) => x.erf()], ['reciprocal', (x) => x.add(3).reciprocal()],
    ['square', (x) => x.square()], ['pow scalar', (x) => x.abs().pow(1.7)], ['floor', (x) => x.mul(3).floor()],
  ];
  test.each(unary)('unary %s (float32 and float64, contiguous and transposed)', (_n, f) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const [g, c] = onBoth((d) => f(seeded(d, [33, 65], dtype)));
      expectClose(g, c, dtype === 'float32' ? 1e-6 : 1e-13, dtype === 'float32' ? 1e-6 : 1e-13, `${_n} ${dtype}`);
      const [gt, ct] = onBoth((d) => f(seeded(d, [33, 65], dtype).transpose(0, 1)));
      expectClose(gt, ct, dtype === 'float32' ? 1e-6 : 1e-13, dtype === 'float32' ? 1e-6 : 1e-13, `${_n} ${dtype} T`);
    }
  });
  test('binary ops with broadcasting and strides, every dtype', () => {
    const shapes: [number[], number[]][] = [[[64, 33], [64, 33]], [[3, 1, 5], [4, 5]], [[5], [2, 3, 5]], [[], [7, 3]]];
    for (const [sa, sb] of shapes) {
      for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow'] as const) {
        const [g, c] = onBoth((d) => {
          const a = seeded(d, sa, 'float32', 2), b = seeded(d, sb, 'float32', 3);
          return op === 'pow' ? a.abs()[op](b) : a[op](b);
        });
        expectClose(g, c, 1e-6, 1e-6, `${op} [${sa}] [${sb}]`);
      }
      for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
        // values on a coarse grid, so ties (eq, le, ge) occur
        const [g, c] = onBoth((d) => seeded(d, sa, 'float32', 2).mul(2).floor()[op](seeded(d, sb, 'float32', 3).mul(2).floor()));
        expectArraysEqual(g, c, op);
      }
    }
    for (const dtype of ['int32', 'int8', 'uint8'] as const) {
      const [g, c] = onBoth((d) => tf.tensor([[1, 2, 3], [4, 5, 6]], { dtype, device: d }).add(tf.tensor([3, 2, 1], { dtype, device: d })));
      expectArraysEqual(g, c, dtype);
    }
    const [g, c] = onBoth((d) => seeded(d, [40, 50]).transpose(0, 1).mul(seeded(d, [50, 40], 'float32', 9)));
    expectClose(g, c, 0, 0, 'transposed operand');
  });
  test('where, isfinite, casts', () => {
    const [g, c] = onBoth((d) => { const x = seeded(d, [17, 9]); return tf.where(x.gt(0), x, x.mul(-2)); });
    expectArraysEqual(g, c, 'where');
    const [g2, c2] = onBoth((d) => tf.tensor([1, Infinity, -Infinity, NaN, 0], { device: d }).isfinite());
    expectArraysEqual(g2, c2, 'isfinite');
    for (const to of ['float64', 'int32', 'int8', 'uint8'] as const) {
      const [g3, c3] = onBoth((d) => tf.tensor([-1e10, -300.7, -3.7, 0, 3.7, 255.5, 1e10, NaN], { device: d }).to(to));
      expectArraysEqual(g3, c3, `cast to ${to}`);
    }
  });
  test('reductions over any dims (sum, prod, max, min, argmax, argmin, mean, var, logsumexp)', () => {
    const shape = [6, 70, 33];
    for (const dim of [0, 1, 2, [0, 2], null] as (number | number[] | null)[]) {
      for (const r of ['sum', 'amax', 'amin', 'mean'] as const) {
        const [g, c] = onBoth((d) => (seeded(d, shape) as unknown as Record<string, (dd: unknown) => Tensor>)[r](dim ?? undefined));
        expectClose(g, c, 1e-5, 1e-5, `${r} ${JSON.stringify(dim)}`);
      }
    }
    for (const dim of [0, 1, 2]) {
      const [ga, ca] = onBoth((d) => seeded(d, shape).argmax(dim));
      expectArraysEqual(ga, ca, `argmax ${dim}`);
      const [gi, ci] = onBoth((d) => seeded(d, shape).argmin(dim));
      expectArraysEqual(gi, ci, `argmin ${dim}`);
      const [gv, cv] = onBoth((d) => seeded(d, shape).var(dim));
      expectClose(gv, cv, 1e-5, 1e-5, `var ${dim}`);
      const [gl, cl] = onBoth((d) => seeded(d, shape).logsumexp(dim));
      expectClose(gl, cl, 1e-5, 1e-5, `logsumexp ${dim}`);
    }
    // a long vector: chunked over blocks, partials reduced by a second pass
    const [gs, cs] = onBoth((d) => seeded(d, [1 << 21]).sum());
    expectClose(gs, cs, 1e-3, 1e-5, 'long sum');
    const [gm, cm] = onBoth((d) => seeded(d, [1 << 21]).amax());
    expectArraysEqual(gm, cm, 'long max');
    const [gn, cn] = onBoth((d) => tf.tensor([1, NaN, 3, NaN], { device: d }).argmax(0));
    expectArraysEqual(gn, cn, 'argmax NaN');
  });
  test('cumsum, softmax, logSoftmax', () => {
    for (const dim of [0, 1, 2]) {
      const [g, c] = onBoth((d) => seeded(d, [5, 40, 7], 'float64').cumsum(dim));
      expectArraysEqual(g, c, `cumsum ${dim}`);
    }
    for (const n of [1, 7, 300, 5000]) {
      const [g, c] = onBoth((d) => seeded(d, [9, n]).mul(4).softmax(-1));
      expectClose(g, c, 1e-7, 1e-6, `softmax ${n}`);
      const [gl, cl] = onBoth((d) => seeded(d, [9, n]).mul(4).logSoftmax(-1));
      expectClose(gl, cl, 1e-6, 1e-6, `logSoftmax ${n}`);
    }
  });
  test('matmul: shapes, batches, broadcast and transposed operands, float32 and float64', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[1, 1], [1, 1], false, false], [[7, 13], [13, 5], false, false], [[130, 257], [257, 129], false, false],
      [[300, 64], [64, 200], true, false], [[64, 300], [200, 64], false, true], [[4, 33, 70], [70, 90], false, false],
      [[2, 3, 65, 40], [3, 40, 66], true, true], [[512, 512], [512, 512], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      for (const dtype of ['float32', 'float64'] as const) {
        const K = sa[sa.length - 1];
        const [g, c] = onBoth((d) => {
          let a = seeded(d, ta ? [...sa.slice(0, -2), sa[sa.length - 1], sa[sa.length - 2]] : sa, dtype, 4);
          let b = seeded(d, tb ? [...sb.slice(0, -2), sb[sb.length - 1], sb[sb.length - 2]] : sb, dtype, 5);
          if (ta) a = a.transpose(-1, -2);
          if (tb) b = b.transpose(-1, -2);
          return a.matmul(b);
        });
        const tol = (dtype === 'float32' ? 1e-5 : 1e-12) * Math.sqrt(K);
        expectClose(g, c, tol * 4, tol, `matmul [${sa}]${ta ? 'T' : ''} [${sb}]${tb ? 'T' : ''} ${dtype}`);
      }
    }
  });
  test("matmul precisions tf32 and bf16: the tensor-core kernel against the 'ref' device's model", () => {
    // Both round the operands the same way (math/mma_tile.h); the model sums exact products in double, the
    // kernel in fp32 registers in its own order: |kernel - model| <= 2 K 2^-24 sum_k |a_k b_k| per output.
    const cases: [number[], number[], boolean, boolean][] = [
      [[1, 1], [1, 1], false, false], [[7, 13], [13, 5], false, false], [[130, 257], [257, 129], false, false],
      [[300, 64], [64, 200], true, false], [[64, 300], [200, 64], false, true], [[2, 3, 65, 40], [3, 40, 66], true, true],
      [[512, 512], [512, 512], false, false],
    ];
    for (const precision of ['tf32', 'bf16'] as const) {
      for (const [sa, sb, ta, tb] of cases) {
        const K = sa[sa.length - 1];
        const make = (d: 'cpu' | 'cuda' | 'ref') => {
          let a = seeded('cpu', ta ? [...sa.slice(0, -2), sa[sa.length - 1], sa[sa.length - 2]] : sa, 'float32', 4).to(d);
          let b = seeded('cpu', tb ? [...sb.slice(0, -2), sb[sb.length - 1], sb[sb.length - 2]] : sb, 'float32', 5).to(d);
          if (ta) a = a.transpose(-1, -2);
          if (tb) b = b.transpose(-1, -2);
          return [a, b];
        };
        tf.backend.setMatmulPrecision(precision);
        try {
          const [ga, gb] = make('cuda'), [ra, rb] = make('ref');
          const g = arr(ga.matmul(gb)), r = arr(ra.matmul(rb));
          const [ca, cb] = make('cpu');
          const scale = arr(ca.double().abs().matmul(cb.double().abs()));
          for (let i = 0; i < r.length; i++) {
            if (!(Math.abs(g[i] - r[i]) <= 2 * K * 2 ** -24 * scale[i] + 1e-30)) {
              throw new Error(`${precision} [${sa}]${ta ? 'T' : ''} [${sb}]${tb ? 'T' : ''}: out[${i}] = ${g[i]}, model ${r[i]} (scale ${scale[i]})`);
            }
          }
        } finally { tf.backend.setMatmulPrecision('fp32'); }
      }
    }
  });
  test('index ops (gather, scatterAdd, indexSelect, indexAdd): the CPU\'s results bit for bit, repeated indices summed in order', () => {
    const ix = (d: 'cpu' | 'cuda', vals: number[], shape: number[]) => tf.tensor(vals, { dtype: 'int32', device: d }).reshape(shape);
    // gather along each dim of a transposed (strided) input, every dtype
    for (const dtype of ['float32', 'float64', 'int32', 'int8', 'uint8'] as const) {
      for (const dim of [0, 1]) {
        const [g, c] = onBoth((d) => {
          const x = tf.arange(0, 60, 1, { device: d }).reshape([6, 10]).transpose(0, 1).to(dtype);  // [10, 6], strided
          const vals = Array.from({ length: 4 * 5 }, (_, i) => (i * 7) % (dim === 0 ? 10 : 6));
          return x.gather(dim, ix(d, vals, [4, 5]));
        });
        expectArraysEqual(g, c, `gather ${dtype} dim ${dim}`);
      }
    }
    // scatterAdd with many repeats (sums in index order, so float32 sums agree bit for bit), strided src
    for (const dim of [0, 1, 2]) {
      const [g, c] = onBoth((d) => {
        const x = seeded(d, [5, 6, 7]), src = seeded(d, [7, 6, 5], 'float32', 6).permute([2, 1, 0]);
        const shape = [5, 6, 7], vals = Array.from({ length: 210 }, (_, i) => (i * 13) % Math.max(2, shape[dim] - 2));
        return x.scatterAdd(dim, ix(d, vals, [5, 6, 7]), src);
      });
      expectArraysEqual(g, c, `scatterAdd dim ${dim}`);
    }
    for (const dim of [0, 1, 2]) {
      const [g, c] = onBoth((d) => seeded(d, [4, 9, 3]).indexSelect(dim, ix(d, [2, 0, 2, 1], [4])));
      expectArraysEqual(g, c, `indexSelect dim ${dim}`);
      const [ga, ca] = onBoth((d) => {
        const x = seeded(d, [4, 9, 3]), shape = [4, 9, 3];
        shape[dim] = 5;
        return x.indexAdd(dim, ix(d, [1, 0, 1, 1, 2], [5]), seeded(d, shape, 'float32', 8));
      });
      expectArraysEqual(ga, ca, `indexAdd dim ${dim}`);
    }
    // the embedding pattern, forward and backward (indexSelect, then indexAdd of the gradient)
    const [ge, ce] = onBoth((d) => {
      const w = seeded(d, [50, 16]).requiresGrad_();
      w.indexSelect(0, ix(d, [3, 7, 3, 49, 0, 3], [6])).square().sum().backward();
      return w.grad as Tensor;
    });
    expectArraysEqual(ge, ce, 'embedding gradient');
    // bad indices: TF_INDEX_OUT_OF_RANGE naming the value, as on the CPU; the input is untouched
    const x = seeded('cuda', [4, 5]);
    expectCode(() => x.gather(1, ix('cuda', [0, 1, 5, 2], [4, 1])), 'TF_INDEX_OUT_OF_RANGE');
    expectCode(() => x.indexSelect(0, ix('cuda', [0, -1], [2])), 'TF_INDEX_OUT_OF_RANGE');
    expectCode(() => x.indexAdd(0, ix('cuda', [4], [1]), seeded('cuda', [1, 5])), 'TF_INDEX_OUT_OF_RANGE');
    expectCode(() => x.scatterAdd(0, ix('cuda', [0, 9, 0, 0, 0], [1, 5]), seeded('cuda', [1, 5])), 'TF_INDEX_OUT_OF_RANGE');
    expectCode(() => x.gather(1, ix('cpu', [0], [1, 1])), 'TF_DEVICE');
  });
  test('shape ops built on copies: cat, stack, pad, flip, roll, repeat', () => {
    const cases: [string, (d: 'cpu' | 'cuda') => Tensor][] = [
      ['cat', (d) => tf.cat([seeded(d, [3, 4]), seeded(d, [2, 4], 'float32', 2)], 0)],
      ['stack', (d) => tf.stack([seeded(d, [3, 4]), seeded(d, [3, 4], 'float32', 2)], 1)],
      ['pad', (d) => tf.pad(seeded(d, [2, 3, 5]), [1, 2, 0, 3])],
      ['pad reflect', (d) => tf.pad(seeded(d, [2, 3, 5]), [2, 1], 'reflect')],
      ['flip', (d) => seeded(d, [4, 5, 6]).flip([0, 2])],
      ['roll', (d) => seeded(d, [4, 5]).roll([2, -1], [0, 1])],
      ['repeat', (d) => seeded(d, [2, 3]).repeat([3, 1, 2])],
    ];
    for (const [name, f] of cases) {
      const [g, c] = onBoth(f);
      expectArraysEqual(g, c, name);
    }
  });
  test('data-dependent draws: bernoulli and multinomial bit for bit; binomial, poisson and the count steps up to libm rounding', () => {
    // bernoulli compares the same uniforms; multinomial with replacement walks the same running sums
    const [gb, cb] = onBoth((d) => { tf.manualSeed(11); return tf.bernoulli(tf.rand([4001], { device: d })); });
    expectArraysEqual(gb, cb, 'bernoulli');
    const probs = (d: 'cpu' | 'cuda') => tf.tensor([[0.1, 0, 3, 1e-300, 2], [5, 5, 5, 5, 5], [0, 0, 1, 0, 0]], { dtype: 'float64', device: d });
    const [gm, cm] = onBoth((d) => { tf.manualSeed(12); return tf.multinomial(probs(d), 400, true); });
    expectArraysEqual(gm, cm, 'multinomial with replacement');
    // without replacement: a permutation of the non-zero categories per row, the CPU's up to ties of equal keys
    const [gw, cw] = onBoth((d) => { tf.manualSeed(13); return tf.multinomial(probs(d).narrow(0, 0, 2), 4, false); });
    expectArraysEqual(gw, cw, 'multinomial without replacement');
    // binomial / poisson / count steps: the same streams and algorithms with the device libm inside rejection
    // tests, so nearly every draw equals the CPU's (a mismatch needs a test within a few ulp of its boundary)
    const near = (g: number[], c: number[], what: string) => {
      const diff = g.filter((v, i) => v !== c[i]).length;
      if (diff > Math.max(2, g.length * 1e-3)) throw new Error(`${what}: ${diff} of ${g.length} draws differ from the CPU's`);
    };
    const counts = (d: 'cpu' | 'cuda') => tf.tensor(Array.from({ length: 3000 }, (_, i) => [0, 1, 7, 40, 1000, 1e6][i % 6]), { dtype: 'float64', device: d });
    const ps = (d: 'cpu' | 'cuda') => tf.tensor(Array.from({ length: 3000 }, (_, i) => [0, 0.01, 0.3, 0.5, 0.8, 1][Math.floor(i / 6) % 6]), { dtype: 'float64', device: d });
    const [gbi, cbi] = onBoth((d) => { tf.manualSeed(14); return tf.binomial(counts(d), ps(d)); });
    near(gbi, cbi, 'binomial');
    const [gp, cp] = onBoth((d) => { tf.manualSeed(15); return tf.poisson(counts(d).mul(0.37)); });
    near(gp, cp, 'poisson');
    for (const step of ['bridge', 'tau'] as const) {
      const [gs, cs] = onBoth((d) => {
        tf.manualSeed(16);
        const n = tf.tensor(Array.from({ length: 2000 }, (_, i) => i % 16), { device: d });
        const y = tf.tensor(Array.from({ length: 2000 }, (_, i) => ((i * 7) % 23) * 0.6 - 2), { device: d });
        return step === 'bridge' ? tf.samplers.binomialBridgeStep(n, y, 0.2, 0.5, 15) : tf.samplers.tauLeapStep(n, y, 0.2, 0.5, 15);
      });
      near(gs, cs, `count step ${step}`);
    }
    // the checks word the same errors; refused binomial / poisson / multinomial calls leave the generator where
    // it was (bernoulli's uniforms are an ordinary rand call, drawn before its check, on every device)
    expectCode(() => tf.bernoulli(tf.tensor([0.5, 1.5], { device: 'cuda' })), 'TF_INVALID_ARGUMENT');
    tf.manualSeed(17);
    expectCode(() => tf.binomial(tf.tensor([3, 2.5], { dtype: 'float64', device: 'cuda' }), tf.tensor([0.5, 0.5], { dtype: 'float64', device: 'cuda' })), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.poisson(tf.tensor([1, -1], { dtype: 'float64', device: 'cuda' })), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.multinomial(tf.tensor([[0, 0]], { dtype: 'float64', device: 'cuda' }), 1, true), 'TF_INVALID_ARGUMENT');
    const after = arr(tf.rand([3], { device: 'cuda' }));
    tf.manualSeed(17);
    expectArraysEqual(after, arr(tf.rand([3], { device: 'cuda' })), 'refused draws give their call back');
  });
  test('random draws: the same Philox streams as the CPU', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const [g, c] = onBoth((d) => { tf.manualSeed(7); return tf.rand([1001], { dtype, device: d }); });
      expectArraysEqual(g, c, `rand ${dtype}`);
      const [gn, cn] = onBoth((d) => { tf.manualSeed(7); return tf.randn([1001], { dtype, device: d }); });
      expectClose(gn, cn, dtype === 'float32' ? 1e-6 : 1e-13, 1e-6, `randn ${dtype}`);
    }
    const [gi, ci] = onBoth((d) => { tf.manualSeed(7); return tf.randint(-5, 17, [999], { device: d }); });
    expectArraysEqual(gi, ci, 'randint');
  });
  test('autograd and an optimizer step on the GPU match the CPU', () => {
    for (const Opt of ['sgd', 'adam'] as const) {
      const run = (d: 'cpu' | 'cuda') => tf.tidy(() => {
        tf.manualSeed(3);
        const net = new tf.nn.Sequential(new tf.nn.Linear(8, 32), new tf.nn.SiLU(), new tf.nn.Linear(32, 8));
        net.toDevice(d);
        const opt = Opt === 'sgd' ? new tf.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 })
          : new tf.optim.Adam(net.parameters(), { lr: 1e-2 });
        const x = seeded(d, [64, 8], 'float32', 11);
        for (let s = 0; s < 3; s++) {
          opt.zeroGrad();
          const loss = net.forward(x).sub(x).square().mean();
          loss.backward();
          opt.step();
        }
        return tf.keep(net.forward(x));
      });
      const g = run('cuda'), c = run('cpu');
      expectClose(arr(g), arr(c), 1e-4, 1e-4, Opt);
    }
  });
  test('mixing devices, and ops not on cuda yet: TF_DEVICE naming the op', () => {
    const a = tf.ones([2, 2], { device: dev }), b = tf.ones([2, 2]);
    expectCode(() => a.add(b), 'TF_DEVICE');
    expectCode(() => tf.conv2d(tf.ones([1, 1, 4, 4], { device: dev }), tf.ones([1, 1, 3, 3], { device: dev })), 'TF_DEVICE');
    try { tf.conv2d(tf.ones([1, 1, 4, 4], { device: dev }), tf.ones([1, 1, 3, 3], { device: dev })); } catch (e) {
      expect((e as Error).message).toMatch(/conv2d.*cuda/);
    }
  });
  test('out of memory is TF_OUT_OF_MEMORY with the sizes', () => {
    let err: Error | undefined;
    try { tf.empty([1 << 30, 1 << 10], { device: dev }); } catch (e) { err = e as Error; }
    expect((err as Error & { code: string }).code).toBe('TF_OUT_OF_MEMORY');
    expect(err!.message).toMatch(/bytes/);
  });
  test('the caching allocator reuses freed blocks', () => {
    tf.cuda.synchronize();
    const before = tf.cuda.memory();
    for (let i = 0; i < 10; i++) tf.tidy(() => tf.ones([1000, 1000], { device: dev }).mul(2));
    const after = tf.cuda.memory();
    expect(after.cacheHits).toBeGreaterThan(before.cacheHits);
    tf.cuda.emptyCache();
    expect(tf.cuda.memory().cachedBytes).toBe(0);
  });
});
