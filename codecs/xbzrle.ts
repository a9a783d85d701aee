import {
  arenaOf,
  createScratchArena,
  knownSlot,
  knownViews,
  MAX_KERNEL_LIMIT,
  type PageArena,
} from "../lib/page-memory.ts";
import { int32Views, type WordViews } from "../lib/word-views.ts";
import {
  type ArenaEncode,
  type CodecDefinition,
  CodecError,
  OVERFLOW,
  PAGE_SIZE,
  type PageCodec,
  recordWireBytes,
  UNCHANGED,
} from "./types.ts";
import { XBZRLE_KERNEL_BASE64 } from "./xbzrle-kernel.generated.ts";

/**
 * XBZRLE, byte-identical to QEMU's scalar xbzrle_encode_buffer() / xbzrle_decode_buffer()
 * (migration/xbzrle.c; format in docs/SOURCES.md#qemu; the plain reference is codecs/xbzrle-reference.ts).
 *
 * Encode runs a WebAssembly SIMD kernel (codecs/xbzrle.wat) that finds run boundaries 16 bytes
 * at a time. Pages allocated with allocatePages() (lib/page-memory.ts) are read in place;
 * other pages are first copied into the kernel's memory (8 KiB per page). An output buffer in
 * the same arena is written in place; any other gets the delta copied out of the arena. Without wasm SIMD,
 * a plain-JS word-at-a-time encoder gives the same bytes. Decode is plain JS: its work is a
 * page copy plus the runs, and it runs onto `page` in place when `page === previous`.
 *
 * Wire: QEMU's 8-byte page header (flag RAM_SAVE_FLAG_XBZRLE) + 1 encoding-flag byte
 * (ENCODING_FLAG_XBZRLE) + be16 length + the delta (migration/ram.c save_xbzrle_page);
 * an overflowed page goes as a raw record; an unchanged page costs nothing.
 */

export type XbzrleEngine = "wasm-simd" | "js";

let kernelModule: WebAssembly.Module | null = null;
try {
  kernelModule = new WebAssembly.Module(Buffer.from(XBZRLE_KERNEL_BASE64, "base64"));
} catch {
  kernelModule = null; // no wasm SIMD (or no bulk memory) here: the JS encoder is used
}

/** The encode engine `xbzrle` uses on this runtime. */
export const defaultXbzrleEngine: XbzrleEngine = kernelModule ? "wasm-simd" : "js";

type EncodeKernel = (oldPtr: number, newPtr: number, outPtr: number, limit: number) => number;

function kernelFor(arena: PageArena): EncodeKernel {
  let kernel = arena.attached.get("xbzrle") as EncodeKernel | undefined;
  if (!kernel) {
    const instance = new WebAssembly.Instance(kernelModule!, { env: { memory: arena.memory } });
    kernel = instance.exports.encode as EncodeKernel;
    arena.attached.set("xbzrle", kernel);
  }
  return kernel;
}

/** ULEB128 of 1 or 2 bytes (util/cutils.c uleb128_encode_small); returns bytes written. */
function putLength(out: Uint8Array, at: number, n: number): number {
  if (n < 0x80) {
    out[at] = n;
    return 1;
  }
  out[at] = (n & 0x7f) | 0x80;
  out[at + 1] = n >>> 7;
  return 2;
}

/**
 * Plain-JS encoder: QEMU's loop, 4 bytes at a time. Zero runs compare words; nonzero runs test
 * old ^ new for a zero byte with QEMU's (x − 0x01..) & ~x & 0x80.. trick. Checks in QEMU's order.
 */
function encodeJs(
  page: Uint8Array,
  previous: Uint8Array,
  out: Uint8Array,
  limit: number,
  words: WordViews<Int32Array<ArrayBufferLike>>,
): number {
  if ((page.byteOffset & 3) !== 0 || (previous.byteOffset & 3) !== 0) {
    throw new RangeError("xbzrle: pages must be 4-byte aligned views (codecs/types.ts)");
  }
  const a = words.of(previous.buffer);
  const b = words.of(page.buffer);
  const aBase = previous.byteOffset >>> 2;
  const bBase = page.byteOffset >>> 2;
  let i = 0;
  let d = 0;
  while (i < PAGE_SIZE) {
    if (d + 2 > limit) return OVERFLOW;
    const zrunStart = i;
    while ((i & 3) !== 0 && page[i] === previous[i]) i++;
    if ((i & 3) === 0) {
      while (i < PAGE_SIZE && a[aBase + (i >>> 2)] === b[bBase + (i >>> 2)]) i += 4;
      while (i < PAGE_SIZE && page[i] === previous[i]) i++;
    }
    if (i === PAGE_SIZE) return zrunStart === 0 ? UNCHANGED : d;
    d += putLength(out, d, i - zrunStart);
    if (d + 2 > limit) return OVERFLOW;
    const nzrunStart = i;
    while ((i & 3) !== 0 && i < PAGE_SIZE && page[i] !== previous[i]) i++;
    if ((i & 3) === 0) {
      while (i < PAGE_SIZE) {
        const x = a[aBase + (i >>> 2)] ^ b[bBase + (i >>> 2)];
        if (((x - 0x01010101) & ~x & 0x80808080) !== 0) {
          while (page[i] !== previous[i]) i++;
          break;
        }
        i += 4;
      }
    }
    const count = i - nzrunStart;
    d += putLength(out, d, count);
    if (d + count > limit) return OVERFLOW;
    for (let k = nzrunStart; k < i; k++) out[d++] = page[k];
  }
  return d;
}

