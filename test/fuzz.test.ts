// Seeded fuzzing of the whole JS surface: module functions, Tensor methods and accessors, and the raw addon,
// called with random arguments drawn from a pool of valid, disposed, odd and wrong values. Every call must
// either return or throw an Error whose `code` is a stable TF_* code (TF_INTERNAL counts as a failure), and
// the process must survive. Set FUZZ_TRACE=<file> to log each call before it runs (to locate a crash),
// FUZZ_SEED / FUZZ_CALLS / FUZZ_CHAINS to explore further.
import * as fs from 'fs';
import * as tf from '../lib';
import { Tensor } from '../lib';
import { native } from '../lib/native';
import { mulberry32 } from '../lib/data/prng';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const CALLS = Number(process.env.FUZZ_CALLS ?? 30000);
const CHAINS = Number(process.env.FUZZ_CHAINS ?? 1500);
const TRACE = process.env.FUZZ_TRACE;
const POOL_REFRESH = 150;  // calls between rebuilding the value pool (calls dispose and overwrite its tensors)

// ---- deterministic PRNG (mulberry32, lib/data/prng.ts: 32-bit state, plenty for picking arguments) ----
const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <X>(xs: readonly X[]): X => xs[int(xs.length)];
const chance = (p: number) => random() < p;

// ---- the value pool ----
// Sizes stay tiny (<= 64 elements per pool tensor, numbers <= 7 besides the extremes) so that any valid
// combination allocates well under 64 MB; the extremes (1e12, 2**53, ...) must be refused, and the 256 MB
// allocation limit set below is the backstop.
const NUMBERS = [0, 1, 2, 3, 7, -1, -2, 0.5, -0.5, -0, NaN, Infinity, -Infinity, 1e12, -1e12, 2 ** 31, 2 ** 53, 1e300,
  Number.MIN_VALUE, 2 ** 31 - 1, -(2 ** 31), 4294967295];
const SMALL = [0, 1, 2, -1, 3, 1, 0, -2];
const STRINGS = ['', 'float32', 'float64', 'int32', 'int8', 'uint8', 'float16', 'abc', 'tanh', 'none', 'reflect',
  'constant', 'replicate', 'circular', 'scalar', 'avx2', 'avx512', 'cpu', '0', '2'];
const DTYPES = ['float32', 'float64', 'int32', 'int8', 'uint8'] as const;

interface Pool {
  tensors: Tensor[];   // live (until a call disposes them)
  disposed: Tensor[];
  functions: unknown[];
}

function makeTensor(): Tensor {
  const dtype = pick(DTYPES);
  const kind = int(12);
  const shapes = [[3, 4], [2, 3, 2], [5], [], [0, 3], [2, 0], [1], [4, 1], [1, 1, 2], [2, 2, 2, 2]];
  const f = chance(0.2) ? 'float64' : 'float32';
  switch (kind) {
    case 0: return tf.randn(pick(shapes), { dtype: f });
    case 1: return tf.arange(12, undefined, 1, { dtype }).reshape(3, 4);
    case 2: return tf.randn([3, 5], { dtype: f }).transpose(0, 1);                     // non-contiguous
    case 3: return tf.randn([4, 6], { dtype: f }).slice(1, 0, undefined, 2);           // strided
    case 4: return tf.randn([1, 4], { dtype: f }).expand(3, 4);                        // stride 0
    case 5: return tf.tensor([1, -1, NaN, Infinity, -Infinity, 0], { dtype: f });      // odd values
    case 6: return tf.randn(pick(shapes), { dtype: f, requiresGrad: true });           // leaf with grad
    case 7: { const l = tf.randn([2, 3], { dtype: f, requiresGrad: true }); return l.exp().mul(2); }  // non-leaf
    case 8: return tf.tensor(pick([[0, 1, 2], [[0], [1]], [2, 0], [-1, 5], [[0, 1, 0], [1, 0, 1]]]), { dtype: pick(['int32', 'int8', 'uint8'] as const) });
    case 9: return tf.rand([2, 3], { dtype: f });                                     // probabilities
    case 10: return tf.full(pick(shapes), pick([0, 1, 3, -2]), { dtype });
    default: return tf.zeros(pick(shapes), { dtype });
  }
}

function makePool(): Pool {
  const tensors: Tensor[] = [];
  for (let i = 0; i < 14; i++) tensors.push(tf.tidy(makeTensor));  // tidy: intermediates are freed now
  const disposed: Tensor[] = [];
  for (let i = 0; i < 3; i++) {
    const t = makeTensor();
    t.dispose();
    disposed.push(t);
  }
  const functions = [() => 1, () => tensors[0], () => [tensors[1], { a: tensors[2] }], async () => 1, function (this: unknown) { return this; }];
  return { tensors, disposed, functions };
}

