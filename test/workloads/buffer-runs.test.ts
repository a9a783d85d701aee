import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../../codecs/types.ts";
import { UsageError } from "../../lib/errors.ts";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { BufferRuns } from "../../workloads/buffer-runs.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { stride } from "../../workloads/stride.ts";

// Where a buffer lies (workloads/buffer-runs.ts), and `stride` laid out by it.

test("BufferRuns: contiguous is pages 0 … n−1; runs are filled in the order given and trimmed", () => {
  const block = BufferRuns.parse("contiguous", 8, 100);
  assert.deepEqual(
    Array.from({ length: 12 }, (_, p) => block.has(p)),
    [...Array(8).fill(true), false, false, false, false],
  );
  const runs = BufferRuns.parse("50+4/10+3/90+9", 9, 100);
  const pages = Array.from({ length: 100 }, (_, p) => p).filter((p) => runs.has(p));
  // 4 pages at 50, 3 at 10, then 2 of the 9 at 90: the buffer holds 9.
  assert.deepEqual(pages, [10, 11, 12, 50, 51, 52, 53, 90, 91]);
  const seen: number[][] = [];
  runs.forEachRun((start, end) => seen.push([start, end]));
  assert.deepEqual(seen, [
    [10, 13],
    [50, 54],
    [90, 92],
  ]);
});

test("BufferRuns: membership agrees with a plain set for any non-overlapping runs", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 8 }),
      (slots) => {
        // Runs of 1–5 pages at slot × 8: never overlapping, inside 512 pages.
        const runs = slots.map((slot, i) => [slot * 8, 1 + (i % 5)] as const);
        const total = runs.reduce((a, [, n]) => a + n, 0);
        const laid = BufferRuns.parse(runs.map(([s, n]) => `${s}+${n}`).join("/"), total, 512);
        const expected = new Set(
          runs.flatMap(([s, n]) => Array.from({ length: n }, (_, k) => s + k)),
        );
        for (let p = 0; p < 512; p++) assert.equal(laid.has(p), expected.has(p), `page ${p}`);
      },
    ),
  );
});

test("BufferRuns: indexOf numbers the pages in page order, pageAt inverts it, outsideIndex numbers the rest", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (slots, fromZero) => {
        const runs = fromZero
          ? [[0, 1 + slots.length] as const]
          : slots.map((slot, i) => [slot * 8, 1 + (i % 5)] as const);
        const total = runs.reduce((a, [, n]) => a + n, 0);
        const text = runs.map(([s, n]) => `${s}+${n}`).join("/");
        const laid = BufferRuns.parse(text, total, 512);
        const inOrder = runs
          .flatMap(([s, n]) => Array.from({ length: n }, (_, k) => s + k))
          .sort((a, b) => a - b);
        assert.equal(laid.pages, total);
        inOrder.forEach((page, index) => {
          assert.equal(laid.indexOf(page), index, `page ${page}`);
          assert.equal(laid.pageAt(index), page, `index ${index}`);
        });
        const outside = Array.from({ length: 512 }, (_, p) => p).filter(
          (p) => !inOrder.includes(p),
        );
        for (let p = 0; p < 512; p++) {
          const own = inOrder.includes(p);
          if (!own) assert.equal(laid.indexOf(p), -1, `page ${p}`);
          assert.equal(laid.outsideIndex(p), own ? -1 : outside.indexOf(p), `outside ${p}`);
        }
      },
    ),
  );
});

test("BufferRuns: a bad layout is one line naming it", () => {
  const bad = (text: string, pages: number, pattern: RegExp) =>
    assert.throws(
      () => BufferRuns.parse(text, pages, 100),
      (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, pattern);
        assert.ok(!e.message.includes("\n"));
        return true;
      },
    );
  bad("10-3", 3, /buffer_runs=10-3: "10-3" is not START\+PAGES/);
  bad("10+0", 1, /run 10\+0 holds no page/);
  bad("98+3", 3, /run 98\+3 ends past the guest's 100 pages/);
  bad("10+3/20+3", 8, /the runs hold 6 pages of the 8 needed/);
  bad("10+5/12+5", 10, /runs at 10 and 12 overlap/);
});

/** A 64-page stride guest with a 4-page buffer at 10 passes/s, and the pages it dirtied by 0.25 s. */
function strideAfterQuarterSecond(sets: readonly string[]) {
  const params = resolveParams(stride, ["buffer_bytes=16KiB", "passes_per_s=10", ...sets]);
  const run = stride.create({ ramBytes: 64 * PAGE_SIZE, seed: 1, params });
  assert.ok(!(run instanceof Promise));
  const dirty = new PageBitmap(64);
  run.advanceTo(0.25, dirty);
  const pages: number[] = [];
  dirty.forEach((p) => {
    pages.push(p);
  });
  return { run, pages };
}

test("stride with buffer_runs: its pages dirty and change where the runs are, the OS lies around them", () => {
  const { run, pages } = strideAfterQuarterSecond(["buffer_runs=40+2/20+2", "os_share=0"]);
  assert.deepEqual(pages, [20, 21, 40, 41]);
  const page = new Uint8Array(PAGE_SIZE);
  run.readPage(40, page);
  // Two passes: every 1024th byte holds 2.
  assert.deepEqual([page[0], page[1], page[1024]], [2, 0, 2]);
  assert.equal(run.isZero(40), false);
  // Without an OS, pages 0 … 3 are zero when the buffer lies elsewhere.
  assert.equal(run.isZero(0), true);
  run.readPage(0, page);
  assert.ok(page.every((b) => b === 0));
  // With an OS on every page outside the load, they are the OS's, and the buffer's stay its own.
  const full = strideAfterQuarterSecond(["buffer_runs=40+2/20+2", "os_share=1"]).run;
  const os = Array.from({ length: 64 }, (_, p) => p).filter((p) => !full.isZero(p));
  assert.equal(os.length, 64);
  full.readPage(0, page);
  assert.ok(
    page.some((b, i) => b !== 0 && i % 1024 !== 0),
    "page 0 holds OS records",
  );
  full.readPage(20, page);
  assert.deepEqual([page[0], page[1], page[1024]], [2, 0, 2]);
  // The default: the block at page 0, as before.
  assert.deepEqual(strideAfterQuarterSecond([]).pages, [0, 1, 2, 3]);
});
