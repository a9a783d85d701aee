import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { toCsv } from "../results/csv.ts";
import { writeValidationChart } from "./chart.ts";
import { guestPace, meanGuestPace, realFigures, simulate } from "./compare.ts";
import { markedStochastic } from "./matrix.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";
import {
  agreements,
  COMPARISON_HEADER,
  type ComparedConfig,
  comparisonRows,
  markdownTable,
  summaryLine,
} from "./table.ts";

/**
 * Real runs beside their simulations, written into a validation run directory: comparison.csv,
 * comparison.md and the chart. Used right after the migrations and, with `--from`, on a run
 * directory's real.json again (another host profile, a changed simulator).
 */

export interface ComparisonOptions {
  readonly out: string;
  /** `--profile`: a built-in name or an absolute file path. */
  readonly profile: string;
  /** Seeds a stochastic configuration is simulated over. */
  readonly seeds: number;
}

/** Stochastic: marked so (matrix.ts), or its real repetitions converged and did not. */
export function isStochastic(config: LabConfig, real: readonly LabRun[]): boolean {
  // A run that failed (QEMU or the lab broke) says nothing about convergence.
  const outcomes = new Set(real.flatMap((r) => (r.outcome === "failed" ? [] : [r.outcome])));
  return markedStochastic(config) || outcomes.size > 1;
}

/** One configuration: a simulation per repetition, and a seed sweep when it is stochastic. */
export function compareConfig(
  config: LabConfig,
  real: readonly LabRun[],
  options: ComparisonOptions,
): ComparedConfig {
  const simDir = (name: string) => join(options.out, "sim", `${config.name}-${name}`);
  const simulated = real.map(
    (run) =>
      simulate(config, guestPace(run), simDir(`rep${run.repetition}`), options.profile)?.[0] ??
      null,
  );
  // The sweep runs at the repetitions' mean pace (stride's speed differs from run to run).
  const seeds = isStochastic(config, real)
    ? simulate(config, meanGuestPace(real), simDir("seeds"), options.profile, {
        count: options.seeds,
      })
    : null;
  return { config, real, realFigures: real.map(realFigures), simulated, seeds };
}

/** The real runs of real.json by configuration, in the order they ran. */
export function groupRuns(runs: readonly LabRun[]): { config: LabConfig; real: LabRun[] }[] {
  const groups = new Map<string, { config: LabConfig; real: LabRun[] }>();
  for (const run of runs) {
    const group = groups.get(run.config.name) ?? { config: run.config, real: [] };
    group.real.push(run);
    groups.set(run.config.name, group);
  }
  return [...groups.values()];
}

/** Writes comparison.csv, comparison.md and the chart; returns the table and the summary. */
export async function writeComparison(
  out: string,
  compared: readonly ComparedConfig[],
  profile: string,
): Promise<{ table: string; summary: string; chart: string[] }> {
  writeFileAtomic(
    join(out, "comparison.csv"),
    toCsv([COMPARISON_HEADER, ...comparisonRows(compared)]),
  );
  const table = markdownTable(compared);
  const summary = summaryLine(agreements(compared));
  writeFileSync(join(out, "comparison.md"), `${table}\n${summary}\n`);
  const chart = await writeValidationChart(out, compared, profile);
  return { table, summary, chart };
}
