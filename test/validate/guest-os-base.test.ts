import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  imageNonZeroPages,
  loadNonZeroPages,
  measuredOsBytes,
  TOP_WINDOW_PAGES,
  writesAt,
} from "../../validate/guest-os-base.ts";
import { quickMatrix } from "../../validate/matrix.ts";
import { measuredGuestsByLoad } from "../../validate/measured-guest.ts";
import type { LabRun } from "../../validate/migration-run.ts";
import type { LoadMode, TraceAvailability } from "../../validate/trace-recording.ts";
import type { GuestLoad } from "../../validate/vm.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { writeModel } from "../traces/trace-model.ts";

// The guest OS's pages under a load, measured from the load's trace (validate/guest-os-base.ts).

const load = (mode: GuestLoad["mode"], ...args: number[]): GuestLoad => ({ mode, args });

test("loadNonZeroPages: stride's whole buffer; the random writers' expected distinct pages", () => {
  assert.equal(loadNonZeroPages(load("idle"), 1e6), 0);
  assert.equal(loadNonZeroPages(load("stride", 16), 0), 4096);
  // Uniform over N: N(1 − (1 − 1/N)^w): w = N gives N(1 − 1/e) to within 1e-4 of N.
  const n = 192 * 256;
  assert.equal(loadNonZeroPages(load("sparse", 192, 4000), 0), 0);
  const sparse = loadNonZeroPages(load("sparse", 192, 4000), n);
  assert.ok(Math.abs(sparse / n - (1 - Math.exp(-1))) < 1e-4, String(sparse));
  // Zipf(1.0) concentrates the writes: fewer distinct pages than uniform for the same writes,
  // more with more writes, never more than the table or the writes.
  const zipf = (w: number) => loadNonZeroPages(load("zipf", 192, 4000), w);
  assert.ok(zipf(12_000) < loadNonZeroPages(load("sparse", 192, 4000), 12_000));
  assert.ok(zipf(1000) < zipf(12_000) && zipf(12_000) < zipf(1e6) && zipf(1e6) <= n);
  assert.ok(zipf(10) <= 10 && zipf(10) > 9);
});

test("writesAt: the start heartbeats' writes carried to another load time at the load's rate", () => {
  const [, sparse] = quickMatrix();
  const run = (tMs: number, writes: number) =>
    ({ config: sparse, loadAtStart: { tMs, passes: 0, writes, checks: 3, bad: 0 } }) as LabRun;
  // 4000 writes/s: 12 000 at 3.5 s and 12 400 at 3.6 s both say 12 800 at 3.7 s.
  assert.equal(writesAt(sparse.load, [run(3500, 12_000), run(3600, 12_400)], 3.7), 12_800);
  assert.equal(writesAt(sparse.load, [{ config: sparse } as LabRun], 3.7), null);
  assert.equal(writesAt(load("stride", 16), [], 3.7), 0);
});

test("measuredOsBytes: the image's non-zero pages less the load's own", () => {
  const path = join(mkdtempSync(join(tmpdir(), "mb-os-")), "stride.trace");
  // 64 pages: pages 0..15 the "buffer" (16 pages = 64 KiB), 40..49 the OS, the rest zero.
  const image = new Map<number, number>();
  for (let p = 0; p < 16; p++) image.set(p, 1);
  for (let p = 40; p < 50; p++) image.set(p, 2);
  writeModel(path, { pageCount: 64, image, epochs: [{ timeS: 0.2, pages: new Map([[3, 2]]) }] });
  const reader = TraceReader.open(path);
  try {
    const image = imageNonZeroPages(reader);
    assert.equal(image.nonZero, 26);
    assert.equal(measuredOsBytes(image, load("stride", 1 / 16), [], 4), 10 * 4096);
    assert.equal(measuredOsBytes(image, load("idle"), [], 4), 26 * 4096);
    // The writers' progress unknown: no figure rather than a guess.
    assert.equal(measuredOsBytes(image, load("zipf", 192, 4000), [], 4), null);
  } finally {
    reader.close();
  }
});

