import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import { InputError } from "../lib/errors.ts";
import {
  BLOCK,
  BLOCK_FLAG_LAST_IN_EPOCH,
  BLOCK_KIND_EPOCH,
  BLOCK_KIND_IMAGE,
  BLOCK_MAGIC,
  CHECKSUM_CRC32,
  COMPRESSION_DEFLATE_RAW,
  COMPRESSION_STORED,
  crc32,
  EPOCH_ENTRY,
  FILE_MAGIC,
  FORMAT_VERSION,
  HEADER,
  INDEX,
  INDEX_MAGIC,
  MAX_PAGE_COUNT,
  MAX_RECORDS_PER_BLOCK,
  RECORD_PAGE_MASK,
  RECORD_ZERO_FLAG,
  readU64,
  TRACE_PAGE_SIZE,
  TRAILER,
  TRAILER_MAGIC,
  type TraceMetadata,
  ticksToSeconds,
} from "./trace-format.ts";

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

/** Decompressed block contents kept for random access; blocks are immutable, so readers share. */
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Opens a trace and validates all of it before returning: header, trailer, index, and every
 * block's header, records and checksum (one sequential read of the file). Any problem is one
 * InputError naming the file, the byte offset and what is wrong. Afterwards it answers
 * "which pages does epoch e change" from memory (4 bytes per page record) and "what is in
 * record r" by inflating its block on demand (an LRU of decompressed blocks).
 */
export class TraceReader {
  readonly version: number;
  readonly pageCount: number;
  readonly timeUnitNs: number;
  readonly metadata: TraceMetadata;
  /** epochs[0] is the image; epochs[1..] the recorded epochs. */
  readonly epochs: readonly TraceEpoch[];
  readonly fileBytes: number;
  /** Every page record of every block, in file order (page | RECORD_ZERO_FLAG). */
  readonly records: Uint32Array;
  /** blockFirstRecord[b] = index in `records` of block b's first record; [blocks] = total. */
  readonly blockFirstRecord: Uint32Array;
  /** Bytes of raw page content in the file (the uncompressed size of all blocks). */
  readonly rawContentBytes: number;
  private readonly blockOffsets: Float64Array;
  private readonly blockStoredLengths: Uint32Array;
  private readonly blockCompression: Uint8Array;
  private readonly cache = new Map<number, Buffer>();
  private cacheBytes = 0;
  private fd: number;

