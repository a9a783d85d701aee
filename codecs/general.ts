import { createRequire } from "node:module";
import {
  deflateRawSync,
  InflateRaw,
  type ZlibOptions,
  constants as zlibConstants,
} from "node:zlib";
import { compressSync as lz4CompressSync, uncompressSync as lz4UncompressSync } from "lz4-napi";
import type * as ZstdBinding from "zstd-napi/binding.js";
import { installedVersion } from "../lib/machine.ts";
import {
  type CodecDefinition,
  CodecError,
  OVERFLOW,
  PAGE_SIZE,
  type PageCodec,
  recordWireBytes,
  UNCHANGED,
} from "./types.ts";
import { PageXor } from "./xor-page.ts";

/**
 * General-purpose compressors for comparison (docs/SOURCES.md#patches; the Aug 2011 qemu-devel codec
 * table compared lzo/snappy/zlib on the raw page and after XOR; QEMU's multifd offers zlib and
 * zstd today): `lz4`, `zstd`, `deflate` on the page, and `xor+lz4`, `xor+zstd`, `xor+deflate`
 * on the XOR of the page with its cached copy.
 *
 * Wire, for all six: QEMU's 8-byte page header + 1 type byte + be16 length + the compressed
 * payload — the shape of QEMU's XBZRLE record (save_xbzrle_page: ENCODING_FLAG byte + be16
 * length), so the sizes compare like for like with xbzrle. A payload that would exceed the
 * limit is OVERFLOW (sent as a raw record). The xor+ codecs return UNCHANGED for an identical
 * page and OVERFLOW when there is no cached copy (the page goes raw, like an XBZRLE miss).
 *
 * Allocation: lz4-napi and node:zlib's deflateRawSync return a fresh Buffer from every call —
 * that allocation is inside the library and cannot be avoided through their APIs. The deflate
 * decoders reuse one native inflate stream per codec instance (see reusableInflater). zstd goes
 * through
 * zstd-napi's low-level CCtx/DCtx, which compress and decompress into caller-owned buffers, so
 * zstd allocates nothing per page. Our own scratch (the XOR page, zstd's bounded output, the
 * lz4 input with its size prefix) is allocated once per codec instance and reused.
 *
 * Decoders: any error from the library → CodecError, and so is an output that is not exactly
 * 4096 bytes.
 */

/** A codec family's compression levels, as lzbench lists them per compressor. */
export interface LevelRange {
  readonly min: number;
  readonly max: number;
  /** The level the codec's plain name stands for (`zstd` is `zstd:1`). */
  readonly default: number;
}

/**
 * Raw deflate (no zlib/gzip wrapper), levels 0 to 9 as zlib and QEMU's multifd-zlib-level take
 * them (0 stores: every page overflows). The default, 1, is QEMU's multifd-zlib-level default.
 */
export const DEFLATE_LEVELS: LevelRange = { min: 0, max: 9, default: 1 };

/** Bytes after QEMU's page header: 1 type byte + be16 payload length. */
export const COMPRESSED_RECORD_HEADER_BYTES = 3;

// zstd-napi's low-level binding is CommonJS with a .d.ts of its own; load it with require so
// the named classes resolve (ESM named imports of it fail at run time).
const zstd = createRequire(import.meta.url)("zstd-napi/binding.js") as typeof ZstdBinding;

/**
 * zstd levels 1 to ZSTD_maxCLevel() (22 in zstd 1.5). The default, 1, is QEMU's multifd-zstd-level default
 * (migration/options.c), the level a user of QEMU compression would run. Level 0 would mean
 * zstd's own default (3) under another name, and the negative "fast" levels are left out.
 * zstd-napi's CCtx.compress wraps ZSTD_compressCCtx; frames carry zstd's magic number and frame
 * header (content size 4096), as multifd sends them.
 */
export const ZSTD_LEVELS: LevelRange = { min: 1, max: zstd.maxCLevel(), default: 1 };

/** The compression libraries behind these codecs, with their versions (benchmark records). */
export function compressorVersions(): Record<string, string | null> {
  return {
    zstd: zstd.versionString(),
    "zstd-napi": installedVersion("zstd-napi"),
    zlib: process.versions.zlib ?? null,
    "lz4-napi": installedVersion("lz4-napi"),
  };
}

