import { isZeroPage } from "../lib/zero-page.ts";
import type { HotPages } from "./hot-pages.ts";
import type { MemoryRegion } from "./process-info.ts";
import { type ProcessMemory, READ_CHUNK_PAGES } from "./process-memory.ts";
import { TRACE_PAGE_SIZE } from "./trace-format.ts";
import type { TraceWriter } from "./trace-writer.ts";

/**
 * The recorder's page space and its last snapshot (docs/TRACE_FORMAT.md, "Recorder"), and the
 * diff of each new snapshot against it.
 *
 * Page numbering: the trace's pages are a virtual page space made by concatenating the
 * mappings of the first snapshot in address order. Memory mapped later (a new mapping, or a
 * mapping that grew, e.g. the heap after brk) is appended at the end of that space when first
 * seen; its first content is recorded as a change in that epoch. Memory that is unmapped keeps
 * its pages in the space (they are simply not written any more), so page numbers never move.
 *
 * The kernel's soft-dirty bit (/proc/PID/clear_refs + pagemap bit 55), the cheap way to learn
 * which pages were written, does not work on the machine this was built on, so the recorder
 * diffs contents: it keeps the previous snapshot (non-zero pages only, so memory grows with the
 * process's RSS) and compares page by page with a native memcmp.
 */

/** A stretch of the process's address space with its place in the trace's virtual page space. */
interface Segment {
  readonly start: number;
  readonly pages: number;
  readonly firstPage: number;
  readonly path: string;
  readonly perms: string;
  readonly anonymous: boolean;
  /** Previous snapshot: slot in the PageStore per page, -1 when the page was zero. */
  readonly slots: Int32Array;
}

/** A segment as the trace's metadata lists it. */
export interface SegmentDescription {
  readonly firstPage: number;
  readonly pages: number;
  readonly address: string;
  readonly perms: string;
  readonly path: string;
}

/** What one snapshot did: pages found changed, pages read. */
export interface SnapshotCounts {
  readonly changed: number;
  readonly read: number;
}

const STORE_CHUNK_PAGES = 256;
const ZERO_PAGE = new Uint8Array(TRACE_PAGE_SIZE);

/** The previous snapshot's non-zero pages, in 1 MiB chunks with a free list. */
class PageStore {
  readonly chunks: Buffer[] = [];
  private readonly free: number[] = [];
  private next = 0;

  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.next++;
    if (slot >>> 8 >= this.chunks.length)
      this.chunks.push(Buffer.allocUnsafe(STORE_CHUNK_PAGES * TRACE_PAGE_SIZE));
    return slot;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  chunk(slot: number): Buffer {
    return this.chunks[slot >>> 8];
  }

  offset(slot: number): number {
    return (slot & (STORE_CHUNK_PAGES - 1)) * TRACE_PAGE_SIZE;
  }
}

export class SnapshotDiff {
  private virtualPageCount = 0;
  private unreadable = 0;
  private readonly segments: Segment[] = [];
  private readonly store = new PageStore();
  private readonly chunk = Buffer.alloc(READ_CHUNK_PAGES * TRACE_PAGE_SIZE);
  /** The pages the current snapshot found changed (ascending) and their store slots (-1: zero). */
  private readonly changedPages: number[] = [];
  private readonly changedSlots: number[] = [];

  constructor(private readonly memory: ProcessMemory) {}

  /** Pages in the virtual page space so far. */
  get virtualPages(): number {
    return this.virtualPageCount;
  }

  /** Pages the kernel refused to read (skipped: treated as unchanged). */
  get unreadablePages(): number {
    return this.unreadable;
  }

  /** A snapshot is taken again from the start: its unreadable pages no longer count. */
  forgetUnreadable(): void {
    this.unreadable = 0;
  }

  /** Add segments for the parts of `regions` no segment covers yet (appended page numbers). */
  extend(regions: readonly MemoryRegion[]): void {
    const known = this.segments.map((s) => [s.start, s.start + s.pages * TRACE_PAGE_SIZE] as const);
    known.sort((a, b) => a[0] - b[0]);
    for (const region of regions) {
      let cursor = region.start;
      for (const [start, end] of known) {
        if (end <= cursor || start >= region.end) continue;
        if (start > cursor) this.addSegment(cursor, start, region);
        cursor = Math.max(cursor, end);
      }
      if (cursor < region.end) this.addSegment(cursor, region.end, region);
    }
  }

  /** Forget the changes found so far: a new epoch begins. */
  clearChanges(): void {
    this.changedPages.length = 0;
    this.changedSlots.length = 0;
  }

  /** True when a snapshot with these counts read nothing and found nothing changed. */
  nothingRead(counts: SnapshotCounts): boolean {
    return counts.read === 0 && this.changedPages.length === 0;
  }

