import { PAGE_SIZE } from "./page.ts";

const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);

/**
 * True when the 4096 bytes at bytes[offset..] are all zero: QEMU's buffer_is_zero()
 * (util/bufferiszero.c), which runs before any codec, and the trace recorder's zero-page test.
 * Buffer.compare against a shared zero page is a native memcmp and allocates nothing: 18 GB/s
 * from RAM on the development machine, where a Uint32Array loop ran 7.7. Most nonzero pages
 * show it in their first byte, which answers without the native call (18 vs 55 ns).
 */
export function isZeroPage(bytes: Uint8Array, offset = 0): boolean {
  if (!(offset >= 0 && offset + PAGE_SIZE <= bytes.length)) {
    throw new RangeError(
      `isZeroPage: no ${PAGE_SIZE}-byte page at offset ${offset} of ${bytes.length} bytes`,
    );
  }
  if (bytes[offset] !== 0) return false;
  // A whole view is the cheaper native call (18 vs 14 GB/s from RAM).
  const compared =
    bytes.length === PAGE_SIZE
      ? Buffer.compare(ZERO_PAGE, bytes)
      : ZERO_PAGE.compare(bytes, offset, offset + PAGE_SIZE);
  return compared === 0;
}
