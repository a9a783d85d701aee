import { mean } from "simple-statistics";
import { isZeroPage } from "../lib/zero-page.ts";
import { type BufferRuns, type PageRun, pageRuns } from "../workloads/buffer-runs.ts";
import { TRACE_PAGE_SIZE } from "../workloads/trace-format.ts";
import type { TraceReader } from "../workloads/trace-reader.ts";
import type { LabRun } from "./migration-run.ts";
import type { GuestLoad } from "./vm.ts";

/**
 * The guest OS's non-zero pages under each load, measured from the load's trace: the image's
 * non-zero pages less the load's own. A loaded guest holds fewer than an idle one (the lab's
 * idle guest ~24 300 pages, 95 MiB; under `zipf` ~19 500): the load's buffer is allocated
 * from free pages the kernel zeroes, and those include pages that held data once (the unpacked
 * initramfs's source, freed page cache). The synthetic workloads' OS base
 * (workloads/os-base.ts `os_share`) takes this figure when the run has the load's trace, and
 * the idle guest's otherwise (validate/compare.ts).
 */

/**
 * The top of RAM that the OS's top block is measured in (workloads/os-base.ts `os_top_pages`):
 * the lab's guests held 2 533–3 035 non-zero pages in their top 4 096 in every trace (16 boots),
 * and in 15 of them fewer than 30 in the 4 096 below (memblock's top-down boot allocations).
 */
export const TOP_WINDOW_PAGES = 4096;

/** A trace image's non-zero pages: all of them, and those in the top TOP_WINDOW_PAGES of RAM. */
export interface ImageCounts {
  readonly nonZero: number;
  readonly topNonZero: number;
}

/** Counts a trace's image (its epoch 0) in one pass. */
export function imageNonZeroPages(reader: TraceReader): ImageCounts {
  const [from, to] = reader.epochRecordRange(0);
  const topFrom = reader.pageCount - TOP_WINDOW_PAGES;
  const page = new Uint8Array(TRACE_PAGE_SIZE);
  let nonZero = 0;
  let topNonZero = 0;
  for (let r = from; r < to; r++) {
    reader.readRecord(r, page);
    if (isZeroPage(page)) continue;
    nonZero++;
    if ((reader.records[r] & 0x7fffffff) >= topFrom) topNonZero++;
  }
  return { nonZero, topNonZero };
}

/**
 * Gaps closed between the OS's non-zero pages when they are written as runs: the lab's guests'
 * ~15 000–21 000 OS pages below the top block lie in ~170–190 runs page by page, in ~22 with
 * gaps of up to 32 pages closed, which then span ~3 % more pages than they hold.
 */
const OS_GAP_PAGES = 32;

/** The OS's pages in a trace image, once the load's own are known. */
export interface OsImage {
  /** Non-zero pages outside the load's. */
  readonly pages: number;
  /** Of them, those in the top TOP_WINDOW_PAGES of RAM (workloads/os-base.ts `os_top_pages`). */
  readonly topPages: number;
  /** Those below the top window as runs closed over OS_GAP_PAGES (`os_layout`). */
  readonly runs: readonly PageRun[];
}

/**
 * The OS's non-zero pages in a trace's image (its epoch 0): every non-zero page that is not
 * the load's (`load`, from buffer-layout.ts). Exact where measuredOsBytes estimates: it needs
 * no model of how many of the load's pages its writes had reached.
 */
export function osImage(reader: TraceReader, load: BufferRuns): OsImage {
  const [from, to] = reader.epochRecordRange(0);
  const topFrom = reader.pageCount - TOP_WINDOW_PAGES;
  const page = new Uint8Array(TRACE_PAGE_SIZE);
  const below: number[] = [];
  let pages = 0;
  let topPages = 0;
  for (let r = from; r < to; r++) {
    const number = reader.records[r] & 0x7fffffff;
    if (load.has(number)) continue;
    reader.readRecord(r, page);
    if (isZeroPage(page)) continue;
    pages++;
    if (number >= topFrom) topPages++;
    else below.push(number);
  }
  below.sort((a, b) => a - b);
  return { pages, topPages, runs: pageRuns(below, OS_GAP_PAGES) };
}

/** The pages a load owns: stride's buffer, a random writer's table (loadgen.c); idle none. */
export function loadOwnPages(load: GuestLoad): number {
  return load.mode === "idle" ? 0 : (load.args[0] * 1024 * 1024) / TRACE_PAGE_SIZE;
}

/**
 * The load's own non-zero pages after `writes` of its writes (validate/guest/loadgen.c): every
 * page of stride's buffer (each pass changes every page); for the random writers, the expected
 * number of distinct pages `writes` draws reach in a zeroed table of N pages — uniform:
 * N(1 − (1 − 1/N)^w); Zipf(1.0): Σᵢ 1 − (1 − pᵢ)^w with pᵢ = (1/i) / H_N.
 */
export function loadNonZeroPages(load: GuestLoad, writes: number): number {
  const n = loadOwnPages(load);
  switch (load.mode) {
    case "idle":
      return 0;
    case "stride":
      return n;
    case "sparse":
      return n * (1 - (1 - 1 / n) ** writes);
    case "zipf": {
      let harmonic = 0;
      for (let i = 1; i <= n; i++) harmonic += 1 / i;
      let pages = 0;
      for (let i = 1; i <= n; i++) pages += 1 - (1 - 1 / (i * harmonic)) ** writes;
      return pages;
    }
  }
}

/**
 * The load's writes at `loadS` on its clock, from its migrations' start heartbeats (writes and
 * time) and its fixed write rate; null when no run kept one.
 */
export function writesAt(load: GuestLoad, runs: readonly LabRun[], loadS: number): number | null {
  if (load.mode !== "sparse" && load.mode !== "zipf") return 0;
  const rate = load.args[1];
  const at = runs.flatMap((run) =>
    run.config.load.mode === load.mode && run.loadAtStart
      ? [run.loadAtStart.writes + rate * (loadS - run.loadAtStart.tMs / 1000)]
      : [],
  );
  return at.length === 0 ? null : Math.max(0, mean(at));
}

/**
 * The OS's non-zero bytes in the guest whose trace image holds `image`, and whose time 0 is
 * `startsAtLoadS` on the load's clock; null when the load's writes by then are unknown.
 */
export function measuredOsBytes(
  image: ImageCounts,
  load: GuestLoad,
  runs: readonly LabRun[],
  startsAtLoadS: number,
): number | null {
  const writes = writesAt(load, runs, startsAtLoadS);
  if (writes === null) return null;
  const os = image.nonZero - loadNonZeroPages(load, writes);
  return Math.max(0, Math.round(os)) * TRACE_PAGE_SIZE;
}
