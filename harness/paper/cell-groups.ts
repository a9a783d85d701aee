import { msLabel } from "../../lib/format.ts";
import { type MeanInterval, meanInterval } from "../../reports/stats.ts";
import type { CellRow } from "../../results/records.ts";
import { PARAM_PREFIX } from "../../results/schema.ts";

/**
 * The claims' verdict functions read cells as groups of seeds of one setting: did every seed
 * complete, none, or some, and the mean with its 95 % interval over those that completed. A
 * migration that did not converge is never a number here (docs/RESULTS.md, "Empty fields").
 */

export interface SeedGroup {
  readonly cells: readonly CellRow[];
  readonly completed: number;
  /** Over the completed seeds only. */
  readonly downtimeMs: MeanInterval | null;
  readonly totalTimeMs: MeanInterval | null;
  readonly missRate: MeanInterval | null;
}

export type Convergence = "all" | "some" | "none";

export function seedGroup(cells: readonly CellRow[]): SeedGroup {
  const done = cells.filter((c) => c.status === "completed");
  const of = (pick: (c: CellRow) => number | null) =>
    meanInterval(done.map(pick).filter((v): v is number => v !== null));
  return {
    cells,
    completed: done.length,
    downtimeMs: of((c) => c.downtimeMs),
    totalTimeMs: of((c) => c.totalTimeMs),
    missRate: of((c) => c.cacheMissRate),
  };
}

export function convergence(group: SeedGroup): Convergence {
  if (group.cells.length > 0 && group.completed === group.cells.length) return "all";
  return group.completed === 0 ? "none" : "some";
}

/** A workload parameter of a cell as written in results.csv (`param_NAME`). */
export function param(row: CellRow, name: string): string {
  return row.columns[`${PARAM_PREFIX}${name}`] ?? "";
}

/** Cells grouped by `key`, groups in the order their first cell appears (results.csv order). */
export function groupBy(
  rows: readonly CellRow[],
  key: (row: CellRow) => string,
): Map<string, CellRow[]> {
  const groups = new Map<string, CellRow[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/** "12.3 ms", "12.3 ms (95 % CI 11.0–13.6 ms, 5 seeds)", or "did not converge". */
export function intervalLabel(
  value: MeanInterval | null,
  format: (v: number) => string = msLabel,
): string {
  if (value === null) return "did not converge";
  if (value.n < 2) return format(value.mean);
  return `${format(value.mean)} (95 % CI ${format(value.low)}–${format(value.high)}, ${value.n} seeds)`;
}

/** A group's outcome in words: its downtime, or that it did not converge (in how many seeds). */
export function outcomeLabel(group: SeedGroup): string {
  const c = convergence(group);
  if (c === "none") return "did not converge";
  const downtime = intervalLabel(group.downtimeMs);
  if (c === "all") return `downtime ${downtime}`;
  return `${group.completed} of ${group.cells.length} seeds completed, downtime ${downtime}`;
}

/** Distinct values of `pick` over `rows`, in numeric order. */
export function numericValues(rows: readonly CellRow[], pick: (row: CellRow) => number): number[] {
  return [...new Set(rows.map(pick))].sort((a, b) => a - b);
}
