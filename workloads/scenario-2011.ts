import { PAGE_SIZE } from "../lib/page.ts";
import type { PageBitmap } from "../lib/page-bitmap.ts";
import { BufferRuns } from "./buffer-runs.ts";
import { checkForward } from "./heap-model.ts";
import { OS_BASE_PARAMS, type OsBase, osBase } from "./os-base.ts";
import { fillRandom, PageWords } from "./page-content.ts";
import { hash2, hash3, xorshift32 } from "./random.ts";
import type { WorkloadDefinition, WorkloadParam, WorkloadRun } from "./types.ts";
import { UniformWrites } from "./uniform.ts";
import { checkedPageCount, numberParam, param, regionPages } from "./workload-params.ts";

/**
 * `sparse` and `medium` — the two scenarios of the Aug 2011 qemu-devel codec comparison
 * (docs/SOURCES.md#patches): a changed area of `len` bytes every `step` bytes of a page.
 * SPARSE: step 1111, len 12 (areas at offsets 0, 1111, 2222, 3333); MEDIUM: step 701, len 33
 * (offsets 0, 701, …, 3505). The table measured one page at a time; here the pattern is put in
 * time: `pages_per_s` page updates per second (steady stream), each on a page drawn uniformly from
 * the working set (the first `wss` bytes of RAM), rewriting every area of that page with new
 * random bytes. Working-set pages start random (the 2011 test pages were random data); the rest of
 * RAM is the guest OS's pages (os-base.ts, `os_share`, never written) and zero pages.
 *
 * Content: an update replaces every area, so a page after k updates is its base page with the
 * areas of update k: O(1) per read. Memory: a Uint32Array update counter per working-set page.
 * Defaults: 256 MiB working set, 50 000 page updates/s (above the 32 768 pages/s QEMU's default
 * 128 MiB/s moves raw, so raw struggles and the codecs decide convergence); RAM 1 GiB.
 */
/** The two scenarios' change patterns: a changed area of `len` bytes every `step` bytes. */
export const SCENARIO_2011_AREAS = {
  sparse: { len: 12, step: 1111 },
  medium: { len: 33, step: 701 },
} as const satisfies Record<string, { readonly len: number; readonly step: number }>;

function scenarioParams(len: number, step: number): WorkloadParam[] {
  return [
    param({
      name: "wss",
      unit: "bytes",
      defaultValue: 256 * 1024 ** 2,
      description: "working set: the first wss bytes of RAM, random at start; the rest is zero",
      min: PAGE_SIZE,
    }),
    param({
      name: "pages_per_s",
      unit: "pages/s",
      defaultValue: 50_000,
      description: "page updates per second (steady), uniform over the working set",
      min: 0,
    }),
    param({
      name: "len",
      unit: "bytes",
      defaultValue: len,
      description: "length of each changed area",
      min: 1,
      max: PAGE_SIZE,
      integer: true,
    }),
    param({
      name: "step",
      unit: "bytes",
      defaultValue: step,
      description: "distance between the starts of two changed areas",
      min: 1,
      max: PAGE_SIZE,
      integer: true,
    }),
    ...OS_BASE_PARAMS,
  ];
}

function scenario(name: string, len: number, step: number): WorkloadDefinition {
  return {
    name,
    description: `2011 codec-comparison scenario: ${len} changed bytes every ${step} bytes of each updated page`,
    source: "qemu-devel XBZRLE/XBRLE codec comparison, Aug 2011 (docs/SOURCES.md#patches)",
    defaultRamBytes: 1024 ** 3,
    params: scenarioParams(len, step),
    create(options) {
      const p = options.params;
      const pageCount = checkedPageCount(options.ramBytes);
      const wssPages = regionPages(numberParam(p, "wss"), pageCount, "wss");
      const os = osBase(options.seed, pageCount, BufferRuns.contiguous(wssPages), p);
      return new ScenarioRun(
        pageCount,
        wssPages,
        os,
        numberParam(p, "pages_per_s"),
        numberParam(p, "len"),
        numberParam(p, "step"),
        options.seed,
      );
    },
  };
}

export const sparse = scenario(
  "sparse",
  SCENARIO_2011_AREAS.sparse.len,
  SCENARIO_2011_AREAS.sparse.step,
);
export const medium = scenario(
  "medium",
  SCENARIO_2011_AREAS.medium.len,
  SCENARIO_2011_AREAS.medium.step,
);

class ScenarioRun implements WorkloadRun {
  readonly endS = null;
  timeS = 0;
  private readonly seed: number;
  private readonly updates: UniformWrites;
  private readonly view = new PageWords();

  constructor(
    readonly pageCount: number,
    private readonly wssPages: number,
    private readonly os: OsBase,
    pagesPerS: number,
    private readonly len: number,
    private readonly step: number,
    seed: number,
  ) {
    this.seed = seed >>> 0;
    this.updates = new UniformWrites(
      BufferRuns.contiguous(wssPages),
      pagesPerS,
      hash2(this.seed, 0x2011),
    );
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    checkForward(this.timeS, timeS);
    this.updates.advanceTo(timeS, dirty);
    this.timeS = timeS;
  }

  isZero(page: number): boolean {
    return page >= this.wssPages && !this.os.has(page);
  }

  readPage(page: number, out: Uint8Array): void {
    const view = this.view;
    if (page >= this.wssPages) {
      if (!this.os.has(page)) {
        out.fill(0, 0, PAGE_SIZE);
        return;
      }
      view.bind(out);
      this.os.fill(page, view);
      view.finish();
      return;
    }
    view.bind(out);
    fillRandom(view.words, view.offset, hash3(this.seed, page, 0xba5e));
    view.finish();
    const k = this.updates.counts[page];
    if (k === 0) return;
    rewriteAreas(out, this.len, this.step, hash3(this.seed, page, k));
  }
}

/**
 * Rewrite every changed area of a page (bytes [k·step, k·step + len), clipped to the page) with
 * random bytes drawn from `key`; the rest of `page` is left as it is. One update of the 2011
 * scenarios; harness/paper/ builds its codec-table pages with it too.
 */
export function rewriteAreas(page: Uint8Array, len: number, step: number, key: number): void {
  let state = key | 1;
  for (let start = 0; start < PAGE_SIZE; start += step) {
    const end = Math.min(PAGE_SIZE, start + len);
    for (let i = start; i < end; i++) {
      state = xorshift32(state);
      page[i] = state & 0xff;
    }
  }
}
