// The DiT denoiser of DiffusionBlocks (lib/nn/models/dit.ts, lib/models/diffusion-blocks/model.ts) and class
// conditioning with classifier-free guidance (train.ts): patch order by index formula, the 2-D sin-cos table by
// its definition, a DiT block against a float64 plain-loop implementation written here from the paper's equations,
// AdaLN-Zero's identity start, block isolation, label dropout's rate, and guidance as D_null + w (D_label - D_null).
import * as tf from '../lib';
import { Tensor } from '../lib';
import { erf } from '../lib/special/normal';
import { DiTBlock, DiTFinalLayer, patchify, sincos2d, unpatchify } from '../lib/nn/models/dit';
import * as DB from '../lib/models/diffusion-blocks';
import { dropLabels, routedDenoiser } from '../lib/models/diffusion-blocks/train';
import { arr, expectArraysEqual, expectClose, expectCode } from './helpers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../lib/models';
import { trainCommand, dataSpecOf } from '../lib/cli/train';
import { openDataSource } from '../lib/data/sources';
import { saveCheckpoint, loadCheckpoint } from '../lib/io/checkpoint';
import type { DataSpec, OptionValue } from '../lib/registry';
import { resolveOptions, getMethod } from '../lib/registry';

beforeAll(() => tf.manualSeed(21));

describe('patches and positions', () => {
  test('patchify puts x[n, c, r p + i, q p + j] at token r (W/p) + q, value c p² + i p + j; unpatchify inverts it', () => {
    const [N, C, H, W, p] = [2, 3, 4, 6, 2];
    const x = tf.arange(0, N * C * H * W).reshape(N, C, H, W);
    const t = patchify(x, p);
    expect(t.shape).toEqual([N, (H / p) * (W / p), C * p * p]);
    const xv = arr(x), tv = arr(t.contiguous());
    const T = (H / p) * (W / p), V = C * p * p;
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
      const r = Math.floor(h / p), i = h % p, q = Math.floor(w / p), j = w % p;
      expect(tv[(n * T + r * (W / p) + q) * V + c * p * p + i * p + j]).toBe(xv[((n * C + c) * H + h) * W + w]);
    }
    expectArraysEqual(arr(unpatchify(t, p, C, H, W).contiguous()), xv, 'round trip');
    expectCode(() => patchify(tf.zeros([1, 1, 5, 4]), 2), 'TF_SHAPE_MISMATCH');
    expectCode(() => unpatchify(tf.zeros([1, 3, 4]), 2, 1, 4, 4), 'TF_SHAPE_MISMATCH');
  });
  test('sincos2d: [sin(r w_k), cos(r w_k), sin(c w_k), cos(c w_k)], w_k = 10000^(-k/(dim/4))', () => {
    const gh = 3, gw = 5, dim = 16, q = dim / 4;
    const v = arr(sincos2d(gh, gw, dim));
    for (let r = 0; r < gh; r++) for (let c = 0; c < gw; c++) for (let k = 0; k < q; k++) {
      const w = 10000 ** (-k / q), row = (r * gw + c) * dim;
      expectClose([v[row + k], v[row + q + k], v[row + 2 * q + k], v[row + 3 * q + k]],
        [Math.sin(r * w), Math.cos(r * w), Math.sin(c * w), Math.cos(c * w)], 1e-7, 0, `(${r}, ${c}, ${k})`);
    }
    expectCode(() => sincos2d(2, 2, 6), 'TF_INVALID_ARGUMENT');
  });
});

