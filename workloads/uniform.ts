import type { PageBitmap } from "../lib/page-bitmap.ts";
import { BUFFER_RUNS_PARAM, type BufferRuns, bufferRunsOf } from "./buffer-runs.ts";
import { checkForward } from "./heap-model.ts";
import { OS_BASE_PARAMS, type OsBase, osBase } from "./os-base.ts";
import { fillRandom, PageWords, SLOTS_PER_PAGE } from "./page-content.ts";
import { hash2, hash3, hash4, SteadyStream, type Xoshiro128 } from "./random.ts";
import type { WorkloadDefinition, WorkloadRun } from "./types.ts";
import {
  checkedPageCount,
  numberParam,
  param,
  regionPages,
  stringParam,
} from "./workload-params.ts";

/**
 * `uniform` — the analytic baseline. `writes_per_s` writes, each of one random 8-byte word (a
 * random value) at a random position of a page drawn uniformly from the working set of `wss`
 * bytes (W pages): the first W pages of RAM, or laid in `buffer_runs` (buffer-runs.ts; a real
 * guest's table lies in a few runs between its OS's pages, which decides when the bulk pass
 * reaches it). Working-set pages start with random (non-zero) content, or with
 * `initial=zero` as calloc'd memory does: zero until first written, then zero but for the
 * written words (the lab's sparse writer, docs/VALIDATION.md); the other
 * pages are the guest OS's (os-base.ts, `os_share` of RAM, never written) or zero, and stay so.
 *
 * Expected distinct pages dirtied in t seconds: each page is hit by each write with probability
 * 1/W, so after n = ⌊r·t⌋ writes a page is still clean with probability (1 − 1/W)^n ≈ e^(−r·t/W):
 * D(t) = W·(1 − e^(−r·t/W)) (the relative difference is < n/W², far below sampling noise). The
 * harness derives its convergence model from this formula, and test/workloads checks it.
 * Writes are a steady stream (write i at i / r seconds) with uniformly random pages.
 *
 * Content: working-set page p (its number in the working set, which is its page number when the
 * set lies at page 0) after k writes is its random base page with, for each write j ≤ k, word
 * hash(seed, p, j) mod 512 set to a random value; readPage replays the writes newest first and
 * stops once every word is covered (≤ ~3 500 steps, the coupon collector's bound for 512 words).
 * Memory: a Uint32Array write counter per working-set page (4 bytes per page of `wss`).
 * (The analytic model in harness/simulator/analytic.ts counts pages, not their content: the OS
 * pages change what a zero-detecting codec sends in the bulk pass, not the dirty pages.)
 * Source: the analytic model; the harness's uniform-workload fidelity test.
 */
export const uniform: WorkloadDefinition = {
  name: "uniform",
  description: "analytic baseline: random 8-byte writes to uniformly random pages of a working set",
  source: "migbench analytic model: distinct dirty pages W(1 − e^(−r·t/W))",
  defaultRamBytes: 4 * 1024 ** 3,
  params: [
    param({
      name: "wss",
      unit: "bytes",
      defaultValue: 1024 ** 3,
      description:
        "working set: the first wss bytes of RAM (or laid in buffer_runs), random at start; the rest is zero",
      min: 4096,
    }),
    param({
      name: "writes_per_s",
      unit: "writes/s",
      defaultValue: 50_000,
      description: "writes per second (steady), one random 8-byte word each, uniform page",
      min: 0,
    }),
    {
      name: "initial",
      unit: "",
      defaultValue: "random",
      choices: ["random", "zero"],
      description:
        "working-set pages at the start: random data, or zero until first written (calloc'd memory)",
    },
    BUFFER_RUNS_PARAM,
    ...OS_BASE_PARAMS,
  ],
  create(options) {
    const pageCount = checkedPageCount(options.ramBytes);
    const wssPages = regionPages(numberParam(options.params, "wss"), pageCount, "wss");
    const layout = bufferRunsOf(options.params, wssPages, pageCount);
    const os = osBase(options.seed, pageCount, layout, options.params);
    return new UniformRun(pageCount, layout, {
      writesPerS: numberParam(options.params, "writes_per_s"),
      seed: options.seed,
      zeroStart: stringParam(options.params, "initial") === "zero",
      os,
    });
  },
};

