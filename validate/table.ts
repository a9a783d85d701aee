import type { Figures } from "./compare.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";

/**
 * The comparison as rows: each real repetition, its simulation, and per configuration the
 * ratio sim/real of the means. "Did not converge" and "not applicable" are empty cells in the
 * CSV and `—` in the Markdown table, never 0.
 */

export interface ComparedConfig {
  readonly config: LabConfig;
  readonly real: readonly LabRun[];
  readonly realFigures: readonly Figures[];
  /** One simulation per real repetition (stride's guest speed differs per run); null = none. */
  readonly simulated: readonly (Figures | null)[];
  /**
   * A stochastic configuration's seed sweep with vCPU stalls (validate/compare.ts LAB_STALLS),
   * one Figures per seed; null for a deterministic one.
   */
  readonly seeds: readonly Figures[] | null;
}

const COLUMNS = [
  ["status", "status"],
  ["total_time_ms", "totalTimeMs"],
  ["setup_time_ms", "setupTimeMs"],
  ["downtime_ms", "downtimeMs"],
  ["transferred_bytes", "transferredBytes"],
  ["zero_pages", "zeroPages"],
  ["normal_pages", "normalPages"],
  ["xbzrle_pages", "xbzrlePages"],
  ["xbzrle_bytes", "xbzrleBytes"],
  ["overflow_pages", "overflowPages"],
  ["cache_miss_rate", "cacheMissRate"],
  ["dirty_sync_count", "dirtySyncCount"],
] as const satisfies readonly (readonly [string, keyof Figures])[];

export const COMPARISON_HEADER = [
  "config",
  "source",
  "repetition",
  "accelerator",
  ...COLUMNS.map(([column]) => column),
  "migration_thread_cpu_s",
  "guest_rate_per_s",
  "destination_consistent",
];

const cell = (value: string | number | boolean | null | undefined) =>
  value === null || value === undefined ? "" : String(value);

export function comparisonRows(compared: readonly ComparedConfig[]): string[][] {
  const rows: string[][] = [];
  for (const { config, real, realFigures, simulated, seeds } of compared) {
    seeds?.forEach((sim, i) => {
      rows.push([
        config.name,
        "simulated-seed",
        String(i + 1),
        "",
        ...COLUMNS.map(([, key]) => cell(sim[key])),
        "",
        "",
        "",
      ]);
    });
    real.forEach((run, i) => {
      const figures = realFigures[i];
      rows.push([
        config.name,
        "real",
        String(run.repetition),
        run.accelerator,
        ...COLUMNS.map(([, key]) => cell(figures[key])),
        cell(run.migrationThreadCpuS),
        cell(run.guestRatePerS === null ? null : Math.round(run.guestRatePerS)),
        cell(run.destination?.consistent ?? null),
      ]);
      const sim = simulated[i];
      if (sim)
        rows.push([
          config.name,
          "simulated",
          String(run.repetition),
          "",
          ...COLUMNS.map(([, key]) => cell(sim[key])),
          "",
          "",
          "",
        ]);
    });
  }
  return rows;
}

