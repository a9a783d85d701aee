import { PAGE_SIZE } from "../lib/page.ts";
import { uint32Views } from "../lib/word-views.ts";
import { hash2, hash4, xorshift32 } from "./random.ts";

/**
 * Page bytes derived on demand. Every synthetic workload builds a page from a 32-bit key (a hash
 * of seed, page and version) in a caller-owned buffer, so reading a page allocates nothing and
 * nothing is stored per page. Words are written through a Uint32Array in the platform's byte
 * order (little-endian on every machine Node 20 supports in practice).
 */

export const WORDS_PER_PAGE = PAGE_SIZE / 4;
/** 8-byte words per page: the unit of the sparse writes (counters, timestamps, pointers). */
export const SLOTS_PER_PAGE = PAGE_SIZE / 8;

/**
 * A 32-bit word view of the caller's page buffer from the codecs' WordViews table
 * (lib/word-views.ts), so `bind(out)` allocates nothing while the simulator alternates
 * between its own page and the cache's slots.
 * A buffer at an offset that is not 4-byte aligned goes through a private scratch page.
 */
export class PageWords {
  words: Uint32Array = new Uint32Array(WORDS_PER_PAGE);
  /** Index of the page's first word in `words`. */
  offset = 0;
  private readonly scratch = new Uint32Array(WORDS_PER_PAGE);
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);
  private readonly views = uint32Views();
  private target: Uint8Array | null = null;

  bind(out: Uint8Array): void {
    if (out.length < PAGE_SIZE) throw new RangeError(`page buffer of ${out.length} bytes`);
    if ((out.byteOffset & 3) !== 0) {
      this.words = this.scratch;
      this.offset = 0;
      this.target = out;
      return;
    }
    this.words = this.views.of(out.buffer);
    this.offset = out.byteOffset >>> 2;
    this.target = null;
  }

  /** Copy the scratch page out when bind() had to use it. */
  finish(): void {
    if (this.target !== null) {
      this.target.set(this.scratchBytes);
      this.target = null;
    }
  }
}

/**
 * Structured application data, as a database buffer pool or ERP heap holds it: 64 rows of 64
 * bytes, each row = id, table, timestamp, user-space pointer, status, amount, 16 characters of
 * text, and 16 bytes of NULL columns; the last rows of a page may be unused (zero). Non-zero,
 * compressible, and with realistic zero runs between fields.
 */
export function fillRecords(words: Uint32Array, offset: number, key: number): void {
  let state = key | 1;
  const usedRows = 40 + (key & 15) + ((key >>> 4) & 7);
  const table = (key >>> 8) & 0xff;
  const timeHigh = 0x18c + ((key >>> 16) & 3);
  let id = hash2(key, 1);
  let time = hash2(key, 2);
  for (let row = 0; row < 64; row++) {
    const w = offset + row * 16;
    if (row >= usedRows) {
      words.fill(0, w, w + 16);
      continue;
    }
    state = xorshift32(state);
    id = (id + 1 + (state & 3)) >>> 0;
    time = (time + (state >>> 20)) >>> 0;
    words[w] = id;
    words[w + 1] = table;
    words[w + 2] = time;
    words[w + 3] = timeHigh;
    words[w + 4] = ((state & 0xfffff) << 6) | 0x10;
    words[w + 5] = 0x7f3a;
    words[w + 6] = (state >>> 29) + 1;
    state = xorshift32(state);
    words[w + 7] = state & 0xfffff;
    for (let c = 8; c < 12; c++) {
      state = xorshift32(state);
      // four characters from [A-Z] per word
      words[w + c] =
        (0x41 + (state & 15)) |
        ((0x41 + ((state >>> 8) & 15)) << 8) |
        ((0x41 + ((state >>> 16) & 15)) << 16) |
        ((0x41 + ((state >>> 24) & 15)) << 24);
    }
    words[w + 12] = 0;
    words[w + 13] = 0;
    words[w + 14] = 0;
    words[w + 15] = 0;
  }
}

/** High-entropy bytes (compressed video, encrypted data): a delta codec overflows on these. */
export function fillRandom(words: Uint32Array, offset: number, key: number): void {
  let state = key | 1;
  for (let i = 0; i < WORDS_PER_PAGE; i++) {
    state = xorshift32(state);
    words[offset + i] = state;
  }
}

/**
 * Sparse in-place updates through a page's hot slots (see hotSlot). The page's writes since its
 * content was last replaced touch `wordsPerWrite` slots each, walking round-robin over
 * `hotSlots` slots; touch number t (0-based) writes the value hash(seed, page, version, t). So
 * after `writes` writes each slot holds the value of the last touch ≤ writes × wordsPerWrite
 * that reached it: O(hotSlots) per read, with no history stored.
 * A written 8-byte field keeps its high bytes and gets three new low bytes (a counter, a
 * timestamp, a pointer moving within its arena), bit 0 set so a written page is never zero.
 */
export function applyHotWrites(
  words: Uint32Array,
  offset: number,
  seed: number,
  page: number,
  version: number,
  writes: number,
  wordsPerWrite: number,
  hotSlots: number,
): void {
  const touches = writes * wordsPerWrite;
  if (touches === 0) return;
  const slotsTouched = Math.min(hotSlots, touches);
  const layout = hash4(seed, page, version, 0x51075107);
  for (let h = 0; h < slotsTouched; h++) {
    const last = h + hotSlots * Math.floor((touches - 1 - h) / hotSlots);
    const value = hash4(seed, page, version, last);
    const w = offset + hotSlot(layout, h) * 2;
    words[w] = (words[w] & 0xff000000) | (value & 0x00ffffff) | 1;
  }
}

/** The h-th hot 8-byte slot of a page: distinct for h < 512 (stride is odd). */
export function hotSlot(layout: number, h: number): number {
  return ((layout & 511) + h * ((layout >>> 9) | 1)) & 511;
}
