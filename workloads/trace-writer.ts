import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import { isZeroPage } from "../lib/zero-page.ts";
import {
  BLOCK,
  BLOCK_FLAG_LAST_IN_EPOCH,
  BLOCK_KIND_EPOCH,
  BLOCK_KIND_IMAGE,
  BLOCK_KIND_TOUCH,
  BLOCK_MAGIC,
  CHECKSUM_CRC32,
  COMPRESSION_DEFLATE_RAW,
  COMPRESSION_STORED,
  crc32,
  DEFAULT_PAGES_PER_BLOCK,
  DEFAULT_TIME_UNIT_NS,
  EPOCH_ENTRY,
  EPOCH_TOUCH_FLAG,
  FILE_MAGIC,
  FORMAT_VERSION,
  FORMAT_VERSION_CONTENT_ONLY,
  HEADER,
  INDEX,
  INDEX_MAGIC,
  MAX_PAGE_COUNT,
  MAX_RECORDS_PER_BLOCK,
  RECORD_ZERO_FLAG,
  secondsToTicks,
  TRACE_PAGE_SIZE,
  TRAILER,
  TRAILER_MAGIC,
  type TraceMetadata,
  writeU64,
} from "./trace-format.ts";

export interface TraceWriterOptions {
  /** Pages of RAM the trace describes. The recorder may raise it later (growPageCount). */
  readonly pageCount: number;
  /** Nanoseconds per timestamp tick; default 1000 (µs). */
  readonly timeUnitNs?: number;
  /** Page records per block (the unit of compression and of random access); default 32. */
  readonly pagesPerBlock?: number;
  /** Deflate level 0–9; default 6 (zlib's default). The recorder uses a faster one. */
  readonly level?: number;
  readonly metadata?: TraceMetadata;
}

export interface TraceWriteSummary {
  readonly path: string;
  readonly bytes: number;
  /** Epochs after the image, content and touch epochs together. */
  readonly epochs: number;
  /** Of those, touch epochs (format version 2). */
  readonly touchEpochs: number;
  readonly blocks: number;
  readonly imagePages: number;
  /** Page records of the content epochs. */
  readonly changedPages: number;
  /** Page records of the touch epochs. */
  readonly touches: number;
}

/**
 * Streams a trace to disk: the initial image first (addPage before any beginEpoch), then epochs
 * (beginEpoch · addPage… · endEpoch) and touch epochs (beginTouchEpoch · addTouch… · endEpoch),
 * interleaved, at strictly increasing times. Pages go in ascending order within the image and
 * within each epoch; a file with a touch epoch is format version 2, one without stays version 1; contents are copied, so callers may reuse their buffers. Memory is one block of
 * pages plus the index (a few numbers per block). The file appears under its name only when
 * finish() succeeds: it is written to PATH.tmp-PID and renamed.
 */
export class TraceWriter {
  readonly tmpPath: string;
  private readonly fd: number;
  private readonly timeUnitNs: number;
  private readonly pagesPerBlock: number;
  private readonly level: number;
  private pageCount: number;
  private metadata: Record<string, unknown>;
  private offset = HEADER.size;
  private finished = false;

  // The epoch being written (epoch 0 is the image, open from the start).
  private epoch = 0;
  private epochOpen = true;
  private epochIsTouch = false;
  private epochTicks = 0;
  private epochFirstBlock = 0;
  private epochRecords = 0;
  private epochZeroRecords = 0;
  private lastPage = -1;
  private maxPage = -1;

  // The block being filled.
  private readonly blockRecords: Uint32Array;
  private readonly blockContent: Buffer;
  private blockRecordCount = 0;
  private blockContentPages = 0;

  // The index, built as blocks are written.
  private readonly blockOffsets: number[] = [];
  private readonly epochTicksList: number[] = [];
  private readonly epochFirstBlocks: number[] = [];
  private readonly epochBlockCounts: number[] = [];
  private readonly epochRecordCounts: number[] = [];
  private readonly epochZeroCounts: number[] = [];
  private readonly epochTouchFlags: boolean[] = [];
  private totalChangedPages = 0;
  private totalTouches = 0;
  private touchEpochCount = 0;

