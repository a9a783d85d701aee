import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HostProfile } from "../harness/simulator/host-profile.ts";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { toCsv } from "../results/csv.ts";
import { agreements, summaryLines } from "./agreement.ts";
import { writeValidationChart } from "./chart.ts";
import {
  guestPace,
  type MeasuredGuest,
  meanGuestPace,
  realFigures,
  simulate,
  syntheticWorkload,
  traceWorkload,
  UNMEASURED_GUEST,
} from "./compare.ts";
import type { ComparedConfig, SimRun, SourceComparison } from "./compared.ts";
import { isStochastic } from "./matrix.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";
import { meanRealSetupMs, profileWithSetup } from "./real-setup.ts";
import {
  AGREEMENT_HEADER,
  agreementRows,
  COMPARISON_HEADER,
  comparisonRows,
  markdownTable,
} from "./table.ts";
import type { LoadMode, TraceAvailability } from "./trace-recording.ts";

/**
 * Real runs beside their simulations, written into a validation run directory: comparison.csv,
 * agreement.csv, comparison.md and the chart. Used right after the migrations and, with `--from`,
 * on a run directory's real.json again (another host profile, a changed simulator).
 */

export interface ComparisonOptions {
  readonly out: string;
  /** `--profile`: a built-in name or an absolute file path. */
  readonly profile: string;
  /** Seeds a stochastic configuration is simulated over. */
  readonly seeds: number;
  /**
   * `--real-setup`: `profile` as read, whose setup each simulation replaces by the setup-time of
   * the real migration it stands beside (the repetitions' mean where it stands for them all;
   * validate/real-setup.ts); null without `--real-setup`.
   */
  readonly realSetup: HostProfile | null;
  /** Each load's trace for the replay, or null: no trace replay (`--no-traces`). */
  readonly traces: ReadonlyMap<LoadMode, TraceAvailability> | null;
  /**
   * What each load's trace says about its guest, measured once per load (the OS's bytes, the
   * stride buffer's runs); a load absent here has the defaults (compare.ts MeasuredGuest).
   */
  readonly measuredGuests: ReadonlyMap<LoadMode, MeasuredGuest>;
  /** Told what is simulated next (a seed sweep takes minutes): one line each. */
  readonly progress?: (what: string) => void;
}

/**
 * The profile a simulation standing for `runs` takes: `--profile`, or with `--real-setup` that
 * profile with their (mean) real setup-time, written under OUT/profiles/real-setup/.
 */
function profileFor(
  config: LabConfig,
  runs: readonly LabRun[],
  options: ComparisonOptions,
  name: string,
): string {
  const base = options.realSetup;
  const setupMs = base === null ? null : meanRealSetupMs(runs);
  if (base === null || setupMs === null) return options.profile;
  const dir = join(options.out, "profiles", "real-setup");
  return profileWithSetup(base, setupMs, dir, `${config.name}-${name}`);
}

/** The synthetic workload: a simulation per repetition (at its guest speed), seeds if stochastic. */
function syntheticSource(
  config: LabConfig,
  real: readonly LabRun[],
  options: ComparisonOptions,
  stochastic: boolean,
): SourceComparison {
  const dir = (name: string) => join(options.out, "sim", `${config.name}-${name}`);
  const guest = options.measuredGuests.get(config.load.mode) ?? UNMEASURED_GUEST;
  const runs: SimRun[] = real.flatMap((run) => {
    const workload = syntheticWorkload(config, guestPace(run), guest);
    if (!workload) return [];
    options.progress?.(`synthetic, as repetition #${run.repetition + 1}`);
    const profile = profileFor(config, [run], options, `rep${run.repetition}`);
    const [figures] = simulate(config, workload, dir(`rep${run.repetition}`), profile);
    return [{ repetition: run.repetition, figures }];
  });
  // The sweep runs at the repetitions' mean pace (stride's speed differs from run to run).
  const sweepWorkload = stochastic ? syntheticWorkload(config, meanGuestPace(real), guest) : null;
  if (sweepWorkload) options.progress?.(`synthetic, ${options.seeds} seeds`);
  const seeds = sweepWorkload
    ? simulate(config, sweepWorkload, dir("seeds"), profileFor(config, real, options, "mean"), {
        count: options.seeds,
      })
    : null;
  if (runs.length === 0 && seeds === null)
    return {
      source: "synthetic",
      state: "unavailable",
      reason: "no guest speed was measured for the synthetic stride",
    };
  const failed = failure([...runs.map((r) => r.figures), ...(seeds ?? [])]);
  if (failed !== null) return { source: "synthetic", state: "unavailable", reason: failed };
  return { source: "synthetic", state: "simulated", runs, seeds };
}

