import { PAGE_SIZE } from "../lib/page.ts";
import { PageBitmap } from "../lib/page-bitmap.ts";
import type { WorkloadRun } from "./types.ts";

/**
 * The two measurements of `npm run bench:workloads` (workloads/bench.ts), as pure functions of a
 * WorkloadRun so tests call them on a small VM:
 * - fullPass: what the simulator's bulk pass asks of a generator — which pages are zero, and
 *   every non-zero page's bytes once. The issue's acceptance test: a 64 GiB sap-like VM must
 *   survive this within 2 GiB of RSS, so nothing here grows with RAM except one PageBitmap
 *   (1 bit per page) to absorb the writes up to the start time.
 * - dirtyWindows: distinct pages dirtied per window of w seconds, the quantity that decides
 *   whether pre-copy converges (a pass can only finish when the pages dirtied while it is sent
 *   fit in it; see the defaults' argument in workloads/sap-like.ts).
 */

export interface FullPassResult {
  readonly pages: number;
  readonly zeroPages: number;
  /** Non-zero pages, each read once with readPage(). */
  readonly readPages: number;
  /** Order-sensitive fold of every read page's 32-bit words (see fullPass): a fingerprint. */
  readonly checksum: number;
}

/** The 32-bit FNV prime: multiplying by it spreads every bit of the running checksum. */
const FNV_PRIME = 0x01000193;

/** How often (in pages visited) fullPass reports progress: rare enough to cost nothing. */
export const PROGRESS_EVERY_PAGES = 1 << 18;

/**
 * Move `run` to `atS`, dropping which pages were written (a full pass reads every page anyway).
 * The bitmap is the only allocation that grows with RAM: 1 bit per page.
 */
export function skipTo(run: WorkloadRun, atS: number): void {
  if (atS > run.timeS) run.advanceTo(atS, new PageBitmap(run.pageCount));
}

/**
 * Visit every page at the run's current time: isZero(), and readPage() into one reused buffer
 * for each non-zero page. `onProgress(pagesVisited)` is called every PROGRESS_EVERY_PAGES pages.
 */
export function fullPass(
  run: WorkloadRun,
  onProgress?: (pagesVisited: number) => void,
): FullPassResult {
  const page = new Uint8Array(PAGE_SIZE);
  const words = new Uint32Array(page.buffer);
  const pages = run.pageCount;
  let zeroPages = 0;
  let checksum = 0;
  for (let p = 0; p < pages; p++) {
    if ((p & (PROGRESS_EVERY_PAGES - 1)) === 0 && onProgress && p > 0) onProgress(p);
    if (run.isZero(p)) {
      zeroPages++;
      continue;
    }
    run.readPage(p, page);
    // XOR and sum of the page's words (two independent accumulators, so the loop stays cheap),
    // folded FNV-style into an order-sensitive checksum. XOR alone is not enough: a page of one
    // repeated word (stride's and lmbench-like's constant fills) XORs to 0. The point is that
    // the bytes are used — V8 cannot drop a readPage() whose output feeds the result — and that
    // the same (seed, time) gives the same checksum.
    let pageXor = 0;
    let pageSum = 0;
    for (let w = 0; w < words.length; w++) {
      const word = words[w];
      pageXor ^= word;
      pageSum = (pageSum + word) | 0;
    }
    checksum = Math.imul(checksum ^ pageXor, FNV_PRIME);
    checksum = Math.imul(checksum ^ pageSum, FNV_PRIME);
    // A multiply only carries upwards; the shift brings high bits back down to the low ones.
    checksum = (checksum ^ (checksum >>> 15)) >>> 0;
  }
  onProgress?.(pages);
  return { pages, zeroPages, readPages: pages - zeroPages, checksum };
}

export interface WindowStats {
  readonly windowS: number;
  readonly windows: number;
  /** Distinct pages dirtied per window. */
  readonly meanPages: number;
  readonly minPages: number;
  readonly maxPages: number;
}

/**
 * Distinct pages dirtied in each of `windows` consecutive windows of `windowS` seconds, the
 * first starting at `startS`. A window's end is computed from its index (not by adding windowS
 * up), so rounding never shifts the windows. `onWindow` is called after each window.
 */
export function dirtyWindows(
  run: WorkloadRun,
  startS: number,
  windowS: number,
  windows: number,
  onWindow?: () => void,
): Uint32Array {
  if (!(windowS > 0)) throw new RangeError(`window length ${windowS} s is not positive`);
  const dirty = new PageBitmap(run.pageCount);
  if (startS > run.timeS) run.advanceTo(startS, dirty);
  const counts = new Uint32Array(windows);
  for (let i = 0; i < windows; i++) {
    dirty.clear();
    run.advanceTo(startS + (i + 1) * windowS, dirty);
    counts[i] = dirty.size;
    onWindow?.();
  }
  return counts;
}

export function windowStats(windowS: number, counts: Uint32Array): WindowStats {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const count of counts) {
    sum += count;
    if (count < min) min = count;
    if (count > max) max = count;
  }
  const windows = counts.length;
  return {
    windowS,
    windows,
    meanPages: windows === 0 ? Number.NaN : sum / windows,
    minPages: windows === 0 ? Number.NaN : min,
    maxPages: windows === 0 ? Number.NaN : max,
  };
}
