import { UsageError } from "../lib/errors.ts";

/**
 * Where a load's buffer lies in guest-physical memory: runs of contiguous pages. A guest kernel
 * hands a program's buffer out of its free lists, so a 16 MiB buffer in a freshly booted
 * minimal guest lies in a few runs far apart (the lab's `stride` guests: 867 pages at 10 397,
 * 2 913 at 12 288 and ~300 at 130 680, docs/VALIDATION.md), not in one block. That decides
 * which of its pages share a slot of QEMU's direct-mapped XBZRLE cache (page_cache.c
 * cache_get_cache_pos(): page number modulo the slots): with a 16 MiB cache those runs collide
 * on ~720 slots, and the pages that lose resend in full every sync.
 *
 * Text form: `contiguous` (pages 0 … n−1, the default), or `START+PAGES/START+PAGES/…` in page
 * numbers (slashes, since a comma in `--set` lists a sweep's values); the buffer's pages fill
 * the runs in the order given, so runs may hold more pages than the buffer (the rest is left
 * alone). Memory: two numbers per run.
 */

export const CONTIGUOUS = "contiguous";

/** A run of contiguous guest pages. */
export interface PageRun {
  readonly start: number;
  readonly pages: number;
}

/** Runs in the text form BufferRuns.parse reads: `START+PAGES/…`. */
export function formatRuns(runs: readonly PageRun[]): string {
  return runs.map((run) => `${run.start}+${run.pages}`).join("/");
}

export class BufferRuns {
  /** Run starts and lengths, sorted by start, trimmed to the buffer's pages. */
  private constructor(
    private readonly starts: Uint32Array,
    private readonly lengths: Uint32Array,
  ) {}

  /** `text` for a buffer of `bufferPages` in RAM of `pageCount`, or one line on what is wrong. */
  static parse(text: string, bufferPages: number, pageCount: number): BufferRuns {
    if (text === CONTIGUOUS) return new BufferRuns(Uint32Array.of(0), Uint32Array.of(bufferPages));
    const bad = (why: string) => new UsageError(`workload parameter buffer_runs=${text}: ${why}`);
    const runs: [number, number][] = [];
    let left = bufferPages;
    for (const part of text.split("/")) {
      const match = /^(\d+)\+(\d+)$/.exec(part.trim());
      if (!match)
        throw bad(`"${part}" is not START+PAGES (page numbers), nor is the whole "contiguous"`);
      const start = Number(match[1]);
      const pages = Number(match[2]);
      if (pages === 0) throw bad(`run ${part} holds no page`);
      if (start + pages > pageCount)
        throw bad(`run ${part} ends past the guest's ${pageCount} pages`);
      if (left > 0) runs.push([start, Math.min(pages, left)]);
      left -= Math.min(pages, left);
    }
    if (left > 0) throw bad(`the runs hold ${bufferPages - left} pages, the buffer ${bufferPages}`);
    runs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < runs.length; i++)
      if (runs[i][0] < runs[i - 1][0] + runs[i - 1][1])
        throw bad(`runs at ${runs[i - 1][0]} and ${runs[i][0]} overlap`);
    return new BufferRuns(
      Uint32Array.from(runs, (r) => r[0]),
      Uint32Array.from(runs, (r) => r[1]),
    );
  }

  get runCount(): number {
    return this.starts.length;
  }

  /** Whether `page` is one of the buffer's: a binary search over the runs. */
  has(page: number): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const start = this.starts[mid];
      if (page < start) hi = mid - 1;
      else if (page >= start + this.lengths[mid]) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Calls `visit(start, end)` for each run, in page order. */
  forEachRun(visit: (start: number, end: number) => void): void {
    for (let i = 0; i < this.starts.length; i++)
      visit(this.starts[i], this.starts[i] + this.lengths[i]);
  }
}
