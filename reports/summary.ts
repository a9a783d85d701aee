import { msLabel, NO_VALUE, percentLabel, sizeLabel } from "../lib/format.ts";
import type { CellStatus } from "../results/cell.ts";
import type { CellRow } from "../results/records.ts";
import { groupOverSeeds, varyingSettings } from "./seed-groups.ts";
import { settingText, settingTitle } from "./settings.ts";
import { meanInterval } from "./stats.ts";
import { type Stop, type StopReason, stopOf } from "./stops.ts";

/**
 * The summary of a run, computed once and drawn twice (the terminal table at the end of
 * `npm run bench`, reports/terminal-summary.ts; the tables of report.html, reports/html.ts):
 * per workload, one row per codec and setting with the seeds pooled, and the failed cells with
 * their errors. Pure: results.csv records in, numbers and their text out.
 */

/** The cells of one row: every seed of one codec at one setting. */
interface SeedGroup {
  readonly cells: readonly CellRow[];
  /** The cells that did not fail. */
  readonly ran: readonly CellRow[];
  readonly completed: readonly CellRow[];
}

/**
 * One row's value in one column: the mean over the row's cells, and, when some of them were
 * stopped before completing (reports/stops.ts), why: the mean then counts them where they
 * stopped and is only a lower bound ("> 600.0 s (max-time)").
 */
export interface SummaryValue {
  /** null when no cell has a value (— in the tables). */
  readonly mean: number | null;
  /** Why cells of the row were stopped, in order of first appearance; empty = an exact mean. */
  readonly stoppedBy: readonly StopReason[];
}

/** A column of numbers: a value per row, printed by `text`. */
interface MetricColumn {
  readonly title: string;
  readonly value: (group: SeedGroup) => SummaryValue;
  readonly text: (value: SummaryValue) => string;
  /** Why a row can have no value here (the note under the tables says it). */
  readonly none: string;
}

/** Hit rate as QEMU's xbzrle counters give it: cache hits / (hits + misses). */
function hitRate(cell: CellRow): number | null {
  const lookups = (cell.deltaPages ?? 0) + (cell.cacheMissPages ?? 0);
  return lookups > 0 ? (cell.deltaPages ?? 0) / lookups : null;
}

function exactMean(values: readonly (number | null)[]): SummaryValue {
  const known = values.filter((v): v is number => v !== null);
  return { mean: meanInterval(known)?.mean ?? null, stoppedBy: [] };
}

/** The mean over cells that ran, a stopped cell counted at what it reached when it stopped. */
function meanToStop(
  cells: readonly CellRow[],
  value: (cell: CellRow, stop: Stop | null) => number | null,
): SummaryValue {
  const stops = cells.map(stopOf);
  const { mean } = exactMean(cells.map((cell, i) => value(cell, stops[i])));
  const stoppedBy = [...new Set(stops.flatMap((stop) => (stop ? [stop.reason] : [])))];
  return { mean, stoppedBy };
}

/** "12.3 s", or "> 600.0 s (max-time)" for a lower bound; NO_VALUE without a value. */
function boundText(label: (value: number) => string, withReason: boolean) {
  return ({ mean, stoppedBy }: SummaryValue): string => {
    if (mean === null) return NO_VALUE;
    if (stoppedBy.length === 0) return label(mean);
    return `> ${label(mean)}${withReason ? ` (${stoppedBy.join(", ")})` : ""}`;
  };
}

/** The measured columns, in display order: one entry adds a column to both summaries. */
const METRICS: readonly MetricColumn[] = [
  {
    title: "total time",
    value: (g) => meanToStop(g.ran, (c, stop) => stop?.atMs ?? c.totalTimeMs),
    text: boundText(msLabel, true),
    none: "every seed failed",
  },
  // Only a migration that completed stopped the VM: the mean is over the seeds that completed.
  {
    title: "downtime",
    value: (g) => exactMean(g.completed.map((c) => c.downtimeMs)),
    text: boundText(msLabel, false),
    none: "no seed completed",
  },
  {
    title: "transferred",
    value: (g) => meanToStop(g.ran, (c) => c.transferredBytes),
    text: boundText(sizeLabel, false),
    none: "every seed failed",
  },
  {
    title: "hit rate",
    value: (g) => exactMean(g.ran.map(hitRate)),
    text: boundText(percentLabel, false),
    none: "no cache lookups",
  },
];

