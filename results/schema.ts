import { axisColumns, axisTexts } from "./axes.ts";
import type { CellResult, CellSpec, PassRecord } from "./cell.ts";
import { formatCount, formatMs, formatRatio } from "./csv-format.ts";

/**
 * The columns of a run's CSV files, in order, and the functions that turn a CellResult into
 * rows. One place, so the writer (results/run-dir.ts), `--resume` and the reports all agree;
 * the columns of the sweep's axes come from results/axes.ts.
 *
 * - results.csv: one row per cell (a failed cell is a row with its error, never a missing row).
 * - passes.csv: one row per pass per cell.
 * - timings.csv: how long this machine took per cell. Kept out of results.csv so that
 *   results.csv is byte-identical for the same inputs and seeds, whatever the machine or
 *   `--workers`.
 *
 * Units are in every numeric column name. Numbers are formatted deterministically
 * (results/csv-format.ts), workload parameters exactly (shortest round-trip text). Switches are
 * `on`/`off`, as typed on the command line; passes.csv's stop_and_copy is `true`/`false`.
 * docs/RESULTS.md maps each column to its QEMU `query-migrate` field.
 */

export const RESULTS_FILE = "results.csv";
export const PASSES_FILE = "passes.csv";
export const TIMINGS_FILE = "timings.csv";
export const MANIFEST_FILE = "manifest.json";

/** Workload parameters become `param_<name>` columns. */
export const PARAM_PREFIX = "param_";

/** A row as written: every value already formatted text ("" = no value). */
export type CsvRow = readonly string[];

/** What a cell's spec contributes to results.csv, before the outcome (the sweep's axes first). */
export const RESULT_SPEC_COLUMNS: readonly string[] = ["cell", ...axisColumns("key")];

/** The outcome: QEMU's query-migrate counters (see docs/RESULTS.md). Empty for a failed cell. */
export const RESULT_METRIC_COLUMNS = [
  "status",
  "total_time_ms",
  "downtime_ms",
  "transferred_bytes",
  "zero_pages",
  "normal_pages",
  "delta_pages",
  "delta_bytes",
  "cache_miss_pages",
  "cache_miss_rate",
  "overflow_pages",
  "encoding_rate",
  "dirty_sync_count",
  "setup_time_ms",
  "normal_bytes",
  "passes",
  "encode_cpu_ms",
  "unchanged_pages",
  "cache_insert_refused_pages",
] as const;

/** The rest of the cell's settings: less often swept, still needed to reproduce a row. */
export const RESULT_SETTING_COLUMNS: readonly string[] = axisColumns("setting");

/** Last, so a long message does not push the numbers off a reader's screen. */
export const RESULT_ERROR_COLUMN = "error";

/** The cell's key in passes.csv: the same columns as results.csv starts with. */
export const PASS_KEY_COLUMNS = RESULT_SPEC_COLUMNS;

export const PASS_COLUMNS = [
  "pass",
  "start_ms",
  "duration_ms",
  "dirty_pages",
  "pages_sent",
  "bytes_sent",
  "cache_hits",
  "cache_misses",
  "overflows",
  "threshold_bytes",
  "stop_and_copy",
] as const;

export const TIMING_COLUMNS = ["cell", "workload", "codec", "status", "machine_wall_ms"] as const;

/**
 * The `param_<name>` columns of a run: every parameter of every cell's workload, in order of
 * first appearance over the cells (cells are in sweep order, so this is deterministic).
 */
export function paramColumns(specs: readonly CellSpec[]): string[] {
  const names: string[] = [];
  for (const spec of specs)
    for (const name of Object.keys(spec.params)) if (!names.includes(name)) names.push(name);
  return names.map((name) => PARAM_PREFIX + name);
}

/** The full, ordered header of results.csv for a run with these param columns. */
export function resultColumns(params: readonly string[]): string[] {
  return [
    ...RESULT_SPEC_COLUMNS,
    ...RESULT_METRIC_COLUMNS,
    ...RESULT_SETTING_COLUMNS,
    ...params,
    RESULT_ERROR_COLUMN,
  ];
}

