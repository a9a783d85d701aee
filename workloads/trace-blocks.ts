import { ReadAhead } from "./read-ahead.ts";
import { hex, type TraceFile } from "./trace-file.ts";
import {
  BLOCK,
  BLOCK_FLAG_LAST_IN_EPOCH,
  BLOCK_KIND_EPOCH,
  BLOCK_KIND_IMAGE,
  BLOCK_KIND_TOUCH,
  BLOCK_MAGIC,
  COMPRESSION_DEFLATE_RAW,
  COMPRESSION_STORED,
  crc32,
  MAX_RECORDS_PER_BLOCK,
  RECORD_PAGE_MASK,
  RECORD_ZERO_FLAG,
  readU64,
  TRACE_PAGE_SIZE,
} from "./trace-format.ts";
import type { TraceEpoch, TraceIndex } from "./trace-index.ts";

/**
 * The blocks of a trace (docs/TRACE_FORMAT.md "Blocks"), checked against the index in one
 * sequential read: every block's header, its payload checksum and its page records. What stays
 * in memory is the page records (4 bytes per page change) and where each block's content is.
 */

/** Every block's records and where its content lies, for TraceReader. */
export interface BlockTable {
  /** Every page record of every block, in file order (page | RECORD_ZERO_FLAG). */
  readonly records: Uint32Array;
  /** blockFirstRecord[b] = index in `records` of block b's first record; [blocks] = total. */
  readonly blockFirstRecord: Uint32Array;
  readonly blockStoredLengths: Uint32Array;
  readonly blockCompression: Uint8Array;
  /** Bytes of raw page content in the file (the uncompressed size of all blocks). */
  readonly rawContentBytes: number;
}

/** A block header's fields, once checked against the index. */
interface BlockHeader {
  readonly compression: number;
  readonly count: number;
  readonly storedLength: number;
  readonly rawLength: number;
}

/** The state of the one pass over the blocks: the table being filled and a reusable buffer. */
interface BlockPass {
  readonly file: TraceFile;
  /** The file's bytes, read ahead: the pass reads them front to back. */
  readonly reader: ReadAhead;
  readonly index: TraceIndex;
  readonly pageCount: number;
  readonly table: BlockTable & { rawContentBytes: number };
  readonly blockHeader: Buffer;
  payload: Buffer;
  recordCursor: number;
}

/** Pages seen so far in one epoch (records ascend across its blocks). */
interface EpochTally {
  lastPage: number;
  records: number;
  zeros: number;
}

/** Read every block, epoch by epoch, and check it against the index and the header. */
export function validateBlocks(file: TraceFile, index: TraceIndex, pageCount: number): BlockTable {
  const blockCount = index.blockOffsets.length;
  const pass: BlockPass = {
    file,
    reader: new ReadAhead(file),
    index,
    pageCount,
    table: {
      records: new Uint32Array(index.totalRecords),
      blockFirstRecord: new Uint32Array(blockCount + 1),
      blockStoredLengths: new Uint32Array(blockCount),
      blockCompression: new Uint8Array(blockCount),
      rawContentBytes: 0,
    },
    blockHeader: Buffer.alloc(BLOCK.size),
    payload: Buffer.alloc(64 * 1024),
    recordCursor: 0,
  };
  for (const epoch of index.epochs) {
    const tally: EpochTally = { lastPage: -1, records: 0, zeros: 0 };
    for (let b = epoch.firstBlock; b < epoch.firstBlock + epoch.blockCount; b++)
      validateBlock(pass, epoch, b, tally);
    if (tally.records !== epoch.records || tally.zeros !== epoch.zeroRecords)
      file.fail(
        `epoch ${epoch.index}: its blocks hold ${tally.records} pages (${tally.zeros} zero), the index says ${epoch.records} (${epoch.zeroRecords})`,
        index.blockOffsets[epoch.firstBlock],
      );
  }
  pass.table.blockFirstRecord[blockCount] = pass.recordCursor;
  return pass.table;
}

/** One block: header, payload checksum, records, and the lengths its records imply. */
function validateBlock(pass: BlockPass, epoch: TraceEpoch, b: number, tally: EpochTally): void {
  const { file, index, table } = pass;
  const offset = index.blockOffsets[b];
  const end = b + 1 < index.blockOffsets.length ? index.blockOffsets[b + 1] : index.offset;
  const name = `block ${b} (epoch ${epoch.index})`;
  const { compression, count, storedLength, rawLength } = checkBlockHeader(pass, epoch, b, name);
  const payloadLength = count * 4 + storedLength;
  if (offset + BLOCK.size + payloadLength !== end)
    file.fail(
      `${name}: header + ${count} records + ${storedLength} content bytes end at byte ${offset + BLOCK.size + payloadLength}, but the next part starts at ${end}`,
      offset + BLOCK.storedLength,
    );
  if (pass.payload.length < payloadLength) pass.payload = Buffer.alloc(payloadLength);
  const payload = pass.payload;
  pass.reader.readInto(payload.subarray(0, payloadLength), offset + BLOCK.size);
  const payloadCrc = crc32(payload, 0, payloadLength);
  const storedPayloadCrc = pass.blockHeader.readUInt32LE(BLOCK.payloadCrc);
  if (payloadCrc !== storedPayloadCrc)
    file.fail(
      `${name}: payload checksum mismatch (stored ${hex(storedPayloadCrc)}, computed ${hex(payloadCrc)}): bytes ${offset + BLOCK.size}..${end} are corrupt`,
      offset + BLOCK.size,
    );
  table.blockFirstRecord[b] = pass.recordCursor;
  const contentPages = copyRecords(pass, epoch, name, offset, count, tally);
  if (epoch.touch && (storedLength !== 0 || rawLength !== 0))
    file.fail(
      `${name}: a touch block carries no content, but it has ${storedLength} content bytes (${rawLength} raw)`,
      offset + BLOCK.storedLength,
    );
  if (rawLength !== contentPages * TRACE_PAGE_SIZE)
    file.fail(
      `${name}: raw length ${rawLength} is not 4096 × ${contentPages} non-zero pages`,
      offset + BLOCK.rawLength,
    );
  if (compression === COMPRESSION_STORED && storedLength !== rawLength)
    file.fail(
      `${name}: stored block of ${storedLength} bytes, expected ${rawLength}`,
      offset + BLOCK.storedLength,
    );
  table.rawContentBytes += rawLength;
  table.blockStoredLengths[b] = storedLength;
  table.blockCompression[b] = compression;
}

