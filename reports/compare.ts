import type { CellRow } from "../results/records.ts";
import { PARAM_PREFIX } from "../results/schema.ts";
import { SETTINGS } from "./settings.ts";
import { type MeanInterval, meanInterval, welchDifference } from "./stats.ts";
import { type StopReason, stopOf } from "./stops.ts";

/**
 * Two sets of cells compared setting by setting: two runs (`npm run compare -- RUN_A RUN_B`,
 * the same codec at the same settings), or the codecs of one run against a baseline codec
 * (`--baseline raw`). Cells that differ only by seed are pooled; where both sides have the same
 * seed, the comparison is paired by seed (the workload's page writes are then the same on both
 * sides, so the seed's own variation cancels out). Outcomes come first: a side that was stopped
 * before completing has no downtime, and its time and bytes are lower bounds (reports/stops.ts),
 * so a ratio against it is a bound, never a measurement. Pure: records in, numbers out;
 * reports/compare-text.ts prints them.
 */

export const COMPARED_METRICS = ["total time", "downtime", "transferred"] as const;
export type ComparedMetric = (typeof COMPARED_METRICS)[number];

/** How a metric is read off a cell; `stopped` says what a stopped cell's value is. */
interface MetricReader {
  readonly value: (cell: CellRow) => number | null;
  /** "bound": a stopped cell's value is a lower bound; "none": a stopped cell has no value. */
  readonly stopped: "bound" | "none";
}

const READERS: Readonly<Record<ComparedMetric, MetricReader>> = {
  "total time": {
    value: (cell) => stopOf(cell)?.atMs ?? cell.totalTimeMs,
    stopped: "bound",
  },
  downtime: { value: (cell) => cell.downtimeMs, stopped: "none" },
  transferred: { value: (cell) => cell.transferredBytes, stopped: "bound" },
};

/** How the seeds of one side ended. */
export interface SideOutcome {
  readonly seeds: number;
  readonly completed: number;
  readonly failed: number;
  /** Why its stopped seeds were stopped, in order of first appearance (empty: none was). */
  readonly stoppedBy: readonly StopReason[];
}

/** One side's value of one metric: a mean with its 95 % interval, or a lower bound. */
export interface SideValue extends MeanInterval {
  /** True when stopped seeds are counted as far as they got: the true mean is higher. */
  readonly lowerBound: boolean;
}

/**
 * - "paired": seeds that completed on both sides, matched by seed; the interval of the
 *   difference is over the per-seed differences.
 * - "unpaired": no seed completed on both sides but each side has completed seeds (two runs
 *   with different seeds): Welch's interval.
 * - "bound": some side has no completed seed; values count stopped seeds as far as they got.
 * - "none": nothing to compare (a failed side, or downtime where a side never completed).
 */
export type Basis = "paired" | "unpaired" | "bound" | "none";

/**
 * - "beyond spread": the difference's 95 % interval excludes 0;
 * - "within spread": it includes 0;
 * - "one seed": one seed on a side, so no spread to judge a difference by;
 * - "at least": one side is a lower bound that already exceeds the other's value, so the
 *   direction is certain and the ratio a bound;
 * - "unknown": bounds that do not order the sides, or nothing to compare.
 */
export type Verdict = "beyond spread" | "within spread" | "one seed" | "at least" | "unknown";

export interface MetricComparison {
  readonly metric: ComparedMetric;
  readonly basis: Basis;
  readonly a: SideValue | null;
  readonly b: SideValue | null;
  /** mean(B) − mean(A) and its 95 % interval; null for bounds and "none". */
  readonly difference: MeanInterval | null;
  /** mean(B) / mean(A); null when A's mean is 0 or a side has no value. */
  readonly ratio: number | null;
  readonly verdict: Verdict;
}

/** One matched setting: side A (the first run, or the baseline codec) against side B. */
export interface SettingComparison {
  /** B's codec; in a two-run comparison A's too. */
  readonly codec: string;
  /** A's codec: the baseline, or `codec` when two runs are compared. */
  readonly codecA: string;
  /** The setting's columns as results.csv writes them (codec and seed excluded). */
  readonly settings: Readonly<Record<string, string>>;
  readonly a: SideOutcome;
  readonly b: SideOutcome;
  readonly metrics: readonly MetricComparison[];
}

