import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChartInput } from "../../reports/charts/common.ts";
import { SCREEN } from "../../reports/charts/layout.ts";
import { ratioNotDrawn, ratioRows, ratioSpec } from "../../reports/charts/ratio-to-raw.ts";
import { totalsRows } from "../../reports/charts/time-and-transferred.ts";
import { renderSvg } from "../../reports/render.ts";
import { type CellRow, readResults } from "../../results/records.ts";

// The chart of each codec against raw: which ratios are measurements, which are bounds and
// which are left out, on small made-up cells whose ratios are worked out by hand.

const FIXTURE = new URL("../fixtures/reports/sweep-run/results.csv", import.meta.url).pathname;
const template = readResults(FIXTURE).find((c) => c.status === "completed") as CellRow;

function cell(codec: string, cacheMiB: number, values: Partial<CellRow>): CellRow {
  const cacheSizeBytes = cacheMiB * 1024 ** 2;
  return {
    ...template,
    codec,
    seed: 1,
    cacheSizeBytes,
    status: "completed",
    columns: {
      ...template.columns,
      codec,
      seed: "1",
      cache_size_bytes: String(cacheSizeBytes),
      max_time_ms: "60000.000",
    },
    ...values,
  };
}

const stopped = { status: "did-not-converge", downtimeMs: null } as const;

function input(cells: CellRow[]): ChartInput {
  return { dir: "run", cells, passes: [], codecBench: null, layout: SCREEN };
}

test("measured where both completed, a bound where one side was stopped, nothing where both were", () => {
  const cells = [
    // 16 MiB: both stopped at --max-time: nothing orders them.
    cell("raw", 16, { ...stopped, totalTimeMs: 60_000, transferredBytes: 8000 }),
    cell("xbzrle", 16, { ...stopped, totalTimeMs: 60_000, transferredBytes: 8000 }),
    // 64 MiB: raw stopped, xbzrle completed: xbzrle's ratio is at most 12/60 and 1000/8000.
    cell("raw", 64, { ...stopped, totalTimeMs: 60_000, transferredBytes: 8000 }),
    cell("xbzrle", 64, { totalTimeMs: 12_000, transferredBytes: 1000 }),
    // 256 MiB: both completed; and zero stopped where raw completed: at least 60/30.
    cell("raw", 256, { totalTimeMs: 30_000, transferredBytes: 4000 }),
    cell("xbzrle", 256, { totalTimeMs: 10_000, transferredBytes: 1000 }),
    cell("zero", 256, { ...stopped, totalTimeMs: 60_000, transferredBytes: 7000 }),
  ];
  const rows = ratioRows(input(cells));
  const view = rows.map((r) => [r.setting, r.codec, r.measure, r.ratio, r.bound]);
  assert.deepEqual(view, [
    ["64 MiB cache", "xbzrle", "total time", 0.2, "at most (raw did not converge)"],
    ["64 MiB cache", "xbzrle", "data transferred", 0.125, "at most (raw did not converge)"],
    ["256 MiB cache", "xbzrle", "total time", 0.3333, "measured (both completed)"],
    ["256 MiB cache", "xbzrle", "data transferred", 0.25, "measured (both completed)"],
    ["256 MiB cache", "zero", "total time", 2, "at least (the codec did not converge)"],
    ["256 MiB cache", "zero", "data transferred", 1.75, "at least (the codec did not converge)"],
  ]);
  assert.equal(ratioNotDrawn(rows, input(cells)), null);
});

test("not drawn: a run without raw or with only raw is not the chart's run; neither converging is said in its place", () => {
  const noRaw = [cell("xbzrle", 64, {}), cell("zero", 64, {})];
  assert.equal(ratioNotDrawn(ratioRows(input(noRaw)), input(noRaw))?.kind, "not-in-run");
  const onlyRaw = [cell("raw", 64, {})];
  assert.match(
    ratioNotDrawn(ratioRows(input(onlyRaw)), input(onlyRaw))?.reason ?? "",
    /this run has only raw/,
  );
  const neither = [
    cell("raw", 64, { ...stopped, totalTimeMs: 60_000 }),
    cell("xbzrle", 64, { ...stopped, totalTimeMs: 60_000 }),
  ];
  const why = ratioNotDrawn(ratioRows(input(neither)), input(neither));
  assert.equal(why?.kind, "missing");
  assert.match(why?.reason ?? "", /nothing orders them/);
});

test("the spec renders without a vega warning; the legend holds only the kinds of ratio drawn", async () => {
  const cells = [
    cell("raw", 64, { ...stopped, totalTimeMs: 60_000, transferredBytes: 8000 }),
    cell("xbzrle", 64, { totalTimeMs: 12_000, transferredBytes: 1000 }),
  ];
  const rows = ratioRows(input(cells));
  const rendered = await renderSvg(ratioSpec(rows, input(cells)));
  assert.deepEqual(rendered.warnings, []);
  assert.match(rendered.svg, /at most \(raw did not converge\)/);
  assert.doesNotMatch(rendered.svg, /at least \(the codec/);
  assert.doesNotMatch(rendered.svg, /NaN/);
});

test("settings come in the order the sibling charts draw them (reports/seed-groups.ts)", () => {
  const cells = readResults(FIXTURE);
  const run = input(cells);
  const settings = [...new Set(ratioRows(run).map((r) => r.setting))];
  const panels = [...new Set(totalsRows(run).map((r) => r.panel))];
  assert.ok(settings.length > 2);
  assert.deepEqual(
    settings,
    panels.filter((panel) => settings.includes(panel)),
  );
});
