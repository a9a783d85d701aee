import { emptyStats, powerOfTwoEntries, SlotStore } from "./slots.ts";
import type { PageCache } from "./types.ts";

/**
 * The 2010 prototype's cache (aidanshribman/qemu-kvm, Aug 2010; docs/SOURCES.md#paper): 2-way
 * set-associative, set = page number & (sets − 1), a new page evicts the older of the two
 * ways by insertion order (FIFO within the set; an empty way is used first). Re-inserting a
 * resident page updates its bytes and keeps its insertion stamp; hits do not reorder.
 * Slots 2·set and 2·set + 1 are the two ways of a set.
 */
export class TwoWayPageCache implements PageCache {
  readonly model = "2way" as const;
  readonly capacity: number;
  readonly stats = emptyStats();
  private readonly setMask: number;
  private readonly pages: Int32Array;
  /** Insertion sequence number per slot (larger = newer). */
  private readonly stamps: Float64Array;
  private sequence = 0;
  private readonly store: SlotStore;

  constructor(cacheSizeBytes: number) {
    const entries = powerOfTwoEntries(cacheSizeBytes);
    if (entries < 2) throw new RangeError(`cache size ${cacheSizeBytes} B is below two pages`);
    this.capacity = entries;
    this.setMask = entries / 2 - 1;
    this.pages = new Int32Array(entries).fill(-1);
    this.stamps = new Float64Array(entries);
    this.store = new SlotStore(entries);
  }

  lookup(page: number, _generation: number): number {
    const first = (page & this.setMask) << 1;
    if (this.pages[first] === page) {
      this.stats.hits++;
      return first;
    }
    if (this.pages[first + 1] === page) {
      this.stats.hits++;
      return first + 1;
    }
    this.stats.misses++;
    return -1;
  }

  insert(page: number, _generation: number): number {
    const first = (page & this.setMask) << 1;
    const pages = this.pages;
    this.stats.inserts++;
    if (pages[first] === page) return first;
    if (pages[first + 1] === page) return first + 1;
    let slot: number;
    if (pages[first] === -1) slot = first;
    else if (pages[first + 1] === -1) slot = first + 1;
    else {
      slot = this.stamps[first] <= this.stamps[first + 1] ? first : first + 1;
      this.stats.evictions++;
    }
    pages[slot] = page;
    this.stamps[slot] = ++this.sequence;
    return slot;
  }

  view(slot: number): Uint8Array {
    return this.store.view(slot);
  }

  get workPages(): SlotStore {
    return this.store;
  }
}
