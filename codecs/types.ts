/**
 * The page-codec contract. A codec encodes one dirty page against the sender's cached previous
 * copy into a caller-owned buffer and returns a length, as QEMU's xbzrle_encode_buffer() does
 * (migration/xbzrle.c): the hot path never allocates.
 */

import { PAGE_SIZE } from "../lib/page.ts";
import type { PageArena } from "../lib/page-memory.ts";

// The plug-in contract: a plug-in imports the page size and the decoder error from here.
export { CodecError } from "../lib/errors.ts";
export { PAGE_SIZE } from "../lib/page.ts";

/** QEMU's per-page record header: be64 (page offset | flags) (migration/ram.c save_page_header). */
export const PAGE_HEADER_BYTES = 8;

/** A raw record on the wire: header + the page. Sent for misses, overflows and plain pages. */
export const RAW_RECORD_BYTES = PAGE_HEADER_BYTES + PAGE_SIZE;

/**
 * What encode() returns, in QEMU's convention:
 * - `UNCHANGED` (0): the page equals the previous copy; nothing needs to be sent.
 * - `OVERFLOW` (-1): the encoding would not fit the limit; the page goes as a raw record.
 * - n ≥ 1: n bytes of encoded payload were written to `out[0..n)`.
 */
export const UNCHANGED = 0;
export const OVERFLOW = -1;
export type EncodeResult = number;

/**
 * wireBytes() of a codec whose encoded page goes in one record with its own small header
 * after QEMU's page header (xbzrle: flag byte + be16 length = 3): nothing when unchanged, a
 * raw record on overflow, else 8 + `recordHeaderBytes` + n.
 */
export function recordWireBytes(result: EncodeResult, recordHeaderBytes: number): number {
  if (result === UNCHANGED) return 0;
  if (result === OVERFLOW) return RAW_RECORD_BYTES;
  return PAGE_HEADER_BYTES + recordHeaderBytes + result;
}

/**
 * Page buffers: every page handed to a codec is a PAGE_SIZE-byte Uint8Array view whose
 * byteOffset is a multiple of 8, usually a slot of a long-lived ArrayBuffer. Codecs may keep
 * word views (Uint32Array/BigUint64Array) over the whole underlying buffer, cached by buffer
 * identity, so that scanning a page allocates nothing.
 */
export const PAGE_ALIGNMENT = 8;

/**
 * encode() for pages named by byte offsets into one page arena (lib/page-memory.ts): the same
 * result and the same output bytes as encode() on views at those offsets, writing at most
 * `limit` bytes at `outAt`. It is the JS counterpart of C's page pointers: the caller holds no
 * view object per page. A view is a heap object, and a page streamed from RAM usually has a cold
 * one, so reading its byteOffset is a dependent cache miss per page: up to 30 % of xbzrle's
 * encode time on run-heavy pages from RAM (bench:qemu-baseline, `mb enc` vs `mb enc@`). Throws
 * RangeError when an offset or the limit leaves the arena. Must not allocate.
 */
export type ArenaEncode = (
  pageAt: number,
  previousAt: number,
  outAt: number,
  limit: number,
) => EncodeResult;

/** One codec instance. Instances own scratch state, so use one per thread. */
export interface PageCodec {
  readonly name: string;
  /**
   * Encode `page` (PAGE_SIZE bytes) against `previous` (the cached copy, or null when there is
   * none) into `out`, writing at most `limit` bytes (QEMU's `dlen`). `out.length >= limit`.
   * Returns an EncodeResult. Must not allocate.
   */
  encode(
    page: Uint8Array,
    previous: Uint8Array | null,
    out: Uint8Array,
    limit: number,
  ): EncodeResult;
  /**
   * Rebuild the page from `encoded` (exactly the bytes encode() wrote) and `previous` into
   * `page` (PAGE_SIZE bytes, caller-owned; it may be the same buffer as `previous` only when
   * the codec's `decodesInPlace` is true). Throws CodecError on any malformed input; never
   * writes outside `page`, never reads outside `encoded`.
   */
  decode(encoded: Uint8Array, previous: Uint8Array | null, page: Uint8Array): void;
  /**
   * Optional: an ArenaEncode bound to `arena`, for codecs whose encoder reads arena memory in
   * place (a WebAssembly kernel). Callers that keep pages in an arena use it when present and
   * encode() otherwise.
   */
  arenaEncoder?(arena: PageArena): ArenaEncode;
  /**
   * Bytes this page costs on the wire given encode()'s result, including QEMU's record
   * headers: e.g. xbzrle 8 + 1 + 2 + n; OVERFLOW → RAW_RECORD_BYTES; UNCHANGED → 0.
   */
  wireBytes(result: EncodeResult): number;
}

/** A registry row, after lzbench's codec table: a name, what it is, where it comes from. */
export interface CodecDefinition {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for --help and the docs. */
  readonly description: string;
  /** The source it follows (paper section, QEMU function, patch) — cited in reports. */
  readonly source: string;
  /**
   * True for delta codecs: they need the cached previous copy (a page-cache hit) to do better
   * than raw. The simulator sends a raw record on a miss, as QEMU's save_xbzrle_page() does.
   */
  readonly usesPrevious: boolean;
  /**
   * True when QEMU-style zero-page detection runs before this codec (a zero page goes as a
   * 9-byte ZERO record). False only for `raw`, the no-detection baseline.
   */
  readonly detectsZeroPages: boolean;
  /** True when decode() may be given the same buffer for `previous` and `page`. */
  readonly decodesInPlace: boolean;
  /**
   * Optional, default false. True when every page that reaches this codec (after zero-page
   * detection, if it detects zero pages) goes on the wire as QEMU's normal page, a raw record
   * of 8 + 4096 bytes, whatever the page's bytes (`raw`, `zero`: save_normal_page() in
   * migration/ram.c). Its outcome then does not depend on the page's content, so the simulator
   * neither reads the page nor calls encode(): a bulk pass over a 64 GiB VM costs bitmap work,
   * not 16 M page reads. A codec is held to it on the pages the simulator samples for
   * verification (a plug-in's, or every page under bench's --verify): there encode() must return
   * OVERFLOW or a raw record. Ignored for a codec that `usesPrevious`.
   */
  readonly sendsPagesRaw?: boolean;
  /** Make an instance with its own scratch buffers. */
  create(): PageCodec;
}