/** One compressor: compress a page into `out` (≤ limit) or decompress into `page`. */
interface PageCompressor {
  /** Compress PAGE_SIZE bytes of `input` into `out`; returns the length, or OVERFLOW if > limit. */
  compress(input: Uint8Array, out: Uint8Array, limit: number): number;
  /** Decompress `encoded` into `page`; throws CodecError unless it yields exactly PAGE_SIZE. */
  decompress(encoded: Uint8Array, page: Uint8Array): void;
}

function copyInto(source: Uint8Array, length: number, out: Uint8Array): void {
  for (let i = 0; i < length; i++) out[i] = source[i];
}

function wrongSize(codec: string, encoded: Uint8Array, size: number): CodecError {
  return new CodecError(codec, encoded.length, `decoded to ${size} bytes, not ${PAGE_SIZE}`);
}

function libraryError(codec: string, encoded: Uint8Array, error: unknown): CodecError {
  const message = error instanceof Error ? error.message : String(error);
  return new CodecError(codec, encoded.length, `malformed input: ${message.split("\n")[0]}`);
}

/**
 * lz4 block format via lz4-napi (lz4_flex). Its compressSync prepends the uncompressed size as
 * a u32 LE; that prefix is always 4096 here, so it is not sent (the payload is the bare lz4
 * block) and the decoder puts it back. Putting back a known size, rather than trusting one from
 * the stream, also keeps a hostile stream from asking for a huge output buffer.
 */
function lz4Compressor(codec: string): PageCompressor {
  const withPrefix = new Uint8Array(4 + PAGE_SIZE * 2);
  new DataView(withPrefix.buffer).setUint32(0, PAGE_SIZE, true);
  return {
    compress(input, out, limit) {
      const compressed = lz4CompressSync(input as Buffer);
      const length = compressed.length - 4;
      if (length > limit) return OVERFLOW;
      out.set(compressed.subarray(4));
      return length;
    },
    decompress(encoded, page) {
      if (encoded.length > withPrefix.length - 4) {
        throw new CodecError(codec, encoded.length, "longer than any lz4 block of one page");
      }
      withPrefix.set(encoded, 4);
      let result: Buffer;
      try {
        result = lz4UncompressSync(withPrefix.subarray(0, 4 + encoded.length));
      } catch (error) {
        throw libraryError(codec, encoded, error);
      }
      if (result.length !== PAGE_SIZE) throw wrongSize(codec, encoded, result.length);
      page.set(result);
    },
  };
}

/** zstd frames via zstd-napi's CCtx/DCtx, into caller-owned buffers (no allocation). */
function zstdCompressor(codec: string, level: number): PageCompressor {
  const cctx = new zstd.CCtx();
  const dctx = new zstd.DCtx();
  const bounded = new Uint8Array(zstd.compressBound(PAGE_SIZE));
  return {
    compress(input, out, limit) {
      const length = cctx.compress(bounded, input, level);
      if (length > limit) return OVERFLOW;
      copyInto(bounded, length, out);
      return length;
    },
    decompress(encoded, page) {
      let size: number;
      try {
        size = dctx.decompress(page, encoded);
      } catch (error) {
        throw libraryError(codec, encoded, error);
      }
      if (size !== PAGE_SIZE) throw wrongSize(codec, encoded, size);
    },
  };
}

/**
 * The native half of a node:zlib stream (`engine._handle`): the calls processChunkSync in Node's
 * lib/zlib.js makes for inflateRawSync. Node does not document it, so reusableInflater checks
 * that it is there and fails loudly otherwise; test/robustness/decoders.test.ts compares every
 * outcome with inflateRawSync's, so a Node upgrade that changes it fails there first.
 */
interface ZlibHandle {
  reset(): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inputOffset: number,
    inputLength: number,
    output: Uint8Array,
    outputOffset: number,
    outputLength: number,
  ): void;
  onerror: (message: string, errno: number) => void;
}

/** inflateRaw(encoded) → bytes written into `output`; throws the zlib message on an error. */
type Inflater = (encoded: Uint8Array, output: Uint8Array) => number;