/**
 * Decoder, QEMU's xbzrle_decode_buffer() checks in QEMU's order: each run needs ≥ 2 input bytes
 * left; a length may not need a third byte; only the first zero run may be 0; nonzero runs are
 * ≥ 1, end inside the page and inside the input. Loops are bounded by the input length.
 */
function decode(encoded: Uint8Array, previous: Uint8Array | null, page: Uint8Array): void {
  if (previous === null) {
    throw new CodecError("xbzrle", 0, "an XBZRLE page needs the previous copy of the page");
  }
  if (page !== previous) page.set(previous);
  const length = encoded.length;
  let i = 0;
  let d = 0;
  while (i < length) {
    if (length - i < 2) throw new CodecError("xbzrle", i, "a zero run needs 2 input bytes");
    const zrunAt = i;
    let count = encoded[i];
    if (count < 0x80) {
      i += 1;
    } else {
      const high = encoded[i + 1];
      if (high >= 0x80) throw new CodecError("xbzrle", i, "a zero-run length needs a third byte");
      count = (count & 0x7f) | (high << 7);
      i += 2;
    }
    if (count === 0 && zrunAt !== 0) {
      throw new CodecError("xbzrle", zrunAt, "a zero run of 0 after the first pair");
    }
    d += count;
    if (d > PAGE_SIZE) throw new CodecError("xbzrle", i, "a zero run passes the page end");
    if (length - i < 2) throw new CodecError("xbzrle", i, "a nonzero run needs 2 input bytes");
    count = encoded[i];
    if (count < 0x80) {
      i += 1;
    } else {
      const high = encoded[i + 1];
      if (high >= 0x80) {
        throw new CodecError("xbzrle", i, "a nonzero-run length needs a third byte");
      }
      count = (count & 0x7f) | (high << 7);
      i += 2;
    }
    if (count === 0) throw new CodecError("xbzrle", i, "a nonzero run of 0");
    if (d + count > PAGE_SIZE)
      throw new CodecError("xbzrle", i, "a nonzero run passes the page end");
    if (i + count > length) throw new CodecError("xbzrle", i, "a nonzero run passes the input end");
    const end = i + count;
    while (i < end) page[d++] = encoded[i++];
  }
}

