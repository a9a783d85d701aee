import { closeSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import { InputError } from "../lib/errors.ts";
import { validateBlocks } from "./trace-blocks.ts";
import { readExactly, TraceFile } from "./trace-file.ts";
import {
  BLOCK,
  COMPRESSION_STORED,
  RECORD_ZERO_FLAG,
  TRACE_PAGE_SIZE,
  type TraceMetadata,
} from "./trace-format.ts";
import { validateHeader, validateTrailer } from "./trace-header.ts";
import { type TraceEpoch, validateIndex } from "./trace-index.ts";

/** A decompressed block and, per record, its page's bytes in it (TraceReader.recordPages). */
interface CachedBlock {
  readonly content: Buffer;
  readonly pages: readonly Uint8Array[];
}

/** What a zero record's entry in CachedBlock.pages holds (readRecord fills zeros before). */
const ZERO_PAGE = new Uint8Array(TRACE_PAGE_SIZE);

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
  private readonly cache = new Map<number, CachedBlock>();
  private recentBlock = -1;
  private recent: CachedBlock | null = null;
  private cacheBytes = 0;
  private fd: number;

  private constructor(
    readonly path: string,
    readonly cacheLimitBytes: number,
  ) {
    const file = TraceFile.open(path);
    this.fd = file.fd;
    try {
      // The sections in file order; each check names the first problem it finds
      // (docs/TRACE_FORMAT.md "Validation").
      const header = validateHeader(file);
      const trailer = validateTrailer(file, header);
      const index = validateIndex(file, trailer, header);
      const blocks = validateBlocks(file, index, header.pageCount);
      this.version = header.version;
      this.pageCount = header.pageCount;
      this.timeUnitNs = header.timeUnitNs;
      this.metadata = index.metadata;
      this.epochs = index.epochs;
      this.fileBytes = file.size;
      this.blockOffsets = index.blockOffsets;
      this.records = blocks.records;
      this.blockFirstRecord = blocks.blockFirstRecord;
      this.blockStoredLengths = blocks.blockStoredLengths;
      this.blockCompression = blocks.blockCompression;
      this.rawContentBytes = blocks.rawContentBytes;
    } catch (error) {
      file.close();
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
    out.set(this.cachedBlock(block).pages[r - this.blockFirstRecord[block]]);
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
    return this.cachedBlock(block).content;
  }

  private cachedBlock(block: number): CachedBlock {
    // Reads come in runs from one block (a pass sends pages in order): the most recent needs
    // no move to the LRU's end.
    if (block === this.recentBlock && this.recent !== null) return this.recent;
    const entry = this.lookUp(block);
    this.recentBlock = block;
    this.recent = entry;
    return entry;
  }

  private lookUp(block: number): CachedBlock {
    const cached = this.cache.get(block);
    if (cached !== undefined) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recent.
      this.cache.delete(block);
      this.cache.set(block, cached);
      return cached;
    }
    const content = this.loadBlockContent(block);
    const entry = { content, pages: this.recordPages(block, content) };
    this.cache.set(block, entry);
    this.cacheBytes += entry.content.length;
    while (this.cacheBytes > this.cacheLimitBytes && this.cache.size > 1) {
      const [oldest, { content }] = this.cache.entries().next().value as [number, CachedBlock];
      this.cache.delete(oldest);
      this.cacheBytes -= content.length;
    }
    return entry;
  }

  /**
   * Per record of the block, a view of its page's bytes in `content` (ZERO_PAGE for a zero one):
   * made once per load, not per read (a replay reads ~300 000 pages a second; counting a
   * record's place at every read cost 15 % of the lab's `stride` replay, and a view per read is
   * an allocation per page).
   */
  private recordPages(block: number, content: Buffer): Uint8Array[] {
    const pages: Uint8Array[] = [];
    let rank = 0;
    for (let r = this.blockFirstRecord[block]; r < this.blockFirstRecord[block + 1]; r++) {
      if ((this.records[r] & RECORD_ZERO_FLAG) !== 0) {
        pages.push(ZERO_PAGE);
        continue;
      }
      pages.push(content.subarray(rank * TRACE_PAGE_SIZE, (rank + 1) * TRACE_PAGE_SIZE));
      rank++;
    }
    return pages;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.cache.clear();
    this.cacheBytes = 0;
    this.recent = null;
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
