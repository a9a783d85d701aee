import { mean } from "simple-statistics";
import type { Figures } from "./compare.ts";
import {
  type ComparedConfig,
  type SimSource,
  SOURCE_TITLES,
  type SourceComparison,
  simulatedFigures,
} from "./compared.ts";
import { coresLabel, DISTURBED_ABOVE_CORES, takenFromLab } from "./host-cpu.ts";
import { isStochastic } from "./matrix.ts";
import { setupModeLine } from "./setup-mode.ts";

/**
 * How close each simulation source came to the real runs, per configuration (the `sim/real`
 * rows) and over the run (the summary line per source): outcome, and the ratios of the means of
 * total time and transferred bytes (docs/VALIDATION.md, "Reading the output").
 */

/** Converging runs on each side of a stochastic configuration. */
export interface Convergence {
  readonly simConverged: number;
  readonly seeds: number;
  readonly realConverged: number;
  readonly reps: number;
}

export interface Agreement {
  readonly config: string;
  readonly source: SimSource;
  /** Set for a stochastic configuration: outcomes are compared as shares. */
  readonly convergence: Convergence | null;
  readonly realStatus: string;
  readonly simStatus: string;
  readonly timeRatio: number | null;
  readonly bytesRatio: number | null;
  /** QEMU's setup-time, simulated over real (the host profile's setup at the guest's RAM against the runs'). */
  readonly setupRatio: number | null;
  /**
   * Total time less setup-time, simulated over real: the migration without the one phase whose
   * length the profile gives as a fixed mean of two modes (docs/VALIDATION.md, "What QEMU's
   * setup is, here").
   */
  readonly afterSetupRatio: number | null;
  readonly outcomeMismatch: boolean;
  readonly within10: boolean;
}

/** The mean of the values that are known; null when none is. */
export function meanOfKnown(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : mean(xs);
}

/** The most common real outcome; ties go to the first seen. */
function majority(statuses: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
}

/**
 * A stochastic configuration's outcomes agree unless the seeds never show an outcome the real
 * repetitions showed: with a few repetitions, that a simulated share is 0 or 1 where the real
 * one is not is the only disagreement the data can tell (docs/VALIDATION.md).
 */
export function sharesAgree(c: Convergence): boolean {
  const realConverges = c.realConverged > 0;
  const realFails = c.realConverged < c.reps;
  return (!realConverges || c.simConverged > 0) && (!realFails || c.simConverged < c.seeds);
}

const near = (x: number | null) => x !== null && Math.abs(x - 1) <= 0.1;

type Measure = (f: Figures) => number | null;

const totalTime: Measure = (f) => f.totalTimeMs;
const bytes: Measure = (f) => f.transferredBytes;
const setupTime: Measure = (f) => f.setupTimeMs;
const afterSetup: Measure = (f) =>
  f.totalTimeMs === null || f.setupTimeMs === null ? null : f.totalTimeMs - f.setupTimeMs;

function ratioOfMeans(
  real: readonly Figures[],
  sims: readonly Figures[],
  measure: Measure,
): number | null {
  const r = meanOfKnown(real.map(measure));
  const s = meanOfKnown(sims.map(measure));
  return r && s !== null ? s / r : null;
}

/** The ratios of the means of `real` and `sims` (completed runs on both sides), or all null. */
function ratios(real: readonly Figures[], sims: readonly Figures[], both: boolean) {
  const of = (measure: Measure) => (both ? ratioOfMeans(real, sims, measure) : null);
  return {
    timeRatio: of(totalTime),
    bytesRatio: of(bytes),
    setupRatio: of(setupTime),
    afterSetupRatio: of(afterSetup),
  };
}

const completed = (list: readonly Figures[]) => list.filter((f) => f.status === "completed");