  private constructor(
    readonly path: string,
    readonly cacheLimitBytes: number,
  ) {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(
        path,
        code === "ENOENT"
          ? "no such file"
          : code === "EISDIR"
            ? "is a directory, not a trace"
            : `cannot open (${code})`,
      );
    }
    this.fd = fd;
    try {
      const parsed = validate(path, fd);
      this.version = parsed.version;
      this.pageCount = parsed.pageCount;
      this.timeUnitNs = parsed.timeUnitNs;
      this.metadata = parsed.metadata;
      this.epochs = parsed.epochs;
      this.fileBytes = parsed.fileBytes;
      this.records = parsed.records;
      this.blockFirstRecord = parsed.blockFirstRecord;
      this.blockOffsets = parsed.blockOffsets;
      this.blockStoredLengths = parsed.blockStoredLengths;
      this.blockCompression = parsed.blockCompression;
      this.rawContentBytes = parsed.rawContentBytes;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  static open(path: string, options: { cacheBytes?: number } = {}): TraceReader {
    return new TraceReader(path, options.cacheBytes ?? DEFAULT_CACHE_BYTES);
  }

  get blockCount(): number {
    return this.blockOffsets.length;
  }

  /** Byte offset of block b in the file. */
  blockOffset(b: number): number {
    return this.blockOffsets[b];
  }

  /** Recorded epochs after the image. */
  get epochCount(): number {
    return this.epochs.length - 1;
  }

  /** Time of the last epoch in seconds (0 for a trace with only an image). */
  get durationS(): number {
    return this.epochs[this.epochs.length - 1].timeS;
  }

  /** First and one-past-last index into `records` of epoch e. */
  epochRecordRange(e: number): [number, number] {
    const epoch = this.epochs[e];
    return [
      this.blockFirstRecord[epoch.firstBlock],
      this.blockFirstRecord[epoch.firstBlock + epoch.blockCount],
    ];
  }

  /** Index into `records` of the image's record for `page`, or -1 when the page starts zero. */
  findImageRecord(page: number): number {
    const records = this.records;
    let low = 0;
    let high = this.epochs[0].records - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const value = records[mid];
      if (value === page) return mid;
      if (value < page) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  /** Copy the content of record r into out[0, 4096) (zeros for a zero record). */
  readRecord(r: number, out: Uint8Array): void {
    const record = this.records[r];
    if ((record & RECORD_ZERO_FLAG) !== 0) {
      out.fill(0, 0, TRACE_PAGE_SIZE);
      return;
    }
    const block = this.blockOfRecord(r);
    let rank = 0;
    for (let i = this.blockFirstRecord[block]; i < r; i++)
      if ((this.records[i] & RECORD_ZERO_FLAG) === 0) rank++;
    const content = this.blockContent(block);
    out.set(content.subarray(rank * TRACE_PAGE_SIZE, (rank + 1) * TRACE_PAGE_SIZE));
  }

  /** The block holding record r (binary search over blockFirstRecord). */
  blockOfRecord(r: number): number {
    const first = this.blockFirstRecord;
    let low = 0;
    let high = this.blockOffsets.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (first[mid] <= r) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** The block's page contents, non-zero records in order, 4096 bytes each. */
  blockContent(block: number): Buffer {
    const cached = this.cache.get(block);
    if (cached !== undefined) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recent.
      this.cache.delete(block);
      this.cache.set(block, cached);
      return cached;
    }
    const content = this.loadBlockContent(block);
    this.cache.set(block, content);
    this.cacheBytes += content.length;
    while (this.cacheBytes > this.cacheLimitBytes && this.cache.size > 1) {
      const [oldest, bytes] = this.cache.entries().next().value as [number, Buffer];
      this.cache.delete(oldest);
      this.cacheBytes -= bytes.length;
    }
    return content;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.cache.clear();
    this.cacheBytes = 0;
  }

  private loadBlockContent(block: number): Buffer {
    if (this.fd < 0) throw new Error(`${this.path}: the trace reader is closed`);
    const first = this.blockFirstRecord[block];
    const records = this.blockFirstRecord[block + 1] - first;
    let contentPages = 0;
    for (let i = first; i < first + records; i++)
      if ((this.records[i] & RECORD_ZERO_FLAG) === 0) contentPages++;
    const rawLength = contentPages * TRACE_PAGE_SIZE;
    const storedOffset = this.blockOffsets[block] + BLOCK.size + records * 4;
    const stored = Buffer.alloc(this.blockStoredLengths[block]);
    readExactly(this.path, this.fd, stored, storedOffset);
    if (this.blockCompression[block] === COMPRESSION_STORED) return stored;
    let content: Buffer;
    try {
      content = inflateRawSync(stored, { maxOutputLength: Math.max(rawLength, 1) });
    } catch (error) {
      // The checksum matched when the file was opened, so this is a writer bug or a file that
      // changed since: still one clear error, not a stack trace.
      throw new InputError(
        this.path,
        `block ${block}: the deflate stream does not decode to ${rawLength} bytes (${(error as Error).message})`,
        storedOffset,
      );
    }
    if (content.length !== rawLength)
      throw new InputError(
        this.path,
        `block ${block}: the deflate stream decodes to ${content.length} bytes, expected ${rawLength}`,
        storedOffset,
      );
    return content;
  }
}

function readExactly(path: string, fd: number, into: Buffer, position: number): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0)
      throw new InputError(
        path,
        "the file ended early (it changed since it was opened?)",
        position + done,
      );
    done += n;
  }
}