function hugeArrayLike(): unknown {
  return pick([new Array(2 ** 32 - 1), { length: 1e12 }, { length: -1 }, Object.assign([1, 2], { length: 2 ** 31 })]);
}

let drawn: unknown[] = [];  // the top-level arguments of the current call, for the trace and failure reports
// Half the calls draw only plausible arguments (tensors, small ints, lists of them, dtype and mode names), so
// that calls get past argument checking into the kernels and autograd; the other half draw anything.
let plausible = false;

/** A random argument; `nativeSide` prefers raw handles (what the addon expects) over Tensor wrappers. */
function arg(pool: Pool, nativeSide: boolean, depth = 0): unknown {
  const v = draw(pool, nativeSide, depth);
  if (depth === 0) drawn.push(v);
  return v;
}
function draw(pool: Pool, nativeSide: boolean, depth: number): unknown {
  const r = random();
  const live = () => {
    const t = pick(pool.tensors);
    return nativeSide && chance(0.85) ? t._h : t;
  };
  if (plausible) {
    if (r < 0.35) return live();
    if (r < 0.75) return pick(SMALL);
    if (r < 0.85) return Array.from({ length: int(4) }, () => pick(SMALL));
    if (r < 0.9) return [live(), live()];
    if (r < 0.95) return pick([true, false]);
    return pick(['float32', 'float64', 'int32', 'tanh', 'reflect', 'replicate', 'circular', 'constant']);
  }
  if (r < 0.32) return live();
  if (r < 0.36) { const t = pick(pool.disposed); return nativeSide ? t._h : t; }
  if (r < 0.52) return pick(SMALL);
  if (r < 0.62) return pick(NUMBERS);
  if (r < 0.68) return pick(STRINGS);
  if (r < 0.73) return pick([null, undefined, true, false]);
  if (r < 0.85) {
    if (depth > 2) return [];
    switch (int(9)) {
      case 0: return [];
      case 1: return Array.from({ length: 1 + int(3) }, () => pick(SMALL));
      case 2: return Array.from({ length: 1 + int(4) }, () => pick(NUMBERS));
      case 3: return Array.from({ length: 1 + int(3) }, () => live());
      case 4: return [live(), pick([null, undefined, 'x', 1])];
      case 5: return [[1, 2], [3, 4]];
      case 6: return hugeArrayLike();
      case 7: return [[1, [2]], 'a'];
      default: return Array.from({ length: 1 + int(3) }, () => arg(pool, nativeSide, depth + 1));
    }
  }
  if (r < 0.93) {
    switch (int(8)) {
      case 0: return {};
      case 1: return { dtype: pick(STRINGS) };
      case 2: return { requiresGrad: pick([true, false, 1]) };
      case 3: return { retainGraph: pick([true, false, 'yes']), createGraph: pick([true, false]) };
      case 4: return { shape: Array.from({ length: int(3) }, () => pick(SMALL)) };
      case 5: return { correction: pick(NUMBERS), keepdim: pick([true, false, 0]) };
      case 6: return Object.create(null);
      default: return { allowUnused: true, gradOutputs: live() };
    }
  }
  if (r < 0.97) {
    return pick([() => new Float32Array(6), () => new Float64Array(4), () => new Int32Array([0, 1, 2]),
      () => new Uint8Array(2), () => new Int8Array(0), () => new BigInt64Array(2), () => new Uint16Array(3),
      () => new DataView(new ArrayBuffer(8)), () => new Float32Array(new ArrayBuffer(16), 4, 2)])();
  }
  return pick([...pool.functions, Symbol('s'), 10n, new Map([[1, live()]])]);
}

// ---- the surface under test ----
// prepare() draws the arguments and returns the call, so that a trace can show a call before it runs
const HANDLE_FUNCTIONS = ['shapeOf', 'stridesOf', 'offsetOf', 'dtypeOf', 'deviceOf', 'numelOf', 'isLeaf', 'gradFnOf',
  'isDisposed', 'requiresGradOf', 'setRequiresGrad', 'gradOf', 'setGrad', 'isContiguous', 'dataOf', 'itemOf', 'dispose',
  'sharesStorage'];
type Target = { name: string; kind: 'module' | 'method' | 'accessor' | 'native' | 'handle'; prepare: (pool: Pool) => () => unknown };

