import { UsageError } from "../lib/errors.ts";
import type { WorkloadParams } from "./types.ts";
import { param, stringParam } from "./workload-params.ts";

/**
 * Where a load's buffer lies in guest-physical memory: runs of contiguous pages. A guest kernel
 * hands a program's buffer out of its free lists, so a 16 MiB buffer in a freshly booted
 * minimal guest lies in a few runs far apart (the lab's `stride` guests: 867 pages at 10 397,
 * 2 913 at 12 288 and ~300 at 130 680, docs/VALIDATION.md), not in one block. That decides
 * which of its pages share a slot of QEMU's direct-mapped XBZRLE cache (page_cache.c
 * cache_get_cache_pos(): page number modulo the slots): with a 16 MiB cache those runs collide
 * on ~720 slots, and the pages that lose resend in full every sync. For a random writer's
 * 192 MiB table it decides when the bulk pass, which walks RAM upwards, reaches the pages the
 * writer has made non-zero, and so how many pages are still unsent when QEMU compares them with
 * the threshold (the lab's `sparse` guests: ~40 000 pages from ~11 000 up, the OS below and
 * around them, a zero stretch above; docs/VALIDATION.md, seventh session).
 *
 * Text form: `contiguous` (pages 0 … n−1, the default), or `START+PAGES/START+PAGES/…` in page
 * numbers (slashes, since a comma in `--set` lists a sweep's values); the buffer's pages fill
 * the runs in the order given, so runs may hold more pages than the buffer (the rest is left
 * alone). Memory: three numbers per run.
 */

export const CONTIGUOUS = "contiguous";

/** The `buffer_runs` workload parameter of the loads that own a buffer or a working set. */
export const BUFFER_RUNS_PARAM = param({
  name: "buffer_runs",
  unit: "pages",
  defaultValue: CONTIGUOUS,
  description:
    "where the load's pages lie: contiguous from page 0, or runs START+PAGES/... its pages fill in order (a real guest's, which decide XBZRLE cache collisions and when the bulk pass reaches them)",
});

/** The load's runs from its parameters; a caller that predates the parameter means page 0. */
export function bufferRunsOf(
  params: WorkloadParams,
  bufferPages: number,
  pageCount: number,
): BufferRuns {
  const text =
    params[BUFFER_RUNS_PARAM.name] === undefined
      ? CONTIGUOUS
      : stringParam(params, BUFFER_RUNS_PARAM.name);
  return BufferRuns.parse(text, bufferPages, pageCount);
}

/** A run of contiguous guest pages. */
export interface PageRun {
  readonly start: number;
  readonly pages: number;
}

/**
 * Ascending page numbers as runs, a run going on over gaps of up to `maxGap` pages (1: only
 * contiguous pages make a run; a larger gap closes over pages the list left out).
 */
export function pageRuns(pages: readonly number[], maxGap = 1): PageRun[] {
  const runs: PageRun[] = [];
  for (let i = 0; i < pages.length; ) {
    let j = i + 1;
    while (j < pages.length && pages[j] - pages[j - 1] <= maxGap) j++;
    runs.push({ start: pages[i], pages: pages[j - 1] + 1 - pages[i] });
    i = j;
  }
  return runs;
}

/** Runs in the text form BufferRuns.parse reads: `START+PAGES/…`. */
export function formatRuns(runs: readonly PageRun[]): string {
  return runs.map((run) => `${run.start}+${run.pages}`).join("/");
}

export class BufferRuns {
  /** Buffer pages before each run (prefix sums of the lengths), and the total after the last. */
  private readonly offsets: Uint32Array;
  /** The one run starts at page 0: page and index are the same, no search needed. */
  private readonly fromZero: boolean;

  /** Run starts and lengths, sorted by start, trimmed to the buffer's pages. */
  private constructor(
    private readonly starts: Uint32Array,
    private readonly lengths: Uint32Array,
  ) {
    this.offsets = new Uint32Array(starts.length + 1);
    for (let i = 0; i < starts.length; i++) this.offsets[i + 1] = this.offsets[i] + lengths[i];
    this.fromZero = starts.length === 1 && starts[0] === 0;
  }

  /** The block of `pages` pages at page 0 (`contiguous`). */
  static contiguous(pages: number): BufferRuns {
    return new BufferRuns(Uint32Array.of(0), Uint32Array.of(pages));
  }

