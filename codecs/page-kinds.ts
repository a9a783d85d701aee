import { allocatePages } from "../lib/page-memory.ts";
import { Prng } from "../lib/prng.ts";
import { PAGE_SIZE } from "./types.ts";

/**
 * The page-pair kinds every codec benchmark runs, each an (old, new) pair of 4096-byte
 * pages: `old` is the cached copy, `new` the dirtied page.
 * - identical:    new = old, a random page (encoders find no difference).
 * - zero:         old and new are both all-zero pages (QEMU caches a zero page as zeros once
 *                 XBZRLE has started, migration/ram.c; for xbzrle this is "unchanged").
 * - stride4:      a random page with +1 (mod 256) at offsets 0, 1024, 2048 and 3072 — the load
 *                 generator of QEMU's docs/devel/migration xbzrle section.
 * - random-1pct:  41 distinct random positions changed (≈ 1 % of the page).
 * - random-25pct: 1024 distinct random positions changed (25 %).
 * - random-full:  a fresh random page (XBZRLE's overflow path).
 * - sparse:       12 consecutive bytes changed every 1111 bytes (offsets 0, 1111, 2222, 3333),
 *                 the Aug 2011 codec table's SPARSE scenario.
 * - medium:       33 consecutive bytes changed every 701 bytes (offsets 0, 701, ..., 3505),
 *                 the MEDIUM scenario.
 * A "changed" byte is XORed with a random non-zero byte, so it always differs from old.
 */
export const PAGE_KINDS = [
  "identical",
  "zero",
  "stride4",
  "random-1pct",
  "random-25pct",
  "random-full",
  "sparse",
  "medium",
] as const;

export type PageKind = (typeof PAGE_KINDS)[number];

export function isPageKind(name: string): name is PageKind {
  return (PAGE_KINDS as readonly string[]).includes(name);
}

/** `count` page pairs laid out back to back: pair i is old/new[i*4096, (i+1)*4096). */
export interface PagePairs {
  readonly old: Uint8Array;
  readonly new: Uint8Array;
  readonly count: number;
  /**
   * A 4096-byte output buffer in the same memory as the pages, so that a WebAssembly kernel
   * writes its delta in place, as QEMU's encoder writes into its own buffer (codecs/xbzrle.ts).
   */
  readonly out: Uint8Array;
}

/**
 * Make `count` deterministic (old, new) pairs of one kind. `old` and `new` are count × 4096-byte
 * views into ONE shared buffer (old first, then new, then `out`; use their byteOffset, or
 * subarray()), allocated with allocatePages() so WebAssembly kernels read them without copying
 * (lib/page-memory.ts).
 * Page views at i × 4096 meet the codecs' alignment rule (codecs/types.ts). The same
 * (kind, count, seed) always gives the same bytes.
 */
export function makePagePairs(kind: PageKind, count: number, seed = 1): PagePairs {
  if (!isPageKind(kind)) throw new RangeError(`unknown page kind "${kind}"`);
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`bad page count ${count}`);
  const both = allocatePages((2 * count + 1) * PAGE_SIZE);
  const old = both.subarray(0, count * PAGE_SIZE);
  const next = both.subarray(count * PAGE_SIZE, 2 * count * PAGE_SIZE);
  const out = both.subarray(2 * count * PAGE_SIZE);
  const prng = new Prng(seed ^ hashKind(kind));
  if (kind === "zero") {
    // Write the zeros: untouched fresh memory maps the OS's shared zero page, which would make
    // reading these pages look faster than reading real RAM.
    old.fill(0);
    next.fill(0);
    return { old, new: next, count, out };
  }
  prng.fill(old);
  if (kind === "random-full") {
    prng.fill(next);
    return { old, new: next, count, out };
  }
  next.set(old);
  const marks = new Uint8Array(PAGE_SIZE);
  for (let p = 0; p < count; p++) {
    const page = next.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
    mutatePage(kind, page, prng, marks);
  }
  return { old, new: next, count, out };
}

/** One 4096-byte view per page of `bytes`, made once so that timed loops allocate nothing. */
export function pageViews(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: Math.floor(bytes.length / PAGE_SIZE) }, (_, i) =>
    bytes.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE),
  );
}

/** Apply one kind's change to a page that starts equal to its old copy. */
function mutatePage(kind: PageKind, page: Uint8Array, prng: Prng, marks: Uint8Array): void {
  switch (kind) {
    case "identical":
      return;
    case "stride4":
      for (let offset = 0; offset < PAGE_SIZE; offset += 1024) {
        page[offset] = (page[offset] + 1) & 0xff;
      }
      return;
    case "random-1pct":
      changeDistinctPositions(page, 41, prng, marks);
      return;
    case "random-25pct":
      changeDistinctPositions(page, 1024, prng, marks);
      return;
    case "sparse":
      changeBlocks(page, 12, 1111, prng);
      return;
    case "medium":
      changeBlocks(page, 33, 701, prng);
      return;
    default:
      throw new RangeError(`page kind "${kind}" is not made by mutation`);
  }
}

function changeDistinctPositions(page: Uint8Array, n: number, prng: Prng, marks: Uint8Array) {
  marks.fill(0);
  let changed = 0;
  while (changed < n) {
    const position = prng.below(PAGE_SIZE);
    if (marks[position]) continue;
    marks[position] = 1;
    page[position] ^= prng.nonZeroByte();
    changed++;
  }
}

function changeBlocks(page: Uint8Array, length: number, every: number, prng: Prng) {
  for (let start = 0; start + length <= PAGE_SIZE; start += every) {
    for (let i = start; i < start + length; i++) page[i] ^= prng.nonZeroByte();
  }
}

/** Different kinds get different random streams for the same seed. */
function hashKind(kind: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < kind.length; i++) h = Math.imul(h ^ kind.charCodeAt(i), 0x01000193);
  return h | 0;
}
