import type { PageOutcome } from "../../codecs/calibration.ts";
import { PAGE_SIZE } from "../../codecs/types.ts";
import type { PageBitmap } from "../../lib/page-bitmap.ts";
import type { CellSpec } from "../../results/cell.ts";
import type { WorkloadRun } from "../../workloads/types.ts";

/**
 * Small self-contained workloads for the simulator's tests, so an answer derived on paper does
 * not depend on another module's defaults. Each keeps one write counter per page (fine for the
 * small VMs of the tests) and builds a page from (page, count) deterministically.
 */

export const MiB = 1024 * 1024;

export function baseSpec(overrides: Partial<CellSpec> = {}): CellSpec {
  return {
    index: 0,
    workload: "test",
    ramBytes: 64 * MiB,
    params: {},
    seed: 1,
    codec: "raw",
    codecModule: null,
    cacheModel: "direct",
    cacheSizeBytes: 8 * MiB,
    cacheAge: true,
    bandwidthBytesPerS: 32 * MiB,
    linkBytesPerS: 32 * MiB,
    downtimeLimitMs: 300,
    convergence: "qemu",
    bulkSkip: true,
    threads: 1,
    maxTimeMs: 600_000,
    maxPasses: null,
    calibration: "builtin",
    ...overrides,
  };
}

/** No CPU cost: the wire alone sets the time, as the paper formulas assume. */
export const FREE_CPU: Record<PageOutcome, number> = {
  zero: 0,
  unchanged: 0,
  delta: 0,
  overflow: 0,
  raw: 0,
};

/** splitmix32: a tiny seeded generator for the fixtures. */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Fill a page from (page, writes): a random base per page, `writes` added to 4 stride bytes. */
function fillPage(page: number, writes: number, out: Uint8Array): void {
  const words = new Uint32Array(out.buffer, out.byteOffset, PAGE_SIZE / 4);
  let state = (page * 0x9e3779b1 + 1) >>> 0;
  for (let i = 0; i < words.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    words[i] = state;
  }
  for (let offset = 0; offset < PAGE_SIZE; offset += 1024)
    out[offset] = (out[offset] + writes) & 255;
}

abstract class CountingWorkload implements WorkloadRun {
  readonly endS = null;
  timeS = 0;
  protected readonly writes: Uint32Array;

  constructor(
    readonly pageCount: number,
    private readonly zeroUntilWritten: boolean,
  ) {
    this.writes = new Uint32Array(pageCount);
  }

  abstract advanceTo(timeS: number, dirty: PageBitmap): void;

  isZero(page: number): boolean {
    return this.zeroUntilWritten && this.writes[page] === 0;
  }

  readPage(page: number, out: Uint8Array): void {
    if (this.isZero(page)) out.fill(0);
    else fillPage(page, this.writes[page], out);
  }

  protected write(page: number, dirty: PageBitmap): void {
    this.writes[page]++;
    dirty.add(page);
  }
}

/** A VM that never writes; its pages are all zero or all non-zero. */
export class IdleWorkload extends CountingWorkload {
  constructor(pageCount: number, zero: boolean) {
    super(pageCount, zero);
  }

  advanceTo(timeS: number, _dirty: PageBitmap): void {
    this.timeS = timeS;
  }
}

/**
 * `rate` writes per second, each to a page drawn uniformly from [0, workingSet): the number of
 * distinct pages written in t seconds is W(1 − e^{−r·t/W}) in expectation. Write i happens at
 * time i / rate exactly, so only the page choice is random.
 */
export class UniformWorkload extends CountingWorkload {
  private done = 0;
  private readonly random: () => number;

  constructor(
    pageCount: number,
    private readonly rate: number,
    private readonly workingSet: number,
    seed: number,
  ) {
    super(pageCount, false);
    this.random = splitmix32(seed);
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    const target = Math.floor(timeS * this.rate);
    for (; this.done < target; this.done++) {
      this.write(Math.floor((this.random() / 2 ** 32) * this.workingSet), dirty);
    }
    this.timeS = timeS;
  }
}

/**
 * QEMU's docs load generator: a buffer of `hotPages` pages starting at `firstPage`, swept in
 * order forever at `rate` pages/s; each visit adds 1 to one byte every 1024 bytes.
 */
export class StrideWorkload extends CountingWorkload {
  private done = 0;

  constructor(
    pageCount: number,
    private readonly firstPage: number,
    private readonly hotPages: number,
    private readonly rate: number,
  ) {
    super(pageCount, false);
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    const target = Math.floor(timeS * this.rate);
    for (; this.done < target; this.done++) {
      this.write(this.firstPage + (this.done % this.hotPages), dirty);
    }
    this.timeS = timeS;
  }
}
