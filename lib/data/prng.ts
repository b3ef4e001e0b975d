// A small seeded generator in JavaScript, for the few things whose randomness must depend on one seed alone
// and not on how far the engine's generator has advanced: the DataLoader's shuffles and the random isometries
// that embed the manifold datasets. A Weyl sequence (step 0x9e3779b9, the 32-bit golden ratio) is passed
// through a 32-bit avalanche mix; two outputs make one double with 53 random bits.
import { TensorfieldError } from '../tensor';

/** A 32-bit avalanche mix: every input bit flips each output bit with probability ~1/2. */
function mix(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class SeededRandom {
  private state: number;

  /**
   * `seed`: any safe integer. `stream`: a second key (a non-negative integer below 2^32, such as an epoch number)
   * selecting an unrelated sequence for the same seed. Both are hashed into the 32-bit starting state, so nearby
   * (seed, stream) pairs do not give shifted copies of one sequence.
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `seed must be a safe integer, got ${seed}`);
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `stream must be an integer in [0, 2^32), got ${stream}`);
    }
    const lo = seed >>> 0, hi = Math.floor(seed / 0x100000000) >>> 0;
    this.state = mix(mix(mix(lo) ^ hi) ^ stream);
  }

  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix(this.state);
  }

  /** Uniform on [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n) without modulo bias (rejection of the top partial range). */
  int(n: number): number {
    if (n <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const u = this.nextUint32();
        if (u < limit) return u % n;
      }
    }
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller; the second value is discarded to keep the stream position simple). */
  normal(): number {
    const u = 1 - this.next(); // in (0, 1]: log(u) is finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]; p[i] = p[j]; p[j] = t;
    }
    return p;
  }
}

/**
 * mulberry32: a 32-bit-state uniform generator on [0, 1) with 32 random bits per draw. Weaker than SeededRandom
 * (one 32-bit output per double), kept because recorded data sets and fuzz sequences were drawn with it: the
 * spd neural-process curves, the classifier's shuffles and the fuzzer's argument picks.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
