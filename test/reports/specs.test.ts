import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { symlogTicks } from "../../reports/charts/axes.ts";
import { downtimeSpec } from "../../reports/charts/downtime-spec.ts";
import { chartInput, planCharts } from "../../reports/charts/registry.ts";
import { loadRun } from "../../reports/data.ts";
import { renderSvg } from "../../reports/render.ts";

/**
 * Snapshot tests of the chart specs built from the fixture run: each spec is a pure function of
 * the run's rows, so the same fixture must give the same .vl.json, byte for byte. After an
 * intended change, rewrite the goldens with UPDATE_GOLDEN=1 and review the diff.
 */

const FIXTURE = new URL("../fixtures/reports/sweep-run/", import.meta.url).pathname;
const GOLDEN = new URL("../fixtures/reports/golden/", import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === "1";

const plans = planCharts(loadRun(FIXTURE));

test("the fixture run makes every chart", () => {
  const skipped = plans.filter((p) => "skipped" in p).map((p) => p.name);
  assert.deepEqual(skipped, []);
  assert.deepEqual(
    plans.map((p) => p.name),
    [
      "time-and-transferred",
      "ratio-to-raw",
      "downtime-vs-bandwidth",
      "downtime-vs-cache-size",
      "compression-by-workload",
      "cache-miss-rate",
      "pass-timeline",
      "codec-bandwidth",
      "compression-by-kind",
    ],
  );
});

for (const plan of plans) {
  if (!("spec" in plan)) continue;
  test(`golden spec: ${plan.name}.vl.json`, () => {
    const file = join(GOLDEN, `${plan.name}.vl.json`);
    const actual = `${JSON.stringify(plan.spec, null, 2)}\n`;
    if (update) {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, actual);
    }
    assert.ok(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 to write it`);
    assert.equal(
      actual,
      readFileSync(file, "utf8"),
      `${plan.name}: spec differs from the golden file`,
    );
  });
}

test("specs are pure: building twice gives equal specs and leaves the rows untouched", () => {
  const run = loadRun(FIXTURE);
  const before = JSON.stringify(run.cells);
  const again = planCharts(run);
  assert.equal(JSON.stringify(again), JSON.stringify(plans));
  assert.equal(JSON.stringify(run.cells), before);
});

test("a did-not-converge setting is in the downtime data, marked, not dropped", () => {
  const plan = plans.find((p) => p.name === "downtime-vs-bandwidth");
  assert.ok(plan && "rows" in plan);
  const rows = plan.rows as {
    codec: string;
    notConverged: number;
    mean: number | null;
    x: string;
  }[];
  const dnc = rows.filter((r) => r.notConverged > 0);
  assert.ok(dnc.some((r) => r.codec === "raw" && r.mean === null && r.x === "32 MiB/s"));
  // The mixed case (one seed of two did not converge) keeps the other seed's mean.
  assert.ok(dnc.some((r) => r.codec === "xbrle" && r.mean !== null));
  const layers = JSON.stringify(plan.spec);
  assert.match(layers, /triangle-up/);
  assert.match(layers, /did not converge/);
});

test("references sit beside migbench's rows in the same chart, told apart by `source`", () => {
  for (const name of ["codec-bandwidth", "compression-by-kind"]) {
    const plan = plans.find((p) => p.name === name);
    assert.ok(plan && "rows" in plan);
    const sources = new Set((plan.rows as { source: string }[]).map((r) => r.source));
    assert.ok(sources.has("migbench"));
    assert.ok(
      [...sources].some((s) => s.includes("2011")),
      `${name}: no 2011 reference rows`,
    );
  }
  const bandwidth = plans.find((p) => p.name === "codec-bandwidth");
  const rows = (
    bandwidth as unknown as {
      rows: { codec: string; kind: string; gbps: number; source: string }[];
    }
  ).rows;
  const reference = rows.find(
    (r) => r.codec === "xbzrle" && r.kind === "sparse" && r.source !== "migbench",
  );
  assert.equal(reference?.gbps, 2.286); // DESIGN.md §6: xbzrle 2286 MB/s on SPARSE
  assert.ok(rows.some((r) => r.source.startsWith("memcpy")));
});

test("every chart uses the shipped font", () => {
  for (const plan of plans)
    if ("spec" in plan)
      assert.equal((plan.spec.config as { font: string }).font, "DejaVu Sans", plan.name);
});

function downtimeRow(overrides: Record<string, unknown>) {
  return {
    panel: "all cells",
    codec: "xbzrle",
    x: "128 MiB/s",
    xValue: 134217728,
    xMiB: 128,
    mean: null,
    low: null,
    high: null,
    completed: 0,
    notConverged: 1,
    seeds: 1,
    outcome: "did not converge",
    limitMs: 300,
    limitLabel: "limit 300 ms",
    ...overrides,
  } as const;
}

const EMPTY_RUN = chartInput({
  dir: "run",
  cells: [],
  passes: [],
  manifest: null,
  codecBench: null,
  codecBenchFile: null,
});

test("a run where nothing converged draws its triangles in the grey band, no warning", async () => {
  const row = downtimeRow({});
  const spec = downtimeSpec([row], "bandwidth_bytes_per_s", EMPTY_RUN);
  const rendered = await renderSvg(spec);
  assert.deepEqual(rendered.warnings, []);
  assert.match(JSON.stringify(spec), /no downtime to plot/);
  assert.match(rendered.svg, /did not converge \(▲ in this band\)/);
  assert.doesNotMatch(rendered.svg, /NaN/);
});

test("0 ms downtime and a negative interval bound draw on the symlog axis, clipped at 0", async () => {
  // Downtimes 2, 60 and 5 ms: mean 22.3, 95 % t-interval low −58.8 ms (issue's numbers).
  const rows = [
    downtimeRow({
      codec: "raw",
      mean: 0,
      low: 0,
      high: 0,
      completed: 1,
      notConverged: 0,
      outcome: "completed",
    }),
    downtimeRow({
      x: "256 MiB/s",
      xValue: 268435456,
      xMiB: 256,
      mean: 22.33,
      low: -58.8,
      high: 103.5,
      completed: 3,
      notConverged: 0,
      seeds: 3,
      outcome: "completed",
    }),
  ];
  const spec = downtimeSpec(rows, "bandwidth_bytes_per_s", EMPTY_RUN);
  const text = JSON.stringify(spec);
  assert.match(text, /"type":"symlog"/);
  assert.match(text, /max\(datum.low, 0\)/);
  assert.match(text, /clipped at 0 ms/);
  const rendered = await renderSvg(spec);
  assert.deepEqual(rendered.warnings, []);
  assert.doesNotMatch(rendered.svg, /NaN/);
});

test("symlog ticks: 0, decades, then 2s and 5s, never closer than the gap", () => {
  assert.deepEqual(symlogTicks(500, 1, 400, 15), [0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]);
  const at = (v: number) => (Math.log1p(v) / Math.log1p(500)) * 120;
  const tight = symlogTicks(500, 1, 120, 15);
  assert.deepEqual(tight, [0, 2, 10, 100, 500]);
  for (let i = 1; i < tight.length; i++) assert.ok(at(tight[i]) - at(tight[i - 1]) >= 15);
});
