import assert from "node:assert/strict";
import { test } from "node:test";
import { compareMetric, compareToBaseline } from "../../reports/compare.ts";
import { comparisonHeadlines, comparisonTable } from "../../reports/compare-text.ts";
import { welchDifference } from "../../reports/stats.ts";
import { type CellRow, readResults } from "../../results/records.ts";

// The comparison's numbers, derived by hand on small made-up cells (the real runs are in
// test/harness/compare.test.ts).

const FIXTURE = new URL("../fixtures/reports/sweep-run/results.csv", import.meta.url).pathname;
const template = readResults(FIXTURE).find((c) => c.status === "completed") as CellRow;

function cell(codec: string, seed: number, values: Partial<CellRow>): CellRow {
  return {
    ...template,
    codec,
    seed,
    status: "completed",
    columns: { ...template.columns, codec, seed: String(seed), max_time_ms: "60000.000" },
    ...values,
  };
}

const close = (actual: number | undefined, expected: number) =>
  assert.ok(Math.abs((actual ?? Number.NaN) - expected) < 1e-3, `${actual} ≉ ${expected}`);

test("Welch's interval: df from Welch–Satterthwaite, rounded down to the t table's", () => {
  // means 2 and 6; variances of the means 1/3 and 4/3; df = 2.94 → t(2) = 4.3027.
  const d = welchDifference([1, 2, 3], [4, 6, 8]);
  assert.ok(d);
  assert.equal(d.mean, 4);
  close(d.low, 4 - 4.3027 * Math.sqrt(5 / 3));
  close(d.high, 4 + 4.3027 * Math.sqrt(5 / 3));
  assert.equal(welchDifference([1], [2, 3])?.n, 1);
  assert.equal(welchDifference([], [2]), null);
});

test("paired by seed: the interval is over the per-seed differences", () => {
  const a = [100, 200, 300].map((t, i) => cell("raw", i + 1, { transferredBytes: t }));
  const b = [90, 180, 280].map((t, i) => cell("xbzrle", i + 1, { transferredBytes: t }));
  const m = compareMetric("transferred", a, b);
  assert.equal(m.basis, "paired");
  // differences −10, −20, −20: mean −16.667, s = 5.7735, t(2) = 4.3027 → ± 14.342.
  close(m.difference?.mean, -50 / 3);
  close(m.difference?.low, -50 / 3 - 4.3027 * (5.7735 / Math.sqrt(3)));
  close(m.difference?.high, -50 / 3 + 4.3027 * (5.7735 / Math.sqrt(3)));
  close(m.ratio ?? Number.NaN, 550 / 600);
  assert.equal(m.verdict, "beyond spread");
  // One seed has no spread to judge by.
  assert.equal(compareMetric("transferred", a.slice(0, 1), b.slice(0, 1)).verdict, "one seed");
});

test("a stopped side: no downtime to compare, time and bytes as bounds, outcomes first", () => {
  const stopped = (seed: number) =>
    cell("raw", seed, {
      status: "did-not-converge",
      totalTimeMs: 60_080,
      downtimeMs: null,
      transferredBytes: 6000,
    });
  const done = (seed: number) =>
    cell("xbzrle", seed, { totalTimeMs: 12_000, downtimeMs: 5, transferredBytes: 1000 });
  const cells = [stopped(1), done(1), stopped(2), done(2)];
  const time = compareMetric("total time", [stopped(1), stopped(2)], [done(1), done(2)]);
  assert.equal(time.basis, "bound");
  // The stopped seeds count at --max-time (60 s), not at the 60.08 s they overshot to.
  assert.equal(time.a?.mean, 60_000);
  assert.equal(time.a?.lowerBound, true);
  assert.equal(time.ratio, 0.2);
  assert.equal(time.verdict, "at least");
  assert.equal(compareMetric("downtime", [stopped(1)], [done(1)]).basis, "none");

  const comparison = compareToBaseline(cells, "raw");
  assert.deepEqual(comparisonHeadlines(comparison), [
    "xbzrle sent at least 6× less than raw, took at least 5× less time than raw and converged where raw did not (max-time)",
  ]);
  const { head, rows } = comparisonTable(comparison);
  assert.deepEqual(head, ["codec", "metric", "A", "B", "B − A", "B / A", "verdict"]);
  assert.deepEqual(rows[0], [
    "xbzrle",
    "outcome",
    "0/2 completed (max-time)",
    "2/2 completed",
    "",
    "",
    "differs",
  ]);
  // Two seeds with the same time: a spread of 0, said as such.
  assert.deepEqual(rows[1], [
    "",
    "total time",
    "> 60.0 s",
    "12.0 s ± 0.00 ms",
    "—",
    "< 0.200×",
    "at least",
  ]);
});
