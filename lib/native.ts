// Loads the compiled addon and declares its raw interface. Everything public goes through lib/tensor.ts.
import * as fs from 'fs';
import * as path from 'path';

export type DTypeName = 'float32' | 'float64' | 'int32' | 'int8' | 'uint8';
export type TypedArray = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array;

/**
 * The native tensor handle: an opaque napi External holding a token into the addon's per-environment slab
 * (native/napi/handle.cc). It has no properties; the handle functions of NativeModule (shapeOf, dtypeOf, dataOf,
 * dispose, ...) read it. lib/tensor.ts wraps it.
 */
export type NativeTensor = { readonly __tensorfieldHandle: unique symbol };

/** The rows of native/ops/op_table.h, as TypeScript sees them. */
export const UNARY_OPS = ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'abs', 'sign', 'sin', 'cos', 'tanh',
  'sigmoid', 'relu', 'leakyRelu', 'elu', 'silu', 'gelu', 'geluTanh', 'softplus', 'clamp', 'erf', 'reciprocal',
  'square', 'powScalar', 'floor', 'copy'] as const;
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export type UnaryOpName = (typeof UNARY_OPS)[number];
export type BinaryOpName = (typeof BINARY_OPS)[number];

type T = NativeTensor;
type Operand = T | number;
type DimArg = number | number[] | null | undefined;

/** tf.cuda.status(): whether this addon has CUDA compiled in, whether a GPU is usable, and why (not). */
/** The float32 matmul precision (engine.setMatmulPrecision). */
export type MatmulPrecision = 'fp32' | 'bf16' | 'tf32';

export interface CudaStatus {
  built: boolean;
  available: boolean;
  /** why CUDA is not available (no driver, no device, built without CUDA); when available, the GPU */
  reason: string;
  devices: number;
}
/** tf.cuda.memory(): the CUDA caching allocator's counters (zeros without a GPU). */
export interface CudaMemoryInfo {
  /** bytes held by live tensors, rounded up to their size class */
  allocatedBytes: number;
  /** freed blocks kept for reuse (tf.cuda.emptyCache() returns them to the driver) */
  cachedBytes: number;
  peakAllocatedBytes: number;
  liveBlocks: number;
  cacheHits: number;
  cacheMisses: number;
  deviceFreeBytes: number;
  deviceTotalBytes: number;
}