/** The DiT block in float64 plain loops: LN (no affine, eps 1e-6), modulation, multi-head attention, exact GELU. */
function ditBlockReference(x: number[], c: number[], T: number, D: number, heads: number, P: Map<string, number[]>): number[] {
  const lin = (v: number[], rows: number, w: number[], b: number[], nin: number, nout: number) => {
    const o = new Array(rows * nout).fill(0);
    for (let r = 0; r < rows; r++) for (let k = 0; k < nout; k++) {
      let s = b[k];
      for (let j = 0; j < nin; j++) s += v[r * nin + j] * w[k * nin + j];
      o[r * nout + k] = s;
    }
    return o;
  };
  const ln = (v: number[]) => {
    const o = v.slice();
    for (let t = 0; t < T; t++) {
      const row = v.slice(t * D, (t + 1) * D), m = row.reduce((a, b) => a + b, 0) / D;
      const var_ = row.reduce((a, b) => a + (b - m) ** 2, 0) / D;
      for (let d = 0; d < D; d++) o[t * D + d] = (row[d] - m) / Math.sqrt(var_ + 1e-6);
    }
    return o;
  };
  const m = lin(c, 1, P.get('ada.weight')!, P.get('ada.bias')!, c.length, 6 * D);
  const part = (i: number) => m.slice(i * D, (i + 1) * D);
  const mod = (v: number[], shift: number[], scale: number[]) => v.map((e, i) => e * (1 + scale[i % D]) + shift[i % D]);
  const a0 = mod(ln(x), part(0), part(1));
  const q = lin(a0, T, P.get('attn.q.weight')!, P.get('attn.q.bias')!, D, D);
  const k = lin(a0, T, P.get('attn.k.weight')!, P.get('attn.k.bias')!, D, D);
  const v = lin(a0, T, P.get('attn.v.weight')!, P.get('attn.v.bias')!, D, D);
  const hd = D / heads, att = new Array(T * D).fill(0);
  for (let h = 0; h < heads; h++) for (let i = 0; i < T; i++) {
    const s = Array.from({ length: T }, (_, j) => {
      let d = 0;
      for (let e = 0; e < hd; e++) d += q[i * D + h * hd + e] * k[j * D + h * hd + e];
      return d / Math.sqrt(hd);
    });
    const mx = Math.max(...s), ex = s.map((e) => Math.exp(e - mx)), z = ex.reduce((a, b) => a + b, 0);
    for (let e = 0; e < hd; e++) att[i * D + h * hd + e] = ex.reduce((acc, w, j) => acc + (w / z) * v[j * D + h * hd + e], 0);
  }
  const o = lin(att, T, P.get('attn.out.weight')!, P.get('attn.out.bias')!, D, D);
  const g1 = part(2), hres = x.map((e, i) => e + g1[i % D] * o[i]);
  const a1 = mod(ln(hres), part(3), part(4));
  const f1 = lin(a1, T, P.get('fc1.weight')!, P.get('fc1.bias')!, D, 4 * D).map((e) => 0.5 * e * (1 + erf(e / Math.SQRT2)));
  const f2 = lin(f1, T, P.get('fc2.weight')!, P.get('fc2.bias')!, 4 * D, D);
  const g2 = part(5);
  return hres.map((e, i) => e + g2[i % D] * f2[i]);
}

describe('DiT block (AdaLN-Zero)', () => {
  const T = 4, D = 8, heads = 2, condDim = 6;
  test('starts as the identity (zero gates); the final layer starts at zero', () => {
    const blk = new DiTBlock(D, heads, condDim);
    const x = tf.randn([3, T, D]), c = tf.randn([3, condDim]);
    expectArraysEqual(arr(blk.forward(x, c)), arr(x), 'identity at init');
    const fin = new DiTFinalLayer(D, condDim, 12);
    expect(arr(fin.forward(x, c)).every((v) => v === 0)).toBe(true);
  });
  test('equals the float64 plain-loop block of the paper\'s equations once the modulation is nonzero', () => {
    const blk = new DiTBlock(D, heads, condDim);
    tf.noGrad(() => { blk.ada.weight.copy_(tf.randn([6 * D, condDim]).mul(0.5)); blk.ada.bias!.copy_(tf.randn([6 * D]).mul(0.5)); });
    const P = new Map(blk.namedParameters().map(([k, p]) => [k, arr(p)]));
    const x = tf.randn([2, T, D]), c = tf.randn([2, condDim]);
    const got = arr(blk.forward(x, c));
    const xv = arr(x), cv = arr(c);
    const want = [0, 1].flatMap((n) => ditBlockReference(xv.slice(n * T * D, (n + 1) * T * D), cv.slice(n * condDim, (n + 1) * condDim), T, D, heads, P));
    // float32 against float64 through ~6 layers of dot products of <= 32 terms with O(1) values: ~1e-6 of the
    // scale; 1e-5 is 10x that and still 100x below a wrong sign, head split or missing gate (>= 1e-3)
    const scale = Math.max(...want.map(Math.abs));
    expectClose(got, want, 1e-5 * scale, 0, 'block vs reference');
    // the reference does tell a wrong block apart: swap shift and scale of the first modulation
    const Q = new Map(P);
    const w = P.get('ada.weight')!.slice(), b = P.get('ada.bias')!.slice();
    for (let i = 0; i < D * condDim; i++) [w[i], w[D * condDim + i]] = [w[D * condDim + i], w[i]];
    for (let i = 0; i < D; i++) [b[i], b[D + i]] = [b[D + i], b[i]];
    Q.set('ada.weight', w); Q.set('ada.bias', b);
    const wrong = ditBlockReference(xv.slice(0, T * D), cv.slice(0, condDim), T, D, heads, Q);
    expect(Math.max(...wrong.map((v, i) => Math.abs(v - got[i])))).toBeGreaterThan(1e-3 * scale);
  });
});

