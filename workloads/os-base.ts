import { BufferRuns } from "./buffer-runs.ts";
import { fillRecords, type PageWords } from "./page-content.ts";
import { hash2, hash3 } from "./random.ts";
import { RunLayout } from "./run-layout.ts";
import type { WorkloadParams } from "./types.ts";
import { numberParam, param, stringParam } from "./workload-params.ts";

/**
 * The guest operating system under a synthetic load: the non-zero pages a booted Linux guest
 * holds besides the program (kernel text and data, the initramfs, the page cache, struct page
 * arrays). Without them the RAM outside a load's own pages is all zero, so the bulk pass is
 * nearly all 9-byte ZERO records, ends in tens of ms and the VM stops before a rate window has
 * measured any bandwidth; and a direct-mapped cache sees no other pages competing for its slots.
 *
 * Layout: the RAM outside the load's own pages is cut into runs of `os_run_pages` pages, and each
 * run is the OS's with one probability, decided by a hash of (seed, run), so the layout changes
 * with the seed. A booted guest's non-zero pages lie in long runs, not page by page: the lab's
 * idle 512 MiB guest held its 24 300 non-zero pages in ~200 runs, half of them (by pages) in
 * runs of ≥ 2 500 pages (kernel image, initramfs, page cache; docs/VALIDATION.md). The layout
 * decides how a rate window mixes ZERO records with normal pages, and so the time of the bulk
 * pass when the two cost the sender differently; `os_run_pages` = 1 scatters them page by page.
 * OS pages are never written (an idle guest dirties ~50–80 pages/s, which the `idle` workload
 * models); their content is structured data (page-content.ts fillRecords), compressible as
 * kernel and page-cache pages are.
 *
 * The share is of the pages outside the load's own, so it always fits (a load may fill RAM).
 * Default: a minimal Linux guest of 512 MiB (Debian 12's cloud kernel, a busybox initramfs)
 * held ~97 MiB of non-zero pages (docs/VALIDATION.md: `npm run validate:qemu`'s guest), 0.19 of
 * its RAM. Other RAM sizes keep the share, an assumption: a larger guest's OS holds more page
 * cache and larger struct page arrays, though not proportionally.
 */

/** ~97 MiB of non-zero pages in the lab's minimal 512 MiB Linux guest. */
export const MINIMAL_GUEST_OS_SHARE = 0.19;

/** The `os_share` workload parameter, the same for every workload that has an OS base. */
export const OS_SHARE_PARAM = param({
  name: "os_share",
  unit: "fraction",
  defaultValue: MINIMAL_GUEST_OS_SHARE,
  description:
    "share of the RAM outside the load's own pages holding the guest OS's non-zero pages (kernel, initramfs, page cache), scattered, never written (0 = none)",
  min: 0,
  max: 1,
});

/** The `os_run_pages` workload parameter: how long the runs of OS pages are. */
export const OS_RUN_PARAM = param({
  name: "os_run_pages",
  unit: "pages",
  defaultValue: 1,
  description:
    "the OS's non-zero pages lie in runs of this many pages (1 = scattered page by page; the lab's booted guest: ~2048)",
  min: 1,
  max: 1 << 20,
  integer: true,
});

/**
 * The `os_top_pages` workload parameter: a block of OS pages at the top of RAM. Linux's boot
 * allocator (memblock) hands out memory top-down, so a guest's struct page array (64 bytes a
 * page: 2 048 pages for 512 MiB) and early tables sit at the top of its RAM; every trace of the
 * lab's 512 MiB guest, 16 boots, held 2 533–3 035 non-zero pages in its top 4 096. The bulk pass
 * ends on them, so the rate window that sets the threshold for the first sync after it sends
 * normal pages at the rate cap rather than only ZERO records (docs/VALIDATION.md, fifth session).
 */
export const OS_TOP_PARAM = param({
  name: "os_top_pages",
  unit: "pages",
  defaultValue: 0,
  description:
    "the last this many pages of RAM are OS pages, counted in os_share (a Linux guest's boot allocations sit at the top of its RAM; the lab's 512 MiB guest: ~2700; 0 = none)",
  min: 0,
  max: 1 << 26,
  integer: true,
});

/** `os_layout`'s default: the OS's runs placed by the seed. */
export const SCATTERED = "scattered";

/**
 * The `os_layout` workload parameter: where the OS's pages below the top block lie. A booted
 * guest's are not anywhere: the lab's 512 MiB guests held them in ~20 runs in the lowest
 * ~50 000 pages, around the load's own, the idle guest one more cluster at ~82 000–106 000,
 * and none in the ~20 000 pages or more below the top block (docs/VALIDATION.md, seventh
 * session). Where they lie decides how many unsent pages QEMU still counts when it compares
 * them with the threshold.
 */
