import { hash3, mix32 } from "./random.ts";

/**
 * A seeded bijection of [0, size), size ≤ 2^32, with O(1) memory: a 4-round balanced Feistel
 * network over the smallest even power of two ≥ size, with cycle walking to stay inside the
 * range (Black & Rogaway, "Ciphers with arbitrary finite domains", CT-RSA 2002). Workloads use
 * it to scatter their hot pages over RAM as a real heap does, so a direct-mapped cache
 * (slot = page & (n − 1), QEMU's migration/page_cache.c) sees realistic conflicts instead of a
 * contiguous hot range. Cycle walking takes < 4 steps on average (the domain is < 4 × size).
 */
export class Permutation {
  private readonly halfBits: number;
  private readonly halfMask: number;
  private readonly k0: number;
  private readonly k1: number;
  private readonly k2: number;
  private readonly k3: number;

  constructor(
    readonly size: number,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 32) {
      throw new RangeError(`permutation size ${size} out of range [1, 2^32]`);
    }
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.halfBits = bits / 2;
    this.halfMask = (1 << this.halfBits) - 1;
    this.k0 = hash3(seed, 0x5045524d, 0);
    this.k1 = hash3(seed, 0x5045524d, 1);
    this.k2 = hash3(seed, 0x5045524d, 2);
    this.k3 = hash3(seed, 0x5045524d, 3);
  }

  forward(x: number): number {
    const { halfBits, halfMask, size } = this;
    do {
      let left = x >>> halfBits;
      let right = x & halfMask;
      left ^= mix32(right ^ this.k0) & halfMask;
      right ^= mix32(left ^ this.k1) & halfMask;
      left ^= mix32(right ^ this.k2) & halfMask;
      right ^= mix32(left ^ this.k3) & halfMask;
      x = (left * (halfMask + 1) + right) >>> 0;
    } while (x >= size);
    return x;
  }

  inverse(y: number): number {
    const { halfBits, halfMask, size } = this;
    do {
      let left = y >>> halfBits;
      let right = y & halfMask;
      right ^= mix32(left ^ this.k3) & halfMask;
      left ^= mix32(right ^ this.k2) & halfMask;
      right ^= mix32(left ^ this.k1) & halfMask;
      left ^= mix32(right ^ this.k0) & halfMask;
      y = (left * (halfMask + 1) + right) >>> 0;
    } while (y >= size);
    return y;
  }
}
