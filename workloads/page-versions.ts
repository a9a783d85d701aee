/**
 * What a trace replay keeps per page its epochs wrote (workloads/trace-workload.ts): the record
 * of the page's latest stored version, the one before it whose difference a rewrite repeats, how
 * many times the page has been rewritten since its latest version was stored, and where the two
 * versions differ (up to MAX_RUNS runs of bytes). One Map lookup gives a page's slot in typed
 * arrays that grow with the pages written, not with the RAM the trace describes; a rewrite costs
 * that lookup and an increment, as the replay meets millions of them (the lab's `stride` trace:
 * 322 000 touches/s).
 *
 * The runs are kept because a rewritten page is read at every send: inflating the version before
 * each time too cycles the reader's block cache over twice the dirty working set (the lab's
 * `stride` buffer: 2 × 16 MiB in a 32 MiB cache, every read a miss, 5× slower), while its runs
 * are found once per stored version.
 */

import { TRACE_PAGE_SIZE } from "./trace-format.ts";

/** `previous` of a page whose rewrites change nothing (no version before, or a zero one). */
export const NO_VERSION = -2;

const INITIAL_SLOTS = 1024;
/** Runs of changed bytes a slot keeps; a change in more runs is read from the version before. */
export const MAX_RUNS = 8;
/** runCount values: the runs are not known yet, or there are more than MAX_RUNS. */
export const RUNS_UNKNOWN = 255;
export const RUNS_TOO_MANY = 254;

export class PageVersions {
  /** Where the caller reads a slot's latest version and the one before for findRuns(). */
  readonly latestPage = new Uint8Array(TRACE_PAGE_SIZE);
  readonly previousPage = new Uint8Array(TRACE_PAGE_SIZE);
  private readonly latestWords = new Int32Array(this.latestPage.buffer);
  private readonly previousWords = new Int32Array(this.previousPage.buffer);
  private readonly slots = new Map<number, number>();
  // Records are indices into the reader's records (−1: zero): Float64 holds any of them exactly.
  private latest = new Float64Array(INITIAL_SLOTS);
  private previous = new Float64Array(INITIAL_SLOTS);
  private rewrites = new Uint32Array(INITIAL_SLOTS);
  private runCounts = new Uint8Array(INITIAL_SLOTS);
  /** Per slot MAX_RUNS pairs [start, end) of byte offsets where latest and previous differ. */
  private runs = new Uint16Array(INITIAL_SLOTS * MAX_RUNS * 2);

  /** Pages written so far. */
  get size(): number {
    return this.slots.size;
  }

  /** The slot of `page`, or −1 when no epoch has written it; the getters below take it. */
  slotOf(page: number): number {
    return this.slots.get(page) ?? -1;
  }

  /** The record of the latest stored version in `slot`. */
  latestAt(slot: number): number {
    return this.latest[slot];
  }

  /** The record before the latest in `slot` (NO_VERSION: rewrites change nothing). */
  previousAt(slot: number): number {
    return this.previous[slot];
  }

  /** Rewrites of the page in `slot` since its latest version was stored. */
  rewritesAt(slot: number): number {
    return this.rewrites[slot];
  }

  /** How many runs the slot's change has (RUNS_UNKNOWN, RUNS_TOO_MANY, or 0…MAX_RUNS). */
  runCountAt(slot: number): number {
    return this.runCounts[slot];
  }

  /**
   * Finds and keeps where the slot's two versions differ, which the caller has read into
   * latestPage and previousPage; returns runCountAt(slot) after it. Equal words are skipped four
   * bytes at a time: the lab's `stride` replay meets ~20 000 new versions a second.
   */
  findRuns(slot: number): number {
    const [latest, previous] = [this.latestPage, this.previousPage];
    const [latestWords, previousWords] = [this.latestWords, this.previousWords];
    const runs = this.runs;
    const base = slot * MAX_RUNS * 2;
    const n = latest.length;
    let count = 0;
    let i = 0;
    while (i < n) {
      if ((i & 3) === 0) {
        let w = i >> 2;
        while (w < latestWords.length && latestWords[w] === previousWords[w]) w++;
        i = w << 2;
        if (i >= n) break;
      }
      if (latest[i] === previous[i]) {
        i++;
        continue;
      }
      if (count === MAX_RUNS) {
        count = RUNS_TOO_MANY;
        break;
      }
      const start = i;
      while (i < n && latest[i] !== previous[i]) i++;
      runs[base + 2 * count] = start;
      runs[base + 2 * count + 1] = i;
      count++;
    }
    this.runCounts[slot] = count;
    return count;
  }