/**
 * Which page of [0, pages) a write goes to, from one stream draw: uniform when absent; `zipf`
 * (zipf-writer.ts) gives popular pages more.
 */
export type PagePicker = (random: Xoshiro128) => number;

/**
 * A steady stream of writes, each to a page drawn uniformly from [0, pages) (or by `pick`),
 * counting the writes per page: the dirtying of `uniform`, `zipf` and of the 2011 scenarios
 * (sparse, medium), whose page contents are then rebuilt from (seed, page, count). The pages are
 * the working set's own numbers; `layout` says which guest page each is. Memory: 4 bytes per
 * page written to.
 */
export class UniformWrites {
  readonly counts: Uint32Array;
  private readonly stream: SteadyStream;

  constructor(
    private readonly layout: BufferRuns,
    writesPerS: number,
    streamSeed: number,
    private readonly pick: PagePicker | null = null,
  ) {
    this.counts = new Uint32Array(layout.pages);
    this.stream = new SteadyStream(streamSeed, writesPerS);
  }

  /** Apply the writes due by `timeS` (time already checked to move forward) and mark them. */
  advanceTo(timeS: number, dirty: PageBitmap): void {
    const { stream, counts, pick, layout } = this;
    const pages = counts.length;
    const due = stream.dueBy(timeS);
    const rng = stream.random;
    for (let i = stream.done; i < due; i++) {
      const page = pick === null ? rng.below(pages) : pick(rng);
      counts[page]++;
      dirty.add(layout.pageAt(page));
    }
    stream.done = Math.max(stream.done, due);
  }
}

/** A sparse writer over a working set laid in runs beside the OS base: `uniform` and `zipf`. */
export class UniformRun implements WorkloadRun {
  readonly endS = null;
  timeS = 0;
  private readonly seed: number;
  private readonly writes: UniformWrites;
  private readonly view = new PageWords();
  /** One bit per 8-byte word: which words a newer write already set during a replay. */
  private readonly covered = new Uint32Array(SLOTS_PER_PAGE / 32);

  private readonly zeroStart: boolean;
  private readonly os: OsBase;

  constructor(
    readonly pageCount: number,
    private readonly layout: BufferRuns,
    options: {
      writesPerS: number;
      seed: number;
      zeroStart: boolean;
      os: OsBase;
      pick?: PagePicker;
    },
  ) {
    this.seed = options.seed >>> 0;
    this.zeroStart = options.zeroStart;
    this.os = options.os;
    const streamSeed = hash2(this.seed, 0x0417);
    this.writes = new UniformWrites(layout, options.writesPerS, streamSeed, options.pick);
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    checkForward(this.timeS, timeS);
    this.writes.advanceTo(timeS, dirty);
    this.timeS = timeS;
  }

  isZero(page: number): boolean {
    const own = this.layout.indexOf(page);
    if (own >= 0) return this.zeroStart && this.writes.counts[own] === 0;
    return !this.os.has(page);
  }

  readPage(guestPage: number, out: Uint8Array): void {
    const view = this.view;
    view.bind(out);
    const { words, offset } = view;
    // Content hashes take the working set's own page number: the same bytes wherever it lies.
    const page = this.layout.indexOf(guestPage);
    if (page < 0) {
      if (this.os.has(guestPage)) this.os.fill(guestPage, view);
      else words.fill(0, offset, offset + 1024);
      view.finish();
      return;
    }
    const zeroStart = this.zeroStart;
    if (zeroStart) words.fill(0, offset, offset + 1024);
    else fillRandom(words, offset, hash3(this.seed, page, 0xba5e));
    const covered = this.covered;
    covered.fill(0);
    let remaining = SLOTS_PER_PAGE;
    for (let j = this.writes.counts[page]; j >= 1 && remaining > 0; j--) {
      const slot = hash3(this.seed, page, j) & (SLOTS_PER_PAGE - 1);
      const bit = 1 << (slot & 31);
      if ((covered[slot >>> 5] & bit) !== 0) continue;
      covered[slot >>> 5] |= bit;
      remaining--;
      // On a zero page a written word is never zero, so isZero() needs no bytes.
      words[offset + slot * 2] = zeroStart
        ? hash4(this.seed, page, j, 1) | 1
        : hash4(this.seed, page, j, 1);
      words[offset + slot * 2 + 1] = hash4(this.seed, page, j, 2);
    }
    view.finish();
  }
}
