import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { validationRatiosSpec } from "../../reports/charts/validation-ratios.ts";
import { renderSvg } from "../../reports/render.ts";
import { validationRows, writeValidationChart } from "../../validate/chart.ts";
import { emptyFigures, type Figures } from "../../validate/compare.ts";
import { quickMatrix } from "../../validate/matrix.ts";
import type { LabRun } from "../../validate/migration-run.ts";
import type { ComparedConfig } from "../../validate/table.ts";

function figures(status: string, totalTimeMs: number | null, transferredBytes: number): Figures {
  return { ...emptyFigures(), status, totalTimeMs, transferredBytes };
}

const [idle, , , , , stride32] = quickMatrix();
const run = { repetition: 0 } as LabRun;
const compared: ComparedConfig[] = [
  {
    config: idle,
    real: [run, { ...run, repetition: 1 }],
    realFigures: [figures("completed", 1000, 100), figures("completed", 2000, 200)],
    simulated: [figures("completed", 1050, 90), figures("did-not-converge", null, 300)],
    seeds: null,
  },
  {
    config: stride32,
    real: [run],
    realFigures: [figures("completed", 10_000, 1000)],
    simulated: [figures("completed", 5000, 800)],
    seeds: [figures("completed", 12_000, 1100), figures("did-not-converge", null, 3000)],
  },
];

test("validationRows: a ratio per repetition and per seed; a side that did not converge counts its time limit", () => {
  const rows = validationRows(compared);
  const of = (config: string, point: string, index: number, measure: string) =>
    rows.find(
      (r) => r.config === config && r.point === point && r.index === index && r.measure === measure,
    );
  assert.equal(of(idle.name, "repetition", 1, "total time")?.ratio, 1.05);
  assert.equal(of(idle.name, "repetition", 1, "transferred bytes")?.outcome, "same");
  // 45 s time limit over 2 s real: a lower bound, marked as a different outcome.
  assert.deepEqual(of(idle.name, "repetition", 2, "total time"), {
    config: idle.name,
    measure: "total time",
    point: "repetition",
    index: 2,
    ratio: 22.5,
    outcome: "differs",
  });
  assert.equal(of(stride32.name, "seed", 1, "total time")?.ratio, 1.2);
  assert.equal(of(stride32.name, "seed", 2, "transferred bytes")?.outcome, "differs");
  assert.equal(rows.length, 10);
});

test("the validation chart draws without a Vega warning and is written as SVG and PNG", async () => {
  const rows = validationRows(compared);
  const { warnings } = await renderSvg(
    validationRatiosSpec(rows, [idle.name, stride32.name], ["caption"]),
  );
  assert.deepEqual(warnings, []);
  const out = mkdtempSync(join(tmpdir(), "mb-vchart-"));
  const files = await writeValidationChart(out, compared, "qemu-7.2-tcg");
  for (const ext of [".data.csv", ".vl.json", ".svg", ".png"])
    assert.ok(
      files.some((f) => f.endsWith(ext) && existsSync(f)),
      ext,
    );
});
