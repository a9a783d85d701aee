import { crc32 as zlibCrc32 } from "node:zlib";
/**
 * The migbench trace format, versions 1 and 2: the constants, the byte layout of every fixed-size part
 * and the checksum. docs/TRACE_FORMAT.md describes the same layout for people; the writer
 * (trace-writer.ts) and the reader (trace-reader.ts) both take their offsets from here, so the
 * two cannot drift apart.
 *
 * File = header · blocks · index · trailer, all integers little-endian:
 * - header (64 bytes): magic, version, page size, page count, time unit, CRC32.
 * - blocks: the initial image (epoch 0, time 0, zero pages elided) and then each epoch (the pages
 *   whose content changed since the previous epoch), cut into blocks of at most
 *   `pagesPerBlock` page records. A block = 40-byte header, the page records (u32 each, stored
 *   uncompressed so a reader learns which pages a block holds without inflating it) and the
 *   page contents, compressed with raw deflate (RFC 1951) as one stream. Version 2 adds touch
 *   epochs: records only, "these pages were written at this time", no content.
 * - index: one entry per epoch (time, first block, block count, page counts), one offset per
 *   block, and a UTF-8 JSON metadata object (what was recorded, how), with a CRC32.
 * - trailer (24 bytes): where the index is, its CRC32, and an end magic, so a reader can tell a
 *   complete file from a truncated one by looking at the last 24 bytes.
 */

/** "MIGTRACE": the first 8 bytes of every trace. */
export const FILE_MAGIC = "MIGTRACE";
/**
 * The newest format version this code reads. Version 2 adds touch epochs (BLOCK_KIND_TOUCH,
 * EPOCH_TOUCH_FLAG); the writer writes version 1 when a trace has none, so a trace without them
 * is the same bytes as before version 2 existed.
 */
export const FORMAT_VERSION = 2;
/** The version of a trace without touch epochs. */
export const FORMAT_VERSION_CONTENT_ONLY = 1;
/** Pages are x86's 4 KiB, the size QEMU migrates (codecs/types.ts PAGE_SIZE). */
export const TRACE_PAGE_SIZE = 4096;
/** Checksum algorithm id 1: CRC-32/ISO-HDLC (zlib's crc32, gzip, PNG). */
export const CHECKSUM_CRC32 = 1;
/** Block payload encodings. */
export const COMPRESSION_STORED = 0;
export const COMPRESSION_DEFLATE_RAW = 1;
/** Block kinds. */
export const BLOCK_KIND_IMAGE = 0;
export const BLOCK_KIND_EPOCH = 1;
/** A touch epoch's block (version 2): page records only ("written at this time"), no content. */
export const BLOCK_KIND_TOUCH = 2;
/** Block flag: this is the last block of its epoch. */
export const BLOCK_FLAG_LAST_IN_EPOCH = 1;
/** Page record bit 31: the page is all zero now; no content bytes follow for it. */
export const RECORD_ZERO_FLAG = 0x8000_0000;
export const RECORD_PAGE_MASK = 0x7fff_ffff;
/** Page numbers are 31 bits: up to 2^31 pages = 8 TiB of RAM. */
export const MAX_PAGE_COUNT = 0x8000_0000;
/** A reader refuses blocks with more records than this (bounds its memory on a corrupt file). */
export const MAX_RECORDS_PER_BLOCK = 4096;
/** The writer's default: 32 pages (128 KiB raw) per block, the unit of random access. */
export const DEFAULT_PAGES_PER_BLOCK = 32;
/** The recorder's and importer's default time unit: microseconds. */
export const DEFAULT_TIME_UNIT_NS = 1000;

export const HEADER = {
  size: 64,
  magic: 0, // 8 bytes ASCII
  version: 8, // u16
  headerSize: 10, // u16, = 64
  pageSize: 12, // u32, = 4096
  pageCount: 16, // u64
  timeUnitNs: 24, // u32, nanoseconds per timestamp tick
  checksum: 28, // u8, = CHECKSUM_CRC32
  // 29..59 reserved, written as zero
  crc: 60, // u32, CRC32 of bytes 0..59
} as const;

export const BLOCK_MAGIC = "MTBK";
export const BLOCK = {
  size: 40,
  magic: 0, // 4 bytes ASCII
  kind: 4, // u8
  compression: 5, // u8
  flags: 6, // u8
  // 7 reserved
  epoch: 8, // u32
  records: 12, // u32
  timeTicks: 16, // u64
  storedLength: 24, // u32, bytes of compressed content after the records
  rawLength: 28, // u32, = 4096 × non-zero records
  payloadCrc: 32, // u32, CRC32 of the records and the stored content
  headerCrc: 36, // u32, CRC32 of bytes 0..35
} as const;

export const INDEX_MAGIC = "MTIX";
export const INDEX = {
  fixedSize: 16,
  magic: 0, // 4 bytes ASCII
  epochs: 4, // u32, entries including the image (epoch 0)
  blocks: 8, // u32
  metadataLength: 12, // u32
  // then epochs × EPOCH_ENTRY, blocks × u64 offset, metadata bytes, u32 CRC32 of all before it
} as const;

export const EPOCH_ENTRY = {
  size: 24,
  timeTicks: 0, // u64
  firstBlock: 8, // u32
  blockCount: 12, // u32: bits 0..30 the block count, bit 31 EPOCH_TOUCH_FLAG (version 2)
  records: 16, // u32, pages changed (image: non-zero pages)
  zeroRecords: 20, // u32, of which became all-zero
} as const;

/** Epoch entry blockCount bit 31 (version 2): a touch epoch, so readers know without its blocks. */
export const EPOCH_TOUCH_FLAG = 0x8000_0000;

export const TRAILER_MAGIC = "MTRC-END";
export const TRAILER = {
  size: 24,
  indexOffset: 0, // u64
  indexLength: 8, // u32, including its CRC
  crc: 12, // u32, CRC32 of bytes 0..11
  magic: 16, // 8 bytes ASCII
} as const;

/** What a trace says about itself in the index's metadata JSON (all fields optional). */
export interface TraceMetadata {
  /** "record", "import", "test", … */
  readonly source?: string;
  readonly [key: string]: unknown;
}

// --- CRC32 -----------------------------------------------------------------------------------

/**
 * CRC32 (CRC-32/ISO-HDLC, zlib's) of bytes[start, end), continuing from `crc` (0 for a fresh
 * checksum): node:zlib's native crc32 (Node ≥ 20.15) on a view of the range.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  return zlibCrc32(bytes.subarray(start, end), crc);
}

/** Seconds → ticks of `timeUnitNs` nanoseconds, rounded to the nearest tick. */
export function secondsToTicks(seconds: number, timeUnitNs: number): number {
  return Math.round((seconds * 1e9) / timeUnitNs);
}

export function ticksToSeconds(ticks: number, timeUnitNs: number): number {
  return (ticks * timeUnitNs) / 1e9;
}

/** Writes a non-negative safe integer as u64 little-endian. */
export function writeU64(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32LE(value % 0x1_0000_0000, offset);
  buffer.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4);
}

/** Reads a u64 little-endian; values above 2^53 come back as NaN for the caller to reject. */
export function readU64(buffer: Buffer, offset: number): number {
  const low = buffer.readUInt32LE(offset);
  const high = buffer.readUInt32LE(offset + 4);
  if (high >= 0x20_0000) return Number.NaN;
  return high * 0x1_0000_0000 + low;
}