/** A block header: magic, checksum, and kind, epoch, time and last-block flag as the index says. */
function checkBlockHeader(
  pass: BlockPass,
  epoch: TraceEpoch,
  b: number,
  name: string,
): BlockHeader {
  const { file, blockHeader } = pass;
  const offset = pass.index.blockOffsets[b];
  pass.reader.readInto(blockHeader, offset);
  if (blockHeader.toString("latin1", 0, 4) !== BLOCK_MAGIC)
    file.fail(`${name}: expected the block magic "${BLOCK_MAGIC}"`, offset);
  const storedHeaderCrc = blockHeader.readUInt32LE(BLOCK.headerCrc);
  const headerCrc = crc32(blockHeader, 0, BLOCK.headerCrc);
  if (headerCrc !== storedHeaderCrc)
    file.fail(
      `${name}: block header checksum mismatch (stored ${hex(storedHeaderCrc)}, computed ${hex(headerCrc)})`,
      offset + BLOCK.headerCrc,
    );
  const kind = blockHeader.readUInt8(BLOCK.kind);
  if (kind !== blockKindOf(epoch))
    file.fail(
      `${name}: block kind ${kind} does not fit its epoch (${epoch.index === 0 ? "the image" : epoch.touch ? "a touch epoch" : "a content epoch"}: kind ${blockKindOf(epoch)})`,
      offset + BLOCK.kind,
    );
  if (blockHeader.readUInt32LE(BLOCK.epoch) !== epoch.index)
    file.fail(
      `${name}: the block says epoch ${blockHeader.readUInt32LE(BLOCK.epoch)}`,
      offset + BLOCK.epoch,
    );
  if (readU64(blockHeader, BLOCK.timeTicks) !== epoch.timeTicks)
    file.fail(`${name}: block time differs from the index's epoch time`, offset + BLOCK.timeTicks);
  const lastInEpoch = b === epoch.firstBlock + epoch.blockCount - 1;
  if (((blockHeader.readUInt8(BLOCK.flags) & BLOCK_FLAG_LAST_IN_EPOCH) !== 0) !== lastInEpoch)
    file.fail(`${name}: last-block-of-epoch flag is wrong`, offset + BLOCK.flags);
  const compression = blockHeader.readUInt8(BLOCK.compression);
  if (compression !== COMPRESSION_STORED && compression !== COMPRESSION_DEFLATE_RAW)
    file.fail(`${name}: unknown compression ${compression}`, offset + BLOCK.compression);
  const count = blockHeader.readUInt32LE(BLOCK.records);
  const storedLength = blockHeader.readUInt32LE(BLOCK.storedLength);
  const rawLength = blockHeader.readUInt32LE(BLOCK.rawLength);
  if (count > MAX_RECORDS_PER_BLOCK || pass.recordCursor + count > pass.index.totalRecords)
    file.fail(
      `${name}: ${count} page records is more than the index allows`,
      offset + BLOCK.records,
    );
  return { compression, count, storedLength, rawLength };
}

function blockKindOf(epoch: TraceEpoch): number {
  if (epoch.index === 0) return BLOCK_KIND_IMAGE;
  return epoch.touch ? BLOCK_KIND_TOUCH : BLOCK_KIND_EPOCH;
}

/**
 * Check the block's page records (in the payload buffer) and append them to the table: pages
 * below the page count, ascending within the epoch, and no zero record in the image (zero pages
 * are elided from it). Returns the number of non-zero records, whose pages have content.
 */
function copyRecords(
  pass: BlockPass,
  epoch: TraceEpoch,
  name: string,
  offset: number,
  count: number,
  tally: EpochTally,
): number {
  const { file, payload, pageCount, table } = pass;
  let contentPages = 0;
  for (let i = 0; i < count; i++) {
    const record = payload.readUInt32LE(i * 4);
    const page = record & RECORD_PAGE_MASK;
    const zero = (record & RECORD_ZERO_FLAG) !== 0;
    const recordOffset = offset + BLOCK.size + i * 4;
    if (page >= pageCount)
      file.fail(`${name}: page ${page} is beyond the page count ${pageCount}`, recordOffset);
    if (page <= tally.lastPage)
      file.fail(
        `${name}: page ${page} follows page ${tally.lastPage}; pages must ascend within an epoch`,
        recordOffset,
      );
    if (zero && epoch.index === 0)
      file.fail(`${name}: the image lists zero page ${page}`, recordOffset);
    if (zero && epoch.touch)
      file.fail(
        `${name}: touch record for page ${page} has the zero flag (bit 31); a touch carries no content`,
        recordOffset,
      );
    tally.lastPage = page;
    if (zero) tally.zeros++;
    else if (!epoch.touch) contentPages++;
    table.records[pass.recordCursor++] = record >>> 0;
  }
  tally.records += count;
  return contentPages;
}
