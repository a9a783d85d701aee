import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { downtimeSpec } from "../../reports/charts/downtime.ts";
import { planCharts } from "../../reports/charts/registry.ts";
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
      "codec-bandwidth",
      "compression-by-kind",
      "compression-by-workload",
      "downtime-vs-bandwidth",
      "downtime-vs-cache-size",
      "time-and-transferred",
      "cache-miss-rate",
      "pass-timeline",
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

test("a run where nothing converged draws its triangles without a log-scale warning", async () => {
  const row = {
    panel: "all cells",
    codec: "xbzrle",
    x: "128 MiB/s",
    xValue: 134217728,
    mean: null,
    low: null,
    high: null,
    completed: 0,
    notConverged: 1,
    seeds: 1,
    notConvergedLabel: "1/1",
  };
  const spec = downtimeSpec([row], "bandwidth_bytes_per_s", { failedCells: 0, seeds: 1 });
  const rendered = await renderSvg({ ...spec, data: { values: [row] } });
  assert.deepEqual(rendered.warnings, []);
  assert.match(JSON.stringify(spec), /no downtime to plot/);
});
