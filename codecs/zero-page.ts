import { pageScanFor } from "./page-scan.ts";
import { PAGE_SIZE } from "./types.ts";

/**
 * True when every byte of the page is zero. QEMU's buffer_is_zero() (util/bufferiszero.c) runs
 * this before any codec; it is the hottest check in migration. A page in a wasm arena
 * (codecs/page-memory.ts) is checked by the SIMD kernel (codecs/page-scan.wat) in place: 18 GB/s
 * from RAM and 53 in the CPU caches on the development machine, where the word loop below,
 * kept for pages elsewhere, ran 7.7 and 9.5.
 */
export function isZeroPage(page: Uint8Array): boolean {
  if (page.length < PAGE_SIZE) {
    throw new RangeError(`isZeroPage: a page is ${PAGE_SIZE} bytes, got a view of ${page.length}`);
  }
  const buffer = page.buffer;
  if (buffer !== viewedBuffer) viewBuffer(buffer);
  if (kernel !== null) {
    // Most nonzero pages show it in their first byte: answer those without the wasm call.
    return page[0] === 0 && kernel(page.byteOffset) !== 0;
  }
  if ((page.byteOffset & 3) !== 0) {
    for (let i = 0; i < PAGE_SIZE; i++) if (page[i] !== 0) return false;
    return true;
  }
  const start = page.byteOffset >>> 2;
  const end = start + (PAGE_SIZE >>> 2);
  for (let i = start; i < end; i += 4) {
    if ((words[i] | words[i + 1] | words[i + 2] | words[i + 3]) !== 0) return false;
  }
  return true;
}

// The last buffer seen, and how to check pages in it: the arena's kernel, or one word view
// (made once per buffer, so the per-page check allocates nothing; callers pass pages that are
// views into a few long-lived buffers, see the alignment rule in types.ts).
let viewedBuffer: ArrayBufferLike | null = null;
let kernel: ((at: number) => number) | null = null;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

function viewBuffer(buffer: ArrayBufferLike): void {
  viewedBuffer = buffer;
  kernel = pageScanFor(buffer)?.isZero ?? null;
  words = kernel ? new Uint32Array(0) : new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
}
