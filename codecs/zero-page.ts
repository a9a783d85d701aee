import { PAGE_SIZE } from "./types.ts";

// One word view per ArrayBuffer, so the per-page check allocates nothing: callers
// pass pages that are views into a few long-lived buffers (see the alignment rule in types.ts).
let viewedBuffer: ArrayBufferLike | null = null;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/**
 * True when every byte of the page is zero. QEMU's buffer_is_zero() (util/bufferiszero.c) runs
 * this before any codec; it is the hottest check in migration, so compare 4 bytes at a time.
 */
export function isZeroPage(page: Uint8Array): boolean {
  if ((page.byteOffset & 3) !== 0) {
    for (let i = 0; i < PAGE_SIZE; i++) if (page[i] !== 0) return false;
    return true;
  }
  if (page.buffer !== viewedBuffer) {
    viewedBuffer = page.buffer;
    words = new Uint32Array(page.buffer, 0, page.buffer.byteLength >>> 2);
  }
  const start = page.byteOffset >>> 2;
  const end = start + (PAGE_SIZE >>> 2);
  for (let i = start; i < end; i += 4) {
    if ((words[i] | words[i + 1] | words[i + 2] | words[i + 3]) !== 0) return false;
  }
  return true;
}