function stochasticAgreement(
  config: string,
  source: SimSource,
  realFigures: readonly Figures[],
  seeds: readonly Figures[],
): Agreement {
  const convergence = {
    simConverged: completed(seeds).length,
    seeds: seeds.length,
    realConverged: completed(realFigures).length,
    reps: realFigures.length,
  };
  const [real, sim] = [completed(realFigures), completed(seeds)];
  const measured = ratios(real, sim, real.length > 0 && sim.length > 0);
  return {
    config,
    source,
    convergence,
    realStatus: `${convergence.realConverged}/${convergence.reps} completed`,
    simStatus: `${convergence.simConverged}/${convergence.seeds} completed`,
    ...measured,
    outcomeMismatch: !sharesAgree(convergence),
    within10: near(measured.timeRatio) && near(measured.bytesRatio),
  };
}

/** One source's agreement with the real runs; null when it has no simulation to compare. */
export function agreement(
  config: string,
  realFigures: readonly Figures[],
  sim: SourceComparison,
): Agreement | null {
  if (sim.state === "unavailable") return null;
  if (sim.seeds) return stochasticAgreement(config, sim.source, realFigures, sim.seeds);
  const sims = simulatedFigures(sim);
  if (sims.length === 0) return null;
  const realStatus = majority(realFigures.map((f) => f.status));
  // Repetitions simulated at each one's own pace can end differently: say so, count it as a
  // mismatch, and take the ratios over completed runs only — a run stopped at its time limit
  // has no total time, and its bytes are only as far as it got.
  const split = new Set(sims.map((f) => f.status)).size > 1;
  const simStatus = split
    ? `${completed(sims).length}/${sims.length} completed`
    : (sims[0]?.status ?? "");
  const [realDone, simDone] = [completed(realFigures), completed(sims)];
  const same = realStatus === "completed" && realDone.length > 0 && simDone.length > 0;
  const measured = ratios(realDone, simDone, same);
  return {
    config,
    source: sim.source,
    convergence: null,
    realStatus,
    simStatus,
    ...measured,
    outcomeMismatch: sims.some((f) => f.status !== realStatus),
    within10: !split && near(measured.timeRatio) && near(measured.bytesRatio),
  };
}

/** Every configuration's agreement, per source, in the configurations' order. */
export function agreements(compared: readonly ComparedConfig[]): Agreement[] {
  return compared.flatMap((c) =>
    c.sources.flatMap((sim) => agreement(c.config.name, c.realFigures, sim) ?? []),
  );
}

/** "sim converged k/N seeds vs real j/M reps". */
export function convergenceText(c: Convergence): string {
  return `sim converged ${c.simConverged}/${c.seeds} seeds vs real ${c.realConverged}/${c.reps} reps`;
}

/** One source's line: within ±10 %, outcome mismatches, stochastic shares, what it could not simulate. */
export function summaryLine(
  source: SimSource,
  list: readonly Agreement[],
  unavailable: readonly string[] = [],
): string {
  const own = list.filter((a) => a.source === source);
  // A stochastic configuration's ratios rest on whichever seeds and reps happened to complete:
  // its line is the shares below, not a count towards "within ±10 %".
  const converged = own.filter((a) => a.convergence === null && a.timeRatio !== null);
  const within = converged.filter((a) => a.within10).length;
  // What the misses would be without QEMU's setup, whose length the profile can only give as a
  // mean: the reader tells the migration model's misses from the setup's draw.
  const missed = converged.filter((a) => !a.within10);
  const bySetup = missed.filter((a) => near(a.afterSetupRatio) && near(a.bytesRatio)).length;
  const setupText =
    missed.length > 0
      ? `; ${bySetup} of the ${missed.length} others within ±10 % on time after setup`
      : "";
  const mismatches = own.filter((a) => a.outcomeMismatch).length;
  const stochastic = own.flatMap((a) =>
    a.convergence ? [`${a.config}: ${convergenceText(a.convergence)}`] : [],
  );
  const shares = stochastic.length > 0 ? `; stochastic: ${stochastic.join("; ")}` : "";
  const missing = unavailable.length > 0 ? `; not simulated: ${unavailable.join(", ")}` : "";
  return `${SOURCE_TITLES[source]}: ${within} of ${converged.length} converged deterministic configurations within ±10 % on time and bytes${setupText}; ${mismatches} outcome mismatches in ${own.length} configurations${shares}${missing}`;
}

