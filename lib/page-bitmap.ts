/**
 * A set of page numbers as a bitmap, QEMU's dirty bitmap in miniature (one bit per page:
 * 2 MiB for a 64 GiB VM). Iteration visits set pages in ascending order, a word at a time, so
 * a sparse set over a huge VM costs the words, not the pages.
 */
export class PageBitmap {
  readonly words: Uint32Array;
  private population = 0;

  constructor(readonly pageCount: number) {
    this.words = new Uint32Array(Math.ceil(pageCount / 32));
  }

  get size(): number {
    return this.population;
  }

  has(page: number): boolean {
    return (this.words[page >>> 5] & (1 << (page & 31))) !== 0;
  }

  /** Returns true when the page was not yet in the set. */
  add(page: number): boolean {
    const index = page >>> 5;
    const bit = 1 << (page & 31);
    const word = this.words[index];
    if ((word & bit) !== 0) return false;
    this.words[index] = word | bit;
    this.population++;
    return true;
  }

  /** Add pages [first, end), a word at a time; returns how many were not yet in the set. */
  addRange(first: number, end: number): number {
    const words = this.words;
    let added = 0;
    let page = first;
    while (page < end) {
      const index = page >>> 5;
      const low = page & 31;
      const high = Math.min(32, low + (end - page));
      // Bits low..high-1 of this word (high = 32 takes the rest of the word).
      const mask = high === 32 ? (0xffffffff << low) >>> 0 : ((1 << high) - (1 << low)) >>> 0;
      const fresh = mask & ~words[index];
      if (fresh !== 0) {
        added += popcount(fresh);
        words[index] |= fresh;
      }
      page += high - low;
    }
    this.population += added;
    return added;
  }

  /** Returns true when the page was in the set. */
  delete(page: number): boolean {
    const index = page >>> 5;
    const bit = 1 << (page & 31);
    const word = this.words[index];
    if ((word & bit) === 0) return false;
    this.words[index] = word & ~bit;
    this.population--;
    return true;
  }

  clear(): void {
    this.words.fill(0);
    this.population = 0;
  }

  fill(): void {
    this.words.fill(0xffffffff);
    const tail = this.pageCount & 31;
    if (tail !== 0) this.words[this.words.length - 1] = (1 << tail) - 1;
    this.population = this.pageCount;
  }

  /** this ∪= other; returns how many pages were added. */
  union(other: PageBitmap): number {
    let added = 0;
    const mine = this.words;
    const theirs = other.words;
    for (let i = 0; i < mine.length; i++) {
      const fresh = theirs[i] & ~mine[i];
      if (fresh !== 0) {
        added += popcount(fresh);
        mine[i] |= fresh;
      }
    }
    this.population += added;
    return added;
  }

  /** First set page ≥ from, or -1. */
  next(from: number): number {
    if (from >= this.pageCount) return -1;
    let index = from >>> 5;
    let word = this.words[index] & (0xffffffff << (from & 31));
    while (word === 0) {
      index++;
      if (index >= this.words.length) return -1;
      word = this.words[index];
    }
    return (index << 5) + (31 - Math.clz32(word & -word));
  }

  forEach(visit: (page: number) => void): void {
    const words = this.words;
    for (let index = 0; index < words.length; index++) {
      let word = words[index];
      while (word !== 0) {
        const low = word & -word;
        visit((index << 5) + (31 - Math.clz32(low)));
        word ^= low;
      }
    }
  }
}

export function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
