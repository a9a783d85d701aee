import { PAGE_SIZE } from "../../../codecs/types.ts";
import { PageIndex } from "./page-index.ts";
import { emptyStats, SlotStore } from "./slots.ts";
import type { PageCache } from "./types.ts";

const NONE = -1;

/**
 * Fully associative LRU (the XBZRLE patch v3/v4 of 2011 describes "an LRU cache of 64 MB";
 * docs/SOURCES.md#patches). Capacity = cache size / 4096 pages (no power-of-two rounding). Recency is an
 * intrusive doubly linked list over slots (prev/next typed arrays, head = most recent) and the
 * page → slot index is a PageIndex (page-index.ts, an open-addressing hash in typed arrays), so
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
  private readonly index: PageIndex;
  private readonly store: SlotStore;

  constructor(cacheSizeBytes: number) {
    this.capacity = Math.floor(cacheSizeBytes / PAGE_SIZE);
    if (this.capacity < 1) throw new RangeError(`cache size ${cacheSizeBytes} B is below one page`);
    this.slotPage = new Int32Array(this.capacity).fill(NONE);
    this.prev = new Int32Array(this.capacity).fill(NONE);
    this.next = new Int32Array(this.capacity).fill(NONE);
    this.index = new PageIndex(this.capacity);
    this.store = new SlotStore(this.capacity);
  }

  lookup(page: number, _generation: number): number {
    const slot = this.index.get(page);
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
    let slot = this.index.get(page);
    if (slot !== NONE) {
      this.touch(slot);
      return slot;
    }
    if (this.used < this.capacity) {
      slot = this.used++;
    } else {
      slot = this.tail;
      this.unlink(slot);
      this.index.delete(this.slotPage[slot]);
      this.stats.evictions++;
    }
    this.slotPage[slot] = page;
    this.index.add(page, slot);
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
}