/** Make an xbzrle instance with a chosen encode engine ("js" is for tests and comparisons). */
export function createXbzrle(engine: XbzrleEngine = defaultXbzrleEngine): PageCodec {
  if (engine === "wasm-simd" && !kernelModule) {
    throw new Error("xbzrle: this runtime has no WebAssembly SIMD");
  }
  const words = int32Views();
  let privateArena: PageArena | null = null;

  // Where the last pages lived: resolved again only when a buffer changes.
  let lastPageBuffer: ArrayBufferLike | null = null;
  let lastPreviousBuffer: ArrayBufferLike | null = null;
  let arena: PageArena | null = null;
  let kernel: EncodeKernel | null = null;
  let pageInArena = false;
  let previousInArena = false;

  // The current arena's table of views known to lie in it (lib/page-memory.ts knownViews):
  // a hit saves the two `.buffer` reads per page.
  let known: (Uint8Array | null)[] = [];
  // The last output buffer, and its offset in `arena` when the kernel can write into it
  // directly (-1: it lies elsewhere, so the delta is copied out of the arena's output area).
  let lastOut: Uint8Array | null = null;
  let outPtr = -1;

  function resolveArena(pageBuffer: ArrayBufferLike, previousBuffer: ArrayBufferLike): void {
    const pageArena = arenaOf(pageBuffer);
    const previousArena = arenaOf(previousBuffer);
    if (!pageArena && !previousArena && !privateArena) privateArena = createScratchArena();
    const next = pageArena ?? previousArena ?? privateArena!;
    if (next !== arena) {
      arena = next;
      kernel = kernelFor(next);
      known = knownViews(next);
      lastOut = null;
    }
    pageInArena = pageArena === arena;
    previousInArena = previousArena === arena;
    lastPageBuffer = pageBuffer;
    lastPreviousBuffer = previousBuffer;
  }

  function encodeWasm(
    page: Uint8Array,
    previous: Uint8Array,
    out: Uint8Array,
    limit: number,
  ): number {
    let newPtr = page.byteOffset;
    let oldPtr = previous.byteOffset;
    const pageSlot = knownSlot(newPtr);
    const previousSlot = knownSlot(oldPtr);
    if (known[pageSlot] !== page || known[previousSlot] !== previous) {
      const pageBuffer = page.buffer;
      const previousBuffer = previous.buffer;
      if (pageBuffer !== lastPageBuffer || previousBuffer !== lastPreviousBuffer) {
        resolveArena(pageBuffer, previousBuffer);
      }
      const memory = arena!;
      if (pageInArena) known[pageSlot] = page;
      else {
        memory.bytes.set(page, memory.scratchNew);
        newPtr = memory.scratchNew;
      }
      if (previousInArena) known[previousSlot] = previous;
      else {
        memory.bytes.set(previous, memory.scratchOld);
        oldPtr = memory.scratchOld;
      }
    }
    if (out !== lastOut) {
      lastOut = out;
      outPtr = arenaOf(out.buffer) === arena ? out.byteOffset : -1;
    }
    const kernelLimit = Math.min(limit, MAX_KERNEL_LIMIT);
    if (outPtr >= 0) {
      return kernel!(oldPtr, newPtr, outPtr, Math.min(kernelLimit, out.length));
    }
    const memory = arena!;
    const result = kernel!(oldPtr, newPtr, memory.scratchOut, kernelLimit);
    if (result > 0) copyOut(memory, memory.scratchOut, out, result);
    return result;
  }

  // Copy the delta out of the arena's output area with one native copy. The source view for
  // each length is made once and kept (at most MAX_KERNEL_LIMIT per arena), so after warm-up
  // no page allocates; JS loops over wasm-memory-backed arrays measured 5-25x slower here.
  let outputViews: Uint8Array[] = [];
  function copyOut(memory: PageArena, from: number, out: Uint8Array, result: number): void {
    if (memory !== viewsArena) {
      viewsArena = memory;
      outputViews = (memory.attached.get("xbzrle-out") as Uint8Array[] | undefined) ?? [];
      memory.attached.set("xbzrle-out", outputViews);
    }
    let view = outputViews[result];
    if (view === undefined) {
      view = memory.bytes.subarray(from, from + result);
      outputViews[result] = view;
    }
    out.set(view);
  }
  let viewsArena: PageArena | null = null;

  const codec: PageCodec = {
    name: "xbzrle",
    encode(page, previous, out, limit) {
      // No cached copy: QEMU sends the page raw (save_xbzrle_page is only called on a hit).
      if (previous === null) return OVERFLOW;
      if (engine === "wasm-simd") return encodeWasm(page, previous, out, limit);
      return encodeJs(page, previous, out, limit, words);
    },
    decode,
    // ENCODING_FLAG_XBZRLE byte + be16 length (migration/ram.c save_xbzrle_page)
    wireBytes: (result) => recordWireBytes(result, 3),
  };
  if (engine === "wasm-simd") codec.arenaEncoder = arenaEncoder;
  return codec;
}

/**
 * The kernel on offsets into one arena (codecs/types.ts ArenaEncode). The checks keep the
 * kernel's reads and writes inside the memory: a page needs 16 readable bytes after it (the run
 * copy's vector loads), and the output area min(limit, MAX_KERNEL_LIMIT) bytes.
 */
function arenaEncoder(arena: PageArena): ArenaEncode {
  const kernel = kernelFor(arena);
  const size = arena.bytes.length;
  const lastPageAt = size - PAGE_SIZE - 16;
  return (pageAt, previousAt, outAt, limit) => {
    const kernelLimit = Math.min(limit, MAX_KERNEL_LIMIT);
    if (
      !(
        pageAt >>> 0 === pageAt &&
        pageAt <= lastPageAt &&
        previousAt >>> 0 === previousAt &&
        previousAt <= lastPageAt &&
        outAt >>> 0 === outAt &&
        (limit | 0) === limit &&
        outAt + kernelLimit <= size
      )
    ) {
      throw new RangeError(
        `xbzrle: page ${pageAt}, previous ${previousAt} or output ${outAt} + limit ${limit} lies outside the arena (${size} bytes)`,
      );
    }
    return kernel(previousAt, pageAt, outAt, kernelLimit);
  };
}

export const xbzrle: CodecDefinition = {
  name: "xbzrle",
  description: "QEMU's XBZRLE: zero runs and nonzero runs of old vs new, ULEB128 lengths",
  source: "QEMU migration/xbzrle.c xbzrle_encode_buffer()/xbzrle_decode_buffer() (≥ 1.2)",
  usesPrevious: true,
  detectsZeroPages: true,
  decodesInPlace: true,
  create: () => createXbzrle(),
};