function functionsOf(obj: Record<string, unknown>, prefix: string, skip: Set<string>): [string, (...a: unknown[]) => unknown][] {
  const out: [string, (...a: unknown[]) => unknown][] = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (typeof v !== 'function' || skip.has(k)) continue;
    if (/^class\b/.test(Function.prototype.toString.call(v))) continue;  // Tensor, TensorfieldError: not callable
    out.push([prefix + k, v as (...a: unknown[]) => unknown]);
  }
  return out;
}

function arity(fn: { length: number }): number {
  // mostly around the declared count, sometimes fewer or more
  return Math.max(0, chance(0.7) ? fn.length + int(3) - 1 : int(6));
}

/** The receiver of a method call: usually a live pool tensor, sometimes a disposed one. */
function receiver(pool: Pool): Tensor {
  const self = chance(0.93) ? pick(pool.tensors) : pick(pool.disposed);
  drawn.push(self);
  return self;
}
const args = (pool: Pool, fn: { length: number }, nativeSide: boolean) =>
  Array.from({ length: arity(fn) }, () => arg(pool, nativeSide));

/** A property read, or (for accessors with a setter, 40% of the time) a write of a random value. */
function accessor(self: Record<string, unknown>, k: string, desc: PropertyDescriptor, pool: Pool, nativeSide: boolean): () => unknown {
  if (desc.set && chance(0.4)) {
    const v = arg(pool, nativeSide);
    return () => { self[k] = v; };
  }
  return () => self[k];
}

function buildTargets(): Target[] {
  const targets: Target[] = [];
  const mod = tf as unknown as Record<string, unknown>;
  // setAllocationLimit would lift the cap this test relies on: it is exercised with bad values only, below
  const moduleFns = [
    ...functionsOf(mod, 'tf.', new Set()),
    ...functionsOf(tf.autograd as unknown as Record<string, unknown>, 'tf.autograd.', new Set()),
    ...functionsOf(tf.backend as unknown as Record<string, unknown>, 'tf.backend.', new Set(['setAllocationLimit'])),
    ...functionsOf(tf.cuda as unknown as Record<string, unknown>, 'tf.cuda.', new Set()),
  ];
  for (const [name, fn] of moduleFns) {
    targets.push({ name, kind: 'module', prepare: (pool) => { const a = args(pool, fn, false); return () => fn(...a); } });
  }
  targets.push({
    name: 'tf.backend.setAllocationLimit(bad)', kind: 'module',
    prepare: () => {
      const v = pick([-1, NaN, Infinity, -Infinity, 'x', null, undefined, {}]);
      drawn.push(v);
      return () => tf.backend.setAllocationLimit(v as number);
    },
  });

  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const k of Object.getOwnPropertyNames(Tensor.prototype)) {
    if (k === 'constructor') continue;
    const desc = Object.getOwnPropertyDescriptor(Tensor.prototype, k)!;
    if (typeof desc.value === 'function') {
      const fn = proto[k] as (...a: unknown[]) => unknown;
      targets.push({
        name: `Tensor#${k}`, kind: 'method',
        prepare: (pool) => {
          const self = receiver(pool);
          const a = args(pool, fn, false);
          return () => fn.apply(self, a);
        },
      });
    } else {
      targets.push({
        name: `Tensor#${k}`, kind: 'accessor',
        prepare: (pool) => accessor(receiver(pool) as unknown as Record<string, unknown>, k, desc, pool, false),
      });
    }
  }

  const nat = native as unknown as Record<string, unknown>;
  const opCodes = [...Object.values(native.unaryOps), ...Object.values(native.binaryOps)];
  // the raw addon: the same guards must hold without the TypeScript layer in front
  for (const [name, fn] of functionsOf(nat, 'native.', new Set(['setAllocationLimit']))) {
    const takesOp = name === 'native.unary' || name === 'native.binary';
    targets.push({
      name, kind: 'native',
      prepare: (pool) => {
        const a = args(pool, fn, true);
        if (takesOp && a.length > 0 && chance(0.8)) a[0] = drawn[0] = pick(opCodes);
        return () => fn(...a);
      },
    });
  }
  // The raw handle's functions (handles are Externals, native/napi/handle.h; their accessors are module
  // functions taking the handle first): called on a pool tensor's handle with random further arguments. The
  // loop above also calls them with a random first argument.
  for (const k of HANDLE_FUNCTIONS) {
    const fn = nat[k] as (...a: unknown[]) => unknown;
    targets.push({
      name: `native.${k}(handle, ...)`, kind: 'handle',
      prepare: (pool) => {
        const self = receiver(pool)._h;
        const a = args(pool, fn, true);
        if (a.length === 0) a.push(self); else a[0] = self;
        return () => fn(...a);
      },
    });
  }
  return targets;
}

