import { hex, type TraceFile } from "./trace-file.ts";
import {
  BLOCK,
  crc32,
  EPOCH_ENTRY,
  HEADER,
  INDEX,
  INDEX_MAGIC,
  MAX_RECORDS_PER_BLOCK,
  readU64,
  type TraceMetadata,
  ticksToSeconds,
} from "./trace-format.ts";
import type { TraceTrailer } from "./trace-header.ts";

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
  /** Pages changed in the epoch (for the image: its non-zero pages). */
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
  timeUnitNs: number,
): TraceIndex {
  const { indexOffset, indexLength } = trailer;
  if (indexLength < INDEX.fixedSize + 4)
    file.fail(`index of ${indexLength} bytes is too short`, indexOffset);
  const index = file.read(indexLength, indexOffset);
  const counts = checkIndexCounts(file, index, indexOffset);
  const { epochs, totalRecords } = readEpochTable(file, index, indexOffset, counts, timeUnitNs);
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
 * The epoch table: times strictly increasing from 0, each epoch's blocks starting where the
 * previous epoch's ended and together covering every block, and no more records than the blocks
 * can hold (which bounds what the block check allocates on a corrupt file).
 */
function readEpochTable(
  file: TraceFile,
  index: Buffer,
  indexOffset: number,
  { epochCount, blockCount }: IndexCounts,
  timeUnitNs: number,
): { epochs: TraceEpoch[]; totalRecords: number } {
  const epochs: TraceEpoch[] = [];
  let at = INDEX.fixedSize;
  let blocksSoFar = 0;
  let totalRecords = 0;
  for (let e = 0; e < epochCount; e++, at += EPOCH_ENTRY.size) {
    const where = indexOffset + at;
    const timeTicks = readU64(index, at + EPOCH_ENTRY.timeTicks);
    const firstBlock = index.readUInt32LE(at + EPOCH_ENTRY.firstBlock);
    const blocks = index.readUInt32LE(at + EPOCH_ENTRY.blockCount);
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
    blocksSoFar += blocks;
    totalRecords += records;
    const timeS = ticksToSeconds(timeTicks, timeUnitNs);
    epochs.push({
      index: e,
      timeTicks,
      timeS,
      firstBlock,
      blockCount: blocks,
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
