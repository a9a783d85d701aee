import { PAGE_SIZE } from "../../codecs/types.ts";

export interface CacheStats {
  hits: number;
  misses: number;
  /** Inserts refused because the resident page was still fresh (QEMU's cache_insert() == -1). */
  refused: number;
  inserts: number;
  evictions: number;
}

export function emptyStats(): CacheStats {
  return { hits: 0, misses: 0, refused: 0, inserts: 0, evictions: 0 };
}

/** The page bytes of a cache: one ArrayBuffer, a view per slot made on first use. */
export class SlotStore {
  readonly bytes: Uint8Array;
  private readonly views: (Uint8Array | undefined)[];

  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity * PAGE_SIZE);
    this.views = new Array(capacity);
  }

  view(slot: number): Uint8Array {
    let view = this.views[slot];
    if (view === undefined) {
      view = this.bytes.subarray(slot * PAGE_SIZE, (slot + 1) * PAGE_SIZE);
      this.views[slot] = view;
    }
    return view;
  }
}

/** QEMU's page_cache.c cache_init(): the entry count is rounded down to a power of two. */
export function powerOfTwoEntries(cacheSizeBytes: number): number {
  const pages = Math.floor(cacheSizeBytes / PAGE_SIZE);
  if (pages < 1) return 0;
  return 2 ** Math.floor(Math.log2(pages));
}
