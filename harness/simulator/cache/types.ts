import type { CacheModel } from "../../../results/cell.ts";
import type { CacheStats, WorkPages } from "./slots.ts";

/**
 * The sender's page cache (docs/SOURCES.md#qemu, QEMU's migration/page_cache.c): copies of pages already sent, so a page dirtied again
 * can be delta-encoded against what the receiver has. Every model stores real page bytes in one
 * preallocated ArrayBuffer (memory grows with the cache size, never with RAM) and keeps its
 * bookkeeping in typed arrays: nothing is allocated per page.
 *
 * The API mirrors QEMU's migration/page_cache.c: lookup() is cache_is_cached() (a hit refreshes
 * the entry), insert() is cache_insert() (it may refuse), view() is get_cached_data().
 */
export interface PageCache {
  readonly model: CacheModel;
  /** How many pages fit. */
  readonly capacity: number;
  /** The slot holding `page`, refreshing its age / recency, or -1. Counts a hit or a miss. */
  lookup(page: number, generation: number): number;
  /**
   * Make `page` cached and return the slot whose bytes the caller must then fill (view(slot)),
   * or -1 when the model refuses to evict (QEMU's age rule). Inserting a page already cached
   * returns its slot. Does not count a miss.
   */
  insert(page: number, generation: number): number;
  /** The 4096 bytes of a slot (a view made once per slot, then reused). */
  view(slot: number): Uint8Array;
  /** Work pages in the slots' memory for the sender, and where the slots lie in it. */
  readonly workPages: WorkPages;
  readonly stats: CacheStats;
}
