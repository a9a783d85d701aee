import { join } from "node:path";
import { writeStandaloneChart } from "../reports/build.ts";
import {
  VALIDATION_CHART,
  type ValidationRatioRow,
  validationRatiosSpec,
} from "../reports/charts/validation-ratios.ts";
import type { Figures } from "./compare.ts";
import type { ComparedConfig } from "./table.ts";

/**
 * The comparison as a chart in the validation run directory (charts/validation-ratios.*):
 * sim/real of total time and bytes per repetition and per seed, ±10 % band, mismatches marked.
 */

/** A side's time: its total time, or the time limit when it did not converge (a bound). */
function timeOf(f: Figures, limitMs: number): number | null {
  if (f.status === "completed") return f.totalTimeMs;
  return f.status === "did-not-converge" ? limitMs : null;
}

function mean(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function ratioRows(
  config: string,
  point: ValidationRatioRow["point"],
  index: number,
  sim: Figures,
  real: { time: number | null; bytes: number | null },
  same: boolean,
  limitMs: number,
): ValidationRatioRow[] {
  const outcome = same ? "same" : "differs";
  const rows: ValidationRatioRow[] = [];
  const time = timeOf(sim, limitMs);
  if (time !== null && real.time)
    rows.push({ config, measure: "total time", point, index, ratio: time / real.time, outcome });
  if (sim.transferredBytes !== null && real.bytes)
    rows.push({
      config,
      measure: "transferred bytes",
      point,
      index,
      ratio: sim.transferredBytes / real.bytes,
      outcome,
    });
  return rows.filter((r) => r.ratio > 0 && Number.isFinite(r.ratio));
}

export function validationRows(compared: readonly ComparedConfig[]): ValidationRatioRow[] {
  const rows: ValidationRatioRow[] = [];
  for (const { config, realFigures, simulated, seeds } of compared) {
    const limitMs = config.timeoutS * 1000;
    realFigures.forEach((real, i) => {
      const sim = simulated[i];
      if (!sim) return;
      const side = { time: timeOf(real, limitMs), bytes: real.transferredBytes };
      rows.push(
        ...ratioRows(
          config.name,
          "repetition",
          i + 1,
          sim,
          side,
          sim.status === real.status,
          limitMs,
        ),
      );
    });
    if (!seeds) continue;
    const realMean = {
      time: mean(realFigures.map((f) => timeOf(f, limitMs))),
      bytes: mean(realFigures.map((f) => f.transferredBytes)),
    };
    const seen = new Set(realFigures.map((f) => f.status));
    seeds.forEach((sim, i) => {
      rows.push(
        ...ratioRows(config.name, "seed", i + 1, sim, realMean, seen.has(sim.status), limitMs),
      );
    });
  }
  return rows;
}

/** Writes the chart into `out`/charts; the files written. */
export async function writeValidationChart(
  out: string,
  compared: readonly ComparedConfig[],
  profile: string,
): Promise<string[]> {
  const rows = validationRows(compared);
  const configs = compared.map((c) => c.config.name);
  const caption = [
    `Simulated over real QEMU, per repetition (its own simulation) and per seed of a stochastic configuration's sweep (over the real mean); host profile ${profile}.`,
    "Shaded: ±10 %. Crosses: the outcome differs; a side that did not converge counts its time limit.",
  ];
  return writeStandaloneChart(
    join(out, "charts"),
    VALIDATION_CHART,
    rows,
    validationRatiosSpec(rows, configs, caption),
  );
}
