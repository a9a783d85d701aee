import { NO_VALUE } from "../lib/format.ts";
import { type Agreement, agreements, convergenceText } from "./agreement.ts";
import type { Figures } from "./compare.ts";
import { type ComparedConfig, SOURCE_TITLES, type SourceComparison } from "./compared.ts";
import type { LabRun } from "./migration-run.ts";

/**
 * The comparison as rows: each real repetition, each source's simulations, and per
 * configuration and source the ratio sim/real of the means. "Did not converge" and "not
 * applicable" are empty cells in the CSV and `—` in the Markdown table, never 0; a source that
 * could not simulate a configuration (no trace, a refused loop) is a row saying why.
 */

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

type Cell = string | number | boolean | null | undefined;

/**
 * What only a real run has, after the figures; empty in a simulated row. The host's CPU
 * (validate/host-cpu.ts) is empty, not 0, in runs recorded before it was kept.
 */
const REAL_COLUMNS = [
  ["migration_thread_cpu_s", (run) => run.migrationThreadCpuS],
  [
    "guest_rate_per_s",
    (run) => (run.guestRatePerS === null ? null : Math.round(run.guestRatePerS)),
  ],
  ["destination_consistent", (run) => run.destination?.consistent ?? null],
  ["other_processes_cores", (run) => run.hostCpu?.otherCores],
  ["steal_cores", (run) => run.hostCpu?.stealCores],
] as const satisfies readonly (readonly [string, (run: LabRun) => Cell])[];

export const COMPARISON_HEADER = [
  "config",
  "source",
  "repetition",
  "accelerator",
  ...COLUMNS.map(([column]) => column),
  ...REAL_COLUMNS.map(([column]) => column),
];

const cell = (value: Cell) => (value === null || value === undefined ? "" : String(value));

const noRealColumns = () => REAL_COLUMNS.map(() => "");

/** A simulated row of comparison.csv: no accelerator, CPU, guest speed, destination or host. */
function simulatedRow(config: string, source: string, index: number | null, f: Figures): string[] {
  return [
    config,
    source,
    cell(index),
    "",
    ...COLUMNS.map(([, key]) => cell(f[key])),
    ...noRealColumns(),
  ];
}

function sourceRows(config: string, sim: SourceComparison): string[][] {
  const name = `simulated-${sim.source}`;
  if (sim.state === "unavailable")
    return [
      [
        config,
        name,
        "",
        "",
        `not simulated: ${sim.reason}`,
        ...Array(COLUMNS.length - 1).fill(""),
        ...noRealColumns(),
      ],
    ];
  return [
    ...sim.runs.map((r) => simulatedRow(config, name, r.repetition, r.figures)),
    ...(sim.seeds ?? []).map((f, i) => simulatedRow(config, `${name}-seed`, i + 1, f)),
  ];
}

export function comparisonRows(compared: readonly ComparedConfig[]): string[][] {
  const rows: string[][] = [];
  for (const { config, real, realFigures, sources } of compared) {
    real.forEach((run, i) => {
      rows.push([
        config.name,
        "real",
        String(run.repetition),
        run.accelerator,
        ...COLUMNS.map(([, key]) => cell(realFigures[i][key])),
        ...REAL_COLUMNS.map(([, value]) => cell(value(run))),
      ]);
    });
    for (const sim of sources) rows.push(...sourceRows(config.name, sim));
  }
  return rows;
}

/** agreement.csv: one row per configuration and source, the sim/real rows of the table. */
export const AGREEMENT_HEADER = [
  "config",
  "source",
  "real_status",
  "simulated_status",
  "time_ratio",
  "bytes_ratio",
  "setup_ratio",
  "time_after_setup_ratio",
  "outcome_mismatch",
  "within_10_percent",
];

export function agreementRows(list: readonly Agreement[]): string[][] {
  return list.map((a) => [
    a.config,
    a.source,
    a.realStatus,
    a.simStatus,
    cell(a.timeRatio),
    cell(a.bytesRatio),
    cell(a.setupRatio),
    cell(a.afterSetupRatio),
    String(a.outcomeMismatch),
    String(a.within10),
  ]);
}

const fmt = (x: number | null, digits: number) => (x === null ? NO_VALUE : x.toFixed(digits));

const HEAD = [
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

function figuresRow(name: string, source: string, f: Figures): string {
  return `| ${[
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
}

/** A row whose third cell spans the rest: a verdict or a reason, then empty cells. */
function noteRow(source: string, note: string, cells: readonly string[] = []): string {
  const rest = [...cells, ...Array(HEAD.length - 3 - cells.length).fill("")];
  return `| | ${source} | ${note} | ${rest.join(" | ")} |`;
}

function sourceLines(sim: SourceComparison, a: Agreement | undefined): string[] {
  const title = SOURCE_TITLES[sim.source];
  const label = `simulated (${sim.source})`;
  if (sim.state === "unavailable") return [noteRow(label, `not simulated: ${sim.reason}`)];
  const lines = [
    ...sim.runs.map((r) =>
      figuresRow("", r.repetition === null ? label : `${label} #${r.repetition + 1}`, r.figures),
    ),
    ...(sim.seeds ?? []).map((f, i) => figuresRow("", `${label} seed ${i + 1} (stalls)`, f)),
  ];
  if (a) {
    const shares = a.convergence ? `${convergenceText(a.convergence)}: ` : "";
    const verdict = a.outcomeMismatch ? "**outcome differs**" : "same outcome";
    const ratios = [fmt(a.timeRatio, 2), fmt(a.setupRatio, 2), "", fmt(a.bytesRatio, 2)];
    lines.push(noteRow(`sim/real (${title})`, `${shares}${verdict}`, ratios));
  }
  return lines;
}

export function markdownTable(compared: readonly ComparedConfig[]): string {
  const lines = [`| ${HEAD.join(" | ")} |`, `|${HEAD.map(() => "---").join("|")}|`];
  const list = agreements(compared);
  for (const { config, real, realFigures, sources } of compared) {
    real.forEach((run, i) => {
      lines.push(
        figuresRow(config.name, `real #${run.repetition + 1} (${run.accelerator})`, realFigures[i]),
      );
    });
    for (const sim of sources) {
      const a = list.find((x) => x.config === config.name && x.source === sim.source);
      lines.push(...sourceLines(sim, a));
    }
  }
  return `${lines.join("\n")}\n`;
}
