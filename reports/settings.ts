import { msLabel, rateLabel, sizeLabel } from "../lib/format.ts";
import { PARAM_PREFIX } from "../results/schema.ts";

/**
 * The one table of a cell's settings as people read them: the results.csv column, its title in
 * the summary tables (terminal and report.html), its value as text, and how a chart panel names
 * it. Order is display order (summary columns, the parts of a panel title). A workload
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

export const SETTINGS: readonly Setting[] = [
  { column: "workload", title: "workload", panel: (v) => v },
  { column: "cache_model", title: "cache model", panel: (v) => v },
  {
    column: "cache_size_bytes",
    title: "cache size",
    text: sizeLabel,
    panel: (v) => `${v} cache`,
  },
  {
    column: "bandwidth_bytes_per_s",
    title: "bandwidth",
    text: rateLabel,
    panel: (v) => `cap ${v}`,
  },
  {
    column: "downtime_limit_ms",
    title: "downtime limit",
    text: msLabel,
    panel: (v) => `limit ${v}`,
  },
  { column: "convergence_rule", title: "convergence", panel: (v) => `${v} rule` },
  { column: "ram_bytes", title: "RAM", text: sizeLabel, panel: (v) => `RAM ${v}` },
  { column: "link_bytes_per_s", title: "link", text: rateLabel, panel: (v) => `link ${v}` },
  { column: "cache_age", title: "cache age" },
  { column: "bulk_skip", title: "bulk skip" },
  { column: "threads", title: "threads" },
  { column: "max_time_ms", title: "max time", text: msLabel, panel: (v) => `max ${v}` },
  { column: "max_passes", title: "max passes" },
  { column: "codec_module", title: "codec module" },
];

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
