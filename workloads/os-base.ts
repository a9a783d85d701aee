import { fillRecords, type PageWords } from "./page-content.ts";
import { hash2, hash3 } from "./random.ts";
import { RunLayout } from "./run-layout.ts";
import type { WorkloadParams } from "./types.ts";
import { numberParam, param } from "./workload-params.ts";

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

/** The parameters of every workload that has an OS base. */
export const OS_BASE_PARAMS = [OS_SHARE_PARAM, OS_RUN_PARAM, OS_TOP_PARAM];

/**
 * The OS base of a workload of `pageCount` pages whose load owns pages [0, ownPages), from its
 * parameters.
 */
export function osBase(
  seed: number,
  pageCount: number,
  ownPages: number,
  params: WorkloadParams,
): OsBase {
  const share = numberParam(params, OS_SHARE_PARAM.name);
  const runPages = numberParam(params, OS_RUN_PARAM.name);
  // A caller that predates the parameter (a test's own params, an older run's spec): no block.
  const topPages =
    params[OS_TOP_PARAM.name] === undefined ? 0 : numberParam(params, OS_TOP_PARAM.name);
  return new OsBase(seed, ownPages, share, { pageCount, runPages, topPages });
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
  /** The first page of the top block (os_top_pages); the page count when there is none. */
  private readonly topFrom: number;

  /**
   * The load owns pages [0, ownPages); `share` of the other pages are the OS's: the top
   * `topPages` of RAM (at most the share's pages), and each page below with the probability
   * that leaves the rest of the share to them, or, with `runs` of more than one page, exactly
   * that many of them in runs.
   */
  constructor(
    seed: number,
    private readonly ownPages: number,
    share: number,
    layout: { readonly pageCount: number; readonly runPages: number; readonly topPages?: number },
  ) {
    this.seed = seed >>> 0;
    const outside = layout.pageCount - ownPages;
    const wanted = Math.round(share * outside);
    const top = Math.min(layout.topPages ?? 0, wanted);
    this.topFrom = layout.pageCount - top;
    const below = outside - top;
    // Without a top block the share is the caller's own, as before the block existed.
    const belowShare = top === 0 ? share : below > 0 ? (wanted - top) / below : 0;
    this.threshold = Math.round(belowShare * 0x1_0000_0000);
    this.runs =
      layout.runPages > 1 && below > 0
        ? new RunLayout(below, layout.runPages, belowShare, this.seed ^ LAYOUT_SALT)
        : null;
  }

  /** True for an OS page: outside the load's pages, and in the top block or drawn by the layout. */
  has(page: number): boolean {
    if (page < this.ownPages) return false;
    if (page >= this.topFrom) return true;
    if (this.runs !== null) return this.runs.has(page - this.ownPages);
    return hash2(this.seed ^ LAYOUT_SALT, page) < this.threshold;
  }

  /** An OS page's content (call only for a page where has() is true). */
  fill(page: number, view: PageWords): void {
    fillRecords(view.words, view.offset, hash3(this.seed, page, CONTENT_SALT));
  }
}