/**
 * Raw inflate on one reused native zlib stream, reset before each input.
 *
 * Why not inflateRawSync: on a malformed stream, zlib's error callback (zlibOnError in Node's
 * lib/zlib.js) destroys the one-shot engine, and stream destroy emits 'error'/'close' on
 * process.nextTick. Those callbacks keep the engine (its 16 KiB output chunk and native state)
 * reachable until the tick queue drains, which never happens inside a synchronous decode loop:
 * every rejected stream kept ~16 KiB of external memory (fuzz:codecs reached 3.1 GB RSS in 200k
 * cases). Here the error callback only records the message, and reset() (zlib's inflateReset,
 * which also forgets the window, so no history leaks from one page to the next) makes the stream
 * usable again; nothing is allocated per call.
 *
 * Outcomes equal inflateRawSync's: the same zlib inflate() with Z_FINISH, and the same success
 * test as Node's ZlibContext::GetErrorInfo (Z_OK/Z_BUF_ERROR with output room left is
 * "unexpected end of file"; Z_STREAM_END is success even with input left over).
 */
function reusableInflater(): Inflater {
  const engine = new InflateRaw() as InflateRaw & {
    _handle?: ZlibHandle;
    _writeState?: Uint32Array;
  };
  const handle = engine._handle;
  const writeState = engine._writeState;
  if (
    typeof handle?.writeSync !== "function" ||
    typeof handle.reset !== "function" ||
    !(writeState instanceof Uint32Array)
  ) {
    throw new Error(
      `node:zlib internals changed in Node ${process.version}: InflateRaw has no _handle.writeSync/_writeState`,
    );
  }
  let failure: string | null = null;
  handle.onerror = (message) => {
    failure = message;
  };
  return (encoded, output) => {
    failure = null;
    handle.reset();
    handle.writeSync(zlibConstants.Z_FINISH, encoded, 0, encoded.length, output, 0, output.length);
    if (failure !== null) throw new Error(failure);
    // writeState[0] is avail_out after the call (UpdateWriteResult in Node's node_zlib.cc).
    return output.length - writeState[0];
  };
}

/** Raw deflate via node:zlib: deflateRawSync to encode, a reused inflate stream to decode. */
function deflateCompressor(codec: string, level: number): PageCompressor {
  const options: ZlibOptions = { level };
  let inflate: Inflater | null = null;
  // One byte more than a page: a stream that inflates past a page fills it and is rejected,
  // without zlib stopping at exactly PAGE_SIZE and hiding the excess (inflateRawSync's
  // maxOutputLength did the same job before).
  const inflated = new Uint8Array(PAGE_SIZE + 1);
  const inflatedPage = inflated.subarray(0, PAGE_SIZE);
  return {
    compress(input, out, limit) {
      const compressed = deflateRawSync(input, options);
      if (compressed.length > limit) return OVERFLOW;
      out.set(compressed);
      return compressed.length;
    },
    decompress(encoded, page) {
      inflate ??= reusableInflater();
      let size: number;
      try {
        size = inflate(encoded, inflated);
      } catch (error) {
        throw libraryError(codec, encoded, error);
      }
      if (size !== PAGE_SIZE) {
        if (size > PAGE_SIZE) {
          throw new CodecError(codec, encoded.length, `inflates to more than ${PAGE_SIZE} bytes`);
        }
        throw wrongSize(codec, encoded, size);
      }
      page.set(inflatedPage);
    },
  };
}

function compressedWireBytes(result: number): number {
  return recordWireBytes(result, COMPRESSED_RECORD_HEADER_BYTES);
}

/** A general compressor on the page itself; the cached copy is not used. */
function plainCodec(name: string, make: (codec: string) => PageCompressor): PageCodec {
  const compressor = make(name);
  return {
    name,
    encode(page, _previous, out, limit) {
      return compressor.compress(page, out, limit);
    },
    decode(encoded, _previous, page) {
      compressor.decompress(encoded, page);
    },
    wireBytes: compressedWireBytes,
  };
}

/** A general compressor on the XOR of the page with its cached copy. */
function xorCodec(name: string, make: (codec: string) => PageCompressor): PageCodec {
  const compressor = make(name);
  const pageXor = new PageXor();
  const xorPage = new Uint8Array(PAGE_SIZE);
  return {
    name,
    encode(page, previous, out, limit) {
      if (previous === null) return OVERFLOW;
      if (pageXor.xor(previous, page, xorPage)) return UNCHANGED;
      return compressor.compress(xorPage, out, limit);
    },
    decode(encoded, previous, page) {
      if (previous === null) throw new CodecError(name, 0, "no cached previous page to XOR");
      compressor.decompress(encoded, xorPage);
      pageXor.xor(previous, xorPage, page);
    },
    wireBytes: compressedWireBytes,
  };
}