interface Parsed {
  version: number;
  pageCount: number;
  timeUnitNs: number;
  metadata: TraceMetadata;
  epochs: TraceEpoch[];
  fileBytes: number;
  records: Uint32Array;
  blockFirstRecord: Uint32Array;
  blockOffsets: Float64Array;
  blockStoredLengths: Uint32Array;
  blockCompression: Uint8Array;
  rawContentBytes: number;
}

const hex = (value: number): string => `0x${value.toString(16).padStart(8, "0")}`;

function validate(path: string, fd: number): Parsed {
  const fail = (problem: string, offset?: number): never => {
    throw new InputError(path, problem, offset);
  };
  const size = fstatSync(fd).size;
  const read = (length: number, position: number): Buffer => {
    const buffer = Buffer.alloc(length);
    readExactly(path, fd, buffer, position);
    return buffer;
  };

  // --- header: magic and version first, so a foreign or newer file gets its own message ---
  if (size === 0) fail("the file is empty, not a migbench trace", 0);
  const head = read(Math.min(size, HEADER.size), 0);
  const magicLength = Math.min(size, FILE_MAGIC.length);
  if (head.toString("latin1", 0, magicLength) !== FILE_MAGIC.slice(0, magicLength))
    fail(
      `not a migbench trace: the file starts with ${JSON.stringify(head.toString("latin1", 0, magicLength))}, expected the magic "${FILE_MAGIC}"`,
      0,
    );
  if (size < HEADER.size)
    fail(`truncated: the file is ${size} bytes, shorter than the ${HEADER.size}-byte header`, size);
  const version = head.readUInt16LE(HEADER.version);
  if (version > FORMAT_VERSION)
    fail(
      `trace format version ${version} is newer than this migbench reads (version ${FORMAT_VERSION}); update migbench`,
      HEADER.version,
    );
  if (version < 1) fail(`unknown trace format version ${version}`, HEADER.version);
  const headerCrc = crc32(head, 0, HEADER.crc);
  if (headerCrc !== head.readUInt32LE(HEADER.crc))
    fail(
      `header checksum mismatch (stored ${hex(head.readUInt32LE(HEADER.crc))}, computed ${hex(headerCrc)}): the header is corrupt`,
      HEADER.crc,
    );
  if (head.readUInt16LE(HEADER.headerSize) !== HEADER.size)
    fail(
      `header size ${head.readUInt16LE(HEADER.headerSize)} is not ${HEADER.size}`,
      HEADER.headerSize,
    );
  const pageSize = head.readUInt32LE(HEADER.pageSize);
  if (pageSize !== TRACE_PAGE_SIZE)
    fail(`page size ${pageSize} is not supported (only ${TRACE_PAGE_SIZE})`, HEADER.pageSize);
  const pageCount = readU64(head, HEADER.pageCount);
  if (!(pageCount >= 1 && pageCount <= MAX_PAGE_COUNT))
    fail(`page count ${pageCount} is outside 1..${MAX_PAGE_COUNT}`, HEADER.pageCount);
  const timeUnitNs = head.readUInt32LE(HEADER.timeUnitNs);
  if (timeUnitNs === 0) fail("time unit is 0 ns", HEADER.timeUnitNs);
  if (head.readUInt8(HEADER.checksum) !== CHECKSUM_CRC32)
    fail(`unknown checksum algorithm ${head.readUInt8(HEADER.checksum)}`, HEADER.checksum);

  // --- trailer: its absence is how truncation shows ---
  const trailerOffset = size - TRAILER.size;
  const trailer = trailerOffset >= HEADER.size ? read(TRAILER.size, trailerOffset) : null;
  if (trailer === null || trailer.toString("latin1", TRAILER.magic) !== TRAILER_MAGIC)
    fail(`truncated: ${describeEnd(path, fd, size, timeUnitNs)}`, size);
  const t = trailer as Buffer;
  const trailerCrc = crc32(t, 0, TRAILER.crc);
  if (trailerCrc !== t.readUInt32LE(TRAILER.crc))
    fail(
      `trailer checksum mismatch (stored ${hex(t.readUInt32LE(TRAILER.crc))}, computed ${hex(trailerCrc)})`,
      trailerOffset + TRAILER.crc,
    );
  const indexOffset = readU64(t, TRAILER.indexOffset);
  const indexLength = t.readUInt32LE(TRAILER.indexLength);
  if (!(indexOffset >= HEADER.size) || indexOffset + indexLength !== trailerOffset)
    fail(
      `the trailer places the index at bytes ${indexOffset}+${indexLength}, which does not end where the trailer starts (${trailerOffset})`,
      trailerOffset,
    );

  // --- index ---
  if (indexLength < INDEX.fixedSize + 4)
    fail(`index of ${indexLength} bytes is too short`, indexOffset);
  const index = read(indexLength, indexOffset);
  if (index.toString("latin1", 0, 4) !== INDEX_MAGIC)
    fail(`expected the index magic "${INDEX_MAGIC}"`, indexOffset);
  const indexCrc = crc32(index, 0, indexLength - 4);
  if (indexCrc !== index.readUInt32LE(indexLength - 4))
    fail(
      `index checksum mismatch (stored ${hex(index.readUInt32LE(indexLength - 4))}, computed ${hex(indexCrc)}): the index is corrupt`,
      indexOffset + indexLength - 4,
    );
  const epochCount = index.readUInt32LE(INDEX.epochs);
  const blockCount = index.readUInt32LE(INDEX.blocks);
  const metadataLength = index.readUInt32LE(INDEX.metadataLength);
  const expectedLength =
    INDEX.fixedSize + epochCount * EPOCH_ENTRY.size + blockCount * 8 + metadataLength + 4;
  if (expectedLength !== indexLength)
    fail(
      `index counts (${epochCount} epochs, ${blockCount} blocks, ${metadataLength} metadata bytes) need ${expectedLength} bytes, the index has ${indexLength}`,
      indexOffset,
    );
  if (epochCount < 1)
    fail("the index lists no epochs (not even the image)", indexOffset + INDEX.epochs);

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
    if (e === 0 && timeTicks !== 0) fail(`the image (epoch 0) has time ${timeTicks}, not 0`, where);
    if (e > 0 && !(timeTicks > epochs[e - 1].timeTicks))
      fail(`epoch ${e} time ${timeTicks} ticks is not after epoch ${e - 1}'s`, where);
    if (firstBlock !== blocksSoFar || blocks < 1 || blocksSoFar + blocks > blockCount)
      fail(
        `epoch ${e} claims blocks ${firstBlock}+${blocks}; expected to start at ${blocksSoFar}`,
        where,
      );
    if (zeroRecords > records || (e === 0 && zeroRecords !== 0))
      fail(`epoch ${e} claims ${zeroRecords} zero pages of ${records}`, where);
    blocksSoFar += blocks;
    totalRecords += records;
    epochs.push({
      index: e,
      timeTicks,
      timeS: ticksToSeconds(timeTicks, timeUnitNs),
      firstBlock,
      blockCount: blocks,
      records,
      zeroRecords,
    });
  }
  if (blocksSoFar !== blockCount)
    fail(
      `the epochs cover ${blocksSoFar} blocks, the index lists ${blockCount}`,
      indexOffset + INDEX.blocks,
    );
  if (totalRecords > blockCount * MAX_RECORDS_PER_BLOCK)
    fail(
      `the epochs claim ${totalRecords} page records, more than ${blockCount} blocks can hold`,
      indexOffset,
    );
  const blockOffsets = new Float64Array(blockCount);
  for (let b = 0; b < blockCount; b++, at += 8) {
    const offset = readU64(index, at);
    const previous = b === 0 ? -1 : blockOffsets[b - 1];
    if (
      !(offset > previous && offset + BLOCK.size <= indexOffset) ||
      (b === 0 && offset !== HEADER.size)
    )
      fail(
        `block ${b} offset ${offset} is out of order or outside the block area`,
        indexOffset + at,
      );
    blockOffsets[b] = offset;
  }
  let metadata: TraceMetadata = {};
  try {
    const parsed = JSON.parse(index.toString("utf8", at, at + metadataLength)) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    metadata = parsed as TraceMetadata;
  } catch (error) {
    fail(`the index metadata is not a JSON object (${(error as Error).message})`, indexOffset + at);
  }

  // --- every block: header, records, checksum ---
  const records = new Uint32Array(totalRecords);
  const blockFirstRecord = new Uint32Array(blockCount + 1);
  const blockStoredLengths = new Uint32Array(blockCount);
  const blockCompression = new Uint8Array(blockCount);
  const blockHeader = Buffer.alloc(BLOCK.size);
  let payload = Buffer.alloc(64 * 1024);
  let recordCursor = 0;
  let rawContentBytes = 0;
  for (const epoch of epochs) {
    let lastPage = -1;
    let epochRecords = 0;
    let epochZeros = 0;
    for (let b = epoch.firstBlock; b < epoch.firstBlock + epoch.blockCount; b++) {
      const offset = blockOffsets[b];
      const end = b + 1 < blockCount ? blockOffsets[b + 1] : indexOffset;
      readExactly(path, fd, blockHeader, offset);
      const name = `block ${b} (epoch ${epoch.index})`;
      if (blockHeader.toString("latin1", 0, 4) !== BLOCK_MAGIC)
        fail(`${name}: expected the block magic "${BLOCK_MAGIC}"`, offset);
      const storedHeaderCrc = blockHeader.readUInt32LE(BLOCK.headerCrc);
      const headerCrc = crc32(blockHeader, 0, BLOCK.headerCrc);
      if (headerCrc !== storedHeaderCrc)
        fail(
          `${name}: block header checksum mismatch (stored ${hex(storedHeaderCrc)}, computed ${hex(headerCrc)})`,
          offset + BLOCK.headerCrc,
        );
      const kind = blockHeader.readUInt8(BLOCK.kind);
      if (kind !== (epoch.index === 0 ? BLOCK_KIND_IMAGE : BLOCK_KIND_EPOCH))
        fail(`${name}: block kind ${kind} does not fit its epoch`, offset + BLOCK.kind);
      if (blockHeader.readUInt32LE(BLOCK.epoch) !== epoch.index)
        fail(
          `${name}: the block says epoch ${blockHeader.readUInt32LE(BLOCK.epoch)}`,
          offset + BLOCK.epoch,
        );
      if (readU64(blockHeader, BLOCK.timeTicks) !== epoch.timeTicks)
        fail(`${name}: block time differs from the index's epoch time`, offset + BLOCK.timeTicks);
      const lastInEpoch = b === epoch.firstBlock + epoch.blockCount - 1;
      if (((blockHeader.readUInt8(BLOCK.flags) & BLOCK_FLAG_LAST_IN_EPOCH) !== 0) !== lastInEpoch)
        fail(`${name}: last-block-of-epoch flag is wrong`, offset + BLOCK.flags);
      const compression = blockHeader.readUInt8(BLOCK.compression);
      if (compression !== COMPRESSION_STORED && compression !== COMPRESSION_DEFLATE_RAW)
        fail(`${name}: unknown compression ${compression}`, offset + BLOCK.compression);
      const count = blockHeader.readUInt32LE(BLOCK.records);
      const storedLength = blockHeader.readUInt32LE(BLOCK.storedLength);
      const rawLength = blockHeader.readUInt32LE(BLOCK.rawLength);
      if (count > MAX_RECORDS_PER_BLOCK || recordCursor + count > totalRecords)
        fail(
          `${name}: ${count} page records is more than the index allows`,
          offset + BLOCK.records,
        );
      const payloadLength = count * 4 + storedLength;
      if (offset + BLOCK.size + payloadLength !== end)
        fail(
          `${name}: header + ${count} records + ${storedLength} content bytes end at byte ${offset + BLOCK.size + payloadLength}, but the next part starts at ${end}`,
          offset + BLOCK.storedLength,
        );
      if (payload.length < payloadLength) payload = Buffer.alloc(payloadLength);
      readExactly(path, fd, payload.subarray(0, payloadLength), offset + BLOCK.size);
      const payloadCrc = crc32(payload, 0, payloadLength);
      const storedPayloadCrc = blockHeader.readUInt32LE(BLOCK.payloadCrc);
      if (payloadCrc !== storedPayloadCrc)
        fail(
          `${name}: payload checksum mismatch (stored ${hex(storedPayloadCrc)}, computed ${hex(payloadCrc)}): bytes ${offset + BLOCK.size}..${end} are corrupt`,
          offset + BLOCK.size,
        );
      let contentPages = 0;
      blockFirstRecord[b] = recordCursor;
      for (let i = 0; i < count; i++) {
        const record = payload.readUInt32LE(i * 4);
        const page = record & RECORD_PAGE_MASK;
        const zero = (record & RECORD_ZERO_FLAG) !== 0;
        const recordOffset = offset + BLOCK.size + i * 4;
        if (page >= pageCount)
          fail(`${name}: page ${page} is beyond the page count ${pageCount}`, recordOffset);
        if (page <= lastPage)
          fail(
            `${name}: page ${page} follows page ${lastPage}; pages must ascend within an epoch`,
            recordOffset,
          );
        if (zero && epoch.index === 0)
          fail(`${name}: the image lists zero page ${page}`, recordOffset);
        lastPage = page;
        if (zero) epochZeros++;
        else contentPages++;
        records[recordCursor++] = record >>> 0;
      }
      epochRecords += count;
      if (rawLength !== contentPages * TRACE_PAGE_SIZE)
        fail(
          `${name}: raw length ${rawLength} is not 4096 × ${contentPages} non-zero pages`,
          offset + BLOCK.rawLength,
        );
      if (compression === COMPRESSION_STORED && storedLength !== rawLength)
        fail(
          `${name}: stored block of ${storedLength} bytes, expected ${rawLength}`,
          offset + BLOCK.storedLength,
        );
      rawContentBytes += rawLength;
      blockStoredLengths[b] = storedLength;
      blockCompression[b] = compression;
    }
    if (epochRecords !== epoch.records || epochZeros !== epoch.zeroRecords)
      fail(
        `epoch ${epoch.index}: its blocks hold ${epochRecords} pages (${epochZeros} zero), the index says ${epoch.records} (${epoch.zeroRecords})`,
        blockOffsets[epoch.firstBlock],
      );
  }
  blockFirstRecord[blockCount] = recordCursor;

  return {
    version,
    pageCount,
    timeUnitNs,
    metadata,
    epochs,
    fileBytes: size,
    records,
    blockFirstRecord,
    blockOffsets,
    blockStoredLengths,
    blockCompression,
    rawContentBytes,
  };
}

/**
 * Why the trailer is missing: walk the blocks from the header to say where the data stops
 * (after which block and epoch, or inside which block), so a truncated recording can be told
 * from a file that is not a trace at all.
 */
function describeEnd(path: string, fd: number, size: number, timeUnitNs: number): string {
  const blockHeader = Buffer.alloc(BLOCK.size);
  let offset: number = HEADER.size;
  let blocks = 0;
  let lastEpoch = -1;
  let lastTicks = 0;
  while (offset + BLOCK.size <= size) {
    readExactly(path, fd, blockHeader, offset);
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
    readExactly(path, fd, tail, offset);
    rest =
      tail.toString("latin1") === INDEX_MAGIC
        ? `, then ${size - offset} bytes of an incomplete index`
        : `, then ${size - offset} bytes that are not a block`;
  }
  return `the file ends at byte ${size} ${after}${rest}; the index and the "${TRAILER_MAGIC}" trailer are missing (the writer did not finish, or the file was cut)`;
}
