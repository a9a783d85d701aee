const NONE = -1;

/**
 * A page number → small integer map in typed arrays, for the fully associative caches (lru,
 * arc): open addressing with linear probing at a load of at most one half, Fibonacci hashing,
 * and backward-shift deletion (Knuth 6.4 Algorithm R), so nothing is allocated per call and no
 * tombstones build up under heavy eviction. Sized once for `maxEntries` keys.
 */
export class PageIndex {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  constructor(maxEntries: number) {
    const tableSize = 2 ** Math.ceil(Math.log2(Math.max(2, maxEntries * 2)));
    this.keys = new Int32Array(tableSize).fill(NONE);
    this.values = new Int32Array(tableSize);
    this.mask = tableSize - 1;
    this.shift = 32 - Math.log2(tableSize);
  }

  /** Fibonacci hashing: the top bits of page × 2^32/φ, so strided page numbers spread too. */
  private hash(page: number): number {
    return Math.imul(page, 0x9e3779b1) >>> this.shift;
  }

  /** The value stored for `page`, or -1. */
  get(page: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let i = this.hash(page); ; i = (i + 1) & mask) {
      const key = keys[i];
      if (key === page) return this.values[i];
      if (key === NONE) return NONE;
    }
  }

  /** Store `value` for `page`, which must not be present. */
  add(page: number, value: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let i = this.hash(page);
    while (keys[i] !== NONE) i = (i + 1) & mask;
    keys[i] = page;
    this.values[i] = value;
  }

  /** Remove `page`, which must be present. */
  delete(page: number): void {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = this.hash(page);
    while (keys[i] !== page) i = (i + 1) & mask;
    let hole = i;
    for (let j = (hole + 1) & mask; keys[j] !== NONE; j = (j + 1) & mask) {
      const home = this.hash(keys[j]);
      // Move j into the hole when its home position is not cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        keys[hole] = keys[j];
        values[hole] = values[j];
        hole = j;
      }
    }
    keys[hole] = NONE;
  }
}