  /** rewrittenPage() from the slot's runs (runCountAt(slot) ≤ MAX_RUNS): no version before read. */
  stepRuns(slot: number, page: Uint8Array): void {
    const step = this.rewrites[slot] % REWRITE_CYCLE;
    if (step === 0) return;
    const runs = this.runs;
    const base = slot * MAX_RUNS * 2;
    const count = this.runCounts[slot];
    for (let k = 0; k < count; k++) {
      const end = runs[base + 2 * k + 1];
      for (let i = runs[base + 2 * k]; i < end; i++) page[i] = stepByte(page[i], step);
    }
  }

  /** The record of `page`'s latest stored version, or undefined when no epoch has written it. */
  latestOf(page: number): number | undefined {
    const slot = this.slots.get(page);
    return slot === undefined ? undefined : this.latest[slot];
  }

  /** A content epoch wrote `version` to `page`; `before` is the version it changed. */
  write(page: number, version: number, before: number): void {
    let slot = this.slots.get(page);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.latest.length) this.grow();
      this.slots.set(page, slot);
    }
    this.latest[slot] = version;
    this.previous[slot] = before;
    this.rewrites[slot] = 0;
    this.runCounts[slot] = RUNS_UNKNOWN;
  }

  /** `page` was written again (a touch, or a gap between re-reads); unwritten pages stay. */
  rewrite(page: number): void {
    const slot = this.slots.get(page);
    if (slot !== undefined) this.rewriteSlot(slot);
  }

  /** rewrite() of the page in `slot` (from slotOf(); a page keeps its slot for the run). */
  rewriteSlot(slot: number): void {
    // Wraps after 2^32 rewrites, far beyond any trace; only the count mod 255 is read.
    this.rewrites[slot] = (this.rewrites[slot] + 1) >>> 0;
  }

  private grow(): void {
    const size = this.latest.length * 2;
    const latest = new Float64Array(size);
    latest.set(this.latest);
    const previous = new Float64Array(size);
    previous.set(this.previous);
    const rewrites = new Uint32Array(size);
    rewrites.set(this.rewrites);
    const runCounts = new Uint8Array(size);
    runCounts.set(this.runCounts);
    const runs = new Uint16Array(size * MAX_RUNS * 2);
    runs.set(this.runs);
    [this.latest, this.previous, this.rewrites] = [latest, previous, rewrites];
    [this.runCounts, this.runs] = [runCounts, runs];
  }
}

/** Rewrites after which a page holds its stored version again (the cycle of stepByte). */
export const REWRITE_CYCLE = 255;

/**
 * The page after `rewrites` rewrites of its latest stored version `latest` (in place): every byte
 * its last recorded change changed (where `previous`, the version before, differs) steps
 * `rewrites` places along the cycle of the 255 non-zero byte values, so each rewrite gives the
 * page new bytes exactly where the recorded change put them — as QEMU's `stride` guest increments
 * the same four bytes of a page on every lap — and never makes a changed byte zero, so a page a
 * rewrite changed is never a zero page (TraceRun.isZero need not inflate it).
 */
export function rewrittenPage(latest: Uint8Array, previous: Uint8Array, rewrites: number): void {
  const step = rewrites % REWRITE_CYCLE;
  if (step === 0) return;
  const n = latest.length;
  for (let i = 0; i < n; i++) if (latest[i] !== previous[i]) latest[i] = stepByte(latest[i], step);
}

/** `v` moved `step` (1…254) places along 1 … 255: 0 ↦ step, v ≥ 1 ↦ 1 + ((v − 1 + step) mod 255). */
function stepByte(v: number, step: number): number {
  return 1 + ((v + step - 1) % REWRITE_CYCLE);
}
