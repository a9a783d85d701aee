import { Prng } from "../lib/prng.ts";
import {
  type CodecDefinition,
  CodecError,
  OVERFLOW,
  PAGE_SIZE,
  type PageCodec,
  recordWireBytes,
  UNCHANGED,
} from "./types.ts";
import { applyXorRun, PageXor } from "./xor-page.ts";

/**
 * `xbrle`: the VEE'11 authors' XOR-based run-length encoding, 2011 qemu-devel patch variant
 * (XBRLE patch v1/v2, May/July 2011; docs/SOURCES.md#patches). We follow the authors' public prototype
 * tree aidanshribman/qemu-kvm, arch_init.c (rle_encode, rle_decode, is_page_good_for_xbrle,
 * save_xbrle_page, load_xbrle), which has exactly this design:
 * - XOR the cached copy with the new page, then code the XOR as (count u8 1..255, value u8)
 *   pairs, runs of equal XOR bytes, longest first. An all-equal page is 17 pairs (16 × 255 +
 *   16); the prototype sends those 34 bytes, we return UNCHANGED for an identical page as
 *   every other delta codec here does (the simulator then sends nothing, as QEMU ≥ 1.2 does).
 * - Before encoding, sample 1 % of the page (40 positions) and give up (OVERFLOW → the page is
 *   sent raw) when ≥ 30 % of the samples (≥ 12 of 40) differ. The prototype samples
 *   `TARGET_PAGE_SIZE * 0.01` = 40.96 (so 41 iterations) positions with srand(time + pid),
 *   i.e. not reproducibly; see SAMPLE_POSITIONS for how we make it reproducible.
 * - Give up when the code would exceed the limit (rle_encode: `d + 2 > dlen` → -1, dlen =
 *   4096), so a code of exactly the limit is accepted.
 * Wire: QEMU's 8-byte page header (flag RAM_SAVE_FLAG_XBRLE 0x40) + {u8 type, u16 length} + the
 * code. The prototype's C struct xbrle_hdr_t {uint8_t; uint16_t} is 4 bytes with padding; the
 * patch text counts 3, and so do we.
 * encode() writes only the pair code; wireBytes() adds the 8 + 3 header bytes.
 */

/** Samples per page: 1 % of 4096 (the prototype's PAGE_SAMPLE_PERCENT 0.01). */
export const XBRLE_SAMPLE_COUNT = 40;
/** Give up when at least this many samples differ: 30 % of 40 (BYTES_CHANGED_PERCENT 0.30). */
export const XBRLE_SAMPLE_GIVE_UP = 12;
/** The small xbrle header after QEMU's page header: u8 type + u16 length. */
export const XBRLE_HEADER_BYTES = 3;

/**
 * The 40 sampled byte positions: fixed for the whole process, drawn once from xoshiro128**
 * (lib/prng.ts) with the constant seed 0x5842524c ("XBRL"), distinct and sorted. Fixed
 * positions make the give-up decision a pure function of (old page, new page): the same pair
 * gives the same answer in every run, on every worker count and in any page order, and the
 * check reads 40 bytes from a table with no allocation. Uniform draws over the page, like the
 * prototype's rand() positions, rather than a stride, so a regular write pattern (e.g. stride4's
 * offsets 0/1024/2048/3072) is not systematically hit or missed.
 */
export const SAMPLE_POSITIONS: Uint16Array = drawSamplePositions(0x5842524c);

function drawSamplePositions(seed: number): Uint16Array {
  const prng = new Prng(seed);
  const taken = new Uint8Array(PAGE_SIZE);
  const positions = new Uint16Array(XBRLE_SAMPLE_COUNT);
  for (let n = 0; n < XBRLE_SAMPLE_COUNT; ) {
    const position = prng.below(PAGE_SIZE);
    if (taken[position]) continue;
    taken[position] = 1;
    positions[n++] = position;
  }
  return positions.sort();
}

/** True when the sample says the page changed too much for xbrle (is_page_good_for_xbrle). */
export function xbrleSampleGivesUp(page: Uint8Array, previous: Uint8Array): boolean {
  let changed = 0;
  for (let s = 0; s < XBRLE_SAMPLE_COUNT; s++) {
    const position = SAMPLE_POSITIONS[s];
    if (page[position] !== previous[position]) changed++;
  }
  return changed >= XBRLE_SAMPLE_GIVE_UP;
}

class XbrleCodec implements PageCodec {
  readonly name = "xbrle";
  private readonly pageXor = new PageXor();

  encode(page: Uint8Array, previous: Uint8Array | null, out: Uint8Array, limit: number): number {
    if (previous === null) return OVERFLOW;
    if (this.pageXor.equal(page, previous)) return UNCHANGED;
    if (xbrleSampleGivesUp(page, previous)) return OVERFLOW;
    // rle_encode over xor_encode's output, fused: the XOR byte at i is previous[i] ^ page[i].
    // Runs are maximal and at most 255 long.
    const pageXor = this.pageXor;
    pageXor.bindRuns(previous, page);
    let d = 0;
    let i = 0;
    while (i < PAGE_SIZE) {
      const value = previous[i] ^ page[i];
      const j = pageXor.runEnd(i, Math.min(i + 255, PAGE_SIZE), value);
      if (d + 2 > limit) return OVERFLOW;
      out[d] = j - i;
      out[d + 1] = value;
      d += 2;
      i = j;
    }
    return d;
  }

  /**
   * load_xbrle/rle_decode, stricter: the code must be whole pairs with counts 1..255 adding up
   * to exactly 4096 (the prototype silently skipped a trailing odd byte and 0 counts; its
   * encoder writes neither). Validated before anything is written, so a rejected input leaves
   * `page` untouched. Decoding in place (page === previous) is allowed.
   */
  decode(encoded: Uint8Array, previous: Uint8Array | null, page: Uint8Array): void {
    if (previous === null) throw new CodecError("xbrle", 0, "no cached previous page to XOR");
    const length = encoded.length;
    if (length === 0 || (length & 1) !== 0) {
      throw new CodecError("xbrle", length, `code length ${length} is not a whole number of pairs`);
    }
    let total = 0;
    for (let s = 0; s < length; s += 2) {
      const count = encoded[s];
      if (count === 0) throw new CodecError("xbrle", s, "a run count of 0");
      total += count;
      if (total > PAGE_SIZE) throw new CodecError("xbrle", s, "the runs pass the page end");
    }
    if (total !== PAGE_SIZE) {
      throw new CodecError("xbrle", length, `the runs cover ${total} bytes, not ${PAGE_SIZE}`);
    }
    if (page !== previous) page.set(previous);
    let position = 0;
    for (let s = 0; s < length; s += 2) {
      const count = encoded[s];
      position = applyXorRun(page, position, count, encoded[s + 1]);
    }
  }

  wireBytes(result: number): number {
    return recordWireBytes(result, XBRLE_HEADER_BYTES);
  }
}

export const xbrle: CodecDefinition = {
  name: "xbrle",
  description:
    "XOR + (count, value) run-length code, 1 % sample give-up (VEE'11 authors' 2011 patch)",
  source:
    "XBRLE qemu-devel patch v1/v2 (2011); aidanshribman/qemu-kvm arch_init.c rle_encode(), is_page_good_for_xbrle()",
  usesPrevious: true,
  detectsZeroPages: true,
  decodesInPlace: true,
  create: () => new XbrleCodec(),
};
