import { CodecError, OVERFLOW, PAGE_SIZE, UNCHANGED } from "./types.ts";

/**
 * XBZRLE, byte at a time, written straight from the format's specification (docs/SOURCES.md#qemu,
 * after QEMU's migration/xbzrle.c). It is slow on purpose: the tests hold the fast codec
 * (codecs/xbzrle.ts) to it, so it favours being obviously right over being quick, and it
 * follows the specification's wording rather than QEMU's loop structure.
 *
 * Stream = repeated (zrun, nzrun) pairs. zrun = a length: bytes where old == new. nzrun = a
 * length then that many bytes of the new page. Lengths are ULEB128 of 1 or 2 bytes (≤ 0x3fff).
 */

/** Bytes a ULEB128 length takes: 1 for 0..127, else 2 (lengths never exceed 0x3fff here). */
function ulebSize(n: number): number {
  return n < 0x80 ? 1 : 2;
}

function writeUleb(out: Uint8Array, at: number, n: number): number {
  if (n < 0x80) {
    out[at] = n;
    return 1;
  }
  out[at] = (n & 0x7f) | 0x80;
  out[at + 1] = n >> 7;
  return 2;
}

/**
 * Encode `page` against `previous` into `out`, writing at most `limit` bytes.
 * Returns UNCHANGED (0) for identical pages, OVERFLOW (-1), or the delta length. Overflow rule
 * (QEMU's xbzrle_encode_buffer()): with S the full delta size, −1 if S > limit; −1 if the page ends with
 * unchanged bytes and S > limit − 2 (QEMU reserves 2 bytes before every zero-run scan, the
 * trailing one included); −1 if limit < 2 (even for identical pages: the reservation comes
 * first).
 */
export function referenceEncode(
  page: Uint8Array,
  previous: Uint8Array,
  out: Uint8Array,
  limit: number,
): number {
  if (limit < 2) return OVERFLOW;
  // Pass 1: the maximal runs, and the delta size S they make.
  let size = 0;
  let i = 0;
  let endsUnchanged = false;
  while (i < PAGE_SIZE) {
    const zrunStart = i;
    while (i < PAGE_SIZE && page[i] === previous[i]) i++;
    const zrun = i - zrunStart;
    if (zrun === PAGE_SIZE) return UNCHANGED;
    if (i === PAGE_SIZE) {
      endsUnchanged = true; // a trailing zero run is not written
      break;
    }
    const nzrunStart = i;
    while (i < PAGE_SIZE && page[i] !== previous[i]) i++;
    const nzrun = i - nzrunStart;
    size += ulebSize(zrun) + ulebSize(nzrun) + nzrun;
  }
  if (size > limit) return OVERFLOW;
  if (endsUnchanged && size > limit - 2) return OVERFLOW;
  // Pass 2: write it (it fits, so nothing past `limit` is touched).
  let d = 0;
  i = 0;
  while (i < PAGE_SIZE) {
    const zrunStart = i;
    while (i < PAGE_SIZE && page[i] === previous[i]) i++;
    if (i === PAGE_SIZE) break;
    d += writeUleb(out, d, i - zrunStart);
    const nzrunStart = i;
    while (i < PAGE_SIZE && page[i] !== previous[i]) i++;
    d += writeUleb(out, d, i - nzrunStart);
    for (let k = nzrunStart; k < i; k++) out[d++] = page[k];
  }
  return d;
}

/**
 * Decode `encoded` onto a copy of `previous` in `page`. Rejects (CodecError) exactly when QEMU's
 * xbzrle_decode_buffer() returns −1: a zrun or an nzrun with fewer than 2 input bytes left, a
 * length that would need a third byte, a zero zrun after the first pair, a zero nzrun, a run
 * past the page end, an nzrun past the input end. Accepts an empty stream and non-minimal
 * two-byte lengths. Returns the offset just past the last byte written (QEMU's return value).
 */
export function referenceDecode(
  encoded: Uint8Array,
  previous: Uint8Array,
  page: Uint8Array,
): number {
  const fail = (at: number, reason: string): never => {
    throw new CodecError("xbzrle", at, reason);
  };
  const readLength = (at: number): [number, number] => {
    const first = encoded[at];
    if (first < 0x80) return [first, 1];
    const second = encoded[at + 1];
    if (second >= 0x80) fail(at, "a length needs a third byte");
    return [(first & 0x7f) | (second << 7), 2];
  };
  for (let k = 0; k < PAGE_SIZE; k++) page[k] = previous[k];
  let i = 0;
  let d = 0;
  while (i < encoded.length) {
    if (encoded.length - i < 2) fail(i, "a zero run needs at least 2 input bytes");
    const [zrun, zrunBytes] = readLength(i);
    if (i > 0 && zrun === 0) fail(i, "a zero run of 0 after the first pair");
    i += zrunBytes;
    d += zrun;
    if (d > PAGE_SIZE) fail(i, "a zero run passes the page end");
    if (encoded.length - i < 2) fail(i, "a nonzero run needs at least 2 input bytes");
    const [nzrun, nzrunBytes] = readLength(i);
    if (nzrun === 0) fail(i, "a nonzero run of 0");
    i += nzrunBytes;
    if (d + nzrun > PAGE_SIZE) fail(i, "a nonzero run passes the page end");
    if (i + nzrun > encoded.length) fail(i, "a nonzero run passes the input end");
    for (let k = 0; k < nzrun; k++) page[d + k] = encoded[i + k];
    d += nzrun;
    i += nzrun;
  }
  return d;
}
