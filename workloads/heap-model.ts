import { UsageError } from "../lib/errors.ts";
import type { PageBitmap } from "../lib/page-bitmap.ts";
import { applyHotWrites, fillRecords, PageWords } from "./page-content.ts";
import { Permutation } from "./permutation.ts";
import { hash2, hash3, SteadyStream } from "./random.ts";
import { RunLayout } from "./run-layout.ts";
import type { WorkloadRun } from "./types.ts";
import { ZipfSampler } from "./zipf.ts";

/**
 * A region of RAM holding application data (structured rows, page-content.ts fillRecords) with
 * free zero pages, sparse field updates on a Zipf-popular active set, and whole-page rewrites.
 * `sap-like` is this model over all of RAM; `idle` is it with a tiny uniform active set and a
 * trickle of updates; `video-like` and `lmbench-like` use it for the RAM around their buffers.
 *
 * - Active pages (ranks 0..activePages−1 of the Zipf law) are scattered over the region by a
 *   seeded permutation; they are never free.
 * - Sparse updates: a steady stream; each picks a rank by Zipf, counts one write on it and
 *   changes `wordsPerWrite` 8-byte fields cycling over the page's `hotWords` hot fields
 *   (applyHotWrites), so content at write count k is found in O(hotWords).
 * - Rewrites: a steady stream, uniform over the region; each gives the page a new version of
 *   its rows and resets its write count.
 *
 * Memory: rewrites per page of the region (Uint32Array: 4 bytes per page; not allocated when the
 * rewrite rate is 0), and per active page a write counter, its page number and the Zipf alias table (16
 * bytes per active page). Nothing per write.
 */
export interface HeapModelOptions {
  readonly seed: number;
  /** The region is pages [firstPage, firstPage + pages) of the VM. */
  readonly firstPage: number;
  readonly pages: number;
  readonly activePages: number;
  readonly zipfExponent: number;
  readonly writesPerS: number;
  readonly wordsPerWrite: number;
  readonly hotWords: number;
  readonly rewritesPerS: number;
  /** Share of the region that is free (zero) at start; drawn outside the active set. */
  readonly zeroShare: number;
  /**
   * Free and used pages are drawn in runs of this many pages (os-base.ts says why a booted
   * guest's are long); 1 or absent: page by page.
   */
  readonly zeroRunPages?: number;
  /** Workload name for error messages. */
  readonly name: string;
  /** The workload parameter that sizes the active set, for error messages. */
  readonly activeParam?: string;
}

export class HeapModel {
  private readonly seed: number;
  private readonly firstPage: number;
  private readonly pages: number;
  private readonly activePages: number;
  private readonly wordsPerWrite: number;
  private readonly hotWords: number;
  /** P(free) for a page outside the active set, as a threshold on a 32-bit hash. */
  private readonly zeroThreshold: number;
  /** The free runs, when they are longer than a page (RunLayout). */
  private readonly zeroRuns: RunLayout | null;
  /**
   * Sparse writes since the page's last rewrite, indexed by popularity rank: the busiest pages'
   * counters share cache lines, which makes the update loop ~2× faster than a per-page array.
   */
  private readonly writes: Uint32Array;
  /** Rewrites per page of the region; null when the rewrite rate is 0 (nothing to count). */
  private readonly rewrites: Uint32Array | null;
  private readonly scatter: Permutation;
  /** scatter.forward(rank) for every active rank, so an update costs no Feistel rounds. */
  private readonly activePage: Uint32Array;
  private readonly zipf: ZipfSampler;
  private readonly sparse: SteadyStream;
  private readonly dense: SteadyStream;