  private constructor(
    readonly path: string,
    options: TraceWriterOptions,
  ) {
    this.timeUnitNs = options.timeUnitNs ?? DEFAULT_TIME_UNIT_NS;
    this.pagesPerBlock = options.pagesPerBlock ?? DEFAULT_PAGES_PER_BLOCK;
    this.level = options.level ?? 6;
    this.pageCount = options.pageCount;
    this.metadata = { ...(options.metadata ?? {}) };
    if (!Number.isInteger(this.timeUnitNs) || this.timeUnitNs < 1 || this.timeUnitNs > 0xffffffff)
      throw new RangeError(`time unit ${this.timeUnitNs} ns is not a positive u32`);
    if (
      !Number.isInteger(this.pagesPerBlock) ||
      this.pagesPerBlock < 1 ||
      this.pagesPerBlock > MAX_RECORDS_PER_BLOCK
    )
      throw new RangeError(`pagesPerBlock must be 1..${MAX_RECORDS_PER_BLOCK}`);
    this.checkPageCount(this.pageCount);
    this.blockRecords = new Uint32Array(this.pagesPerBlock);
    this.blockContent = Buffer.alloc(this.pagesPerBlock * TRACE_PAGE_SIZE);
    this.tmpPath = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.tmpPath, "w");
    // The header is rewritten by finish() (the page count may have grown); reserve it now.
    writeSync(this.fd, Buffer.alloc(HEADER.size), 0, HEADER.size, 0);
  }

  static create(path: string, options: TraceWriterOptions): TraceWriter {
    return new TraceWriter(path, options);
  }

  /** The epochs started after the image so far. */
  get epochCount(): number {
    return this.epoch;
  }

  /** Bytes written so far (header and blocks). */
  get bytesWritten(): number {
    return this.offset;
  }

  /** Raise the page count (the recorder appends mappings that appear while it runs). */
  growPageCount(pageCount: number): void {
    this.checkPageCount(pageCount);
    if (pageCount > this.pageCount) this.pageCount = pageCount;
  }

  /** Merge keys into the metadata stored in the index. */
  setMetadata(extra: TraceMetadata): void {
    this.metadata = { ...this.metadata, ...extra };
  }

  /**
   * Add a page to the open epoch (or the image): `bytes[offset, offset+4096)` is its content.
   * In the image zero pages are elided; in an epoch a page that became zero is a zero record.
   */
  addPage(page: number, bytes: Uint8Array, offset = 0): void {
    if (this.epochIsTouch)
      throw new Error("TraceWriter.addPage: a touch epoch is open (addTouch, or endEpoch first)");
    this.nextRecord(page, "addPage");
    const zero = isZeroPage(bytes, offset);
    if (zero && this.epoch === 0) return;
    if (page > this.maxPage) this.maxPage = page;
    if (zero) {
      this.blockRecords[this.blockRecordCount++] = (page | RECORD_ZERO_FLAG) >>> 0;
      this.epochZeroRecords++;
    } else {
      this.blockRecords[this.blockRecordCount++] = page;
      this.blockContent.set(
        bytes.subarray(offset, offset + TRACE_PAGE_SIZE),
        this.blockContentPages * TRACE_PAGE_SIZE,
      );
      this.blockContentPages++;
    }
    this.epochRecords++;
  }

  /**
   * Add a page to the open touch epoch: it was written at the epoch's time, and its content is
   * still that of its latest content record (docs/TRACE_FORMAT.md, "Replay").
   */
  addTouch(page: number): void {
    if (!this.epochIsTouch)
      throw new Error("TraceWriter.addTouch: no touch epoch is open (beginTouchEpoch first)");
    this.nextRecord(page, "addTouch");
    if (page > this.maxPage) this.maxPage = page;
    this.blockRecords[this.blockRecordCount++] = page;
    this.epochRecords++;
  }

  /** Close the image or the previous epoch and open an epoch at `timeS` seconds (> the last). */
  beginEpoch(timeS: number): void {
    this.openEpoch(timeS, false, "beginEpoch");
  }

  /** Open a touch epoch at `timeS` seconds (> the last): page records without content. */
  beginTouchEpoch(timeS: number): void {
    this.openEpoch(timeS, true, "beginTouchEpoch");
  }

  private openEpoch(timeS: number, touch: boolean, caller: string): void {
    if (this.epochOpen && this.epoch > 0)
      throw new Error(`TraceWriter.${caller}: the previous epoch is still open`);
    if (this.epochOpen) this.closeEpoch();
    const ticks = secondsToTicks(timeS, this.timeUnitNs);
    const previous = this.epochTicksList[this.epochTicksList.length - 1];
    if (!Number.isSafeInteger(ticks) || ticks <= previous)
      throw new RangeError(
        `epoch time ${timeS} s must be later than the previous epoch (${previous} ticks of ${this.timeUnitNs} ns)`,
      );
    this.epoch++;
    this.epochOpen = true;
    this.epochIsTouch = touch;
    this.epochTicks = ticks;
    this.epochFirstBlock = this.blockOffsets.length;
    this.epochRecords = 0;
    this.epochZeroRecords = 0;
    this.lastPage = -1;
  }

  endEpoch(): void {
    if (!this.epochOpen || this.epoch === 0)
      throw new Error("TraceWriter.endEpoch: no epoch is open");
    this.closeEpoch();
  }

  /** Write the index and trailer, sync, and rename the file into place. */
  finish(): TraceWriteSummary {
    if (this.finished) throw new Error("TraceWriter.finish: already finished");
    if (this.epochOpen) this.closeEpoch();
    if (this.maxPage >= this.pageCount)
      throw new RangeError(`page ${this.maxPage} is beyond the page count ${this.pageCount}`);
    const indexOffset = this.offset;
    const index = this.buildIndex();
    this.write(index);
    const trailer = Buffer.alloc(TRAILER.size);
    writeU64(trailer, indexOffset, TRAILER.indexOffset);
    trailer.writeUInt32LE(index.length, TRAILER.indexLength);
    trailer.writeUInt32LE(crc32(trailer, 0, TRAILER.crc), TRAILER.crc);
    trailer.write(TRAILER_MAGIC, TRAILER.magic, "latin1");
    this.write(trailer);
    writeSync(this.fd, this.buildHeader(), 0, HEADER.size, 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmpPath, this.path);
    this.finished = true;
    return {
      path: this.path,
      bytes: this.offset,
      epochs: this.epoch,
      touchEpochs: this.touchEpochCount,
      blocks: this.blockOffsets.length,
      imagePages: this.epochRecordCounts[0] ?? 0,
      changedPages: this.totalChangedPages,
      touches: this.totalTouches,
    };
  }

  /** Give up: close and delete the temporary file. */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      closeSync(this.fd);
    } catch {}
    rmSync(this.tmpPath, { force: true });
  }

  private checkPageCount(pageCount: number): void {
    if (!Number.isInteger(pageCount) || pageCount < 1 || pageCount > MAX_PAGE_COUNT)
      throw new RangeError(`page count ${pageCount} must be 1..${MAX_PAGE_COUNT}`);
  }

  /** Checks shared by addPage and addTouch; flushes a full block. */
  private nextRecord(page: number, caller: string): void {
    if (!this.epochOpen)
      throw new Error(`TraceWriter.${caller}: no epoch is open (beginEpoch first)`);
    if (!Number.isInteger(page) || page < 0 || page >= MAX_PAGE_COUNT)
      throw new RangeError(`page ${page} is out of range`);
    if (page <= this.lastPage)
      throw new RangeError(
        `pages must be added in ascending order within an epoch (${page} after ${this.lastPage})`,
      );
    this.lastPage = page;
    // Flush a full block only when another page arrives, so an epoch never ends with an empty
    // block (closeEpoch writes the remainder, flagged last-in-epoch).
    if (this.blockRecordCount === this.pagesPerBlock) this.flushBlock(false);
  }

  private closeEpoch(): void {
    this.flushBlock(true);
    this.epochTicksList.push(this.epochTicks);
    this.epochFirstBlocks.push(this.epochFirstBlock);
    this.epochBlockCounts.push(this.blockOffsets.length - this.epochFirstBlock);
    this.epochRecordCounts.push(this.epochRecords);
    this.epochZeroCounts.push(this.epochZeroRecords);
    this.epochTouchFlags.push(this.epochIsTouch);
    if (this.epochIsTouch) {
      this.totalTouches += this.epochRecords;
      this.touchEpochCount++;
    } else if (this.epoch > 0) this.totalChangedPages += this.epochRecords;
    this.epochOpen = false;
    this.epochIsTouch = false;
  }

  private flushBlock(lastInEpoch: boolean): void {
    // A non-final block is written only when full; an epoch with no pages still gets one empty
    // block so that every epoch has at least one (its time is then in the blocks too).
    const records = this.blockRecordCount;
    const rawLength = this.blockContentPages * TRACE_PAGE_SIZE;
    let compression = COMPRESSION_STORED;
    let stored: Buffer = this.blockContent.subarray(0, rawLength);
    if (rawLength > 0) {
      const deflated = deflateRawSync(stored, { level: this.level });
      if (deflated.length < rawLength) {
        compression = COMPRESSION_DEFLATE_RAW;
        stored = deflated;
      }
    }
    const recordBytes = Buffer.from(this.blockRecords.buffer, 0, records * 4);
    const header = Buffer.alloc(BLOCK.size);
    header.write(BLOCK_MAGIC, BLOCK.magic, "latin1");
    const kind =
      this.epoch === 0 ? BLOCK_KIND_IMAGE : this.epochIsTouch ? BLOCK_KIND_TOUCH : BLOCK_KIND_EPOCH;
    header.writeUInt8(kind, BLOCK.kind);
    header.writeUInt8(compression, BLOCK.compression);
    header.writeUInt8(lastInEpoch ? BLOCK_FLAG_LAST_IN_EPOCH : 0, BLOCK.flags);
    header.writeUInt32LE(this.epoch, BLOCK.epoch);
    header.writeUInt32LE(records, BLOCK.records);
    writeU64(header, this.epochTicks, BLOCK.timeTicks);
    header.writeUInt32LE(stored.length, BLOCK.storedLength);
    header.writeUInt32LE(rawLength, BLOCK.rawLength);
    header.writeUInt32LE(crc32(stored, 0, stored.length, crc32(recordBytes)), BLOCK.payloadCrc);
    header.writeUInt32LE(crc32(header, 0, BLOCK.headerCrc), BLOCK.headerCrc);
    this.blockOffsets.push(this.offset);
    // Records are written little-endian: Uint32Array is host-endian, and every platform Node
    // supports in practice is little-endian; assert rather than silently write the wrong bytes.
    if (!LITTLE_ENDIAN) throw new Error("TraceWriter needs a little-endian host");
    this.write(header);
    this.write(recordBytes);
    this.write(stored);
    this.blockRecordCount = 0;
    this.blockContentPages = 0;
  }

  private buildIndex(): Buffer {
    const epochs = this.epochTicksList.length;
    const blocks = this.blockOffsets.length;
    const metadata = Buffer.from(JSON.stringify(this.metadata), "utf8");
    const length = INDEX.fixedSize + epochs * EPOCH_ENTRY.size + blocks * 8 + metadata.length + 4;
    const index = Buffer.alloc(length);
    index.write(INDEX_MAGIC, INDEX.magic, "latin1");
    index.writeUInt32LE(epochs, INDEX.epochs);
    index.writeUInt32LE(blocks, INDEX.blocks);
    index.writeUInt32LE(metadata.length, INDEX.metadataLength);
    let at = INDEX.fixedSize;
    for (let e = 0; e < epochs; e++, at += EPOCH_ENTRY.size) {
      writeU64(index, this.epochTicksList[e], at + EPOCH_ENTRY.timeTicks);
      index.writeUInt32LE(this.epochFirstBlocks[e], at + EPOCH_ENTRY.firstBlock);
      const touchFlag = this.epochTouchFlags[e] ? EPOCH_TOUCH_FLAG : 0;
      index.writeUInt32LE(
        (this.epochBlockCounts[e] | touchFlag) >>> 0,
        at + EPOCH_ENTRY.blockCount,
      );
      index.writeUInt32LE(this.epochRecordCounts[e], at + EPOCH_ENTRY.records);
      index.writeUInt32LE(this.epochZeroCounts[e], at + EPOCH_ENTRY.zeroRecords);
    }
    for (let b = 0; b < blocks; b++, at += 8) writeU64(index, this.blockOffsets[b], at);
    metadata.copy(index, at);
    at += metadata.length;
    index.writeUInt32LE(crc32(index, 0, at), at);
    return index;
  }

  private buildHeader(): Buffer {
    const header = Buffer.alloc(HEADER.size);
    header.write(FILE_MAGIC, HEADER.magic, "latin1");
    // Version 1 unless a touch epoch needs 2: traces without one keep their version-1 bytes.
    const version = this.touchEpochCount > 0 ? FORMAT_VERSION : FORMAT_VERSION_CONTENT_ONLY;
    header.writeUInt16LE(version, HEADER.version);
    header.writeUInt16LE(HEADER.size, HEADER.headerSize);
    header.writeUInt32LE(TRACE_PAGE_SIZE, HEADER.pageSize);
    writeU64(header, this.pageCount, HEADER.pageCount);
    header.writeUInt32LE(this.timeUnitNs, HEADER.timeUnitNs);
    header.writeUInt8(CHECKSUM_CRC32, HEADER.checksum);
    header.writeUInt32LE(crc32(header, 0, HEADER.crc), HEADER.crc);
    return header;
  }

  private write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length)
      done += writeSync(this.fd, bytes, done, bytes.length - done, this.offset + done);
    this.offset += bytes.length;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
