import assert from "node:assert/strict";
import { test } from "node:test";
import type { MeasuredGuest } from "../../validate/compare.ts";
import { unplacedLoadsLine } from "../../validate/measured-guest.ts";
import type { LoadMode } from "../../validate/trace-recording.ts";

// The summary says which synthetic loads had no trace to lay their buffer and OS out by: their
// time is then the default layout's, and can be far from the real guest's.

const placed = (bufferRuns: string | null): MeasuredGuest => ({
  osBytes: 71 * 1024 * 1024,
  bufferRuns,
  topPages: 2579,
  osLayout: bufferRuns === null ? null : "0+33/152+43",
});
const quickModes: LoadMode[] = ["idle", "idle", "sparse", "sparse", "stride", "zipf"];

test("unplacedLoadsLine: every load laid out from its trace says nothing", () => {
  const measured = new Map<LoadMode, MeasuredGuest>([
    ["sparse", placed("22528+46343")],
    ["stride", placed("10279+435")],
    ["zipf", placed("22529+46341")],
  ]);
  assert.equal(unplacedLoadsLine(quickModes, measured), null);
});

test("unplacedLoadsLine: --no-traces names each load with a buffer once, never idle", () => {
  const line = unplacedLoadsLine(quickModes, new Map());
  assert.ok(line?.startsWith("synthetic sparse, stride, zipf without a trace"), line ?? "null");
  assert.ok(!line?.includes("idle"));
  assert.equal(unplacedLoadsLine(["idle"], new Map()), null);
});

test("unplacedLoadsLine: a trace that could not place its load's pages counts as none", () => {
  const measured = new Map<LoadMode, MeasuredGuest>([
    ["sparse", placed(null)],
    ["stride", placed("10279+435")],
    ["zipf", placed("22529+46341")],
  ]);
  const line = unplacedLoadsLine(quickModes, measured);
  assert.ok(line?.startsWith("synthetic sparse without a trace"), line ?? "null");
});