function describeValue(v: unknown, depth = 0): string {
  if (v instanceof Tensor) return v.isDisposed ? 'Tensor(disposed)' : `Tensor(${v.dtype}[${v.shape}]${v.isContiguous() ? '' : ' strided'}${v.requiresGrad ? ' grad' : ''})`;
  if (native.isTensor(v)) {
    const h = v as Tensor['_h'];
    return native.isDisposed(h) ? 'handle(disposed)' : `handle(${native.dtypeOf(h)}[${native.shapeOf(h)}])`;
  }
  if (typeof v === 'symbol' || typeof v === 'bigint') return String(v) + (typeof v === 'bigint' ? 'n' : '');
  if (typeof v === 'function') return 'function';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return v.length > 16 ? `Array(length ${v.length})` : depth > 2 ? '[...]' : `[${v.map((x) => describeValue(x, depth + 1)).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${Object.prototype.toString.call(v).slice(8, -1)}(${(v as { length?: number }).length ?? v.byteLength})`;
  if (v && typeof v === 'object') {
    try { return depth > 2 ? '{...}' : `{${Object.entries(v).map(([k, x]) => `${k}: ${describeValue(x, depth + 1)}`).join(', ')}}`; } catch { return 'object'; }
  }
  return String(v);
}

/** Disposes whatever a call returned: Tensors, raw handles, arrays or objects of them. */
function release(v: unknown, depth = 0): void {
  if (depth > 3 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) { v.dispose(); return; }
  if (native.isTensor(v)) { native.dispose(v as Tensor['_h']); return; }
  if (Array.isArray(v)) { for (const x of Object.values(v)) release(x, depth + 1); return; }  // sparse-safe
  if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) release(x, depth + 1);
}

test('≥ 10,000 random calls: every one returns or throws a TF_* error, and the process survives', () => {
  const prevLimit = tf.info().allocationLimit;
  const prevCacheLimit = tf.memory().cacheLimitBytes;  // setCacheLimit is fuzzed too
  const prevThreads = tf.getNumThreads();
  const prevIsa = tf.backend.isa as 'scalar' | 'avx2' | 'avx512';
  const targets = buildTargets();
  const trace = TRACE ? fs.openSync(TRACE, 'w') : undefined;
  const failures: string[] = [];
  const codes = new Map<string, number>();
  const perKind = new Map<string, number>();
  const time = new Map<string, number>();  // ms per target, reported with FUZZ_VERBOSE
  let calls = 0, ok = 0;
  tf.backend.setAllocationLimit(256 * 1024 * 1024);
  try {
    let pool = makePool();
    for (let i = 0; i < CALLS; i++) {
      if (i % POOL_REFRESH === 0 && i > 0) {
        release(pool.tensors);
        pool = makePool();
      }
      const target = pick(targets);
      drawn = [];
      plausible = chance(0.5);
      const call = target.prepare(pool);
      const what = () => `#${i} ${target.name}(${drawn.map((v) => describeValue(v)).join(', ')})`;
      if (trace !== undefined) fs.writeSync(trace, what() + '\n');
      calls++;
      perKind.set(target.kind, (perKind.get(target.kind) ?? 0) + 1);
      let result: unknown;
      const t0 = performance.now();
      try {
        result = call();
        ok++;
      } catch (e) {
        const code = (e as { code?: unknown } | null)?.code;
        const isError = Object.prototype.toString.call(e) === '[object Error]';
        if (!isError || typeof code !== 'string' || !code.startsWith('TF_') || code === 'TF_INTERNAL') {
          failures.push(`${what()}: threw ${isError ? `${(e as Error).name} code=${String(code)}: ${(e as Error).message}` : describeValue(e)}`);
        } else {
          codes.set(code, (codes.get(code) ?? 0) + 1);
          if ((e as Error).message.length < 8) failures.push(`${what()}: uninformative message "${(e as Error).message}" (${code})`);
        }
      }
      try { release(result); } catch { /* already disposed */ }
      time.set(target.name, (time.get(target.name) ?? 0) + performance.now() - t0);
      // state a call may change, restored so that later calls see a sane engine
      if (!native.isGradEnabled()) native.setGradEnabled(true);
      // a dual level opened by a raw call is closed again (levels are per thread and outlive this test file)
      if (target.name.endsWith('enterDualLevel') && typeof result === 'number') native.exitDualLevel(result);
      if (/setNumThreads|setIsa|manualSeed/.test(target.name)) {
        if (tf.getNumThreads() !== prevThreads) tf.setNumThreads(prevThreads);
        if (tf.backend.isa !== prevIsa) tf.backend.setIsa(prevIsa);
      }
      if (failures.length > 40) break;
    }
    release(pool.tensors);
  } finally {
    tf.backend.setAllocationLimit(prevLimit);
    tf.backend.setCacheLimit(prevCacheLimit);
    if (tf.getNumThreads() !== prevThreads) tf.setNumThreads(prevThreads);
    tf.backend.setIsa(prevIsa);
    native.setGradEnabled(true);
    if (trace !== undefined) fs.closeSync(trace);
  }
  // eslint-disable-next-line no-console
  if (process.env.FUZZ_VERBOSE) console.log({ slowest: [...time].sort((a, b) => b[1] - a[1]).slice(0, 12), calls, ok, codes: Object.fromEntries(codes), perKind: Object.fromEntries(perKind) });
  if (failures.length) throw new Error(`seed ${SEED}: ${failures.length} bad calls:\n${failures.slice(0, 40).join('\n')}`);
  expect(calls).toBeGreaterThanOrEqual(10000);
  // a healthy mix: plenty of calls succeeded and plenty were refused, across every part of the surface
  expect(ok).toBeGreaterThan(calls * 0.1);
  for (const k of ['module', 'method', 'accessor', 'native', 'handle']) expect(perKind.get(k) ?? 0).toBeGreaterThan(100);
  const seen = ['TF_INVALID_ARGUMENT', 'TF_DISPOSED', 'TF_SHAPE_MISMATCH', 'TF_DTYPE', 'TF_DIM_OUT_OF_RANGE', 'TF_INVALID_SIZE']
    .filter((c) => (codes.get(c) ?? 0) > 0);
  expect(seen.length).toBe(6);
  // the engine still works afterwards, with the limit and thread count restored
  expect(tf.info().allocationLimit).toBe(prevLimit);
  expect(tf.getNumThreads()).toBe(prevThreads);
  expect(tf.ones([4, 4]).matmul(tf.ones([4, 1])).sum().item()).toBe(16);

});