/** The full, ordered header of passes.csv. */
export function passColumns(params: readonly string[]): string[] {
  return [...PASS_KEY_COLUMNS, ...params, ...PASS_COLUMNS];
}

/**
 * A workload parameter exactly as the simulation used it: JavaScript's shortest round-trip
 * text (deterministic everywhere), so `--set zipf_exponent=0.9995` is not printed as 1.000.
 */
function formatParam(value: number | string | undefined): string {
  if (value === undefined) return "";
  return typeof value === "number" ? String(value) : value;
}

function specValues(spec: CellSpec): Record<string, string> {
  return { cell: String(spec.index), ...axisTexts(spec) };
}

function pick(values: Record<string, string>, columns: readonly string[], spec: CellSpec) {
  return columns.map((column) => {
    if (column.startsWith(PARAM_PREFIX))
      return formatParam(spec.params[column.slice(PARAM_PREFIX.length)]);
    return values[column] ?? "";
  });
}

/** CellResult → one results.csv row, in the order of `columns` (from resultColumns). */
export function resultRow(result: CellResult, columns: readonly string[]): CsvRow {
  const values = specValues(result.spec);
  values.status = result.status;
  if (result.status === "failed") {
    // Collapse to one line: a CSV cell may hold newlines, but a reader's grep should not break.
    values.error = result.error.replace(/\s*\n\s*/g, " | ");
  } else {
    const m = result.metrics;
    Object.assign(values, {
      total_time_ms: formatMs(m.totalTimeMs),
      downtime_ms: formatMs(m.downtimeMs),
      transferred_bytes: formatCount(m.transferredBytes),
      zero_pages: formatCount(m.zeroPages),
      normal_pages: formatCount(m.normalPages),
      delta_pages: formatCount(m.deltaPages),
      delta_bytes: formatCount(m.deltaBytes),
      cache_miss_pages: formatCount(m.cacheMissPages),
      cache_miss_rate: formatRatio(m.cacheMissRate),
      overflow_pages: formatCount(m.overflowPages),
      encoding_rate: formatRatio(m.encodingRate),
      dirty_sync_count: formatCount(m.dirtySyncCount),
      setup_time_ms: formatMs(m.setupTimeMs),
      normal_bytes: formatCount(m.normalBytes),
      passes: formatCount(m.passes),
      encode_cpu_ms: formatMs(m.encodeCpuMs),
      unchanged_pages: formatCount(m.unchangedPages),
      cache_insert_refused_pages: formatCount(m.cacheInsertRefused),
    });
  }
  return pick(values, columns, result.spec);
}

function passValues(pass: PassRecord): Record<string, string> {
  return {
    pass: String(pass.pass),
    start_ms: formatMs(pass.startMs),
    duration_ms: formatMs(pass.durationMs),
    dirty_pages: formatCount(pass.dirtyPages),
    pages_sent: formatCount(pass.pagesSent),
    bytes_sent: formatCount(pass.bytesSent),
    cache_hits: formatCount(pass.cacheHits),
    cache_misses: formatCount(pass.cacheMisses),
    overflows: formatCount(pass.overflows),
    threshold_bytes: formatCount(pass.thresholdBytes),
    stop_and_copy: pass.stopAndCopy ? "true" : "false",
  };
}

/** CellResult → its passes.csv rows (none for a failed cell), in the order of `columns`. */
export function passRows(result: CellResult, columns: readonly string[]): CsvRow[] {
  if (result.status === "failed") return [];
  const values = specValues(result.spec);
  return result.passes.map((pass) =>
    pick({ ...values, ...passValues(pass) }, columns, result.spec),
  );
}

/** CellResult → its timings.csv row. */
export function timingRow(result: CellResult): CsvRow {
  return [
    String(result.spec.index),
    result.spec.workload,
    result.spec.codec,
    result.status,
    formatMs(result.wallMs),
  ];
}