/**
 * How far the real repetitions of one configuration are from their own mean: the noise floor a
 * simulator's "within ±10 %" is measured against. Over the deterministic configurations with at
 * least two completed repetitions; null when there is none.
 */
export function repeatabilityLine(compared: readonly ComparedConfig[]): string | null {
  const spreads = compared.flatMap((c) => {
    if (isStochastic(c.config, c.real)) return [];
    const done = completed(c.realFigures);
    if (done.length < 2) return [];
    const spread = (key: "totalTimeMs" | "transferredBytes") => {
      const xs = done.map((f) => f[key] ?? 0);
      const average = mean(xs);
      return Math.max(...xs.map((x) => Math.abs(x / average - 1)));
    };
    return [{ time: spread("totalTimeMs"), bytes: spread("transferredBytes") }];
  });
  if (spreads.length === 0) return null;
  const within = spreads.filter((s) => s.time <= 0.1 && s.bytes <= 0.1).length;
  const percent = (x: number) => `${Math.round(x * 100)} %`;
  const time = Math.max(...spreads.map((s) => s.time));
  const bytes = Math.max(...spreads.map((s) => s.bytes));
  return `real repetitions: in ${within} of ${spreads.length} deterministic configurations every repetition is within ±10 % of their mean on time and bytes (largest distance from the mean: time ${percent(time)}, bytes ${percent(bytes)})`;
}

/**
 * Which real migrations shared the host's CPU with other processes (validate/host-cpu.ts): a
 * disturbed migration's time says as much about them as about QEMU, so a repetition far from
 * its twin is read beside this line. Runs recorded before the figure was kept are "not
 * recorded", never 0. Null when there is no real run.
 */
export function otherProcessesLine(compared: readonly ComparedConfig[]): string | null {
  const runs = compared.flatMap((c) =>
    c.real.map((run) => ({ name: `${c.config.name} #${run.repetition + 1}`, cpu: run.hostCpu })),
  );
  if (runs.length === 0) return null;
  const recorded = runs.flatMap(({ name, cpu }) =>
    cpu ? [{ name, taken: takenFromLab(cpu) }] : [],
  );
  const head = `other processes or steal took more than ${DISTURBED_ABOVE_CORES} cores`;
  if (recorded.length === 0)
    return `${head}: not recorded in any of the ${runs.length} real migrations`;
  const disturbed = recorded.filter((r) => r.taken > DISTURBED_ABOVE_CORES);
  const quiet = recorded.filter((r) => r.taken <= DISTURBED_ABOVE_CORES);
  const parts = [`${head} in ${disturbed.length} of ${recorded.length} real migrations`];
  if (disturbed.length > 0)
    parts[0] += `: ${disturbed.map((r) => `${r.name} (${coresLabel(r.taken)} cores)`).join(", ")}`;
  if (quiet.length > 0)
    parts.push(
      `${disturbed.length > 0 ? "the others" : "all"} at most ${coresLabel(Math.max(...quiet.map((r) => r.taken)))} cores`,
    );
  if (recorded.length < runs.length) parts.push(`not recorded in ${runs.length - recorded.length}`);
  return parts.join("; ");
}

/**
 * The summary: one line per source the comparison has, the real runs' own spread, their host,
 * and their setups' modes.
 */
export function summaryLines(compared: readonly ComparedConfig[]): string[] {
  const lines = [
    repeatabilityLine(compared),
    otherProcessesLine(compared),
    setupModeLine(compared),
  ];
  return [...sourceLines(compared), ...lines.filter((line) => line !== null)];
}

function sourceLines(compared: readonly ComparedConfig[]): string[] {
  const list = agreements(compared);
  const sources = [...new Set(compared.flatMap((c) => c.sources.map((s) => s.source)))];
  return sources.map((source) =>
    summaryLine(
      source,
      list,
      compared.flatMap((c) =>
        c.sources.some((s) => s.source === source && s.state === "unavailable")
          ? [c.config.name]
          : [],
      ),
    ),
  );
}
