import { type PageRun, pageRuns } from "../workloads/buffer-runs.ts";
import type { TraceReader } from "../workloads/trace-reader.ts";

/**
 * Where the `stride` guest's buffer lies in guest-physical memory, read from the load's trace:
 * the pages its recorder saw written in at least half of its touch epochs (the buffer, which
 * every pass rewrites, and the loop's own few stack and data pages), as runs in page order
 * (workloads/buffer-runs.ts). The synthetic `stride` lays its buffer there instead of in one
 * block at page 0, so its pages collide in QEMU's direct-mapped XBZRLE cache as the real ones
 * do (docs/VALIDATION.md, fourth session: the lab's guests put the 16 MiB buffer in a few runs
 * between ~40 MiB and the top of RAM, which share ~720 slots of a 16 MiB cache and ~10 of a
 * 64 MiB one). One boot's layout: each migration boots its own guest, whose runs differ a
 * little (real misses per sync with a 16 MiB cache: 386, 386 and 796 in run J).
 */

/** Touch epochs that say which pages are hot; fewer leave the layout unknown. */
const MIN_TOUCH_EPOCHS = 20;

/**
 * How many of a trace's epochs of one kind (touch epochs, or content epochs after the image)
 * wrote each page they wrote, and how many such epochs there were. Memory: one entry per page
 * written.
 */
function epochsWriting(
  reader: TraceReader,
  touch: boolean,
): { counts: Map<number, number>; epochs: number } {
  const counts = new Map<number, number>();
  let epochs = 0;
  for (let e = 1; e < reader.epochs.length; e++) {
    if (reader.epochs[e].touch !== touch) continue;
    epochs++;
    const [first, end] = reader.epochRecordRange(e);
    for (let i = first; i < end; i++) {
      const page = reader.records[i] & 0x7fffffff;
      counts.set(page, (counts.get(page) ?? 0) + 1);
    }
  }
  return { counts, epochs };
}

/** The pages of `counts` whose count passes `keep`, in page order. */
function pagesWhere(counts: Map<number, number>, keep: (n: number) => boolean): number[] {
  return [...counts]
    .filter(([, n]) => keep(n))
    .map(([page]) => page)
    .sort((a, b) => a - b);
}

/** The hot pages of a trace's touch epochs as runs, or null with too few epochs or none hot. */
export function hotPageRuns(reader: TraceReader): PageRun[] | null {
  const { counts, epochs } = epochsWriting(reader, true);
  if (epochs < MIN_TOUCH_EPOCHS) return null;
  const runs = pageRuns(pagesWhere(counts, (n) => 2 * n >= epochs));
  return runs.length === 0 ? null : runs;
}

/**
 * Gaps a random writer's table leaves among the pages the trace saw it write: 25 s of `sparse`
 * (4 000 writes/s over 49 152 pages) reaches ~87 % of them, so an unwritten stretch of the table
 * is a page or three long; `zipf` reaches fewer, but its popular pages are shuffled over the
 * table (loadgen.c `where`), so its gaps stay short too.
 */
const TABLE_GAP_PAGES = 32;

/**
 * The shortest run that is the table's: the idle guest's own writes over a trace (~60 distinct
 * pages in 25 s) come in runs of one to ~60 pages; the lab's tables lie in runs of ≥ 500.
 */
const MIN_TABLE_RUN_PAGES = 64;

/**
 * The share of a table its runs may miss and still place it: the pages at a run's ends the
 * trace never saw written (~13 % of `sparse`'s table over 25 s, so a run's edge is off by a page
 * or two, a few tens of pages over all its runs).
 */
const MAX_UNSEEN_SHARE = 0.01;

/**
 * Where a random writer's table (`sparse`, `zipf`) lies in guest-physical memory, read from the
 * load's trace: the pages its content epochs saw written after its image, less those written in
 * at least half of them (loadgen.c's per-page write counters, ~40 writes a second each, and the
 * OS's busiest pages; a table page is written in ~2 % of 200 ms epochs), as runs in page order,
 * each closed over gaps of up to TABLE_GAP_PAGES and at least MIN_TABLE_RUN_PAGES long. A run's
 * first and last table pages may be ones the trace never saw written, so runs that hold a few
 * pages fewer than the table's `tablePages` (at most MAX_UNSEEN_SHARE) grow at their ends, in
 * page order, into the gaps after them; null when they hold fewer still (a trace too short to
 * reach the table). The
 * lab's `sparse` guests held their 192 MiB table in ~6 runs from page ~11 000 up, with the OS
 * below and around them (docs/VALIDATION.md, seventh session); the synthetic writer lays its
 * working set there (workloads/buffer-runs.ts).
 */
export function writtenPageRuns(reader: TraceReader, tablePages: number): PageRun[] | null {
  const { counts, epochs } = epochsWriting(reader, false);
  const runs = pageRuns(
    pagesWhere(counts, (n) => 2 * n < epochs),
    TABLE_GAP_PAGES,
  ).filter((run) => run.pages >= MIN_TABLE_RUN_PAGES);
  let unseen = tablePages - runs.reduce((sum, run) => sum + run.pages, 0);
  if (unseen > MAX_UNSEEN_SHARE * tablePages) return null;
  for (let i = 0; i < runs.length && unseen > 0; i++) {
    const { start, pages } = runs[i];
    const room = (i + 1 < runs.length ? runs[i + 1].start : reader.pageCount) - (start + pages);
    const grow = Math.min(room, unseen);
    runs[i] = { start, pages: pages + grow };
    unseen -= grow;
  }
  return unseen > 0 ? null : runs;
}
