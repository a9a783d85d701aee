import { msLabel, NO_VALUE, percentLabel, sizeLabel } from "../lib/format.ts";
import type { CellStatus } from "../results/cell.ts";
import type { CellRow } from "../results/records.ts";
import { groupOverSeeds, varyingSettings } from "./seed-groups.ts";
import { settingText, settingTitle } from "./settings.ts";
import { meanInterval } from "./stats.ts";

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

/** A column of numbers: the mean over a group of what `values` picks, printed by `text`. */
interface MetricColumn {
  readonly title: string;
  readonly values: (group: SeedGroup) => readonly (number | null)[];
  readonly text: (value: number) => string;
  /**
   * What to print when no seed of the row completed, for a total that a stopped migration
   * does not have: a bound ("> 600.0 s (stopped)"), never the spent amount as if it were one.
   */
  readonly stopped?: (group: SeedGroup) => string;
}

/** "> 600.0 s (stopped)": the most a stopped row's cells had spent, as a lower bound. */
function stoppedAt(pick: (c: CellRow) => number | null, text: (v: number) => string) {
  return (group: SeedGroup) => {
    const spent = group.ran.map(pick).filter((v): v is number => v !== null);
    return spent.length > 0 ? `> ${text(Math.min(...spent))} (stopped)` : NO_VALUE;
  };
}

/** Hit rate as QEMU's xbzrle counters give it: cache hits / (hits + misses). */
function hitRate(cell: CellRow): number | null {
  const lookups = (cell.deltaPages ?? 0) + (cell.cacheMissPages ?? 0);
  return lookups > 0 ? (cell.deltaPages ?? 0) / lookups : null;
}

/** The measured columns, in display order: one entry adds a column to both summaries. */
const METRICS: readonly MetricColumn[] = [
  // A cell that did not converge was stopped, not migrated: it has no total time, no total
  // bytes (it would have spent more) and no downtime (the 0 ms it records is not one).
  {
    title: "total time",
    values: (g) => g.completed.map((c) => c.totalTimeMs),
    text: msLabel,
    stopped: stoppedAt((c) => c.totalTimeMs, msLabel),
  },
  { title: "downtime", values: (g) => g.completed.map((c) => c.downtimeMs), text: msLabel },
  {
    title: "transferred",
    values: (g) => g.completed.map((c) => c.transferredBytes),
    text: sizeLabel,
    stopped: stoppedAt((c) => c.transferredBytes, sizeLabel),
  },
  // A rate over the lookups made: as much a measurement in a stopped run as in a finished one.
  { title: "hit rate", values: (g) => g.ran.map(hitRate), text: percentLabel },
];

export interface SummaryRow {
  readonly codec: string;
  /** The varying settings' values as text, in SummaryTable.settings order. */
  readonly settings: readonly string[];
  /** How many of the row's cells ended each way, in order of first appearance. */
  readonly statuses: readonly (readonly [CellStatus, number])[];
  /** Mean of each METRICS column (null when no cell has a value), in METRICS order. */
  readonly metrics: readonly (number | null)[];
  /** The same as text: the mean, a bound for a stopped row's totals, or NO_VALUE. */
  readonly metricTexts: readonly string[];
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
  const metrics = METRICS.map((metric) => {
    const values = metric.values(group).filter((v): v is number => v !== null);
    return meanInterval(values)?.mean ?? null;
  });
  return {
    codec: cells[0].codec,
    settings: settings.map((c) => settingText(c, cells[0].columns[c] ?? "")),
    statuses: [...statuses],
    metrics,
    metricTexts: METRICS.map((metric, i) => {
      const value = metrics[i];
      if (value !== null) return metric.text(value);
      return metric.stopped && group.completed.length === 0 ? metric.stopped(group) : NO_VALUE;
    }),
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
  return [row.codec, ...row.settings, statusText(row), ...row.metricTexts, String(row.seeds)];
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
