import type { CellStatus } from "../results/cell.ts";
import type { CellRow } from "../results/records.ts";
import { PARAM_PREFIX } from "../results/schema.ts";
import { panelLabel, SETTINGS } from "./settings.ts";

/**
 * Cells that differ only by seed belong together: the summary shows one row per such group and
 * the charts one point (the mean over seeds, with its interval). What sets groups apart are the
 * settings that vary in the run; they label panels and summary columns.
 */

/** Outcomes of a cell that ran but did not migrate the VM: it was stopped, not finished. */
export const NOT_CONVERGED: ReadonlySet<CellStatus> = new Set<CellStatus>([
  "did-not-converge",
  "trace-ended",
]);

/** The setting columns the cells carry, in the settings table's order, then param_*. */
export function settingColumns(cells: readonly CellRow[]): string[] {
  const first = cells[0]?.columns ?? {};
  return [
    ...SETTINGS.map((s) => s.column).filter((c) => c in first),
    ...Object.keys(first).filter((c) => c.startsWith(PARAM_PREFIX)),
  ];
}

/** The setting columns whose value differs between cells (besides codec and seed). */
export function varyingSettings(cells: readonly CellRow[]): string[] {
  return settingColumns(cells).filter(
    (c) => new Set(cells.map((cell) => cell.columns[c])).size > 1,
  );
}

/** A cell's values of `settings` as one key: equal for cells at the same setting. */
export function settingsKey(cell: CellRow, settings: readonly string[]): string {
  return settings.map((c) => cell.columns[c]).join("\u0000");
}

/** Group cells that differ only by seed (and cell index), in order of first appearance. */
export function groupOverSeeds(cells: readonly CellRow[]): CellRow[][] {
  const settings = settingColumns(cells);
  const groups = new Map<string, CellRow[]>();
  for (const cell of cells) {
    const key = `${cell.codec}\u0000${settingsKey(cell, settings)}`;
    const group = groups.get(key);
    if (group) group.push(cell);
    else groups.set(key, [cell]);
  }
  return [...groups.values()];
}

/** The most seeds any setting has. */
export function seedCount(cells: readonly CellRow[]): number {
  return Math.max(0, ...groupOverSeeds(cells).map((g) => g.length));
}

/** A panel title: the varying settings of a cell, except those the chart draws on an axis. */
export function panelOf(
  cell: CellRow,
  varying: readonly string[],
  except: readonly string[],
): string {
  return settingsLabel(cell.columns, varying, except);
}

/** The same title from a setting's columns (a cell's, or a compared setting's: reports/compare.ts). */
export function settingsLabel(
  columns: Readonly<Record<string, string>>,
  varying: readonly string[],
  except: readonly string[] = [],
): string {
  const parts = varying
    .filter((c) => !except.includes(c))
    .map((c) => panelLabel(c, columns[c] ?? ""));
  return parts.length > 0 ? parts.join(" · ") : "all cells";
}

/**
 * An order on cells (or anything with setting columns) by their varying settings, the first setting most significant: numbers
 * (sizes, rates, limits) ascending, names (workload, cache model, rule) in order of first
 * appearance. Every chart sorts its panels and rows with it, so sibling charts agree and
 * `--bandwidth 128MiB/s,1Gbit/s` still draws 1 Gbit/s (119 MiB/s) first.
 */
export function bySettings<T>(
  items: readonly T[],
  varying: readonly string[],
  columnsOf: (item: T) => Readonly<Record<string, string>>,
): (a: T, b: T) => number {
  const firstSeen = new Map<string, number>();
  for (const item of items)
    for (const column of varying) {
      const key = `${column}\u0000${columnsOf(item)[column]}`;
      if (!firstSeen.has(key)) firstSeen.set(key, firstSeen.size);
    }
  const rank = (item: T, column: string): number => {
    const text = columnsOf(item)[column] ?? "";
    const value = text === "" ? Number.NaN : Number(text);
    return Number.isFinite(value) ? value : (firstSeen.get(`${column}\u0000${text}`) ?? 0);
  };
  return (a, b) => {
    for (const column of varying) {
      const order = rank(a, column) - rank(b, column);
      if (order !== 0) return order;
    }
    return 0;
  };
}

/** groupOverSeeds, the groups in bySettings order (codecs within a setting in their order). */
export function sortedGroups(cells: readonly CellRow[]): CellRow[][] {
  const order = bySettings(cells, varyingSettings(cells), (cell) => cell.columns);
  return groupOverSeeds(cells).sort((a, b) => order(a[0], b[0]));
}
