import { PAGE_SIZE } from "../lib/page.ts";
import type { PageBitmap } from "../lib/page-bitmap.ts";
import { BUFFER_RUNS_PARAM, type BufferRuns, bufferRunsOf } from "./buffer-runs.ts";
import { checkForward } from "./heap-model.ts";
import { OS_BASE_PARAMS, type OsBase, osBase } from "./os-base.ts";
import { PageWords } from "./page-content.ts";
import type { WorkloadDefinition, WorkloadRun } from "./types.ts";
import { checkedPageCount, numberParam, param, regionPages } from "./workload-params.ts";

/**
 * `stride` — the load generator of QEMU's XBZRLE documentation (docs/devel/migration, "xbzrle"
 * section; the same test as patch v3/v4's "with XBZRLE migration completed in 110 s; without it
 * could not complete", docs/SOURCES.md#patches):
 *
 *     char *buf = calloc(4096, 4096);            // a 16 MiB buffer, zeroed
 *     while (1) for (i = 0; i < 4096 * 4; i++) buf[i * 4096 / 4]++;
 *
 * Each pass adds 1 to one byte every 1024 bytes — 4 bytes in each of the buffer's 4096 pages.
 * So after n passes every byte at an offset ≡ 0 (mod 1024) of the buffer holds n mod 256, every
 * other byte 0, and the whole buffer is zero whenever n ≡ 0 (mod 256). The rest of RAM is the
 * guest OS's pages (os-base.ts, `os_share`), scattered and never written, and zero pages.
 *
 * Parameters: `buffer_bytes` (16 MiB, the docs' calloc(4096, 4096)), `passes_per_s`,
 * `buffer_runs` (where the buffer lies: pages 0 … n−1 by default, or a real guest's runs,
 * buffer-runs.ts; the OS base lays its pages over the rest of RAM either way) and `os_share`. The docs' loop runs unthrottled: 18 000–27 000 passes/s natively on this class of
 * machine and ~1 800 in the lab's TCG guest (docs/VALIDATION.md), so the default is 20 000 (the
 * program as the docs run it, at native speed). A slow rate manufactures what the program never
 * does: at 100 passes/s nothing is written for 10 ms at a time, and a stop-and-copy that falls
 * in such a gap finds the buffer clean. Passes happen at t = i / passes_per_s, i = 1, 2, ...
 * Memory: nothing per page (the pass count says everything).
 */
export const stride: WorkloadDefinition = {
  name: "stride",
  description:
    "QEMU docs' XBZRLE load generator: +1 to one byte every 1024 of a 16 MiB buffer, per pass",
  source: "QEMU docs/devel/migration (xbzrle test program); XBZRLE patch v3/v4 cover letter",
  defaultRamBytes: 1024 ** 3,
  params: [
    param({
      name: "buffer_bytes",
      unit: "bytes",
      defaultValue: 16 * 1024 ** 2,
      description: "size of the buffer the loop walks (calloc(4096, 4096) in the docs)",
      min: PAGE_SIZE,
    }),
    param({
      name: "passes_per_s",
      unit: "passes/s",
      defaultValue: 20_000,
      description:
        "passes over the buffer per second, each adding 1 to every 1024th byte (native: 18 000–27 000; TCG: ~1 800)",
      min: 0,
    }),
    BUFFER_RUNS_PARAM,
    ...OS_BASE_PARAMS,
  ],
  // The docs' loop itself is deterministic; only the OS pages' layout comes from the seed
  // (os-base.ts), and with os_share = 0 there are none.
  usesSeed: (params) => numberParam(params, "os_share") > 0,
  create(options) {
    return new StrideRun(options.ramBytes, options.seed, options.params);
  },
};

/** Distance between the bytes a pass increments (4096 / 4 in the docs' loop). */
export const STRIDE_BYTES = 1024;

class StrideRun implements WorkloadRun {
  readonly pageCount: number;
  readonly endS = null;
  timeS = 0;
  private readonly bufferPages: number;
  private readonly buffer: BufferRuns;
  private readonly passesPerS: number;
  private readonly os: OsBase;
  private readonly view = new PageWords();
  private passes = 0;

  constructor(ramBytes: number, seed: number, params: Readonly<Record<string, number | string>>) {
    this.pageCount = checkedPageCount(ramBytes);
    const bufferBytes = numberParam(params, "buffer_bytes");
    this.bufferPages = regionPages(bufferBytes, this.pageCount, "buffer_bytes");
    this.buffer = bufferRunsOf(params, this.bufferPages, this.pageCount);
    this.passesPerS = numberParam(params, "passes_per_s");
    this.os = osBase(seed, this.pageCount, this.buffer, params);
  }

  /** Completed passes so far. */
  get passCount(): number {
    return this.passes;
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    checkForward(this.timeS, timeS);
    const passes = Math.floor(timeS * this.passesPerS);
    if (passes > this.passes) this.buffer.forEachRun((start, end) => dirty.addRange(start, end));
    this.passes = passes;
    this.timeS = timeS;
  }

  isZero(page: number): boolean {
    if (this.buffer.has(page)) return (this.passes & 255) === 0;
    return !this.os.has(page);
  }

  readPage(page: number, out: Uint8Array): void {
    const inBuffer = this.buffer.has(page);
    if (!inBuffer && this.os.has(page)) {
      this.view.bind(out);
      this.os.fill(page, this.view);
      this.view.finish();
      return;
    }
    out.fill(0, 0, PAGE_SIZE);
    if (!inBuffer) return;
    const value = this.passes & 255;
    for (let offset = 0; offset < PAGE_SIZE; offset += STRIDE_BYTES) out[offset] = value;
  }
}