const spec: DataSpec = {
  name: 'tiny-images', kind: 'images', itemShape: [1, 4, 4], classes: 3,
  draw: (n) => tf.rand([n, 1, 4, 4]).mul(2).sub(1),
  drawLabeled: (n) => ({ x: tf.rand([n, 1, 4, 4]).mul(2).sub(1), y: tf.randint(0, 3, [n]).to('int32') }),
};
const options = (over: Record<string, OptionValue> = {}) =>
  resolveOptions(getMethod('dblocks'), { blocks: 2, layers: 2, width: 16, embDim: 16, arch: 'dit', patch: 2, heads: 2, ...over });

describe('blockwise DiT', () => {
  test('a block step runs only that block\'s DiT layers, and only they (with the shared ends) get gradients', () => {
    tf.manualSeed(4);
    const run = DB.createDblocks(spec, options({ layers: 4 }));
    const net = run.model;
    expect(net.cfg.arch).toBe('dit');
    const x = tf.randn([5, 16]);
    const before = net.layerRuns.slice();
    const wgt = tf.randn([5, 16]);
    tf.tidy(() => net.forwardBlock(1, x, tf.zeros([5])).mul(wgt).sum().backward());
    expect(net.layerRuns.map((r, j) => r - before[j])).toEqual([0, 0, 1, 1]);
    for (const [k, p] of net.namedParameters()) {
      if (/^layer[01]\./.test(k)) expect([k, p.grad]).toEqual([k, null]);
    }
    // AdaLN-Zero: at init the output is zero and only the final layer's output map gets a gradient
    const live = net.namedParameters().filter(([, p]) => p.grad && arr(p.grad).some((v) => v !== 0)).map(([k]) => k);
    expect(live.sort()).toEqual(['head0.final.out.bias', 'head0.final.out.weight']);
    for (const p of net.parameters()) p.grad = null;
  });
  test('training lowers the loss; samples have the item shape and are finite', () => {
    tf.manualSeed(5);
    const run = DB.createDblocks({ ...spec, classes: undefined, drawLabeled: undefined }, options());
    const losses: number[] = [];
    for (let s = 0; s < 40; s++) losses.push(tf.tidy(() => run.trainStep(tf.rand([32, 1, 4, 4]).mul(2).sub(1), s)));
    const head = (a: number[]) => a.slice(0, 10).reduce((x, y) => x + y, 0) / 10;
    // the EDM-preconditioned loss starts near 1 (F = 0 at init) and the uniform data is learnable in part
    expect(head(losses.slice(-10))).toBeLessThan(head(losses));
    const r = run.sample(3, { steps: 4 });
    expect(r.x.shape).toEqual([3, 1, 4, 4]);
    expect(arr(r.x).every(Number.isFinite)).toBe(true);
    r.x.dispose();
  });
});