  constructor(options: HeapModelOptions) {
    const { name, pages, activePages } = options;
    if (options.wordsPerWrite > options.hotWords) {
      throw new UsageError(
        `${name}: words_per_write (${options.wordsPerWrite}) must not exceed hot_words_per_page (${options.hotWords})`,
      );
    }
    if (activePages > pages) {
      throw new UsageError(
        `${name}: the active set (${activePages} pages) exceeds RAM (${pages} pages)`,
      );
    }
    const outside = pages - activePages;
    if (options.zeroShare * pages > outside) {
      // A too-small --ram with the default active set lands here: name the knobs that fix it.
      const knobs = options.activeParam
        ? `--set ${options.activeParam}=... or zero_share=...`
        : "--set zero_share=...";
      throw new UsageError(
        `${name}: zero_share ${options.zeroShare} does not fit outside the active set (at most ${(outside / pages).toFixed(3)}: ${activePages} of ${pages} pages are active); lower ${knobs}, or raise --ram`,
      );
    }
    this.seed = options.seed >>> 0;
    this.firstPage = options.firstPage;
    this.pages = pages;
    this.activePages = activePages;
    this.wordsPerWrite = options.wordsPerWrite;
    this.hotWords = options.hotWords;
    const zeroProbability = outside === 0 ? 0 : (options.zeroShare * pages) / outside;
    this.zeroThreshold = Math.min(0x1_0000_0000, Math.round(zeroProbability * 0x1_0000_0000));
    const runPages = options.zeroRunPages ?? 1;
    this.zeroRuns =
      runPages > 1 ? new RunLayout(pages, runPages, zeroProbability, this.seed ^ 0x2e60) : null;
    this.writes = new Uint32Array(activePages);
    this.rewrites = options.rewritesPerS > 0 ? new Uint32Array(pages) : null;
    this.scatter = new Permutation(pages, hash2(this.seed, 0x5ca7));
    this.activePage = new Uint32Array(activePages);
    for (let rank = 0; rank < activePages; rank++) {
      this.activePage[rank] = options.firstPage + this.scatter.forward(rank);
    }
    this.zipf = new ZipfSampler(Math.max(1, activePages), options.zipfExponent);
    this.sparse = new SteadyStream(hash2(this.seed, 1), activePages > 0 ? options.writesPerS : 0);
    this.dense = new SteadyStream(hash2(this.seed, 2), options.rewritesPerS);
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    const { sparse, dense, writes, rewrites, activePage, zipf, firstPage } = this;
    const sparseDue = sparse.dueBy(timeS);
    const denseDue = dense.dueBy(timeS);
    // Merge the two streams in time order: a rewrite resets the page's write count, so the
    // order of a write and a rewrite of the same page must not depend on how time is sliced.
    // Rule: rewrite j follows every write i ≤ ⌊(j / rewrite rate) × write rate⌋.
    while (sparse.done < sparseDue || dense.done < denseDue) {
      const rewriteDue = dense.done < denseDue;
      const until = rewriteDue
        ? Math.min(sparseDue, Math.max(sparse.done, sparse.dueBy(dense.nextS)))
        : sparseDue;
      const rng = sparse.random;
      for (let i = sparse.done; i < until; i++) {
        const rank = zipf.sample(rng) - 1;
        writes[rank]++;
        dirty.add(activePage[rank]);
      }
      sparse.done = until;
      if (rewriteDue) {
        const local = dense.random.below(this.pages);
        if (rewrites !== null) rewrites[local]++;
        const rank = this.scatter.inverse(local);
        if (rank < this.activePages) writes[rank] = 0;
        dirty.add(firstPage + local);
        dense.done++;
      }
    }
  }

  /** `page` is a VM page number inside the region. */
  isZero(page: number): boolean {
    // Active pages are never free, so a rewrite is the only way a free page stops being zero.
    const local = page - this.firstPage;
    return (this.rewrites === null || this.rewrites[local] === 0) && this.baseIsZero(local);
  }

  readPage(page: number, view: PageWords): void {
    const local = page - this.firstPage;
    const rewrites = this.rewrites === null ? 0 : this.rewrites[local];
    if (rewrites === 0 && this.baseIsZero(local)) {
      view.words.fill(0, view.offset, view.offset + 1024);
      return;
    }
    fillRecords(view.words, view.offset, hash3(this.seed, page, rewrites));
    const rank = this.activePages > 0 ? this.scatter.inverse(local) : 0;
    if (rank < this.activePages && this.writes[rank] > 0) {
      applyHotWrites(
        view.words,
        view.offset,
        this.seed,
        page,
        rewrites,
        this.writes[rank],
        this.wordsPerWrite,
        this.hotWords,
      );
    }
  }

  private baseIsZero(local: number): boolean {
    const free =
      this.zeroRuns === null
        ? hash2(this.seed ^ 0x2e60, local) < this.zeroThreshold
        : this.zeroRuns.has(local);
    if (!free) return false;
    return this.activePages === 0 || this.scatter.inverse(local) >= this.activePages;
  }
}

/** A WorkloadRun that is one HeapModel over all of RAM (sap-like, idle). */
export class HeapRun implements WorkloadRun {
  readonly endS = null;
  timeS = 0;
  private readonly view = new PageWords();
  private readonly heap: HeapModel;

  constructor(
    readonly pageCount: number,
    options: Omit<HeapModelOptions, "firstPage" | "pages">,
  ) {
    this.heap = new HeapModel({ ...options, firstPage: 0, pages: pageCount });
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    checkForward(this.timeS, timeS);
    this.heap.advanceTo(timeS, dirty);
    this.timeS = timeS;
  }

  isZero(page: number): boolean {
    return this.heap.isZero(page);
  }

  readPage(page: number, out: Uint8Array): void {
    this.view.bind(out);
    this.heap.readPage(page, this.view);
    this.view.finish();
  }
}

/** advanceTo's precondition, shared by every generator. */
export function checkForward(currentS: number, timeS: number): void {
  if (!(timeS >= currentS)) {
    throw new RangeError(
      `a workload's time only moves forward (asked ${timeS} s at ${currentS} s)`,
    );
  }
}