export interface NativeModule {
  /** op code by name, from native/ops/op_table.h (test/op-table.test.ts checks these lists against it) */
  unaryOps: Record<UnaryOpName, number>;
  binaryOps: Record<BinaryOpName, number>;
  /** the ops with a float32 SIMD body: test/conformance.test.ts must cover each */
  simdUnaryOps: UnaryOpName[];
  simdBinaryOps: BinaryOpName[];
  zeros(shape: number[], dtype?: DTypeName, device?: string): T;
  ones(shape: number[], dtype?: DTypeName, device?: string): T;
  full(shape: number[], value: number, dtype?: DTypeName, device?: string): T;
  empty(shape: number[], dtype?: DTypeName, device?: string): T;
  arange(start: number, end: number, step: number, dtype?: DTypeName, device?: string): T;
  linspace(start: number, end: number, steps: number, dtype?: DTypeName, device?: string): T;
  eye(n: number, m: number | undefined, dtype?: DTypeName, device?: string): T;
  fromTyped(data: TypedArray, shape: number[], dtype?: DTypeName): T;
  unary(op: number, x: T, a?: number, b?: number): T;
  binary(op: number, a: Operand, b: Operand): T;
  where(cond: T, a: Operand, b: Operand): T;
  isfinite(x: T): T;
  sum(x: T, dim: DimArg, keepdim?: boolean): T;
  mean(x: T, dim: DimArg, keepdim?: boolean): T;
  var(x: T, dim: DimArg, correction?: number, keepdim?: boolean): T;
  std(x: T, dim: DimArg, correction?: number, keepdim?: boolean): T;
  amax(x: T, dim: DimArg, keepdim?: boolean): T;
  amin(x: T, dim: DimArg, keepdim?: boolean): T;
  maxDim(x: T, dim: number, keepdim?: boolean): [T, T];
  minDim(x: T, dim: number, keepdim?: boolean): [T, T];
  argmax(x: T, dim: number | null | undefined, keepdim?: boolean): T;
  argmin(x: T, dim: number | null | undefined, keepdim?: boolean): T;
  logsumexp(x: T, dim: DimArg, keepdim?: boolean): T;
  norm(x: T, p: number, dim: DimArg, keepdim?: boolean): T;
  cumsum(x: T, dim: number): T;
  softmax(x: T, dim: number): T;
  logSoftmax(x: T, dim: number): T;
  fft(x: T, dim: number, inverse: boolean, scale: number): T;
  rfft(x: T, dim: number, scale: number): T;
  irfft(x: T, dim: number, n: number, scale: number): T;
  cholesky(a: T, jitter: number): T;
  triangularSolve(t: T, b: T, upper: boolean, transpose: boolean): T;
  view(x: T, shape: number[]): T;
  reshape(x: T, shape: number[]): T;
  permute(x: T, dims: number[]): T;
  transpose(x: T, d0?: number, d1?: number): T;
  expand(x: T, shape: number[]): T;
  slice(x: T, dim: number, start?: number, end?: number, step?: number): T;
  narrow(x: T, dim: number, start: number, length: number): T;
  select(x: T, dim: number, index: number): T;
  squeeze(x: T, dim: DimArg): T;
  unsqueeze(x: T, dim: number): T;
  flatten(x: T, start?: number, end?: number): T;
  detach(x: T): T;
  contiguous(x: T): T;
  clone(x: T): T;
  to(x: T, dtype: DTypeName): T;
  toDevice(x: T, device: string): T;
  matmul(a: T, b: T): T;
  conv2d(x: T, w: T, stride?: DimArg, padding?: DimArg, dilation?: DimArg, groups?: number, bias?: T | null): T;
  conv2dInputGrad(g: T, w: T, inputShape: number[], stride?: DimArg, padding?: DimArg, dilation?: DimArg, groups?: number): T;
  conv2dWeightGrad(x: T, g: T, weightShape: number[], stride?: DimArg, padding?: DimArg, dilation?: DimArg, groups?: number): T;
  cat(ts: T[], dim?: number): T;
  stack(ts: T[], dim?: number): T;
  gather(x: T, dim: number, index: T): T;
  scatterAdd(x: T, dim: number, index: T, src: T): T;
  indexSelect(x: T, dim: number, index: T): T;
  indexAdd(x: T, dim: number, index: T, src: T): T;
  pad(x: T, pad: number[], mode?: string, value?: number): T;
  flip(x: T, dims: DimArg): T;
  roll(x: T, shifts: DimArg, dims: DimArg): T;
  repeat(x: T, reps: number[]): T;
  manualSeed(seed: number): void;
  getRngState(): { seed: string; calls: string };
  setRngState(seed: string, calls: string): void;
  /** Test-only: one raw Philox4x32-10 block (ctr: 4 words, key: 2 words, each in [0, 2^32)); not public API. */
  _philoxBlock(ctr: number[], key: number[]): number[];
  rand(shape: number[], dtype?: DTypeName, device?: string): T;
  randn(shape: number[], dtype?: DTypeName, device?: string): T;
  randint(low: number, high: number, shape: number[], dtype?: DTypeName, device?: string): T;
  bernoulli(p: T): T;
  binomial(count: Operand, p: T): T;
  poisson(rate: T): T;
  multinomial(p: T, n: number, replacement?: boolean): T;
  add_(dst: T, src: Operand, alpha?: number): void;
  mul_(dst: T, src: Operand): void;
  copy_(dst: T, src: Operand): void;
  fill_(dst: T, v: number): void;
  groupNorm(x: T, groups: number, weight: T | null, bias: T | null, eps: number, composite?: boolean, silu?: boolean, modScale?: T | null, modShift?: T | null, codeScale?: number | null, codeZero?: number | null, inScale?: number | null, inZero?: number | null): T;
  attention(q: T, k: T, v: T, scale: number, causal: boolean, composite?: boolean): T;
  adamStep(params: T[], grads: T[], m: T[], v: T[], lr: number, beta1: number, beta2: number, eps: number,
           weightDecay: number, step: number, decoupled: boolean): void;
  emptyCache(): void;
  setCacheLimit(bytes: number | "auto"): void;
  fusedStep(step: string, tensors: (T | null)[], numbers: number[], out?: T | null): T;
  sgdStep(params: T[], grads: T[], bufs: T[], lr: number, momentum: number, dampening: number, weightDecay: number,
          nesterov: boolean, firstStep: boolean): void;
  backward(outputs: T[], grads: (T | null)[], retainGraph?: boolean, createGraph?: boolean): void;
  grad(outputs: T[], inputs: T[], gradOutputs: (T | null)[], retainGraph?: boolean, createGraph?: boolean,
       allowUnused?: boolean): (T | null)[];
  setGradEnabled(on: boolean): void;
  enterDualLevel(): number;
  exitDualLevel(level: number): void;
  makeDual(primal: T, tangent: T): T;
  unpackDual(t: T): [T, T | null];
  isGradEnabled(): boolean;
  memory(): import("./engine").MemoryInfo;
  resetPeakMemory(): number;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setIsa(isa: string): void;
  setMatmulPrecision(p: string): void;
  getMatmulPrecision(): MatmulPrecision;
  info(): EngineInfo;
  setAllocationLimit(bytes: number): void;
  cudaStatus(): CudaStatus;
  cudaMemory(): CudaMemoryInfo;
  cudaEmptyCache(): void;
  cudaSynchronize(): void;
  isTensor(x: unknown): boolean;
  // the handle functions: each takes a handle first (TF_DISPOSED for a disposed one)
  shapeOf(h: T): number[];
  stridesOf(h: T): number[];
  offsetOf(h: T): number;
  dtypeOf(h: T): DTypeName;
  deviceOf(h: T): string;
  numelOf(h: T): number;
  isLeaf(h: T): boolean;
  gradFnOf(h: T): string | null;
  /** false for a live handle, true for a disposed one; TF_INVALID_ARGUMENT for anything else */
  isDisposed(h: T): boolean;
  requiresGradOf(h: T): boolean;
  setRequiresGrad(h: T, on: boolean): void;
  gradOf(h: T): T | null;
  setGrad(h: T, g: T | null): void;
  isContiguous(h: T): boolean;
  /** copy = true: a fresh JS-owned copy instead of a zero-copy view */
  dataOf(h: T, copy?: boolean): TypedArray;
  itemOf(h: T): number;
  /** frees the tensor now; a disposed handle is ignored */
  dispose(h: T): void;
  sharesStorage(h: T, other: T): boolean;
  quantize(x: T, scale: Operand, zeroPoint: Operand, axis?: number, dtype?: DTypeName): T;
  dequantize(q: T, scale: Operand, zeroPoint: Operand, axis?: number): T;
  requantize(q: T, inScale: number, inZero: number, outScale: number, outZero: number, dtype?: DTypeName): T;
  fakeQuantize(x: T, scale: Operand, zeroPoint: Operand, qmin: number, qmax: number, axis?: number): T;
  packInt8Weight(w: T): NativePackedInt8;
  int8Linear(x: T, xScale: number, xZero: number, w: NativePackedInt8, e: NativeInt8Epilogue): T;
  int8Conv2d(x: T, xScale: number, xZero: number, w: NativePackedInt8, kh: number, kw: number, e: NativeInt8Epilogue,
             stride: [number, number], padding: [number, number], dilation: [number, number]): T;
  dynamicQParams(x: T): { scale: number; zeroPoint: number };
  int8Layout(device?: string): string;
  int8Peak(seconds?: number): number;
}

