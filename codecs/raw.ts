import { type CodecDefinition, CodecError, PAGE_SIZE, RAW_RECORD_BYTES } from "./types.ts";

/**
 * `raw`: the page as is, with no zero-page detection — the baseline every chart compares to.
 * Its encode is a 4096-byte copy, lzbench's `memcpy` row in codec form.
 * Wire: QEMU's 8-byte page header + 4096 bytes (migration/ram.c save_normal_page).
 */
export const raw: CodecDefinition = {
  name: "raw",
  description: "the page as is (8-byte header + 4096 bytes), no zero-page detection",
  source: "QEMU migration/ram.c save_normal_page()",
  usesPrevious: false,
  detectsZeroPages: false,
  decodesInPlace: true,
  sendsPagesRaw: true,
  create() {
    return {
      name: "raw",
      encode(page, _previous, out, limit) {
        if (limit < PAGE_SIZE) return -1;
        out.set(page.subarray(0, PAGE_SIZE));
        return PAGE_SIZE;
      },
      decode(encoded, _previous, page) {
        if (encoded.length !== PAGE_SIZE) {
          throw new CodecError(
            "raw",
            Math.min(encoded.length, PAGE_SIZE),
            `a raw page must be ${PAGE_SIZE} bytes, got ${encoded.length}`,
          );
        }
        page.set(encoded);
      },
      wireBytes(result) {
        return result === 0 ? 0 : RAW_RECORD_BYTES;
      },
    };
  },
};