export interface Comparison {
  /** What A and B are: the two runs' names, or the baseline codec and "codec". */
  readonly labelA: string;
  readonly labelB: string;
  /** The baseline codec in a --baseline comparison, else null. */
  readonly baseline: string | null;
  /** The setting columns whose value differs between compared rows, in display order. */
  readonly varying: readonly string[];
  readonly rows: readonly SettingComparison[];
  /** Settings (with their codec) that only one side has: not compared. */
  readonly onlyA: number;
  readonly onlyB: number;
}

/**
 * The columns that make a setting: every sweep axis but codec and seed, and every workload
 * parameter either side has. The codec's plug-in path is left out: two checkouts of one
 * plug-in are the same codec.
 */
function keyColumns(cells: readonly CellRow[]): string[] {
  const params = new Set<string>();
  for (const cell of cells)
    for (const column of Object.keys(cell.columns))
      if (column.startsWith(PARAM_PREFIX)) params.add(column);
  const axes = SETTINGS.map((s) => s.column).filter((c) => c !== "codec_module");
  return [...axes, ...params];
}

function keyOf(cell: CellRow, columns: readonly string[], withCodec: boolean): string {
  const values = columns.map((c) => cell.columns[c] ?? "");
  return JSON.stringify(withCodec ? [cell.codec, ...values] : values);
}

function groupBy(cells: readonly CellRow[], key: (cell: CellRow) => string) {
  const groups = new Map<string, CellRow[]>();
  for (const cell of cells) {
    const group = groups.get(key(cell));
    if (group) group.push(cell);
    else groups.set(key(cell), [cell]);
  }
  return groups;
}

function outcomeOf(cells: readonly CellRow[]): SideOutcome {
  const stops = cells.map(stopOf);
  return {
    seeds: cells.length,
    completed: cells.filter((c) => c.status === "completed").length,
    failed: cells.filter((c) => c.status === "failed").length,
    stoppedBy: [...new Set(stops.flatMap((s) => (s ? [s.reason] : [])))],
  };
}

function sideValue(values: readonly number[], lowerBound: boolean): SideValue | null {
  const stats = meanInterval(values);
  return stats ? { ...stats, lowerBound } : null;
}

function numbers(cells: readonly CellRow[], reader: MetricReader): number[] {
  return cells.map(reader.value).filter((v): v is number => v !== null);
}

function ratioOf(a: SideValue | null, b: SideValue | null): number | null {
  return a && b && a.mean !== 0 ? b.mean / a.mean : null;
}

function spreadVerdict(difference: MeanInterval): Verdict {
  if (difference.n < 2) return "one seed";
  return difference.low > 0 || difference.high < 0 ? "beyond spread" : "within spread";
}

const NOTHING = { basis: "none", a: null, b: null, difference: null, ratio: null } as const;

/** One metric over one matched setting's cells, A against B. */
export function compareMetric(
  metric: ComparedMetric,
  cellsA: readonly CellRow[],
  cellsB: readonly CellRow[],
): MetricComparison {
  const reader = READERS[metric];
  const doneA = cellsA.filter((c) => c.status === "completed");
  const doneB = cellsB.filter((c) => c.status === "completed");
  const seedsB = new Map(doneB.map((c) => [c.seed, c]));
  const pairs = doneA.flatMap((a) => {
    const b = seedsB.get(a.seed);
    const x = reader.value(a);
    const y = b ? reader.value(b) : null;
    return x !== null && y !== null ? [[x, y] as const] : [];
  });
  if (pairs.length > 0) {
    const [xs, ys] = [pairs.map(([x]) => x), pairs.map(([, y]) => y)];
    const [a, b] = [sideValue(xs, false), sideValue(ys, false)];
    const difference = meanInterval(pairs.map(([x, y]) => y - x));
    if (!difference) return { metric, ...NOTHING, verdict: "unknown" };
    const verdict = spreadVerdict(difference);
    return { metric, basis: "paired", a, b, difference, ratio: ratioOf(a, b), verdict };
  }
  if (doneA.length > 0 && doneB.length > 0) {
    const a = sideValue(numbers(doneA, reader), false);
    const b = sideValue(numbers(doneB, reader), false);
    const difference = welchDifference(numbers(doneA, reader), numbers(doneB, reader));
    if (!difference) return { metric, ...NOTHING, verdict: "unknown" };
    const verdict = spreadVerdict(difference);
    return { metric, basis: "unpaired", a, b, difference, ratio: ratioOf(a, b), verdict };
  }
  if (reader.stopped === "none") return { metric, ...NOTHING, verdict: "unknown" };
  return boundComparison(metric, cellsA, cellsB, reader);
}