function mean(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Converging runs on each side of a stochastic configuration. */
export interface Convergence {
  readonly simConverged: number;
  readonly seeds: number;
  readonly realConverged: number;
  readonly reps: number;
}

export interface Agreement {
  readonly config: string;
  /** Set for a stochastic configuration: outcomes are compared as shares. */
  readonly convergence: Convergence | null;
  readonly realStatus: string;
  readonly simStatus: string;
  readonly timeRatio: number | null;
  readonly bytesRatio: number | null;
  readonly outcomeMismatch: boolean;
  readonly within10: boolean;
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

function ratioOfMeans(
  real: readonly Figures[],
  sims: readonly Figures[],
  key: "totalTimeMs" | "transferredBytes",
): number | null {
  const r = mean(real.map((f) => f[key]));
  const s = mean(sims.map((f) => f[key]));
  return r && s !== null ? s / r : null;
}

function agreement(compared: ComparedConfig): Agreement | null {
  const { config, realFigures, simulated, seeds } = compared;
  const sims = seeds ?? simulated.filter((s): s is Figures => s !== null);
  if (sims.length === 0) return null;
  const completed = (list: readonly Figures[]) => list.filter((f) => f.status === "completed");
  if (seeds) {
    const convergence = {
      simConverged: completed(seeds).length,
      seeds: seeds.length,
      realConverged: completed(realFigures).length,
      reps: realFigures.length,
    };
    const [real, sim] = [completed(realFigures), completed(seeds)];
    const both = real.length > 0 && sim.length > 0;
    const timeRatio = both ? ratioOfMeans(real, sim, "totalTimeMs") : null;
    const bytesRatio = both ? ratioOfMeans(real, sim, "transferredBytes") : null;
    return {
      config: config.name,
      convergence,
      realStatus: `${convergence.realConverged}/${convergence.reps} completed`,
      simStatus: `${convergence.simConverged}/${convergence.seeds} completed`,
      timeRatio,
      bytesRatio,
      outcomeMismatch: !sharesAgree(convergence),
      within10: near(timeRatio) && near(bytesRatio),
    };
  }
  const realStatus = majority(realFigures.map((f) => f.status));
  const simStatus = majority(sims.map((f) => f.status));
  const same = realStatus === "completed" && simStatus === "completed";
  const timeRatio = same ? ratioOfMeans(realFigures, sims, "totalTimeMs") : null;
  const bytesRatio = same ? ratioOfMeans(realFigures, sims, "transferredBytes") : null;
  return {
    config: config.name,
    convergence: null,
    realStatus,
    simStatus,
    timeRatio,
    bytesRatio,
    outcomeMismatch: realStatus !== simStatus,
    within10: near(timeRatio) && near(bytesRatio),
  };
}

export function agreements(compared: readonly ComparedConfig[]): Agreement[] {
  return compared.flatMap((c) => agreement(c) ?? []);
}

/** "sim converged k/N seeds vs real j/M reps". */
export function convergenceText(c: Convergence): string {
  return `sim converged ${c.simConverged}/${c.seeds} seeds vs real ${c.realConverged}/${c.reps} reps`;
}

export function summaryLine(list: readonly Agreement[]): string {
  // A stochastic configuration's ratios rest on whichever seeds and reps happened to complete:
  // its line is the shares below, not a count towards "within ±10 %".
  const converged = list.filter((a) => a.convergence === null && a.timeRatio !== null);
  const within = converged.filter((a) => a.within10).length;
  const mismatches = list.filter((a) => a.outcomeMismatch).length;
  const stochastic = list.flatMap((a) =>
    a.convergence ? [`${a.config}: ${convergenceText(a.convergence)}`] : [],
  );
  const shares = stochastic.length > 0 ? `; stochastic: ${stochastic.join("; ")}` : "";
  return `${within} of ${converged.length} converged deterministic configurations within ±10 % on time and bytes; ${mismatches} outcome mismatches in ${list.length} configurations${shares}`;
}

const fmt = (x: number | null, digits: number) => (x === null ? "—" : x.toFixed(digits));

export function markdownTable(compared: readonly ComparedConfig[]): string {
  const head = [
    "config",
    "source",
    "status",
    "total s",
    "setup ms",
    "downtime ms",
    "transferred MiB",
    "zero",
    "normal",
    "xbzrle pages",
    "overflow",
    "miss rate",
    "syncs",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  const row = (name: string, source: string, f: Figures) =>
    `| ${[
      name,
      source,
      f.status,
      fmt(f.totalTimeMs === null ? null : f.totalTimeMs / 1000, 2),
      fmt(f.setupTimeMs, 0),
      fmt(f.downtimeMs, 0),
      fmt(f.transferredBytes === null ? null : f.transferredBytes / 2 ** 20, 1),
      fmt(f.zeroPages, 0),
      fmt(f.normalPages, 0),
      fmt(f.xbzrlePages, 0),
      fmt(f.overflowPages, 0),
      fmt(f.cacheMissRate, 3),
      fmt(f.dirtySyncCount, 0),
    ].join(" | ")} |`;
  const byName = new Map(agreements(compared).map((a) => [a.config, a]));
  for (const { config, real, realFigures, simulated, seeds } of compared) {
    real.forEach((run, i) => {
      lines.push(
        row(config.name, `real #${run.repetition + 1} (${run.accelerator})`, realFigures[i]),
      );
      const sim = simulated[i];
      if (sim) lines.push(row("", `simulated #${run.repetition + 1}`, sim));
    });
    seeds?.forEach((sim, i) => {
      lines.push(row("", `simulated seed ${i + 1} (stalls)`, sim));
    });
    const a = byName.get(config.name);
    if (a) {
      const shares = a.convergence ? `${convergenceText(a.convergence)}: ` : "";
      const verdict = a.outcomeMismatch ? "**outcome differs**" : "same outcome";
      lines.push(
        `| | sim/real | ${shares}${verdict} | ${fmt(a.timeRatio, 2)} | | | ${fmt(a.bytesRatio, 2)} | | | | | | |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
