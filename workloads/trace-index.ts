import { hex, type TraceFile } from "./trace-file.ts";
import {
  BLOCK,
  crc32,
  EPOCH_ENTRY,
  EPOCH_TOUCH_FLAG,
  FORMAT_VERSION_CONTENT_ONLY,
  HEADER,
  INDEX,
  INDEX_MAGIC,
  MAX_RECORDS_PER_BLOCK,
  readU64,
  type TraceMetadata,
  ticksToSeconds,
} from "./trace-format.ts";
import type { TraceHeader, TraceTrailer } from "./trace-header.ts";

/**
 * The index of a trace (docs/TRACE_FORMAT.md "Index"): its fixed part, the epoch table, the
 * block offsets and the metadata, each checked in that order, the order they lie in the file.
 */

/** One epoch as the index describes it. Epoch 0 is the initial image, at time 0. */
export interface TraceEpoch {
  readonly index: number;
  readonly timeTicks: number;
  readonly timeS: number;
  readonly firstBlock: number;
  readonly blockCount: number;
  /**
   * A touch epoch (format version 2): its records say "written at this time" and carry no
   * content; its zeroRecords is 0. The image is never one.
   */
  readonly touch: boolean;
  /** Pages changed (or, in a touch epoch, written) in the epoch; the image: its non-zero pages. */
  readonly records: number;
  /** Of those, pages that became all zero. */
  readonly zeroRecords: number;
}

/** The index, checked: where every epoch's blocks are and where every block is. */
export interface TraceIndex {
  /** The index's own offset: blocks end where it begins. */
  readonly offset: number;
  readonly epochs: TraceEpoch[];
  readonly blockOffsets: Float64Array;
  /** Page records of all epochs (the sum of the epoch table's `records`). */
  readonly totalRecords: number;
  readonly metadata: TraceMetadata;
}

/** The index's fixed part: its counts, checked against its length. */
interface IndexCounts {
  readonly epochCount: number;
  readonly blockCount: number;
  readonly metadataLength: number;
}

/** Read and check the index the trailer points at. */
export function validateIndex(
  file: TraceFile,
  trailer: TraceTrailer,
  header: TraceHeader,
): TraceIndex {
  const { indexOffset, indexLength } = trailer;
  if (indexLength < INDEX.fixedSize + 4)
    file.fail(`index of ${indexLength} bytes is too short`, indexOffset);
  const index = file.read(indexLength, indexOffset);
  const counts = checkIndexCounts(file, index, indexOffset);
  const { epochs, totalRecords } = readEpochTable(file, index, indexOffset, counts, header);
  let at = INDEX.fixedSize + counts.epochCount * EPOCH_ENTRY.size;
  const blockOffsets = readBlockOffsets(file, index, indexOffset, counts.blockCount, at);
  at += counts.blockCount * 8;
  const metadata = readMetadata(file, index, indexOffset, at, counts.metadataLength);
  return { offset: indexOffset, epochs, blockOffsets, totalRecords, metadata };
}

/** Magic, checksum, and counts that add up to the index's length. */
function checkIndexCounts(file: TraceFile, index: Buffer, indexOffset: number): IndexCounts {
  const indexLength = index.length;
  if (index.toString("latin1", 0, 4) !== INDEX_MAGIC)
    file.fail(`expected the index magic "${INDEX_MAGIC}"`, indexOffset);
  const indexCrc = crc32(index, 0, indexLength - 4);
  if (indexCrc !== index.readUInt32LE(indexLength - 4))
    file.fail(
      `index checksum mismatch (stored ${hex(index.readUInt32LE(indexLength - 4))}, computed ${hex(indexCrc)}): the index is corrupt`,
      indexOffset + indexLength - 4,
    );
  const epochCount = index.readUInt32LE(INDEX.epochs);
  const blockCount = index.readUInt32LE(INDEX.blocks);
  const metadataLength = index.readUInt32LE(INDEX.metadataLength);
  const expectedLength =
    INDEX.fixedSize + epochCount * EPOCH_ENTRY.size + blockCount * 8 + metadataLength + 4;
  if (expectedLength !== indexLength)
    file.fail(
      `index counts (${epochCount} epochs, ${blockCount} blocks, ${metadataLength} metadata bytes) need ${expectedLength} bytes, the index has ${indexLength}`,
      indexOffset,
    );
  if (epochCount < 1)
    file.fail("the index lists no epochs (not even the image)", indexOffset + INDEX.epochs);
  return { epochCount, blockCount, metadataLength };
}

/**
 * The epoch table: times strictly increasing from 0 (content and touch epochs interleaved), each
 * epoch's blocks starting where the previous epoch's ended and together covering every block, no
 * more records than the blocks can hold (which bounds what the block check allocates on a
 * corrupt file), and touch epochs only after the image, without zero records, in version 2.
 */
