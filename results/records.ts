import { InputError } from "../lib/errors.ts";
import type { CellStatus, PassRecord } from "./cell.ts";
import { readCsv } from "./csv.ts";
import { PASS_COLUMNS, RESULT_SPEC_COLUMNS } from "./schema.ts";

/**
 * results.csv and passes.csv read back as typed records: the one reader behind the end-of-run
 * summary (harness/cli/bench.ts) and the report (reports/). Column names are the writer's own
 * (results/schema.ts); a file that lacks one, a row of the wrong length, an unknown status or a
 * number that is not one is an InputError naming the file and the row.
 */

/** One results.csv row: a cell's settings, its outcome and its metrics. */
export interface CellRow {
  readonly cell: number;
  readonly workload: string;
  readonly codec: string;
  readonly cacheModel: string;
  readonly cacheSizeBytes: number;
  readonly bandwidthBytesPerS: number;
  readonly downtimeLimitMs: number;
  readonly convergenceRule: string;
  readonly seed: number;
  readonly ramBytes: number;
  readonly status: CellStatus;
  /**
   * Metrics: null where results.csv has an empty field, which is where the cell has no value
   * (docs/RESULTS.md): every metric of a failed cell, the downtime of a cell that did not
   * complete, the miss rate without cache lookups, the encoding rate without delta bytes.
   */
  readonly totalTimeMs: number | null;
  readonly downtimeMs: number | null;
  readonly transferredBytes: number | null;
  readonly zeroPages: number | null;
  readonly normalPages: number | null;
  readonly deltaPages: number | null;
  readonly deltaBytes: number | null;
  readonly cacheMissPages: number | null;
  readonly cacheMissRate: number | null;
  readonly overflowPages: number | null;
  readonly encodingRate: number | null;
  readonly dirtySyncCount: number | null;
  readonly error: string;
  /** Every column as written, for settings not named above (param_*, link speed, ...). */
  readonly columns: Readonly<Record<string, string>>;
}

/** A passes.csv row read back: the simulator's PassRecord and the cell it belongs to. */
export interface PassRow extends PassRecord {
  readonly cell: number;
}

/** Every outcome, so a status added to CellStatus must be added here too (a type error if not). */
const STATUSES: Readonly<Record<CellStatus, true>> = {
  completed: true,
  "did-not-converge": true,
  "trace-ended": true,
  failed: true,
};

function isCellStatus(text: string): text is CellStatus {
  return Object.hasOwn(STATUSES, text);
}

/** A CSV file's rows keyed by column, after checking the header has every `required` column. */
function readRecords(file: string, required: readonly string[]): Record<string, string>[] {
  const { header, rows } = readCsv(file);
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new InputError(file, `missing column(s) ${missing.join(", ")}`);
  return rows.map((row, i) => {
    if (row.length !== header.length)
      throw new InputError(
        file,
        `row ${i + 2}: ${row.length} fields, the header has ${header.length}`,
      );
    return Object.fromEntries(header.map((column, j) => [column, row[j]]));
  });
}

/** Number readers for row `i` (0-based, after the header) of `file`. */
function numbers(file: string, i: number, columns: Readonly<Record<string, string>>) {
  const num = (column: string): number | null => {
    const text = columns[column];
    if (text === undefined || text === "") return null;
    const value = Number(text);
    if (!Number.isFinite(value))
      throw new InputError(file, `row ${i + 2}: column ${column} is "${text}", not a number`);
    return value;
  };
  const need = (column: string): number => {
    const value = num(column);
    if (value === null) throw new InputError(file, `row ${i + 2}: column ${column} is empty`);
    return value;
  };
  return { num, need };
}

const REQUIRED_RESULT_COLUMNS = [...RESULT_SPEC_COLUMNS.filter((c) => c !== "cell"), "status"];

/** results.csv → one CellRow per cell, in file order. */
export function readResults(file: string): CellRow[] {
  return readRecords(file, REQUIRED_RESULT_COLUMNS).map((columns, i) => {
    const { num, need } = numbers(file, i, columns);
    const status = columns.status;
    if (!isCellStatus(status))
      throw new InputError(file, `row ${i + 2}: unknown status "${status}"`);
    return {
      cell: num("cell") ?? i,
      workload: columns.workload,
      codec: columns.codec,
      cacheModel: columns.cache_model,
      cacheSizeBytes: need("cache_size_bytes"),
      bandwidthBytesPerS: need("bandwidth_bytes_per_s"),
      downtimeLimitMs: need("downtime_limit_ms"),
      convergenceRule: columns.convergence_rule,
      seed: need("seed"),
      ramBytes: need("ram_bytes"),
      status,
      totalTimeMs: num("total_time_ms"),
      downtimeMs: num("downtime_ms"),
      transferredBytes: num("transferred_bytes"),
      zeroPages: num("zero_pages"),
      normalPages: num("normal_pages"),
      deltaPages: num("delta_pages"),
      deltaBytes: num("delta_bytes"),
      cacheMissPages: num("cache_miss_pages"),
      cacheMissRate: num("cache_miss_rate"),
      overflowPages: num("overflow_pages"),
      encodingRate: num("encoding_rate"),
      dirtySyncCount: num("dirty_sync_count"),
      error: columns.error ?? "",
      columns,
    };
  });
}

/** passes.csv → one PassRow per pass, in file order. */
export function readPasses(file: string): PassRow[] {
  return readRecords(file, ["cell", ...PASS_COLUMNS]).map((columns, i) => {
    const { need } = numbers(file, i, columns);
    return {
      cell: need("cell"),
      pass: need("pass"),
      startMs: need("start_ms"),
      durationMs: need("duration_ms"),
      dirtyPages: need("dirty_pages"),
      pagesSent: need("pages_sent"),
      bytesSent: need("bytes_sent"),
      cacheHits: need("cache_hits"),
      cacheMisses: need("cache_misses"),
      overflows: need("overflows"),
      thresholdBytes: need("threshold_bytes"),
      stopAndCopy: columns.stop_and_copy === "true" || columns.stop_and_copy === "on",
    };
  });
}