describe('class conditioning and classifier-free guidance', () => {
  test('label dropout replaces each label by the null label with probability p', () => {
    tf.manualSeed(8);
    const n = 20000, p = 0.1;
    const y = tf.randint(0, 10, [n]).to('int32');
    const d = arr(dropLabels(y, 10, p)), yv = arr(y);
    const dropped = d.filter((v) => v === 10).length;
    // binomial(n, p): sd = sqrt(n p (1 - p)) = 42; 4 sd
    expect(Math.abs(dropped - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
    expect(d.every((v, i) => v === 10 || v === yv[i])).toBe(true);
    expectArraysEqual(arr(dropLabels(y, 10, 0)), yv, 'p = 0 keeps every label');
    expectCode(() => dropLabels(tf.tensor(Int32Array.from([3, 10]), { dtype: 'int32' }), 10, 0.1), 'TF_INVALID_ARGUMENT');
  });
  test('guided D = D_null + w (D_label - D_null), with w = 1 the conditional and w = 0 the unconditional denoiser', () => {
    for (const arch of ['mlp', 'dit']) {
      tf.manualSeed(9);
      const run = DB.createDblocks(spec, options({ arch, conditional: true }));
      const net = run.model;
      expect(net.cfg.classes).toBe(3);
      // move every zero-initialised map off zero so the label matters
      tf.noGrad(() => {
        for (const [k, p] of net.namedParameters()) p.add_(tf.randnLike(p).mul(k.includes('label') ? 1 : 0.05));
      });
      const x = tf.randn([4, 16]), labels = tf.tensor(Int32Array.from([0, 1, 2, 0]), { dtype: 'int32' });
      const edges = run.trainer.edges, sd = 0.5;
      for (const s of [20, 0.7, 0.01]) {
        const Dc = arr(routedDenoiser(net, edges, { sigmaData: sd, labels })(x, s));
        const Du = arr(routedDenoiser(net, edges, { sigmaData: sd })(x, s));
        expect(Math.max(...Dc.map((v, i) => Math.abs(v - Du[i])))).toBeGreaterThan(1e-4);  // the label is read
        for (const w of [0, 2.5]) {
          const Dg = arr(routedDenoiser(net, edges, { sigmaData: sd, labels, guidance: w })(x, s));
          // one batched pass of 2n against two passes of n: float32 rounding of the affine combination only
          const scale = Math.max(...Dc.map(Math.abs));
          expectClose(Dg, Dc.map((c, i) => Du[i] + w * (c - Du[i])), 1e-5 * scale * (1 + w), 0, `${arch} sigma=${s} w=${w}`);
        }
      }
      expectCode(() => routedDenoiser(net, edges, { sigmaData: sd, guidance: 2 }), 'TF_INVALID_ARGUMENT');
      expectCode(() => net.forwardBlock(0, x, tf.zeros([4]), tf.zeros([4])), 'TF_SHAPE_MISMATCH');  // float labels
      // a conditional model trains on labelled batches only
      expectCode(() => run.trainer.step(0, tf.zeros([4, 16])), 'TF_INVALID_ARGUMENT');
      const l = tf.tidy(() => run.trainStep(tf.zeros([8, 1, 4, 4]), 0));
      expect(Number.isFinite(l)).toBe(true);
      const r = run.sample(6, { steps: 3 });
      expect(r.x.shape).toEqual([6, 1, 4, 4]);
      r.x.dispose();
    }
  });
  test('bad options are TF_INVALID_ARGUMENT', () => {
    const check = (over: Record<string, OptionValue>) => () => DB.checkDblocksOptions(options(over));
    expectCode(check({ width: 18, heads: 4 }), 'TF_INVALID_ARGUMENT');
    expectCode(check({ width: 6, heads: 2 }), 'TF_INVALID_ARGUMENT');  // 2-D sin-cos needs a multiple of 4
    expectCode(check({ arch: 'mlp', guidance: 2 }), 'TF_INVALID_ARGUMENT');  // guidance without --conditional
    expectCode(() => DB.createDblocks({ name: 'pts', kind: 'points', itemShape: [2] }, options()), 'TF_INVALID_ARGUMENT');
    expectCode(() => DB.createDblocks({ ...spec, classes: undefined, drawLabeled: undefined }, options({ conditional: true })), 'TF_INVALID_ARGUMENT');
    expectCode(() => DB.createDblocks(spec, options({ patch: 3 })), 'TF_INVALID_ARGUMENT');
    const plain = DB.createDblocks({ ...spec, classes: undefined }, options());
    expectCode(() => plain.model.forwardBlock(0, tf.zeros([2, 16]), tf.zeros([2]), tf.zeros([2], { dtype: 'int32' })), 'TF_INVALID_ARGUMENT');
  });
});

describe('--arch dit --conditional on Fashion-MNIST 14x14 (the CLI\'s data spec, options and checkpoint)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-dblocks-dit-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  test('trains on labelled batches, checkpoints, reloads bit for bit and samples guided', () => {
    tf.manualSeed(3);
    const src = openDataSource('fashion14');
    const o = options({ patch: 7, conditional: true, guidance: 2 });
    const run = DB.createDblocks(dataSpecOf(src), o);
    expect(run.model.cfg.classes).toBe(10);
    for (let s = 0; s < 2; s++) expect(Number.isFinite(tf.tidy(() => run.trainStep(src.batch(8), s)))).toBe(true);
    const file = path.join(tmp, 'ckpt.safetensors');
    saveCheckpoint(file, { model: run.model, optimizer: run.optimizer, step: 2 });
    const again = DB.createDblocks(dataSpecOf(src), o);
    loadCheckpoint(file, { model: again.model, optimizer: again.optimizer });
    const keys = [...again.model.stateDict().keys()];
    expect(keys).toContain('stem0.cond.label.weight');
    expect(keys).toContain('layer1.ada.weight');
    for (const [k, p] of run.model.namedParameters()) expectArraysEqual(arr(again.model.stateDict().get(k)!), arr(p), k);
    tf.manualSeed(7);
    const a = run.sample(4, { steps: 3 });
    tf.manualSeed(7);
    const b = again.sample(4, { steps: 3 });
    expect(a.x.shape).toEqual([4, 1, 14, 14]);
    expect(arr(a.x).every(Number.isFinite)).toBe(true);
    expectArraysEqual(arr(b.x), arr(a.x), 'samples after reload');
  });
  test('the train command refuses --arch dit on points with a TF_ error', async () => {
    await expect(trainCommand(['--method', 'dblocks', '--data', 'eight-gaussians', '--arch', 'dit', '--steps', '1',
      '--out', path.join(tmp, 'pts')], () => undefined)).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
  });
});

void Tensor;
