import { PAGE_SIZE } from "../../../codecs/types.ts";
import { allocatePages, arenaOf, type PageArena } from "../../../lib/page-memory.ts";

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

/**
 * The largest typed array Node 20's V8 makes is 2^32 bytes (buffer.constants.MAX_LENGTH), and
 * a cache's slots are one typed array (SlotStore): at most 2^20 slots of 4096 bytes.
 */
const MAX_TYPED_ARRAY_BYTES = 2 ** 32;
export const MAX_CACHE_PAGES = MAX_TYPED_ARRAY_BYTES / PAGE_SIZE;
/** The largest --cache-size any cache model can hold: 4 GiB. */
export const MAX_CACHE_SIZE_BYTES = MAX_CACHE_PAGES * PAGE_SIZE;

/** Where a cache's pages live, for the sender's encode path (harness/simulator/precopy.ts). */
export interface WorkPages {
  /** The page being sent (4096 bytes), in the same memory as the slots. */
  readonly current: Uint8Array;
  /** The encoder's output (8192 bytes: codecs write at most 4096; the rest is for plug-ins). */
  readonly output: Uint8Array;
  /**
   * The arena holding the slots and both work pages, for a codec's arena entry point
   * (codecs/types.ts ArenaEncode); undefined when the cache is too large for a wasm memory.
   */
  readonly arena: PageArena | undefined;
  /** A slot's byte offset in that memory. */
  slotAt(slot: number): number;
}

/**
 * The page bytes of a cache: one buffer, a view per slot made on first use. The buffer is a
 * WebAssembly arena (lib/page-memory.ts) that also holds the sender's work pages: the page
 * being sent and the encoder's output. So xbzrle's kernel reads the page and its cached copy and
 * writes the delta in place, instead of copying 8 KiB in and the delta out for every page.
 */
export class SlotStore implements WorkPages {
  readonly bytes: Uint8Array;
  readonly current: Uint8Array;
  readonly output: Uint8Array;
  readonly arena: PageArena | undefined;
  private readonly views: (Uint8Array | undefined)[];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_CACHE_PAGES)
      throw new RangeError(`a page cache holds at most ${MAX_CACHE_PAGES} pages, not ${capacity}`);
    if ((capacity + 3) * PAGE_SIZE <= MAX_TYPED_ARRAY_BYTES) {
      const memory = allocatePages((capacity + 3) * PAGE_SIZE);
      this.bytes = memory.subarray(0, capacity * PAGE_SIZE);
      this.current = memory.subarray(capacity * PAGE_SIZE, (capacity + 1) * PAGE_SIZE);
      this.output = memory.subarray((capacity + 1) * PAGE_SIZE);
      this.arena = arenaOf(memory.buffer);
    } else {
      // The slots alone fill the largest typed array (a 4 GiB cache): the work pages get their
      // own memory, and codecs copy pages into their scratch arena (lib/page-memory.ts).
      this.bytes = new Uint8Array(capacity * PAGE_SIZE);
      const work = allocatePages(3 * PAGE_SIZE);
      this.current = work.subarray(0, PAGE_SIZE);
      this.output = work.subarray(PAGE_SIZE);
      this.arena = undefined;
    }
    this.views = new Array(capacity);
  }

  slotAt(slot: number): number {
    return slot * PAGE_SIZE; // the slots are at offset 0 of their memory
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
