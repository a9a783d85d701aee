import { hex, type TraceFile } from "./trace-file.ts";
import {
  BLOCK,
  BLOCK_MAGIC,
  CHECKSUM_CRC32,
  crc32,
  FILE_MAGIC,
  FORMAT_VERSION,
  HEADER,
  INDEX_MAGIC,
  MAX_PAGE_COUNT,
  readU64,
  TRACE_PAGE_SIZE,
  TRAILER,
  TRAILER_MAGIC,
  ticksToSeconds,
} from "./trace-format.ts";

/**
 * The two fixed-size ends of a trace (docs/TRACE_FORMAT.md "Header" and "Trailer"): the header
 * says what the file is, the trailer where its index is; a missing trailer is how a truncated
 * file shows, and describeEnd says where its data stops.
 */

/** What the header says about the trace. */
export interface TraceHeader {
  readonly version: number;
  readonly pageCount: number;
  readonly timeUnitNs: number;
}

/** Where the trailer places the index. */
export interface TraceTrailer {
  readonly indexOffset: number;
  readonly indexLength: number;
}

/** Check the header: magic and version first, so a foreign or newer file gets its own message. */
export function validateHeader(file: TraceFile): TraceHeader {
  const size = file.size;
  if (size === 0) file.fail("the file is empty, not a migbench trace", 0);
  const head = file.read(Math.min(size, HEADER.size), 0);
  const magicLength = Math.min(size, FILE_MAGIC.length);
  if (head.toString("latin1", 0, magicLength) !== FILE_MAGIC.slice(0, magicLength))
    file.fail(
      `not a migbench trace: the file starts with ${JSON.stringify(head.toString("latin1", 0, magicLength))}, expected the magic "${FILE_MAGIC}"`,
      0,
    );
  if (size < HEADER.size)
    file.fail(
      `truncated: the file is ${size} bytes, shorter than the ${HEADER.size}-byte header`,
      size,
    );
  const version = head.readUInt16LE(HEADER.version);
  if (version > FORMAT_VERSION)
    file.fail(
      `trace format version ${version} is newer than this migbench reads (version ${FORMAT_VERSION}); update migbench`,
      HEADER.version,
    );
  if (version < 1) file.fail(`unknown trace format version ${version}`, HEADER.version);
  const headerCrc = crc32(head, 0, HEADER.crc);
  if (headerCrc !== head.readUInt32LE(HEADER.crc))
    file.fail(
      `header checksum mismatch (stored ${hex(head.readUInt32LE(HEADER.crc))}, computed ${hex(headerCrc)}): the header is corrupt`,
      HEADER.crc,
    );
  if (head.readUInt16LE(HEADER.headerSize) !== HEADER.size)
    file.fail(
      `header size ${head.readUInt16LE(HEADER.headerSize)} is not ${HEADER.size}`,
      HEADER.headerSize,
    );
  const pageSize = head.readUInt32LE(HEADER.pageSize);
  if (pageSize !== TRACE_PAGE_SIZE)
    file.fail(`page size ${pageSize} is not supported (only ${TRACE_PAGE_SIZE})`, HEADER.pageSize);
  const pageCount = readU64(head, HEADER.pageCount);
  if (!(pageCount >= 1 && pageCount <= MAX_PAGE_COUNT))
    file.fail(`page count ${pageCount} is outside 1..${MAX_PAGE_COUNT}`, HEADER.pageCount);
  const timeUnitNs = head.readUInt32LE(HEADER.timeUnitNs);
  if (timeUnitNs === 0) file.fail("time unit is 0 ns", HEADER.timeUnitNs);
  if (head.readUInt8(HEADER.checksum) !== CHECKSUM_CRC32)
    file.fail(`unknown checksum algorithm ${head.readUInt8(HEADER.checksum)}`, HEADER.checksum);
  return { version, pageCount, timeUnitNs };
}

/** Check the trailer (after a valid header): its absence is how truncation shows. */
export function validateTrailer(file: TraceFile, header: TraceHeader): TraceTrailer {
  const trailerOffset = file.size - TRAILER.size;
  const trailer = trailerOffset >= HEADER.size ? file.read(TRAILER.size, trailerOffset) : null;
  if (trailer === null || trailer.toString("latin1", TRAILER.magic) !== TRAILER_MAGIC)
    file.fail(`truncated: ${describeEnd(file, header.timeUnitNs)}`, file.size);
  const trailerCrc = crc32(trailer, 0, TRAILER.crc);
  if (trailerCrc !== trailer.readUInt32LE(TRAILER.crc))
    file.fail(
      `trailer checksum mismatch (stored ${hex(trailer.readUInt32LE(TRAILER.crc))}, computed ${hex(trailerCrc)})`,
      trailerOffset + TRAILER.crc,
    );
  const indexOffset = readU64(trailer, TRAILER.indexOffset);
  const indexLength = trailer.readUInt32LE(TRAILER.indexLength);
  if (!(indexOffset >= HEADER.size) || indexOffset + indexLength !== trailerOffset)
    file.fail(
      `the trailer places the index at bytes ${indexOffset}+${indexLength}, which does not end where the trailer starts (${trailerOffset})`,
      trailerOffset,
    );
  return { indexOffset, indexLength };
}

/**
 * Why the trailer is missing: walk the blocks from the header to say where the data stops
 * (after which block and epoch, or inside which block), so a truncated recording can be told
 * from a file that is not a trace at all.
 */
function describeEnd(file: TraceFile, timeUnitNs: number): string {
  const size = file.size;
  const blockHeader = Buffer.alloc(BLOCK.size);
  let offset: number = HEADER.size;
  let blocks = 0;
  let lastEpoch = -1;
  let lastTicks = 0;
  while (offset + BLOCK.size <= size) {
    file.readInto(blockHeader, offset);
    if (
      blockHeader.toString("latin1", 0, 4) !== BLOCK_MAGIC ||
      crc32(blockHeader, 0, BLOCK.headerCrc) !== blockHeader.readUInt32LE(BLOCK.headerCrc)
    )
      break;
    const end =
      offset +
      BLOCK.size +
      blockHeader.readUInt32LE(BLOCK.records) * 4 +
      blockHeader.readUInt32LE(BLOCK.storedLength);
    if (end > size)
      return `the file ends at byte ${size}, inside block ${blocks} (epoch ${blockHeader.readUInt32LE(BLOCK.epoch)}) which needs bytes up to ${end}; the index and trailer are missing`;
    lastEpoch = blockHeader.readUInt32LE(BLOCK.epoch);
    lastTicks = readU64(blockHeader, BLOCK.timeTicks);
    blocks++;
    offset = end;
  }
  const after =
    blocks === 0
      ? "right after the header, before any block"
      : `after ${blocks} complete blocks (the last of epoch ${lastEpoch}, at ${ticksToSeconds(lastTicks, timeUnitNs)} s)`;
  let rest = "";
  if (offset < size) {
    const tail = Buffer.alloc(Math.min(4, size - offset));
    file.readInto(tail, offset);
    rest =
      tail.toString("latin1") === INDEX_MAGIC
        ? `, then ${size - offset} bytes of an incomplete index`
        : `, then ${size - offset} bytes that are not a block`;
  }
  return `the file ends at byte ${size} ${after}${rest}; the index and the "${TRAILER_MAGIC}" trailer are missing (the writer did not finish, or the file was cut)`;
}