  /**
   * `text` for a buffer of `bufferPages` in RAM of `pageCount`, or one line on what is wrong,
   * naming the workload parameter `name` it came from.
   */
  static parse(
    text: string,
    bufferPages: number,
    pageCount: number,
    name = BUFFER_RUNS_PARAM.name,
  ): BufferRuns {
    if (text === CONTIGUOUS) return BufferRuns.contiguous(bufferPages);
    const bad = (why: string) => new UsageError(`workload parameter ${name}=${text}: ${why}`);
    const runs = text.split("/").map((part) => {
      const match = /^(\d+)\+(\d+)$/.exec(part.trim());
      if (!match)
        throw bad(`"${part}" is not START+PAGES (page numbers), nor is the whole "contiguous"`);
      return { start: Number(match[1]), pages: Number(match[2]) };
    });
    return BufferRuns.of(runs, bufferPages, pageCount, bad);
  }

  /**
   * A buffer of `bufferPages` in RAM of `pageCount` laid in `runs`, which its pages fill in the
   * order given; `bad` makes the error that says what is wrong with them.
   */
  static of(
    runs: readonly PageRun[],
    bufferPages: number,
    pageCount: number,
    bad: (why: string) => Error = (why) => new RangeError(`buffer runs: ${why}`),
  ): BufferRuns {
    const kept: PageRun[] = [];
    let left = bufferPages;
    for (const { start, pages } of runs) {
      if (pages === 0) throw bad(`run ${start}+${pages} holds no page`);
      if (start + pages > pageCount)
        throw bad(`run ${start}+${pages} ends past the guest's ${pageCount} pages`);
      if (left > 0) kept.push({ start, pages: Math.min(pages, left) });
      left -= Math.min(pages, left);
    }
    if (left > 0)
      throw bad(`the runs hold ${bufferPages - left} pages of the ${bufferPages} needed`);
    kept.sort((a, b) => a.start - b.start);
    for (let i = 1; i < kept.length; i++)
      if (kept[i].start < kept[i - 1].start + kept[i - 1].pages)
        throw bad(`runs at ${kept[i - 1].start} and ${kept[i].start} overlap`);
    return new BufferRuns(
      Uint32Array.from(kept, (r) => r.start),
      Uint32Array.from(kept, (r) => r.pages),
    );
  }

  get runCount(): number {
    return this.starts.length;
  }

  /** The buffer's pages. */
  get pages(): number {
    return this.offsets[this.starts.length];
  }

  /** Whether `page` is one of the buffer's. */
  has(page: number): boolean {
    return this.indexOf(page) >= 0;
  }

  /**
   * The buffer's own number for guest page `page` (0 … pages − 1, in page order), or −1 when
   * the page is not the buffer's: a binary search over the runs.
   */
  indexOf(page: number): number {
    if (this.fromZero) return page < this.offsets[1] ? page : -1;
    const run = this.runAtOrBelow(page);
    if (run < 0 || page >= this.starts[run] + this.lengths[run]) return -1;
    return this.offsets[run] + page - this.starts[run];
  }

  /** The guest page of the buffer's page `index` (0 ≤ index < pages): the inverse of indexOf. */
  pageAt(index: number): number {
    if (this.fromZero) return index;
    const offsets = this.offsets;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (offsets[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.starts[lo] + index - offsets[lo];
  }

  /**
   * Guest page `page`'s number among the pages that are not the buffer's (page less the
   * buffer's pages below it), or −1 when it is the buffer's: one binary search.
   */
  outsideIndex(page: number): number {
    if (this.fromZero) return page < this.offsets[1] ? -1 : page - this.offsets[1];
    const run = this.runAtOrBelow(page);
    if (run < 0) return page;
    const into = page - this.starts[run];
    return into < this.lengths[run] ? -1 : page - this.offsets[run + 1];
  }

  /** Calls `visit(start, end)` for each run, in page order. */
  forEachRun(visit: (start: number, end: number) => void): void {
    for (let i = 0; i < this.starts.length; i++)
      visit(this.starts[i], this.starts[i] + this.lengths[i]);
  }

  /** The last run starting at or below `page`, or −1. */
  private runAtOrBelow(page: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= page) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
