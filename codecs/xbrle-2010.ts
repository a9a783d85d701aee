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
 * `xbrle-2010`: the VEE'11 authors' Aug 2010 prototype ("2-way" cache version) of XOR-based
 * run-length encoding, as docs/SOURCES.md#paper describes it from the authors' prototype history
 * (public repo aidanshribman/qemu-kvm, 2010). That history's text is our only source for this
 * variant; the code below is written from it:
 * - XOR the cached copy with the new page and RLE the XOR: "a byte, and when it repeats the
 *   previous byte, a count of further repeats (≤ 255)". So a run of k equal bytes v is `v`
 *   (k = 1) or `v v (k−2)` (2 ≤ k ≤ 257); a longer run is split into chunks of 257 and the
 *   last chunk starts afresh (after a count byte, the next byte is never read as a repeat).
 * - Give up (OVERFLOW → sent raw) when > 30 % of the bytes in the first 37.5 % of the page
 *   (1536 bytes) differ — i.e. 461 or more — or when the code, counting its 3-byte header,
 *   reaches the page size (3 + n ≥ 4096), or exceeds the caller's limit.
 * - An identical page is UNCHANGED (nothing sent), like the other delta codecs here.
 * - The prototype used it only in the iterative rounds: its final stop-and-copy sent full pages.
 *   That is the simulator's business (the qemu-kvm-0.13 convergence model), not this codec's.
 * Wire: QEMU's 8-byte page header + the 3-byte header {type, len_hi, len_lo} where len counts
 * the header (3 + n) + the code. encode() writes the code only; wireBytes() adds 8 + 3.
 */

/** The prototype's own header: type, len_hi, len_lo. */
export const XBRLE2010_HEADER_BYTES = 3;
/** The give-up sample: the first 37.5 % of the page. */
export const XBRLE2010_PROBE_BYTES = (PAGE_SIZE * 3) / 8;
/** Give up when more than 30 % of the probe differs: 1536 × 0.3 = 460.8, so ≥ 461 bytes. */
export const XBRLE2010_PROBE_GIVE_UP = Math.floor(XBRLE2010_PROBE_BYTES * 0.3) + 1;
/** Largest code sent: header + code must stay below the page size. */
export const XBRLE2010_MAX_CODE = PAGE_SIZE - XBRLE2010_HEADER_BYTES - 1;

/** A chunk: the byte, its repeat, then up to 255 further repeats. */
const MAX_CHUNK = 257;

/** True when the first 37.5 % of the page differs too much for xbrle-2010 to try. */
export function xbrle2010ProbeGivesUp(page: Uint8Array, previous: Uint8Array): boolean {
  let changed = 0;
  for (let i = 0; i < XBRLE2010_PROBE_BYTES; i += 4) {
    // Four bytes per step; most probes see long equal stretches.
    changed +=
      (page[i] !== previous[i] ? 1 : 0) +
      (page[i + 1] !== previous[i + 1] ? 1 : 0) +
      (page[i + 2] !== previous[i + 2] ? 1 : 0) +
      (page[i + 3] !== previous[i + 3] ? 1 : 0);
  }
  return changed >= XBRLE2010_PROBE_GIVE_UP;
}

class Xbrle2010Codec implements PageCodec {
  readonly name = "xbrle-2010";
  private readonly pageXor = new PageXor();

  encode(page: Uint8Array, previous: Uint8Array | null, out: Uint8Array, limit: number): number {
    if (previous === null) return OVERFLOW;
    if (this.pageXor.equal(page, previous)) return UNCHANGED;
    if (xbrle2010ProbeGivesUp(page, previous)) return OVERFLOW;
    const capacity = Math.min(limit, XBRLE2010_MAX_CODE);
    // The RLE over the XOR, fused with it: the XOR byte at i is previous[i] ^ page[i].
    const pageXor = this.pageXor;
    pageXor.bindRuns(previous, page);
    let d = 0;
    let i = 0;
    while (i < PAGE_SIZE) {
      const value = previous[i] ^ page[i];
      const j = pageXor.runEnd(i, Math.min(i + MAX_CHUNK, PAGE_SIZE), value);
      const length = j - i;
      if (length === 1) {
        if (d + 1 > capacity) return OVERFLOW;
        out[d++] = value;
      } else {
        if (d + 3 > capacity) return OVERFLOW;
        out[d] = value;
        out[d + 1] = value;
        out[d + 2] = length - 2;
        d += 3;
      }
      i = j;
    }
    return d;
  }

  /**
   * Rebuild the page: the code must expand to exactly 4096 bytes with nothing left over, and a
   * repeated byte must be followed by its count. Validated before anything is written, so a
   * rejected input leaves `page` untouched; decoding in place is allowed.
   */
  decode(encoded: Uint8Array, previous: Uint8Array | null, page: Uint8Array): void {
    if (previous === null) throw new CodecError("xbrle-2010", 0, "no cached previous page to XOR");
    expandedLength(encoded);
    if (page !== previous) page.set(previous);
    const length = encoded.length;
    let position = 0;
    let s = 0;
    let last = -1;
    while (s < length) {
      const value = encoded[s++];
      let count = 1;
      if (value === last) {
        count = 1 + encoded[s++];
        last = -1;
      } else {
        last = value;
      }
      position = applyXorRun(page, position, count, value);
    }
  }

  wireBytes(result: number): number {
    return recordWireBytes(result, XBRLE2010_HEADER_BYTES);
  }
}

/** Walk the code without writing; throw CodecError unless it expands to exactly one page. */
function expandedLength(encoded: Uint8Array): number {
  const length = encoded.length;
  let total = 0;
  let s = 0;
  let last = -1;
  while (s < length) {
    const at = s;
    const value = encoded[s++];
    if (value === last) {
      if (s >= length) {
        throw new CodecError("xbrle-2010", at, "a repeated byte without its repeat count");
      }
      total += 1 + encoded[s++];
      last = -1;
    } else {
      total += 1;
      last = value;
    }
    if (total > PAGE_SIZE) throw new CodecError("xbrle-2010", at, "the code passes the page end");
  }
  if (total !== PAGE_SIZE) {
    throw new CodecError(
      "xbrle-2010",
      length,
      `the code expands to ${total} bytes, not ${PAGE_SIZE}`,
    );
  }
  return total;
}

export const xbrle2010: CodecDefinition = {
  name: "xbrle-2010",
  description:
    "XOR + byte/repeat/count run-length code, 37.5 % probe give-up (VEE'11 authors' Aug 2010 prototype)",
  source: "aidanshribman/qemu-kvm Aug 2010 2-way-cache prototype (docs/SOURCES.md#paper)",
  usesPrevious: true,
  detectsZeroPages: true,
  decodesInPlace: true,
  create: () => new Xbrle2010Codec(),
};