/** No seed completed on some side: compare as far as the cells got, as bounds. */
function boundComparison(
  metric: ComparedMetric,
  cellsA: readonly CellRow[],
  cellsB: readonly CellRow[],
  reader: MetricReader,
): MetricComparison {
  const ranA = cellsA.filter((c) => c.status !== "failed");
  const ranB = cellsB.filter((c) => c.status !== "failed");
  const stopped = (cells: readonly CellRow[]) => cells.some((c) => stopOf(c) !== null);
  const a = sideValue(numbers(ranA, reader), stopped(ranA));
  const b = sideValue(numbers(ranB, reader), stopped(ranB));
  if (!a || !b) return { metric, ...NOTHING, verdict: "unknown" };
  // A lower bound above the other side's exact value orders the two: the bound side is more.
  const ordered =
    (a.lowerBound && !b.lowerBound && a.mean >= b.mean) ||
    (b.lowerBound && !a.lowerBound && b.mean >= a.mean);
  return {
    metric,
    basis: "bound",
    a,
    b,
    difference: null,
    ratio: ratioOf(a, b),
    verdict: ordered ? "at least" : "unknown",
  };
}

function compareSetting(
  cellsA: readonly CellRow[],
  cellsB: readonly CellRow[],
  columns: readonly string[],
): SettingComparison {
  const first = cellsB[0];
  return {
    codec: first.codec,
    codecA: cellsA[0].codec,
    settings: Object.fromEntries(columns.map((c) => [c, first.columns[c] ?? ""])),
    a: outcomeOf(cellsA),
    b: outcomeOf(cellsB),
    metrics: COMPARED_METRICS.map((metric) => compareMetric(metric, cellsA, cellsB)),
  };
}

/** The setting columns whose value differs between the compared rows. */
function varyingColumns(rows: readonly SettingComparison[], columns: readonly string[]) {
  return columns.filter((c) => new Set(rows.map((r) => r.settings[c])).size > 1);
}

/**
 * The setting columns in which two runs share no value, with each run's values: why no
 * setting matched, when none did.
 */
export function disjointSettings(
  cellsA: readonly CellRow[],
  cellsB: readonly CellRow[],
): { column: string; a: string[]; b: string[] }[] {
  const values = (cells: readonly CellRow[], column: string) => [
    ...new Set(cells.map((c) => c.columns[column] ?? "")),
  ];
  return keyColumns([...cellsA, ...cellsB]).flatMap((column) => {
    const [a, b] = [values(cellsA, column), values(cellsB, column)];
    return a.some((v) => b.includes(v)) ? [] : [{ column, a, b }];
  });
}

/** The same codec at the same setting in two runs: A is the first run, B the second. */
export function compareRuns(
  cellsA: readonly CellRow[],
  cellsB: readonly CellRow[],
  labels: { readonly a: string; readonly b: string },
): Comparison {
  const columns = keyColumns([...cellsA, ...cellsB]);
  const groupsA = groupBy(cellsA, (c) => keyOf(c, columns, true));
  const groupsB = groupBy(cellsB, (c) => keyOf(c, columns, true));
  const rows = [...groupsA]
    .filter(([key]) => groupsB.has(key))
    .map(([key, a]) => compareSetting(a, groupsB.get(key) ?? [], columns));
  return {
    labelA: labels.a,
    labelB: labels.b,
    baseline: null,
    varying: varyingColumns(rows, columns),
    rows,
    onlyA: groupsA.size - rows.length,
    onlyB: groupsB.size - rows.length,
  };
}

/** Every other codec of one run against `baseline` at the same setting. */
export function compareToBaseline(cells: readonly CellRow[], baseline: string): Comparison {
  const columns = keyColumns(cells);
  const bySetting = (list: readonly CellRow[]) => groupBy(list, (c) => keyOf(c, columns, false));
  const base = bySetting(cells.filter((c) => c.codec === baseline));
  const others = groupBy(
    cells.filter((c) => c.codec !== baseline),
    (c) => keyOf(c, columns, true),
  );
  const rows: SettingComparison[] = [];
  let unmatched = 0;
  for (const group of others.values()) {
    const a = base.get(keyOf(group[0], columns, false));
    if (a) rows.push(compareSetting(a, group, columns));
    else unmatched++;
  }
  return {
    labelA: baseline,
    labelB: "codec",
    baseline,
    varying: varyingColumns(rows, columns),
    rows,
    onlyA: 0,
    onlyB: unmatched,
  };
}
