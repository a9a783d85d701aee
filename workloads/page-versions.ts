/**
 * What a trace replay keeps per page its epochs wrote (workloads/trace-workload.ts): the record
 * of the page's latest stored version, the one before it that a touch flips it back to, and
 * whether touches have flipped it. One Map lookup gives a page's slot in typed arrays that grow
 * with the pages written, not with the RAM the trace describes; a touch costs that lookup and a
 * byte, as the replay meets millions of them (the lab's `stride` trace: 356 000 touches/s).
 */

/** `previous` of a page that a touch leaves as it is (no version before, or a zero one). */
export const NO_VERSION = -2;

const INITIAL_SLOTS = 1024;

export class PageVersions {
  private readonly slots = new Map<number, number>();
  // Records are indices into the reader's records (−1: zero): Float64 holds any of them exactly.
  private latest = new Float64Array(INITIAL_SLOTS);
  private previous = new Float64Array(INITIAL_SLOTS);
  private flipped = new Uint8Array(INITIAL_SLOTS);

  /** Pages written so far. */
  get size(): number {
    return this.slots.size;
  }

  /** The record `page` holds now, or undefined when no epoch has written it. */
  current(page: number): number | undefined {
    const slot = this.slots.get(page);
    if (slot === undefined) return undefined;
    return this.flipped[slot] === 1 ? this.previous[slot] : this.latest[slot];
  }

  /** The record of `page`'s latest stored version, or undefined when no epoch has written it. */
  latestOf(page: number): number | undefined {
    const slot = this.slots.get(page);
    return slot === undefined ? undefined : this.latest[slot];
  }

  /** A content epoch wrote `version` to `page`; `before` is what a touch flips it back to. */
  write(page: number, version: number, before: number): void {
    let slot = this.slots.get(page);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.latest.length) this.grow();
      this.slots.set(page, slot);
    }
    this.latest[slot] = version;
    this.previous[slot] = before;
    this.flipped[slot] = 0;
  }

  /** A touch epoch rewrote `page`: it flips between its two latest versions, if it has two. */
  touch(page: number): void {
    const slot = this.slots.get(page);
    if (slot !== undefined && this.previous[slot] !== NO_VERSION) this.flipped[slot] ^= 1;
  }

  private grow(): void {
    const size = this.latest.length * 2;
    const latest = new Float64Array(size);
    latest.set(this.latest);
    const previous = new Float64Array(size);
    previous.set(this.previous);
    const flipped = new Uint8Array(size);
    flipped.set(this.flipped);
    [this.latest, this.previous, this.flipped] = [latest, previous, flipped];
  }
}