/**
 * The first failed simulation's status ("failed: …", compare.ts simulate()), or null. A run that
 * failed has no outcome: compared as one, it read as an outcome mismatch (and a seed sweep as
 * "0/1 seeds converged"), so the source is shown as not simulated, with the reason.
 */
function failure(figures: readonly { readonly status: string }[]): string | null {
  return figures.find((f) => f.status.startsWith("failed"))?.status ?? null;
}

/**
 * The trace replay: one simulation standing for every repetition (they replay the same
 * recording), seeds if stochastic; or why there is none (not recorded, its loop refused).
 */
function traceSource(
  config: LabConfig,
  real: readonly LabRun[],
  trace: TraceAvailability | undefined,
  options: ComparisonOptions,
  stochastic: boolean,
): SourceComparison {
  const unavailable = (reason: string): SourceComparison => ({
    source: "trace",
    state: "unavailable",
    reason,
  });
  if (trace === undefined) return unavailable(`no trace of the ${config.load.mode} load`);
  if (trace.state === "unavailable") return unavailable(trace.reason);
  const dir = (name: string) => join(options.out, "sim", `${config.name}-${name}`);
  const workload = traceWorkload(trace.path, meanGuestPace(real).vcpuBusy);
  const profile = profileFor(config, real, options, "mean");
  options.progress?.("trace replay");
  const [figures] = simulate(config, workload, dir("trace"), profile);
  if (stochastic) options.progress?.(`trace replay, ${options.seeds} seeds`);
  const seeds = stochastic
    ? simulate(config, workload, dir("trace-seeds"), profile, { count: options.seeds })
    : null;
  const failed = failure([figures, ...(seeds ?? [])]);
  if (failed !== null) return unavailable(failed);
  return { source: "trace", state: "simulated", runs: [{ repetition: null, figures }], seeds };
}

/** One configuration: each source's simulations, and seed sweeps when it is stochastic. */
export function compareConfig(
  config: LabConfig,
  real: readonly LabRun[],
  options: ComparisonOptions,
): ComparedConfig {
  const stochastic = isStochastic(config, real);
  const sources = [syntheticSource(config, real, options, stochastic)];
  if (options.traces !== null)
    sources.push(
      traceSource(config, real, options.traces.get(config.load.mode), options, stochastic),
    );
  return { config, real, realFigures: real.map(realFigures), sources };
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

/**
 * Writes comparison.csv, agreement.csv, comparison.md and the chart; returns the table and the
 * summary (a line per source, the real runs' lines, then `notes`).
 */
export async function writeComparison(
  out: string,
  compared: readonly ComparedConfig[],
  profile: string,
  notes: readonly string[] = [],
): Promise<{ table: string; summary: string; chart: string[] }> {
  writeFileAtomic(
    join(out, "comparison.csv"),
    toCsv([COMPARISON_HEADER, ...comparisonRows(compared)]),
  );
  writeFileAtomic(
    join(out, "agreement.csv"),
    toCsv([AGREEMENT_HEADER, ...agreementRows(agreements(compared))]),
  );
  const table = markdownTable(compared);
  const summary = [...summaryLines(compared), ...notes].join("\n");
  writeFileSync(join(out, "comparison.md"), `${table}\n${summary}\n`);
  const chart = await writeValidationChart(out, compared, profile);
  return { table, summary, chart };
}
