/**
 * Whole-buffer 32-bit word views of a few ArrayBuffers, cached by buffer identity, for the code
 * that reads pages a word at a time (the XOR codecs, xbzrle's JS encoder, the workloads' page
 * builders). Pages follow the alignment rule of codecs/types.ts (views into a few long-lived
 * buffers), and a sender touches a few buffers at once (the cache's pages, the guest's pages, its
 * own scratch), so a small most-recently-used table means no call allocates once they are cached;
 * a single slot would make a new view every time a caller alternates between two buffers. Each
 * user owns its table, so users do not evict each other's views.
 */
const SLOTS = 4;

export class WordViews<T extends Int32Array<ArrayBufferLike> | Uint32Array<ArrayBufferLike>> {
  private readonly buffers: (ArrayBufferLike | null)[] = new Array(SLOTS).fill(null);
  private readonly views: (T | null)[] = new Array(SLOTS).fill(null);
  private nextSlot = 0;

  constructor(private readonly make: (buffer: ArrayBufferLike, words: number) => T) {}

  /** A view of all of `buffer` (index it at byteOffset >>> 2). */
  of(buffer: ArrayBufferLike): T {
    const buffers = this.buffers;
    for (let s = 0; s < SLOTS; s++) if (buffers[s] === buffer) return this.views[s]!;
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % SLOTS;
    const view = this.make(buffer, buffer.byteLength >>> 2);
    buffers[slot] = buffer;
    this.views[slot] = view;
    return view;
  }
}

/** Signed words: what the XOR codecs compare and combine. */
export function int32Views(): WordViews<Int32Array<ArrayBufferLike>> {
  return new WordViews((buffer, words) => new Int32Array(buffer, 0, words));
}

/** Unsigned words: what the workloads write page contents with. */
export function uint32Views(): WordViews<Uint32Array<ArrayBufferLike>> {
  return new WordViews((buffer, words) => new Uint32Array(buffer, 0, words));
}
