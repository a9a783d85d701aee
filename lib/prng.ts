/**
 * A small, fast, seeded PRNG for generating benchmark and test pages reproducibly:
 * xoshiro128** (Blackman & Vigna, 2018), seeded through splitmix32 so that any 32-bit seed
 * (0 included) gives a well-mixed non-zero state. Not cryptographic; deterministic across runs
 * and machines, which is all page generation needs.
 */

/** splitmix32 step: mixes a 32-bit counter into a 32-bit output (used only for seeding). */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const state = { x: seed | 0 };
    this.a = splitmix32(state);
    this.b = splitmix32(state);
    this.c = splitmix32(state);
    this.d = splitmix32(state);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform integer in [0, bound) for 0 < bound ≤ 2^32 (multiply-shift, negligible bias). */
  below(bound: number): number {
    return Math.floor((this.nextUint32() / 0x1_0000_0000) * bound);
  }

  /** A uniform byte in [1, 255]: XOR with it always changes a byte. */
  nonZeroByte(): number {
    return 1 + this.below(255);
  }

  /** Fill `bytes` with random bytes, 4 at a time where the view is 4-byte aligned. */
  fill(bytes: Uint8Array): void {
    let i = 0;
    if ((bytes.byteOffset & 3) === 0) {
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
      for (let w = 0; w < words.length; w++) words[w] = this.nextUint32();
      i = words.length << 2;
    }
    for (; i < bytes.length; i++) bytes[i] = this.nextUint32() & 0xff;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