/** An int8 weight [n, k] packed for one int8 kernel layout, with its per-row sums (zero-point compensation). */
export interface NativePackedInt8 { packed: T; colSum: T; layout: string; n: number; k: number }
export interface NativeInt8Epilogue {
  wScale: T;
  bias?: T | null;
  act?: 'none' | 'relu' | 'silu';
  out?: DTypeName;
  outScale?: number;
  outZero?: number;
}

export interface EngineInfo {
  isa: 'scalar' | 'avx2' | 'avx512' | 'amx';
  supportedIsas: string[];
  /** what float32 matmuls run at precision 'bf16' on this path: 'avx512-bf16', 'amx-bf16', or 'none (fp32)' */
  bf16Matmul: string;
  matmulPrecision: MatmulPrecision;
  cpu: string;
  features: Record<string, boolean>;
  threads: number;
  /** the devices this build runs: 'cpu' and 'ref' (the scalar reference kernels, one thread) */
  devices: string[];
  allocationLimit: number;
  /** the int8 GEMM kernel's packed layout: 'ref' (scalar), 'avx2-s16' or 'vnni' */
  int8Kernel: string;
}

/**
 * Where the addon may be, in the order tried: a build from source first (a checkout, or an install asked to
 * build: a forced source build must win over the shipped binary), then the prebuilt binary the packed package
 * carries (prebuilds/<platform>-<arch>/, scripts/prebuild.js; the same rule as scripts/prebuild-path.js).
 */
/**
 * Where the addon is loaded from, first match wins: TENSORFIELD_ADDON (a path to a .node file: that file only, so a
 * wrong path fails loudly instead of falling back), else the CUDA build (`npm run build:cuda`,
 * build-cuda/Release) when it is there, else the default node-gyp build, else the prebuild shipped in the package.
 * TENSORFIELD_ADDON=cpu skips the CUDA build (the node-gyp build, then the prebuild).
 */
export function addonCandidates(root = path.join(__dirname, '..'), env = process.env): string[] {
  const chosen = env.TENSORFIELD_ADDON;
  const cpu = [
    path.join(root, 'build', 'Release', 'tensorfield.node'),
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'tensorfield.node'),
  ];
  if (chosen === 'cpu') return cpu;
  if (chosen) return [path.resolve(chosen)];
  return [path.join(root, 'build-cuda', 'Release', 'tensorfield.node'), ...cpu];
}

function load(): NativeModule {
  const tried: string[] = [];
  for (const file of addonCandidates()) {
    if (!fs.existsSync(file)) { tried.push(`${file}: not there`); continue; }
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      return require(file) as NativeModule;
    } catch (e) {
      // a file that exists but does not load (another libc, a damaged copy): say why, and try the next one
      tried.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const err = new Error(
    `tensorfield: could not load the native addon (${tried.join('; ')}). ` +
      'Build it with `npm install` (or `npm run build:native`): it needs g++ and Node headers.',
  );
  (err as Error & { code: string }).code = 'TF_NATIVE_LOAD';
  throw err;
}

export const native: NativeModule = load();