test("measuredGuestsByLoad: each load's trace read once; no OS figure without a trace that knows its start", () => {
  const path = join(mkdtempSync(join(tmpdir(), "mb-os-")), "idle.trace");
  writeModel(path, {
    pageCount: 16,
    image: new Map([
      [3, 1],
      [4, 1],
    ]),
    epochs: [],
  });
  const [idle, sparse, , stride] = quickMatrix();
  const runs = [idle, sparse, stride].map((config) => ({ config }) as LabRun);
  const guests = measuredGuestsByLoad(
    runs,
    new Map<LoadMode, TraceAvailability>([
      ["idle", { state: "recorded", path, startsAtLoadS: 4 }],
      ["stride", { state: "recorded", path, startsAtLoadS: null }],
      ["sparse", { state: "unavailable", reason: "loop refused" }],
    ]),
  );
  // stride's trace has no start on the load's clock and no touch epochs: no OS bytes, no
  // buffer; the top of its RAM (all 16 pages here) holds the same 2 non-zero pages.
  assert.deepEqual(
    [...guests],
    [
      ["idle", { osBytes: 2 * 4096, bufferRuns: null, topPages: 2, osLayout: null }],
      ["stride", { osBytes: null, bufferRuns: null, topPages: 2, osLayout: null }],
    ],
  );
  assert.equal(measuredGuestsByLoad(runs, null).size, 0);
});

test("imageNonZeroPages: the image's non-zero pages, and those in the top window", () => {
  const path = join(mkdtempSync(join(tmpdir(), "mb-os-")), "top.trace");
  const pageCount = 2 * TOP_WINDOW_PAGES;
  // Below the window: 30 pages (the kernel, say); in it: 12 pages of boot allocations and 4
  // more; a page rewritten later (an epoch) does not count, the image does.
  const image = new Map<number, number>();
  for (let p = 0; p < 30; p++) image.set(p, 1);
  for (let p = pageCount - 100; p < pageCount - 88; p++) image.set(p, 2);
  for (let p = pageCount - 4; p < pageCount; p++) image.set(p, 3);
  const epoch = new Map([[TOP_WINDOW_PAGES + 7, 4]]);
  writeModel(path, { pageCount, image, epochs: [{ timeS: 0.2, pages: epoch }] });
  const reader = TraceReader.open(path);
  try {
    const image = imageNonZeroPages(reader);
    assert.deepEqual(image, { nonZero: 46, topNonZero: 16 });
  } finally {
    reader.close();
  }
});

test("measuredGuestsByLoad: stride's buffer pages at the top of RAM are the load's, not the OS's", () => {
  const path = join(mkdtempSync(join(tmpdir(), "mb-os-")), "stride.trace");
  const pageCount = 2 * TOP_WINDOW_PAGES;
  // 12 OS pages and the 4-page buffer's last run in the top window, 5 OS pages below it (in two
  // runs 40 pages apart); the buffer rewritten in every one of 20 touch epochs.
  const image = new Map<number, number>();
  for (let p = pageCount - 100; p < pageCount - 88; p++) image.set(p, 2);
  for (const p of [3, 4, 5, 45, 47]) image.set(p, 5);
  const buffer = [10, 11, pageCount - 2, pageCount - 1];
  for (const p of buffer) image.set(p, 1);
  const touches = new Map(buffer.map((p) => [p, 1]));
  const epochs = Array.from({ length: 20 }, (_, i) => ({
    timeS: 0.01 * (i + 1),
    pages: touches,
    touch: true,
  }));
  writeModel(path, { pageCount, image, epochs });
  const [, , , stride] = quickMatrix();
  const fourPages = { ...stride, load: load("stride", (4 * 4096) / 2 ** 20) };
  const guests = measuredGuestsByLoad(
    [{ config: fourPages } as LabRun],
    new Map<LoadMode, TraceAvailability>([
      ["stride", { state: "recorded", path, startsAtLoadS: null }],
    ]),
  );
  // With the buffer placed, the OS is every other non-zero page, counted exactly (no start on
  // the load's clock needed), and laid out in runs closed over short gaps.
  assert.deepEqual(guests.get("stride"), {
    osBytes: 17 * 4096,
    bufferRuns: `10+2/${pageCount - 2}+2`,
    topPages: 12,
    osLayout: "3+3/45+3",
  });
  // A trace whose hot pages are fewer than the buffer's cannot place it: the OS is estimated.
  const [, , , sixteenMiB] = quickMatrix();
  const unplaced = measuredGuestsByLoad(
    [{ config: sixteenMiB } as LabRun],
    new Map<LoadMode, TraceAvailability>([
      ["stride", { state: "recorded", path, startsAtLoadS: null }],
    ]),
  );
  assert.deepEqual(unplaced.get("stride"), {
    osBytes: null,
    bufferRuns: null,
    topPages: 14,
    osLayout: null,
  });
});
