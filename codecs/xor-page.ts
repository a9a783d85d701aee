import { PAGE_SIZE } from "./types.ts";

/**
 * XOR and compare of two pages, 16 bytes per step through 32-bit words, for the XOR-based
 * codecs (xbrle, xbrle-2010, xor+lz4 ...). Pages follow the alignment rule of codecs/types.ts
 * (views into a few long-lived buffers), so word views are cached by buffer identity — a small
 * most-recently-used table, because a sender touches a few buffers at once (the cache's pages,
 * the guest's pages, its own scratch) — and a call allocates nothing once they are cached.
 * Each codec instance owns its PageXor, so instances do not evict each other's views.
 */
const VIEW_SLOTS = 4;

export class PageXor {
  private readonly buffers: (ArrayBufferLike | null)[] = new Array(VIEW_SLOTS).fill(null);
  private readonly views: Int32Array<ArrayBufferLike>[] = Array.from(
    { length: VIEW_SLOTS },
    () => new Int32Array(0),
  );
  private nextSlot = 0;

  /** A whole-buffer Int32Array view of `buffer`, cached (index it at byteOffset >>> 2). */
  wordsOf(buffer: ArrayBufferLike): Int32Array<ArrayBufferLike> {
    const buffers = this.buffers;
    for (let s = 0; s < VIEW_SLOTS; s++) if (buffers[s] === buffer) return this.views[s];
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % VIEW_SLOTS;
    const view = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    buffers[slot] = buffer;
    this.views[slot] = view;
    return view;
  }

  /**
   * out[i] = a[i] ^ b[i] for the whole page; returns true when the result is all zero (the
   * pages are identical). `out` may be `a` or `b`.
   */
  xor(a: Uint8Array, b: Uint8Array, out: Uint8Array): boolean {
    if (((a.byteOffset | b.byteOffset | out.byteOffset) & 3) !== 0) {
      let any = 0;
      for (let i = 0; i < PAGE_SIZE; i++) {
        const x = a[i] ^ b[i];
        out[i] = x;
        any |= x;
      }
      return any === 0;
    }
    const wa = this.wordsOf(a.buffer);
    const wb = this.wordsOf(b.buffer);
    const wo = this.wordsOf(out.buffer);
    const ia = a.byteOffset >>> 2;
    const ib = b.byteOffset >>> 2;
    const io = out.byteOffset >>> 2;
    let any = 0;
    for (let i = 0; i < PAGE_SIZE >>> 2; i += 4) {
      const x0 = wa[ia + i] ^ wb[ib + i];
      const x1 = wa[ia + i + 1] ^ wb[ib + i + 1];
      const x2 = wa[ia + i + 2] ^ wb[ib + i + 2];
      const x3 = wa[ia + i + 3] ^ wb[ib + i + 3];
      wo[io + i] = x0;
      wo[io + i + 1] = x1;
      wo[io + i + 2] = x2;
      wo[io + i + 3] = x3;
      any |= x0 | x1 | x2 | x3;
    }
    return any === 0;
  }

  /** True when the two pages are byte-for-byte equal (no output written). */
  equal(a: Uint8Array, b: Uint8Array): boolean {
    if (((a.byteOffset | b.byteOffset) & 3) !== 0) {
      for (let i = 0; i < PAGE_SIZE; i++) if (a[i] !== b[i]) return false;
      return true;
    }
    const wa = this.wordsOf(a.buffer);
    const wb = this.wordsOf(b.buffer);
    const ia = a.byteOffset >>> 2;
    const ib = b.byteOffset >>> 2;
    for (let i = 0; i < PAGE_SIZE >>> 2; i += 4) {
      const diff =
        (wa[ia + i] ^ wb[ib + i]) |
        (wa[ia + i + 1] ^ wb[ib + i + 1]) |
        (wa[ia + i + 2] ^ wb[ib + i + 2]) |
        (wa[ia + i + 3] ^ wb[ib + i + 3]);
      if (diff !== 0) return false;
    }
    return true;
  }
}