test('random chains of differentiable ops, then backward: TF_* errors only, never TF_INTERNAL', () => {
  const methods = Object.getOwnPropertyNames(Tensor.prototype).filter((k) => {
    const d = Object.getOwnPropertyDescriptor(Tensor.prototype, k)!;
    return typeof d.value === 'function' && !['constructor', 'dispose', 'backward', 'data', 'toArray', 'item', 'toString'].includes(k);
  });
  const proto = Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const failures: string[] = [];
  let calls = 0, backwards = 0;
  const check = (e: unknown, what: string) => {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !code.startsWith('TF_') || code === 'TF_INTERNAL')
      failures.push(`${what}: ${String(code)} ${(e as Error)?.message}`);
  };
  const prevLimit = tf.info().allocationLimit;
  tf.backend.setAllocationLimit(256 * 1024 * 1024);
  try {
    for (let chain = 0; chain < CHAINS && failures.length < 20; chain++) {
      tf.tidy(() => {
        const pool = makePool();
        const leaf = tf.randn(pick([[3, 4], [2, 3, 2], [5], [], [1, 4], [0, 3]]), { dtype: pick(['float32', 'float64'] as const), requiresGrad: true });
        pool.tensors.push(leaf, leaf, leaf);  // the chain's other operands are often the leaf itself
        let x: Tensor = leaf;
        const steps: string[] = [];
        for (let s = 0; s < 1 + int(4); s++) {
          const k = pick(methods);
          plausible = true;
          drawn = [];
          const a = Array.from({ length: int(3) }, () => arg(pool, false));
          steps.push(`${k}(${drawn.map((v) => describeValue(v)).join(', ')})`);
          calls++;
          try {
            const r = proto[k].apply(x, a);
            if (r instanceof Tensor && !r.isDisposed && r.requiresGrad) x = r;
          } catch (e) {
            check(e, steps.join('.'));
          }
        }
        if (x === leaf) return;
        calls++;
        try {
          if (chance(0.5)) {
            x.sum().backward(null, { retainGraph: chance(0.5), createGraph: chance(0.2) });
          } else {
            tf.autograd.grad(x.sum(), [leaf], { createGraph: chance(0.3), allowUnused: chance(0.5) });
          }
          backwards++;
        } catch (e) {
          check(e, `${steps.join('.')}.sum().backward()`);
        }
      });
    }
  } finally {
    plausible = false;
    tf.backend.setAllocationLimit(prevLimit);
    native.setGradEnabled(true);
  }
  if (failures.length) throw new Error(`seed ${SEED}: ${failures.length} bad calls:\n${failures.join('\n')}`);
  expect(calls).toBeGreaterThan(2000);
  expect(backwards).toBeGreaterThan(200);
});
