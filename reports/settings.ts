import { msLabel, rateLabel, sizeLabel } from "../lib/format.ts";
import { AXES, AXIS_KEYS, type AxisKey, type AxisUnit } from "../results/axes.ts";
import { PARAM_PREFIX } from "../results/schema.ts";

/**
 * A cell's settings as people read them: the results.csv column, its title in the summary
 * tables (terminal and report.html), its value as text, and how a chart panel names it, all
 * drawn from the sweep-axis table (results/axes.ts). Order is display order (summary columns,
 * the parts of a panel title). A workload
 * parameter (param_NAME) is not listed: it shows as NAME and its value as written.
 */

export interface Setting {
  /** The results.csv column. */
  readonly column: string;
  /** The summary table's column header. */
  readonly title: string;
  /** The value as text ("64 MiB", "1 Gbit/s", "300 ms"); default: as written. */
  readonly text?: (value: number) => string;
  /** The setting in a chart's panel title, given its text ("64 MiB cache"); default NAME=VALUE. */
  readonly panel?: (text: string) => string;
}

/** How a value of each unit reads ("64 MiB", "1 Gbit/s", "300 ms"); names and counts as written. */
const TEXT_BY_UNIT: Readonly<Partial<Record<AxisUnit, (value: number) => string>>> = {
  bytes: sizeLabel,
  "bytes/s": rateLabel,
  ms: msLabel,
};

/** How a chart's panel title names a setting, given its text; the others read NAME=VALUE. */
const PANELS: Readonly<Partial<Record<AxisKey, (text: string) => string>>> = {
  workload: (v) => v,
  cacheModel: (v) => v,
  cacheSizeBytes: (v) => `${v} cache`,
  bandwidthBytesPerS: (v) => `cap ${v}`,
  downtimeLimitMs: (v) => `limit ${v}`,
  convergence: (v) => `${v} rule`,
  ramBytes: (v) => `RAM ${v}`,
  linkBytesPerS: (v) => `link ${v}`,
  maxTimeMs: (v) => `max ${v}`,
};

/**
 * Every sweep axis (results/axes.ts) but the two a summary row is made of (codec) or averages
 * over (seed), in results.csv's column order, with the axis table's title.
 */
export const SETTINGS: readonly Setting[] = AXIS_KEYS.filter(
  (key) => key !== "codec" && key !== "seed",
).map((key) => ({
  column: AXES[key].column,
  title: AXES[key].title,
  text: TEXT_BY_UNIT[AXES[key].unit],
  panel: PANELS[key],
}));

const BY_COLUMN: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.column, s]));

/** A workload parameter's name (param_rate → rate); any other column as it is. */
function bareName(column: string): string {
  return column.startsWith(PARAM_PREFIX) ? column.slice(PARAM_PREFIX.length) : column;
}

export function settingTitle(column: string): string {
  return BY_COLUMN.get(column)?.title ?? bareName(column);
}

export function settingText(column: string, value: string): string {
  const text = BY_COLUMN.get(column)?.text;
  return text && value !== "" ? text(Number(value)) : value;
}

/** The setting in a chart's panel title: "64 MiB cache", "cap 128 MiB/s", "rate=7". */
export function panelLabel(column: string, value: string): string {
  const panel = BY_COLUMN.get(column)?.panel;
  return panel ? panel(settingText(column, value)) : `${bareName(column)}=${value}`;
}
