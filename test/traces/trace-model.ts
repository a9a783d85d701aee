import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { TRACE_PAGE_SIZE } from "../../workloads/trace-format.ts";
import type { TraceRun } from "../../workloads/trace-workload.ts";
import { TraceWriter } from "../../workloads/trace-writer.ts";

/**
 * A trace as plain data, for tests: what the writer is given and what a replay must give back.
 * `content(page, version)` is a deterministic page: version 0 = zero page.
 */
export interface TraceModel {
  readonly pageCount: number;
  /** Non-zero version per page in the image (pages absent are zero). */
  readonly image: ReadonlyMap<number, number>;
  readonly epochs: readonly {
    readonly timeS: number;
    /** page → version; in a touch epoch only the keys count (a touch carries no content). */
    readonly pages: ReadonlyMap<number, number>;
    /** A touch epoch (format version 2). */
    readonly touch?: boolean;
  }[];
}

/** Page content for (page, version): zero for version 0, else a pattern with some entropy. */
export function pageContent(page: number, version: number, out = new Uint8Array(TRACE_PAGE_SIZE)) {
  if (version === 0) {
    out.fill(0);
    return out;
  }
  let x = (page * 2654435761 + version * 40503 + 1) >>> 0;
  for (let i = 0; i < TRACE_PAGE_SIZE; i++) {
    // Mostly a repeating pattern (compressible, like real memory) with a few random bytes.
    if ((i & 63) === 0) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
    }
    out[i] = (i & 7) === 0 ? x & 0xff : (page + version + (i >> 3)) & 0xff;
  }
  return out;
}

export function writeModel(path: string, model: TraceModel, pagesPerBlock = 4): void {
  const writer = TraceWriter.create(path, {
    pageCount: model.pageCount,
    pagesPerBlock,
    metadata: { source: "test" },
  });
  const page = new Uint8Array(TRACE_PAGE_SIZE);
  // The image lists every page; the writer must elide the zero ones itself.
  for (let p = 0; p < model.pageCount; p++)
    writer.addPage(p, pageContent(p, model.image.get(p) ?? 0, page));
  for (const epoch of model.epochs) {
    if (epoch.touch === true) {
      writer.beginTouchEpoch(epoch.timeS);
      for (const p of [...epoch.pages.keys()].sort((a, b) => a - b)) writer.addTouch(p);
      writer.endEpoch();
      continue;
    }
    writer.beginEpoch(epoch.timeS);
    for (const p of [...epoch.pages.keys()].sort((a, b) => a - b))
      writer.addPage(p, pageContent(p, epoch.pages.get(p) ?? 0, page));
    writer.endEpoch();
  }
  writer.finish();
}

/** The version of every page at time t (epochs with timeS ≤ t applied). */
export function versionsAt(model: TraceModel, timeS: number): Map<number, number> {
  const versions = new Map(model.image);
  for (const epoch of model.epochs) {
    if (epoch.timeS > timeS) break;
    if (epoch.touch === true) continue;
    for (const [p, v] of epoch.pages) versions.set(p, v);
  }
  return versions;
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "migbench-trace-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A small trace with many blocks when written 2 pages per block: an image and five epochs (one
 * empty). trace-reject.test.ts breaks it byte by byte; trace-touch.test.ts checks that it is
 * still written as version 1.
 */
export const SAMPLE_MODEL: TraceModel = {
  pageCount: 24,
  image: new Map([
    [0, 1],
    [1, 1],
    [5, 2],
    [9, 1],
    [10, 1],
    [23, 3],
  ]),
  epochs: [
    {
      timeS: 0.2,
      pages: new Map([
        [1, 2],
        [2, 1],
        [9, 0],
      ]),
    },
    { timeS: 0.4, pages: new Map() },
    {
      timeS: 0.6,
      pages: new Map([
        [0, 4],
        [1, 3],
        [2, 2],
        [3, 1],
        [4, 1],
      ]),
    },
    { timeS: 0.8, pages: new Map([[23, 0]]) },
    {
      timeS: 1.0,
      pages: new Map([
        [7, 5],
        [8, 5],
      ]),
    },
  ],
};

/** Advances `run` to `timeS` and lists the pages it dirtied on the way, ascending. */
export function dirtyPages(run: TraceRun, timeS: number): number[] {
  const dirty = new PageBitmap(run.pageCount);
  run.advanceTo(timeS, dirty);
  const pages: number[] = [];
  dirty.forEach((page) => {
    pages.push(page);
  });
  return pages;
}
