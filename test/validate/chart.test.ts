import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { validationRatiosSpec } from "../../reports/charts/validation-ratios.ts";
import { renderSvg } from "../../reports/render.ts";
import { validationRows, writeValidationChart } from "../../validate/chart.ts";
import { emptyFigures, type Figures } from "../../validate/compare.ts";
import type { ComparedConfig, SourceComparison } from "../../validate/compared.ts";
import { quickMatrix } from "../../validate/matrix.ts";
import type { LabRun } from "../../validate/migration-run.ts";

function figures(status: string, totalTimeMs: number | null, transferredBytes: number): Figures {
  return { ...emptyFigures(), status, totalTimeMs, transferredBytes };
}

function synthetic(sims: readonly Figures[], seeds: Figures[] | null = null): SourceComparison {
  const runs = sims.map((f, repetition) => ({ repetition, figures: f }));
  return { source: "synthetic", state: "simulated", runs, seeds };
}

const [idle, , , , , stride32] = quickMatrix();
const run = { repetition: 0 } as LabRun;
const compared: ComparedConfig[] = [
  {
    config: idle,
    real: [run, { ...run, repetition: 1 }],
    realFigures: [figures("completed", 1000, 100), figures("completed", 2000, 200)],
    sources: [
      synthetic([figures("completed", 1050, 90), figures("did-not-converge", null, 300)]),
      // One replay stands beside both repetitions.
      {
        source: "trace",
        state: "simulated",
        runs: [{ repetition: null, figures: figures("completed", 1500, 150) }],
        seeds: null,
      },
    ],
  },
  {
    config: stride32,
    real: [run],
    realFigures: [figures("completed", 10_000, 1000)],
    sources: [
      synthetic(
        [figures("completed", 5000, 800)],
        [figures("completed", 12_000, 1100), figures("did-not-converge", null, 3000)],
      ),
      { source: "trace", state: "unavailable", reason: "loop refused: too few repeats" },
    ],
  },
];

test("validationRows: a ratio per repetition and per seed, per source; a side that did not converge counts its time limit", () => {
  const rows = validationRows(compared);
  const of = (
    config: string,
    point: string,
    index: number,
    measure: string,
    source = "synthetic",
  ) =>
    rows.find(
      (r) =>
        r.config === config &&
        r.source === source &&
        r.point === point &&
        r.index === index &&
        r.measure === measure,
    );
  assert.equal(of(idle.name, "repetition", 1, "total time")?.ratio, 1.05);
  assert.equal(of(idle.name, "repetition", 1, "transferred bytes")?.outcome, "same");
  // 45 s time limit over 2 s real: a lower bound, marked as a different outcome.
  assert.deepEqual(of(idle.name, "repetition", 2, "total time"), {
    config: idle.name,
    source: "synthetic",
    measure: "total time",
    point: "repetition",
    index: 2,
    ratio: 22.5,
    outcome: "differs",
  });
  assert.equal(of(stride32.name, "seed", 1, "total time")?.ratio, 1.2);
  assert.equal(of(stride32.name, "seed", 2, "transferred bytes")?.outcome, "differs");
  // The replay over each repetition: 1500 / 1000 and 1500 / 2000.
  assert.equal(of(idle.name, "repetition", 1, "total time", "trace")?.ratio, 1.5);
  assert.equal(of(idle.name, "repetition", 2, "total time", "trace")?.ratio, 0.75);
  assert.equal(of(idle.name, "repetition", 2, "transferred bytes", "trace")?.ratio, 0.75);
  // A refused replay has no point.
  assert.equal(rows.filter((r) => r.config === stride32.name && r.source === "trace").length, 0);
  assert.equal(rows.length, 14);
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
