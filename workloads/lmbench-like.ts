import { PAGE_SIZE } from "../lib/page.ts";
import type { PageBitmap } from "../lib/page-bitmap.ts";
import { checkForward, HeapModel } from "./heap-model.ts";
import { PageWords, WORDS_PER_PAGE } from "./page-content.ts";
import type { WorkloadDefinition, WorkloadRun } from "./types.ts";
import {
  checkedPageCount,
  numberParam,
  param,
  regionPages,
  stringParam,
} from "./workload-params.ts";

/**
 * `lmbench-like` — LMbench's memory-write bandwidth benchmark, the VEE'11 paper's first workload
 * (downtime ÷100 with delta compression; docs/SOURCES.md#paper). `bw_mem SIZE fwr` walks a buffer writing
 * every int (`p[i] = 1`, lmbench src/bw_mem.c) over and over: whole pages overwritten
 * sequentially in a loop, at memory-write speed.
 *
 * Model: a buffer of `buffer_bytes` at the start of RAM written sequentially at
 * `write_bytes_per_s`, wrapping around; a page counts as written when the write position passes
 * its end. `pattern=constant` writes what bw_mem writes — the int 1 everywhere — so after the
 * first pass a re-dirtied page is byte-identical to its previous copy (a delta codec sends
 * nothing for it: that is why delta compression cuts this benchmark's downtime so much);
 * `pattern=pass` writes the pass number instead (every page really changes on every pass).
 * The buffer starts zeroed (bw_mem initialises it). The rest of RAM is the guest's code and data
 * (structured, static) with `zero_share` free pages.
 *
 * Content: from the pass count of the page, O(1). Memory: nothing per page.
 * Defaults: a 256 MiB buffer written at 1 GiB/s (a modest guest memory bandwidth; bw_mem runs
 * unthrottled at several GB/s) — 262 144 pages/s dirtied, 8× what 128 MiB/s moves raw; 2 GiB RAM.
 */
export const lmbenchLike: WorkloadDefinition = {
  name: "lmbench-like",
  description: "LMbench bw_mem fwr: whole pages of a buffer overwritten sequentially in a loop",
  source: "VEE'11 paper (LMbench memory write: downtime ÷100); lmbench src/bw_mem.c fwr",
  defaultRamBytes: 2 * 1024 ** 3,
  params: [
    param({
      name: "buffer_bytes",
      unit: "bytes",
      defaultValue: 256 * 1024 ** 2,
      description: "size of the buffer bw_mem walks",
      min: PAGE_SIZE,
    }),
    param({
      name: "write_bytes_per_s",
      unit: "bytes/s",
      defaultValue: 1024 ** 3,
      description: "memory write bandwidth of the loop",
      min: 0,
    }),
    param({
      name: "pattern",
      unit: "",
      defaultValue: "constant",
      description: "what each pass writes: constant (bw_mem's int 1) or pass (the pass number)",
      choices: ["constant", "pass"],
    }),
    param({
      name: "zero_share",
      unit: "fraction",
      defaultValue: 0.5,
      description: "share of the RAM outside the buffer that is free (all-zero)",
      min: 0,
      max: 1,
    }),
  ],
  create(options) {
    const p = options.params;
    const pageCount = checkedPageCount(options.ramBytes);
    const bufferPages = regionPages(numberParam(p, "buffer_bytes"), pageCount - 1, "buffer_bytes");
    const heap = new HeapModel({
      name: "lmbench-like",
      seed: options.seed,
      firstPage: bufferPages,
      pages: pageCount - bufferPages,
      activePages: 0,
      zipfExponent: 0,
      writesPerS: 0,
      wordsPerWrite: 1,
      hotWords: 1,
      rewritesPerS: 0,
      zeroShare: numberParam(p, "zero_share"),
    });
    return new LmbenchRun(
      pageCount,
      bufferPages,
      numberParam(p, "write_bytes_per_s") / PAGE_SIZE,
      stringParam(p, "pattern") === "pass",
      heap,
    );
  },
};

class LmbenchRun implements WorkloadRun {
  readonly endS = null;
  timeS = 0;
  /** Buffer pages written so far, all passes. */
  private written = 0;
  private readonly view = new PageWords();

  constructor(
    readonly pageCount: number,
    private readonly bufferPages: number,
    private readonly pagesPerS: number,
    private readonly writesPassNumber: boolean,
    private readonly heap: HeapModel,
  ) {}

  advanceTo(timeS: number, dirty: PageBitmap): void {
    checkForward(this.timeS, timeS);
    const written = Math.floor(timeS * this.pagesPerS);
    if (written - this.written >= this.bufferPages) {
      for (let page = 0; page < this.bufferPages; page++) dirty.add(page);
    } else {
      for (let g = this.written; g < written; g++) dirty.add(g % this.bufferPages);
    }
    this.written = Math.max(this.written, written);
    this.timeS = timeS;
  }

  /** Times buffer page `page` has been written. */
  private passesOver(page: number): number {
    return this.written > page ? Math.floor((this.written - 1 - page) / this.bufferPages) + 1 : 0;
  }

  isZero(page: number): boolean {
    if (page >= this.bufferPages) return this.heap.isZero(page);
    const passes = this.passesOver(page);
    return passes === 0 || (this.writesPassNumber && passes % 0x1_0000_0000 === 0);
  }

  readPage(page: number, out: Uint8Array): void {
    const view = this.view;
    view.bind(out);
    if (page >= this.bufferPages) {
      this.heap.readPage(page, view);
    } else {
      const passes = this.passesOver(page);
      const value = passes === 0 ? 0 : this.writesPassNumber ? passes >>> 0 : 1;
      view.words.fill(value, view.offset, view.offset + WORDS_PER_PAGE);
    }
    view.finish();
  }
}