export const OS_LAYOUT_PARAM = param({
  name: "os_layout",
  unit: "pages",
  defaultValue: SCATTERED,
  description:
    "where the OS's pages below the top block lie: scattered (runs of os_run_pages placed by the seed) or runs START+PAGES/... (a real guest's) that os_share's pages fill in order",
});

/** The parameters of every workload that has an OS base. */
export const OS_BASE_PARAMS = [OS_SHARE_PARAM, OS_RUN_PARAM, OS_TOP_PARAM, OS_LAYOUT_PARAM];

/**
 * The OS base of a workload of `pageCount` pages whose load owns the pages of `load`, from its
 * parameters.
 */
export function osBase(
  seed: number,
  pageCount: number,
  load: BufferRuns,
  params: WorkloadParams,
): OsBase {
  const share = numberParam(params, OS_SHARE_PARAM.name);
  const runPages = numberParam(params, OS_RUN_PARAM.name);
  // A caller that predates the parameter (a test's own params, an older run's spec): no block.
  const topPages =
    params[OS_TOP_PARAM.name] === undefined ? 0 : numberParam(params, OS_TOP_PARAM.name);
  const placed =
    params[OS_LAYOUT_PARAM.name] === undefined
      ? SCATTERED
      : stringParam(params, OS_LAYOUT_PARAM.name);
  return new OsBase(seed, load, share, { pageCount, runPages, topPages, placed });
}

/** Salts, so the OS layout and contents are independent of the load's own hashes. */
const LAYOUT_SALT = 0x05ba5e00;
const CONTENT_SALT = 0x05c0de00;

export class OsBase {
  private readonly seed: number;
  /** P(a page below the top block is an OS page) as a threshold on a 32-bit hash (runs of one page). */
  private readonly threshold: number;
  /** The OS runs below the top block, when they are longer than a page. */
  private readonly runs: RunLayout | null;
  /** The OS's pages below the top block when `os_layout` gives them as runs of guest pages. */
  private readonly placed: BufferRuns | null;
  /** The first page of the top block, counted among the pages outside the load (os_top_pages). */
  private readonly topFrom: number;

  /**
   * The load owns the pages of `load`; `share` of the other pages are the OS's: the top
   * `topPages` of them (at most the share's pages), and each one below with the probability
   * that leaves the rest of the share to them, or, with `runs` of more than one page, exactly
   * that many of them in runs. The pages outside the load are numbered without the load's
   * (load.outsideIndex), so a load at page 0 or in runs elsewhere leaves the OS the
   * same layout over what is left. With `placed` runs (os_layout) the pages below the top block
   * are instead the runs' first pages, in the order given; a page of them that is the load's,
   * or in the top block, counts once, as that.
   */
  constructor(
    seed: number,
    private readonly load: BufferRuns,
    share: number,
    layout: {
      readonly pageCount: number;
      readonly runPages: number;
      readonly topPages?: number;
      readonly placed?: string;
    },
  ) {
    this.seed = seed >>> 0;
    const outside = layout.pageCount - load.pages;
    const wanted = Math.round(share * outside);
    const top = Math.min(layout.topPages ?? 0, wanted);
    this.topFrom = outside - top;
    const below = outside - top;
    // Without a top block the share is the caller's own, as before the block existed.
    const belowShare = top === 0 ? share : below > 0 ? (wanted - top) / below : 0;
    this.threshold = Math.round(belowShare * 0x1_0000_0000);
    const placed = layout.placed ?? SCATTERED;
    this.placed =
      placed === SCATTERED
        ? null
        : BufferRuns.parse(placed, wanted - top, layout.pageCount, OS_LAYOUT_PARAM.name);
    this.runs =
      this.placed === null && layout.runPages > 1 && below > 0
        ? new RunLayout(below, layout.runPages, belowShare, this.seed ^ LAYOUT_SALT)
        : null;
  }

  /** True for an OS page: outside the load's pages, and in the top block or drawn by the layout. */
  has(page: number): boolean {
    const outside = this.load.outsideIndex(page);
    if (outside < 0) return false;
    if (outside >= this.topFrom) return true;
    if (this.placed !== null) return this.placed.has(page);
    if (this.runs !== null) return this.runs.has(outside);
    return hash2(this.seed ^ LAYOUT_SALT, page) < this.threshold;
  }

  /** An OS page's content (call only for a page where has() is true). */
  fill(page: number, view: PageWords): void {
    fillRecords(view.words, view.offset, hash3(this.seed, page, CONTENT_SALT));
  }
}
