import { PAGE_SIZE } from "../../../codecs/types.ts";
import { emptyStats, SlotStore } from "./slots.ts";
import type { PageCache } from "./types.ts";

const NONE = -1;

/**
 * Fully associative LRU (the XBZRLE patch v3/v4 of 2011 describes "an LRU cache of 64 MB";
 * docs/SOURCES.md#patches). Capacity = cache size / 4096 pages (no power-of-two rounding). Recency is an
 * intrusive doubly linked list over slots (prev/next typed arrays, head = most recent) and the
 * page → slot index is an open-addressing hash (linear probing, backward-shift deletion), so
 * a lookup or insert allocates nothing. A hit or an insert makes the page most recent; a new
 * page into a full cache evicts the least recent.
 */
export class LruPageCache implements PageCache {
  readonly model = "lru" as const;
  readonly capacity: number;
  readonly stats = emptyStats();
  private readonly slotPage: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = NONE;
  private tail = NONE;
  private used = 0;
  private readonly hashKeys: Int32Array;
  private readonly hashSlots: Int32Array;
  private readonly hashMask: number;
  private readonly hashShift: number;
  private readonly store: SlotStore;

  constructor(cacheSizeBytes: number) {
    this.capacity = Math.floor(cacheSizeBytes / PAGE_SIZE);
    if (this.capacity < 1) throw new RangeError(`cache size ${cacheSizeBytes} B is below one page`);
    this.slotPage = new Int32Array(this.capacity).fill(NONE);
    this.prev = new Int32Array(this.capacity).fill(NONE);
    this.next = new Int32Array(this.capacity).fill(NONE);
    const tableSize = 2 ** Math.ceil(Math.log2(this.capacity * 2));
    this.hashKeys = new Int32Array(tableSize).fill(NONE);
    this.hashSlots = new Int32Array(tableSize);
    this.hashMask = tableSize - 1;
    this.hashShift = 32 - Math.log2(tableSize);
    this.store = new SlotStore(this.capacity);
  }

  lookup(page: number, _generation: number): number {
    const slot = this.find(page);
    if (slot === NONE) {
      this.stats.misses++;
      return NONE;
    }
    this.stats.hits++;
    this.touch(slot);
    return slot;
  }

  insert(page: number, _generation: number): number {
    this.stats.inserts++;
    let slot = this.find(page);
    if (slot !== NONE) {
      this.touch(slot);
      return slot;
    }
    if (this.used < this.capacity) {
      slot = this.used++;
    } else {
      slot = this.tail;
      this.unlink(slot);
      this.hashDelete(this.slotPage[slot]);
      this.stats.evictions++;
    }
    this.slotPage[slot] = page;
    this.hashInsert(page, slot);
    this.pushFront(slot);
    return slot;
  }

  view(slot: number): Uint8Array {
    return this.store.view(slot);
  }

  get workPages(): SlotStore {
    return this.store;
  }

  /** Pages from most to least recent (for tests). */
  order(): number[] {
    const pages: number[] = [];
    for (let slot = this.head; slot !== NONE; slot = this.next[slot])
      pages.push(this.slotPage[slot]);
    return pages;
  }

  private touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.pushFront(slot);
  }

  private unlink(slot: number): void {
    const before = this.prev[slot];
    const after = this.next[slot];
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.tail = before;
    else this.prev[after] = before;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
  }

  private pushFront(slot: number): void {
    this.prev[slot] = NONE;
    this.next[slot] = this.head;
    if (this.head !== NONE) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  /** Fibonacci hashing: the top bits of page × 2^32/φ, so strided page numbers spread too. */
  private hash(page: number): number {
    return Math.imul(page, 0x9e3779b1) >>> this.hashShift;
  }

  private find(page: number): number {
    const keys = this.hashKeys;
    const mask = this.hashMask;
    for (let i = this.hash(page); ; i = (i + 1) & mask) {
      const key = keys[i];
      if (key === page) return this.hashSlots[i];
      if (key === NONE) return NONE;
    }
  }

  private hashInsert(page: number, slot: number): void {
    const keys = this.hashKeys;
    const mask = this.hashMask;
    let i = this.hash(page);
    while (keys[i] !== NONE) i = (i + 1) & mask;
    keys[i] = page;
    this.hashSlots[i] = slot;
  }

  /** Linear-probing deletion by backward shift (Knuth 6.4 Algorithm R): no tombstones. */
  private hashDelete(page: number): void {
    const keys = this.hashKeys;
    const slots = this.hashSlots;
    const mask = this.hashMask;
    let i = this.hash(page);
    while (keys[i] !== page) i = (i + 1) & mask;
    let hole = i;
    for (let j = (hole + 1) & mask; keys[j] !== NONE; j = (j + 1) & mask) {
      const home = this.hash(keys[j]);
      // Move j into the hole when its home position is not cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        keys[hole] = keys[j];
        slots[hole] = slots[j];
        hole = j;
      }
    }
    keys[hole] = NONE;
  }
}