  /**
   * Read one snapshot of `regions`, adding the pages that changed to this epoch's changes. With
   * fine capture's hot set (fine-capture.ts), a hot page that reads as it did at the previous
   * snapshot counts as changed when it was written lately (HotPages.writtenLately: the last
   * re-read found it written, or it differs from that re-read): it was being written and only
   * came back to its old bytes. QEMU's `stride` guest adds 1 to a byte per page per pass, so
   * 256 passes on a page reads as it did; compared with the previous snapshot alone, half the
   * buffer dropped out of an epoch and out of the next interval's hot set when the guest ran at
   * ~1 280 passes/s, and the replay found it clean for up to 200 ms (a lab run's stride trace let
   * every seed of a configuration whose real migration never converged converge at 6.6 s).
   */
  snapshot(regions: readonly MemoryRegion[], hot: HotPages | null = null): SnapshotCounts {
    hot?.beginScan();
    let changed = 0;
    let read = 0;
    // Segments in creation order = ascending virtual page numbers, as the writer requires.
    for (const segment of this.segments) {
      const segmentEnd = segment.start + segment.pages * TRACE_PAGE_SIZE;
      for (const region of regions) {
        const from = Math.max(segment.start, region.start);
        const to = Math.min(segmentEnd, region.end);
        if (from >= to) continue;
        for (let address = from; address < to; address += READ_CHUNK_PAGES * TRACE_PAGE_SIZE) {
          const pages = Math.min(READ_CHUNK_PAGES, (to - address) / TRACE_PAGE_SIZE);
          const counts = this.snapshotChunk(segment, address, pages, hot);
          changed += counts.changed;
          read += counts.read;
        }
      }
    }
    return { changed, read };
  }

  /** Hand this epoch's changed pages to the writer, in ascending page order. */
  writeChanges(writer: TraceWriter): void {
    const store = this.store;
    for (let k = 0; k < this.changedPages.length; k++) {
      const slot = this.changedSlots[k];
      if (slot < 0) writer.addPage(this.changedPages[k], ZERO_PAGE);
      else writer.addPage(this.changedPages[k], store.chunk(slot), store.offset(slot));
    }
  }

  /** Make this epoch's changed pages, with the content just read, the hot set of fine capture. */
  loadHotSet(hot: HotPages): void {
    const { store, segments } = this;
    hot.clear();
    // Changed pages ascend, and so do the segments' first pages (creation order): one walk.
    let s = 0;
    for (let k = 0; k < this.changedPages.length; k++) {
      const page = this.changedPages[k];
      while (page >= segments[s].firstPage + segments[s].pages) s++;
      const address = segments[s].start + (page - segments[s].firstPage) * TRACE_PAGE_SIZE;
      const slot = this.changedSlots[k];
      if (slot < 0) hot.add(page, address, ZERO_PAGE, 0);
      else hot.add(page, address, store.chunk(slot), store.offset(slot));
    }
  }

  /** Every segment, for the trace's metadata. */
  describeSegments(): SegmentDescription[] {
    return this.segments.map((s) => ({
      firstPage: s.firstPage,
      pages: s.pages,
      address: `0x${s.start.toString(16)}`,
      perms: s.perms,
      path: s.path,
    }));
  }

  private addSegment(start: number, end: number, region: MemoryRegion): void {
    const pages = (end - start) / TRACE_PAGE_SIZE;
    this.segments.push({
      start,
      pages,
      firstPage: this.virtualPageCount,
      path: region.path,
      perms: region.perms,
      anonymous: region.path === "" || region.path.startsWith("["),
      slots: new Int32Array(pages).fill(-1),
    });
    this.virtualPageCount += pages;
  }

  private snapshotChunk(
    segment: Segment,
    address: number,
    pages: number,
    hot: HotPages | null,
  ): SnapshotCounts {
    // Which pages need reading: all, unless pagemap says an anonymous page is not there (zero).
    const present = segment.anonymous ? this.memory.presentPages(address, pages) : null;
    const chunk = this.chunk;
    let changed = 0;
    let read = 0;
    let i = 0;
    while (i < pages) {
      if (present !== null && !present(i)) {
        // Not present, not swapped, anonymous: the page is zero now.
        chunk.fill(0, i * TRACE_PAGE_SIZE, (i + 1) * TRACE_PAGE_SIZE);
        changed += this.comparePage(segment, address, i, hot);
        i++;
        continue;
      }
      let run = 1;
      while (i + run < pages && (present === null || present(i + run))) run++;
      const ok = this.memory.readRun(chunk, address + i * TRACE_PAGE_SIZE, i, run);
      for (let k = 0; k < run; k++) {
        if (ok[k]) {
          changed += this.comparePage(segment, address, i + k, hot);
          read++;
        } else this.unreadable++;
      }
      i += run;
    }
    return { changed, read };
  }

  /** Compare chunk page i with the previous snapshot; store and list it when it changed. */
  private comparePage(
    segment: Segment,
    chunkAddress: number,
    i: number,
    hot: HotPages | null,
  ): number {
    const { chunk, store } = this;
    const index = (chunkAddress - segment.start) / TRACE_PAGE_SIZE + i;
    const offset = i * TRACE_PAGE_SIZE;
    const slot = segment.slots[index];
    const zero = isZeroPage(chunk, offset);
    const page = segment.firstPage + index;
    const same =
      slot < 0
        ? zero
        : chunk.compare(
            store.chunk(slot),
            store.offset(slot),
            store.offset(slot) + TRACE_PAGE_SIZE,
            offset,
            offset + TRACE_PAGE_SIZE,
          ) === 0;
    if (same) {
      if (hot === null || !hot.writtenLately(page, chunk, offset)) return 0;
      // Written, yet as it was: listed again with the stored content.
      this.changedPages.push(page);
      this.changedSlots.push(slot);
      return 1;
    }
    if (zero) {
      store.release(slot);
      segment.slots[index] = -1;
      this.changedPages.push(page);
      this.changedSlots.push(-1);
    } else {
      const target = slot < 0 ? store.alloc() : slot;
      segment.slots[index] = target;
      chunk.copy(store.chunk(target), store.offset(target), offset, offset + TRACE_PAGE_SIZE);
      this.changedPages.push(page);
      this.changedSlots.push(target);
    }
    return 1;
  }
}
