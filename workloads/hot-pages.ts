import { type ProcessMemory, READ_CHUNK_PAGES } from "./process-memory.ts";
import { TRACE_PAGE_SIZE } from "./trace-format.ts";

/**
 * The recorder's hot set for fine capture (docs/TRACE_FORMAT.md, "Recorder"): the pages the last
 * snapshot found changed, with the content each had when last read. reread() reads them again,
 * one /proc/PID/mem pread per run of pages adjacent both in the trace and in memory, and lists
 * the ones whose content differs from their last read: those were written since.
 *
 * Memory: one copy of the hot set (at most what one interval changed, in capacity doubled as it
 * grows) and a read buffer of READ_CHUNK_PAGES pages; nothing is allocated per page or per read.
 */
export class HotPages {
  private count = 0;
  private pages = new Uint32Array(256);
  private addresses = new Float64Array(256);
  private copy = Buffer.alloc(256 * TRACE_PAGE_SIZE);
  private readonly scratch = Buffer.alloc(READ_CHUNK_PAGES * TRACE_PAGE_SIZE);
  private touchedCount = 0;
  private touchedPages = new Uint32Array(256);
  /** Per hot page: 1 when the last reread() found it written. */
  private lastTouched = new Uint8Array(256);
  /** writtenLately's place in the set: a snapshot asks about pages in ascending order. */
  private cursor = 0;

  constructor(private readonly memory: ProcessMemory) {}

  /** Pages in the hot set. */
  get size(): number {
    return this.count;
  }

  /** The pages the last reread() found written, ascending: the first as many as it returned. */
  get touched(): Uint32Array {
    return this.touchedPages;
  }

  /** Empty the set: a new snapshot decides what is hot. */
  clear(): void {
    this.count = 0;
    this.touchedCount = 0;
    this.cursor = 0;
  }

  /** A snapshot begins: writtenLately's questions start again from the lowest page. */
  beginScan(): void {
    this.cursor = 0;
  }

  /**
   * True when `page` is hot and was written lately: the last reread() found it written, or
   * bytes[offset, offset + 4096) — its content as a snapshot reads it now — differs from its last
   * read. Pages must be asked about in ascending order after beginScan() (a snapshot walks them
   * so), which makes each question O(1) amortised.
   */
  writtenLately(page: number, bytes: Buffer, offset: number): boolean {
    const { pages, count } = this;
    while (this.cursor < count && pages[this.cursor] < page) this.cursor++;
    if (this.cursor === count || pages[this.cursor] !== page) return false;
    if (this.lastTouched[this.cursor] === 1) return true;
    const copyAt = this.cursor * TRACE_PAGE_SIZE;
    return (
      bytes.compare(
        this.copy,
        copyAt,
        copyAt + TRACE_PAGE_SIZE,
        offset,
        offset + TRACE_PAGE_SIZE,
      ) !== 0
    );
  }

  /**
   * Add trace page `page` at `address`, whose content is now bytes[offset, offset + 4096).
   * Pages go in ascending order (the snapshot's changes are), so touches come out ascending.
   */
  add(page: number, address: number, bytes: Uint8Array, offset: number): void {
    if (this.count === this.pages.length) this.grow();
    const k = this.count++;
    this.pages[k] = page;
    this.addresses[k] = address;
    this.lastTouched[k] = 0;
    this.copy.set(bytes.subarray(offset, offset + TRACE_PAGE_SIZE), k * TRACE_PAGE_SIZE);
  }

  /**
   * Read every hot page again; the ones that differ from their last read are listed in
   * `touched` and their copy updated. Pages the kernel refuses to read (unmapped since) count
   * as unchanged. Returns how many were touched.
   */
  reread(): number {
    const { pages, addresses, copy, scratch } = this;
    const count = this.count;
    this.touchedCount = 0;
    this.lastTouched.fill(0, 0, count);
    let k = 0;
    while (k < count) {
      let run = 1;
      while (
        k + run < count &&
        run < READ_CHUNK_PAGES &&
        pages[k + run] === pages[k] + run &&
        addresses[k + run] === addresses[k] + run * TRACE_PAGE_SIZE
      )
        run++;
      const ok = this.memory.readRun(scratch, addresses[k], 0, run);
      for (let i = 0; i < run; i++) {
        if (!ok[i]) continue;
        const at = i * TRACE_PAGE_SIZE;
        const copyAt = (k + i) * TRACE_PAGE_SIZE;
        if (scratch.compare(copy, copyAt, copyAt + TRACE_PAGE_SIZE, at, at + TRACE_PAGE_SIZE) === 0)
          continue;
        scratch.copy(copy, copyAt, at, at + TRACE_PAGE_SIZE);
        this.lastTouched[k + i] = 1;
        this.touchedPages[this.touchedCount++] = pages[k + i];
      }
      k += run;
    }
    return this.touchedCount;
  }

  /** Double the capacity (amortised: a hot set of n pages costs log n reallocations once). */
  private grow(): void {
    const capacity = this.pages.length * 2;
    const pages = new Uint32Array(capacity);
    pages.set(this.pages);
    this.pages = pages;
    const addresses = new Float64Array(capacity);
    addresses.set(this.addresses);
    this.addresses = addresses;
    const copy = Buffer.alloc(capacity * TRACE_PAGE_SIZE);
    this.copy.copy(copy);
    this.copy = copy;
    this.touchedPages = new Uint32Array(capacity);
    const lastTouched = new Uint8Array(capacity);
    lastTouched.set(this.lastTouched);
    this.lastTouched = lastTouched;
  }
}
