import { isZeroPage } from "../lib/zero-page.ts";
import {
  type CodecDefinition,
  CodecError,
  OVERFLOW,
  PAGE_HEADER_BYTES,
  PAGE_SIZE,
  RAW_RECORD_BYTES,
} from "./types.ts";

/**
 * `zero`: zero-page detection only. An all-zero page is a ZERO record — the 8-byte header
 * (flag RAM_SAVE_FLAG_ZERO) plus one fill byte — and every other page goes raw, as QEMU's
 * save_zero_page() then save_normal_page() do (migration/ram.c).
 * Encoded payload: the single fill byte 0; OVERFLOW means "send raw".
 */
export const zero: CodecDefinition = {
  name: "zero",
  description: "zero-page detection: a zero page is a 9-byte ZERO record, any other page raw",
  source: "QEMU migration/ram.c save_zero_page(), util/bufferiszero.c",
  usesPrevious: false,
  detectsZeroPages: true,
  decodesInPlace: true,
  sendsPagesRaw: true,
  create() {
    return {
      name: "zero",
      encode(page, _previous, out, limit) {
        if (limit < 1 || !isZeroPage(page)) return OVERFLOW;
        out[0] = 0;
        return 1;
      },
      decode(encoded, _previous, page) {
        if (encoded.length !== 1) {
          throw new CodecError(
            "zero",
            0,
            `a ZERO record carries 1 fill byte, got ${encoded.length}`,
          );
        }
        // QEMU accepts any fill byte (ram_handle_zero fills with it); its sender writes only 0.
        page.fill(encoded[0], 0, PAGE_SIZE);
      },
      wireBytes(result) {
        if (result === 0) return 0;
        return result === OVERFLOW ? RAW_RECORD_BYTES : PAGE_HEADER_BYTES + 1;
      },
    };
  },
};
