import { emptyStats, powerOfTwoEntries, SlotStore } from "./slots.ts";
import type { PageCache } from "./types.ts";

/**
 * QEMU's page_cache.c CACHED_PAGE_LIFETIME: an entry hit or inserted in the current or the
 * previous dirty-sync generation is not evicted by another page.
 */
export const CACHED_PAGE_LIFETIME = 2;

/**
 * QEMU's XBZRLE cache (migration/page_cache.c, QEMU ≥ 2.3): direct-mapped, a power-of-two
 * number of entries, slot = page number & (entries − 1) (cache_get_by_addr()).
 * `ageRule: false` models QEMU before the late-2014 age rule: an insert always replaces.
 */
export class DirectPageCache implements PageCache {
  readonly model = "direct" as const;
  readonly capacity: number;
  readonly stats = emptyStats();
  private readonly mask: number;
  /** Page number in each slot, -1 when empty (QEMU's it_addr = -1). */
  private readonly pages: Int32Array;
  /** it_age: the dirty-sync generation of the last hit or insert. */
  private readonly ages: Float64Array;
  private readonly store: SlotStore;

  constructor(
    cacheSizeBytes: number,
    private readonly ageRule = true,
  ) {
    this.capacity = powerOfTwoEntries(cacheSizeBytes);
    if (this.capacity === 0)
      throw new RangeError(`cache size ${cacheSizeBytes} B is below one page`);
    this.mask = this.capacity - 1;
    this.pages = new Int32Array(this.capacity).fill(-1);
    this.ages = new Float64Array(this.capacity);
    this.store = new SlotStore(this.capacity);
  }

  /** cache_is_cached(): a hit refreshes it_age to the current generation. */
  lookup(page: number, generation: number): number {
    const slot = page & this.mask;
    if (this.pages[slot] === page) {
      this.ages[slot] = generation;
      this.stats.hits++;
      return slot;
    }
    this.stats.misses++;
    return -1;
  }

  /** cache_insert(): refuse to evict a different page that is still fresh. */
  insert(page: number, generation: number): number {
    const slot = page & this.mask;
    const resident = this.pages[slot];
    if (
      this.ageRule &&
      resident !== -1 &&
      resident !== page &&
      this.ages[slot] + CACHED_PAGE_LIFETIME > generation
    ) {
      this.stats.refused++;
      return -1;
    }
    if (resident !== -1 && resident !== page) this.stats.evictions++;
    this.pages[slot] = page;
    this.ages[slot] = generation;
    this.stats.inserts++;
    return slot;
  }

  view(slot: number): Uint8Array {
    return this.store.view(slot);
  }

  get workPages(): SlotStore {
    return this.store;
  }
}