function definition(
  name: string,
  usesPrevious: boolean,
  description: string,
  source: string,
  create: () => PageCodec,
): CodecDefinition {
  return {
    name,
    description,
    source,
    usesPrevious,
    detectsZeroPages: true,
    decodesInPlace: true,
    create,
  };
}

const LZ4_SOURCE = "lz4 block format via lz4-napi (lz4_flex); Aug 2011 qemu-devel codec table";

/** A codec family that differs only in its compression level: `zstd`, `zstd:3`, ... */
export interface LeveledCodec {
  readonly levels: LevelRange;
  /** The codec at `level`, named as its family at the default level and `NAME:LEVEL` otherwise. */
  at(level: number): CodecDefinition;
}

function leveled(
  family: string,
  usesPrevious: boolean,
  levels: LevelRange,
  describe: (level: number) => string,
  source: (level: number) => string,
  compressor: (codec: string, level: number) => PageCompressor,
): LeveledCodec {
  // One definition per level, so `zstd:1` is the very `zstd` of the codec table.
  const made = new Map<number, CodecDefinition>();
  return {
    levels,
    at(level) {
      if (!Number.isInteger(level) || level < levels.min || level > levels.max) {
        throw new RangeError(`${family} has levels ${levels.min} to ${levels.max}, not ${level}`);
      }
      const name = level === levels.default ? family : `${family}:${level}`;
      const make = (codec: string) => compressor(codec, level);
      const codec =
        made.get(level) ??
        definition(name, usesPrevious, describe(level), source(level), () =>
          usesPrevious ? xorCodec(name, make) : plainCodec(name, make),
        );
      made.set(level, codec);
      return codec;
    },
  };
}

const zstdSource = (level: number) =>
  `zstd level ${level} via zstd-napi${level === ZSTD_LEVELS.default ? "; QEMU multifd-zstd default level" : ""}`;
const deflateSource = (level: number) =>
  `raw deflate level ${level} via node:zlib${level === DEFLATE_LEVELS.default ? "; QEMU multifd-zlib default level" : ""}`;

/** The codecs that take a level, by family name (`--codec zstd:3` on bench:codecs). */
export const leveledCodecs: Readonly<Record<string, LeveledCodec>> = {
  zstd: leveled(
    "zstd",
    false,
    ZSTD_LEVELS,
    (level) => `zstd level ${level} on the page`,
    zstdSource,
    zstdCompressor,
  ),
  deflate: leveled(
    "deflate",
    false,
    DEFLATE_LEVELS,
    (level) => `raw deflate level ${level} on the page`,
    deflateSource,
    deflateCompressor,
  ),
  "xor+zstd": leveled(
    "xor+zstd",
    true,
    ZSTD_LEVELS,
    (level) => `zstd level ${level} on the XOR with the cached page`,
    zstdSource,
    zstdCompressor,
  ),
  "xor+deflate": leveled(
    "xor+deflate",
    true,
    DEFLATE_LEVELS,
    (level) => `raw deflate level ${level} on the XOR with the cached page`,
    deflateSource,
    deflateCompressor,
  ),
};

export const lz4 = definition("lz4", false, "lz4 block on the page", LZ4_SOURCE, () =>
  plainCodec("lz4", lz4Compressor),
);
export const zstdCodec = leveledCodecs.zstd.at(ZSTD_LEVELS.default);
export const deflate = leveledCodecs.deflate.at(DEFLATE_LEVELS.default);
export const xorLz4 = definition(
  "xor+lz4",
  true,
  "lz4 block on the XOR with the cached page",
  LZ4_SOURCE,
  () => xorCodec("xor+lz4", lz4Compressor),
);
export const xorZstd = leveledCodecs["xor+zstd"].at(ZSTD_LEVELS.default);
export const xorDeflate = leveledCodecs["xor+deflate"].at(DEFLATE_LEVELS.default);

/** The six, in table order. */
export const generalCodecs: readonly CodecDefinition[] = [
  lz4,
  zstdCodec,
  deflate,
  xorLz4,
  xorZstd,
  xorDeflate,
];