export interface SummaryRow {
  readonly codec: string;
  /** The varying settings' values as text, in SummaryTable.settings order. */
  readonly settings: readonly string[];
  /** How many of the row's cells ended each way, in order of first appearance. */
  readonly statuses: readonly (readonly [CellStatus, number])[];
  /** Each METRICS column's value, in METRICS order. */
  readonly metrics: readonly SummaryValue[];
  /** Cells in the row (one per seed). */
  readonly seeds: number;
}

export interface SummaryTable {
  readonly workload: string;
  /** The setting columns that vary in the run (besides workload, codec and seed). */
  readonly settings: readonly string[];
  /** Distinct seeds among the workload's cells. */
  readonly seeds: number;
  readonly rows: readonly SummaryRow[];
}

function summaryRow(cells: readonly CellRow[], settings: readonly string[]): SummaryRow {
  const ran = cells.filter((c) => c.status !== "failed");
  const group = { cells, ran, completed: ran.filter((c) => c.status === "completed") };
  const statuses = new Map<CellStatus, number>();
  for (const cell of cells) statuses.set(cell.status, (statuses.get(cell.status) ?? 0) + 1);
  return {
    codec: cells[0].codec,
    settings: settings.map((c) => settingText(c, cells[0].columns[c] ?? "")),
    statuses: [...statuses],
    metrics: METRICS.map((metric) => metric.value(group)),
    seeds: cells.length,
  };
}

/** One table per workload, in order of first appearance. */
export function summarize(cells: readonly CellRow[]): SummaryTable[] {
  const settings = varyingSettings(cells).filter((c) => c !== "workload");
  const workloads = [...new Set(cells.map((c) => c.workload))];
  return workloads.map((workload) => {
    const own = cells.filter((c) => c.workload === workload);
    return {
      workload,
      settings,
      seeds: new Set(own.map((c) => c.seed)).size,
      rows: groupOverSeeds(own).map((group) => summaryRow(group, settings)),
    };
  });
}

/** The header both renderings print. */
export function summaryHead(table: SummaryTable): string[] {
  return [
    "codec",
    ...table.settings.map(settingTitle),
    "status",
    ...METRICS.map((m) => m.title),
    "seeds",
  ];
}

/** "completed" for one cell; "completed ×2", "did-not-converge ×1, completed ×1" for several. */
function statusText(row: SummaryRow): string {
  if (row.seeds === 1) return row.statuses[0][0];
  return row.statuses.map(([status, n]) => `${status} ×${n}`).join(", ");
}

/** A row's cells as text, in summaryHead's order. */
export function summaryCells(row: SummaryRow): string[] {
  return [
    row.codec,
    ...row.settings,
    statusText(row),
    ...row.metrics.map((value, i) => METRICS[i].text(value)),
    String(row.seeds),
  ];
}

/**
 * What a reader needs to read the tables' `>` and `—`: one line per sign the tables use (none
 * when they use neither), naming the columns where a — appears and why, for under the tables
 * on the terminal and in report.html.
 */
export function summaryNotes(tables: readonly SummaryTable[]): string[] {
  const rows = tables.flatMap((t) => t.rows);
  const notes: string[] = [];
  if (rows.some((row) => row.metrics.some((m) => m.stoppedBy.length > 0)))
    notes.push(
      "> : a lower bound: seeds stopped before completing (by what is in brackets) count as far as they got.",
    );
  const empty = METRICS.filter((_, i) => rows.some((row) => row.metrics[i].mean === null));
  if (empty.length > 0)
    notes.push(`${NO_VALUE} : no value (${empty.map((m) => `${m.title}: ${m.none}`).join("; ")}).`);
  return notes;
}

/** Whether some cell of the row did not complete (the report marks the row). */
export function rowHasTrouble(row: SummaryRow): boolean {
  return row.statuses.some(([status]) => status !== "completed");
}

export interface FailedCell {
  readonly cell: number;
  readonly description: string;
  readonly error: string;
}

export function failedCells(cells: readonly CellRow[]): FailedCell[] {
  const varying = varyingSettings(cells).filter((c) => c !== "workload");
  return cells
    .filter((c) => c.status === "failed")
    .map((c) => ({
      cell: c.cell,
      description: [
        c.workload,
        c.codec,
        ...varying.map((v) => settingText(v, c.columns[v] ?? "")),
        `seed ${c.seed}`,
      ].join(" · "),
      error: c.error || "(no error text)",
    }));
}
