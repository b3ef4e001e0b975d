// Engine-wide settings and introspection: threads, ISA, memory, devices.
import { native, EngineInfo, CudaStatus, CudaMemoryInfo, MatmulPrecision } from './native';

export interface MemoryInfo {
  /** Live native tensors (handles, views, graph-held tensors). */
  tensors: number;
  /** Live native buffers. */
  storages: number;
  bytes: number;
  peakBytes: number;
  /** Freed large buffers held for reuse (not live, but resident); bounded by cacheLimitBytes. */
  cachedBytes: number;
  cacheLimitBytes: number;
  /** cacheLimitBytes follows the working set (backend.setCacheLimit('auto'), the default). */
  cacheLimitAuto: boolean;
  /** Large allocations served from the cache / that mapped fresh memory, since start. */
  cacheHits: number;
  cacheMisses: number;
  /** Bytes this JS environment (thread) has reported to V8 as external memory (settled within 1 MiB). */
  reportedToV8: number;
}
export function memory(): MemoryInfo { return native.memory(); }
/**
 * Starts a new peak window: memory().peakBytes becomes the bytes live now and then rises with every allocation
 * above it, so reading it after a training step gives that step's peak (live tensors before the step included).
 * Returns the peak of the window it closes. The counter is process-wide (all threads).
 */
export function resetPeakMemory(): number { return native.resetPeakMemory(); }
export function setNumThreads(n: number): void { native.setNumThreads(n); }
export function getNumThreads(): number { return native.getNumThreads(); }
/** ISA in use, what this CPU supports, CPU name and features, threads. */
export function info(): EngineInfo { return native.info(); }

export const backend = {
  /** Current kernel path: 'scalar' | 'avx2' | 'avx512' | 'amx' (avx512 with the int8 GEMM on AMX tiles). */
  get isa(): string { return native.info().isa; },
  supportedIsas(): string[] { return native.info().supportedIsas; },
  /** Switches the kernel path at run time (tests compare paths); TENSORFIELD_ISA sets it at load. */
  setIsa(isa: 'scalar' | 'avx2' | 'avx512' | 'amx'): void { native.setIsa(isa); },
  /**
   * The precision of float32 matmuls — matmul, Linear, conv and attention, forward and backward — like PyTorch's
   * `set_float32_matmul_precision`. 'fp32' (default): float32 multiplies. 'bf16': operands rounded to bfloat16
   * (nearest, ties to even), products summed in float32, on CPUs with AVX512-BF16 or AMX-BF16
   * (`info().bf16Matmul`; elsewhere fp32 stays, as PyTorch's setting is a permission, not an order) and always on
   * the 'ref' device, and on CUDA tensor cores. Error bound per output: |bf16 - exact| <= (2^-7 + 2^-16 + K 2^-23)
   * sum_k |a_k b_k| (+ subnormal flushes). 'tf32': operands rounded to tf32 (10 fraction bits; nearest, ties away
   * from zero, as CUDA's cvt.rna.tf32.f32), products summed in float32, on CUDA tensor cores and always on the 'ref'
   * device; the CPU has no tf32 arithmetic and keeps float32. Bound: (2^-10 + 2^-20 + K 2^-23) sum_k |a_k b_k|.
   * Process-wide; TENSORFIELD_MATMUL_PRECISION=bf16|tf32 sets it at load.
   */
  setMatmulPrecision(precision: MatmulPrecision): void { native.setMatmulPrecision(precision); },
  getMatmulPrecision(): MatmulPrecision { return native.getMatmulPrecision(); },
  /** Largest single allocation allowed, in bytes (default: physical memory). */
  setAllocationLimit(bytes: number): void { native.setAllocationLimit(bytes); },
  /**
   * Most bytes of freed large (>= 64 KiB) buffers kept for reuse; 0 turns the cache off. Resident memory stays
   * within live bytes + this. 'auto' (the default unless TENSORFIELD_CACHE_MB is set): twice the most bytes of large
   * buffers the process has had live at once, at least 1 GiB, at most a quarter of physical memory, so a loop whose
   * step needs more than 1 GiB reuses its buffers instead of faulting fresh pages every step (resident memory then
   * stays within live bytes + twice the peak).
   */
  setCacheLimit(bytes: number | 'auto'): void { native.setCacheLimit(bytes); },
  /** Returns every cached buffer to the OS. */
  emptyCache(): void { native.emptyCache(); },
};

/**
 * The CUDA device. The default (node-gyp) addon is built without CUDA; `npm run build:cuda` builds one with it
 * (native/cuda/README.md), which loads on machines without a GPU too and then reports why CUDA is off.
 */
export const cuda = {
  /** A GPU is usable: tensors can live on 'cuda'. */
  isAvailable(): boolean { return native.cudaStatus().available; },
  /** { built, available, reason, devices }: whether this addon has CUDA, whether a GPU is usable, and why (not). */
  status(): CudaStatus { return native.cudaStatus(); },
  /** The caching allocator's counters: bytes held by tensors, cached for reuse, the peak, hits and misses. */
  memory(): CudaMemoryInfo { return native.cudaMemory(); },
  /** Waits for the GPU, then returns every cached block to the driver. */
  emptyCache(): void { native.cudaEmptyCache(); },
  /** Waits until the GPU has finished the work queued by this thread (kernels run asynchronously). */
  synchronize(): void { native.cudaSynchronize(); },
};