function readEpochTable(
  file: TraceFile,
  index: Buffer,
  indexOffset: number,
  { epochCount, blockCount }: IndexCounts,
  { version, timeUnitNs }: TraceHeader,
): { epochs: TraceEpoch[]; totalRecords: number } {
  const epochs: TraceEpoch[] = [];
  let at = INDEX.fixedSize;
  let blocksSoFar = 0;
  let totalRecords = 0;
  for (let e = 0; e < epochCount; e++, at += EPOCH_ENTRY.size) {
    const where = indexOffset + at;
    const timeTicks = readU64(index, at + EPOCH_ENTRY.timeTicks);
    const firstBlock = index.readUInt32LE(at + EPOCH_ENTRY.firstBlock);
    const blocksField = index.readUInt32LE(at + EPOCH_ENTRY.blockCount);
    const touch = (blocksField & EPOCH_TOUCH_FLAG) !== 0;
    const blocks = blocksField & ~EPOCH_TOUCH_FLAG;
    const records = index.readUInt32LE(at + EPOCH_ENTRY.records);
    const zeroRecords = index.readUInt32LE(at + EPOCH_ENTRY.zeroRecords);
    if (e === 0 && timeTicks !== 0)
      file.fail(`the image (epoch 0) has time ${timeTicks}, not 0`, where);
    if (e > 0 && !(timeTicks > epochs[e - 1].timeTicks))
      file.fail(`epoch ${e} time ${timeTicks} ticks is not after epoch ${e - 1}'s`, where);
    if (firstBlock !== blocksSoFar || blocks < 1 || blocksSoFar + blocks > blockCount)
      file.fail(
        `epoch ${e} claims blocks ${firstBlock}+${blocks}; expected to start at ${blocksSoFar}`,
        where,
      );
    if (zeroRecords > records || (e === 0 && zeroRecords !== 0))
      file.fail(`epoch ${e} claims ${zeroRecords} zero pages of ${records}`, where);
    if (touch) checkTouchEntry(file, e, version, zeroRecords, where);
    blocksSoFar += blocks;
    totalRecords += records;
    const timeS = ticksToSeconds(timeTicks, timeUnitNs);
    epochs.push({
      index: e,
      timeTicks,
      timeS,
      firstBlock,
      blockCount: blocks,
      touch,
      records,
      zeroRecords,
    });
  }
  if (blocksSoFar !== blockCount)
    file.fail(
      `the epochs cover ${blocksSoFar} blocks, the index lists ${blockCount}`,
      indexOffset + INDEX.blocks,
    );
  if (totalRecords > blockCount * MAX_RECORDS_PER_BLOCK)
    file.fail(
      `the epochs claim ${totalRecords} page records, more than ${blockCount} blocks can hold`,
      indexOffset,
    );
  return { epochs, totalRecords };
}

/** A touch epoch's entry: version 2, after the image, without zero records. */
function checkTouchEntry(
  file: TraceFile,
  e: number,
  version: number,
  zeroRecords: number,
  where: number,
): void {
  const at = where + EPOCH_ENTRY.blockCount;
  if (version === FORMAT_VERSION_CONTENT_ONLY)
    file.fail(`epoch ${e} is flagged as a touch epoch, which format version 1 does not have`, at);
  if (e === 0) file.fail("the image (epoch 0) is flagged as a touch epoch", at);
  if (zeroRecords !== 0)
    file.fail(
      `touch epoch ${e} claims ${zeroRecords} zero pages; a touch carries no content`,
      where + EPOCH_ENTRY.zeroRecords,
    );
}

/** Block offsets: ascending, the first right after the header, all before the index. */
function readBlockOffsets(
  file: TraceFile,
  index: Buffer,
  indexOffset: number,
  blockCount: number,
  at: number,
): Float64Array {
  const blockOffsets = new Float64Array(blockCount);
  for (let b = 0; b < blockCount; b++, at += 8) {
    const offset = readU64(index, at);
    const previous = b === 0 ? -1 : blockOffsets[b - 1];
    if (
      !(offset > previous && offset + BLOCK.size <= indexOffset) ||
      (b === 0 && offset !== HEADER.size)
    )
      file.fail(
        `block ${b} offset ${offset} is out of order or outside the block area`,
        indexOffset + at,
      );
    blockOffsets[b] = offset;
  }
  return blockOffsets;
}

/** The metadata: a JSON object (its keys are for people and `trace info`). */
function readMetadata(
  file: TraceFile,
  index: Buffer,
  indexOffset: number,
  at: number,
  metadataLength: number,
): TraceMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(index.toString("utf8", at, at + metadataLength));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
  } catch (error) {
    file.fail(
      `the index metadata is not a JSON object (${(error as Error).message})`,
      indexOffset + at,
    );
  }
  return parsed as TraceMetadata;
}
