import { Prng } from "../lib/prng.ts";

/**
 * Randomness for the synthetic workloads, in two forms:
 * - a sequential PRNG (xoshiro128**, Blackman & Vigna 2018, seeded through splitmix32) for the
 *   event streams, whose order never changes however the simulator splits time;
 * - stateless integer hashes (`hash2`…`hash4`) so that a page's content can be derived on
 *   demand from (seed, page, write number) without storing anything per page.
 * Not cryptographic; deterministic across runs and machines. All values are unsigned 32-bit.
 */

/** Murmur3's 32-bit finaliser (fmix32): a bijective avalanche mix of one word. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of two words. Each step adds a distinct odd constant so (0, 0) is not a fixed point. */
export function hash2(a: number, b: number): number {
  return mix32(mix32((a ^ 0x9e3779b9) >>> 0) ^ ((b + 0x7f4a7c15) | 0));
}

export function hash3(a: number, b: number, c: number): number {
  return mix32(hash2(a, b) ^ ((c + 0x632be5ab) | 0));
}

export function hash4(a: number, b: number, c: number, d: number): number {
  return mix32(hash3(a, b, c) ^ ((d + 0x2545f491) | 0));
}

/** A hash as a probability in (0, 1): never 0, so -log() is finite. */
export function unitOpen(hash: number): number {
  return (hash + 0.5) / 0x1_0000_0000;
}

/** xorshift32 step (Marsaglia 2003): the cheap inner generator for filling one page. */
export function xorshift32(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/**
 * xoshiro128** seeded by splitmix32 (lib/prng.ts, the one implementation of the generator),
 * plus the draws the workloads need.
 */
export class Xoshiro128 extends Prng {
  /** Uniform in (0, 1), 32 bits of resolution. */
  nextUnit(): number {
    return unitOpen(this.nextUint32());
  }

  /** Exponential inter-arrival time of a Poisson process with `ratePerS` events/s. */
  nextExponential(ratePerS: number): number {
    return -Math.log(this.nextUnit()) / ratePerS;
  }
}

/**
 * A Poisson event clock: the times of successive events of a process with a constant rate.
 * Times are running sums computed in one fixed order, so the sequence is the same however a
 * caller slices time (advanceTo(1) then advanceTo(2) sees exactly the events of advanceTo(2)).
 */
export class PoissonClock {
  private readonly rng: Xoshiro128;
  /** Time of the next event not yet consumed, seconds; Infinity for a zero rate. */
  nextS: number;

  constructor(
    seed: number,
    readonly ratePerS: number,
  ) {
    this.rng = new Xoshiro128(seed);
    this.nextS = ratePerS > 0 ? this.rng.nextExponential(ratePerS) : Number.POSITIVE_INFINITY;
  }

  /** Consume the pending event and schedule the one after it. */
  advance(): void {
    this.nextS += this.rng.nextExponential(this.ratePerS);
  }

  /** The clock's own generator, for the event's payload (which page, which word). */
  get random(): Xoshiro128 {
    return this.rng;
  }
}

/**
 * A steady event stream: event i (1-based) happens at exactly i / rate seconds, so the events due
 * by time t are those with i ≤ ⌊t × rate⌋ whatever the slicing. Used for the high-rate update
 * streams, where Poisson jitter is irrelevant at the simulator's time scale and a log per event
 * is not free. Its generator supplies each event's payload, drawn in event order.
 */
export class SteadyStream {
  readonly random: Xoshiro128;
  /** Events consumed so far. */
  done = 0;

  constructor(
    seed: number,
    readonly ratePerS: number,
  ) {
    this.random = new Xoshiro128(seed);
  }

  /** Events due in [0, timeS]. */
  dueBy(timeS: number): number {
    return this.ratePerS > 0 ? Math.floor(timeS * this.ratePerS) : 0;
  }

  /** Time of the next event not yet consumed. */
  get nextS(): number {
    return this.ratePerS > 0 ? (this.done + 1) / this.ratePerS : Number.POSITIVE_INFINITY;
  }
}
