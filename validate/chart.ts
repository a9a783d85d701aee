import { join } from "node:path";
import { writeStandaloneChart } from "../reports/build.ts";
import {
  VALIDATION_CHART,
  type ValidationRatioRow,
  validationRatiosSpec,
} from "../reports/charts/validation-ratios.ts";
import { meanOfKnown } from "./agreement.ts";
import type { Figures } from "./compare.ts";
import type { ComparedConfig, SourceComparison } from "./compared.ts";

/**
 * The comparison as a chart in the validation run directory (charts/validation-ratios.*):
 * sim/real of total time and bytes per repetition and per seed, for each simulation source,
 * ±10 % band, mismatches marked.
 */

/** A side's time: its total time, or the time limit when it did not converge (a bound). */
function timeOf(f: Figures, limitMs: number): number | null {
  if (f.status === "completed") return f.totalTimeMs;
  return f.status === "did-not-converge" ? limitMs : null;
}

interface RealSide {
  readonly time: number | null;
  readonly bytes: number | null;
}

function ratioRows(
  head: Pick<ValidationRatioRow, "config" | "source" | "point" | "index">,
  sim: Figures,
  real: RealSide,
  same: boolean,
  limitMs: number,
): ValidationRatioRow[] {
  const outcome = same ? "same" : "differs";
  const rows: ValidationRatioRow[] = [];
  const time = timeOf(sim, limitMs);
  if (time !== null && real.time)
    rows.push({ ...head, measure: "total time", ratio: time / real.time, outcome });
  if (sim.transferredBytes !== null && real.bytes)
    rows.push({
      ...head,
      measure: "transferred bytes",
      ratio: sim.transferredBytes / real.bytes,
      outcome,
    });
  return rows.filter((r) => r.ratio > 0 && Number.isFinite(r.ratio));
}

/**
 * One source's points: each simulation over the repetition it stands beside (over every
 * repetition when it stands for all), each seed over the real mean.
 */
function sourceRows(compared: ComparedConfig, sim: SourceComparison): ValidationRatioRow[] {
  if (sim.state === "unavailable") return [];
  const { config, real, realFigures } = compared;
  const limitMs = config.timeoutS * 1000;
  const side = (f: Figures) => ({ time: timeOf(f, limitMs), bytes: f.transferredBytes });
  const head = { config: config.name, source: sim.source };
  const rows: ValidationRatioRow[] = [];
  for (const { repetition, figures } of sim.runs)
    realFigures.forEach((f, i) => {
      if (repetition !== null && real[i].repetition !== repetition) return;
      const point = { ...head, point: "repetition" as const, index: real[i].repetition + 1 };
      rows.push(...ratioRows(point, figures, side(f), figures.status === f.status, limitMs));
    });
  const realMean = {
    time: meanOfKnown(realFigures.map((f) => timeOf(f, limitMs))),
    bytes: meanOfKnown(realFigures.map((f) => f.transferredBytes)),
  };
  const seen = new Set(realFigures.map((f) => f.status));
  sim.seeds?.forEach((f, i) => {
    const point = { ...head, point: "seed" as const, index: i + 1 };
    rows.push(...ratioRows(point, f, realMean, seen.has(f.status), limitMs));
  });
  return rows;
}

export function validationRows(compared: readonly ComparedConfig[]): ValidationRatioRow[] {
  return compared.flatMap((c) => c.sources.flatMap((sim) => sourceRows(c, sim)));
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
    `Simulated over real QEMU, per repetition (its simulation over it; a trace replay stands beside every repetition) and per seed of a stochastic configuration's sweep (over the real mean); host profile ${profile}.`,
    "Blue: the synthetic workload; orange: the replay of a trace recorded from the guest; lighter: seeds. Shaded: ±10 %. Crosses: the outcome differs; a side that did not converge counts its time limit.",
  ];
  return writeStandaloneChart(
    join(out, "charts"),
    VALIDATION_CHART,
    rows,
    validationRatiosSpec(rows, configs, caption),
  );
}
