import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { InputError } from "../lib/errors.ts";
import type { CellStatus, PassRecord } from "../results/cell.ts";
import {
  MANIFEST_FILE,
  PASS_COLUMNS,
  PASSES_FILE,
  RESULT_SPEC_COLUMNS,
  RESULTS_FILE,
} from "../results/schema.ts";

/**
 * Reading a run directory into typed rows: results.csv (one row per cell), passes.csv (one row
 * per pass), manifest.json, and an optional codec benchmark JSON (`npm run bench:codecs --
 * --json FILE`). Column names come from results/schema.ts, the writer's own list.
 */

export const CODEC_BENCH_FILE = "codec-bench.json";

const STATUSES: readonly CellStatus[] = ["completed", "did-not-converge", "trace-ended", "failed"];

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
  /** Metrics: null when the cell wrote none (a failed cell). */
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
  /** Every column as written, for settings the charts do not name (param_*, link speed, ...). */
  readonly columns: Readonly<Record<string, string>>;
}

/** A passes.csv row read back: the simulator's PassRecord and the cell it belongs to. */
export interface PassRow extends PassRecord {
  readonly cell: number;
}

/** One row of `bench:codecs --json`. */
export interface CodecBenchRow {
  readonly codec: string;
  readonly kind: string;
  readonly encodeGBps: number;
  readonly decodeGBps: number;
  readonly encodedPercent: number;
  readonly overflowPercent: number;
}

export interface RunData {
  readonly dir: string;
  readonly cells: readonly CellRow[];
  readonly passes: readonly PassRow[];
  /** manifest.json as written, or null when the run has none. */
  readonly manifest: Readonly<Record<string, unknown>> | null;
  readonly codecBench: readonly CodecBenchRow[] | null;
  /** Where the codec bench rows came from (a path), when there are any. */
  readonly codecBenchFile: string | null;
}

function readCsv(file: string, required: readonly string[]): Record<string, string>[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(readFileSync(file), { columns: true, skip_empty_lines: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new InputError(file, "no such file");
    throw new InputError(file, `not valid CSV: ${(error as Error).message}`);
  }
  const header = rows.length > 0 ? Object.keys(rows[0]) : [];
  const missing = rows.length > 0 ? required.filter((c) => !header.includes(c)) : [];
  if (missing.length > 0) throw new InputError(file, `missing column(s) ${missing.join(", ")}`);
  return rows;
}

function numberOrNull(file: string, row: number, column: string, text: string | undefined) {
  if (text === undefined || text === "") return null;
  const value = Number(text);
  if (!Number.isFinite(value))
    throw new InputError(file, `row ${row + 2}: column ${column} is "${text}", not a number`);
  return value;
}

const REQUIRED_RESULT_COLUMNS = [...RESULT_SPEC_COLUMNS.filter((c) => c !== "cell"), "status"];

export function parseResults(file: string): CellRow[] {
  const rows = readCsv(file, REQUIRED_RESULT_COLUMNS);
  return rows.map((columns, i) => {
    const num = (column: string) => numberOrNull(file, i, column, columns[column]);
    const need = (column: string) => {
      const value = num(column);
      if (value === null) throw new InputError(file, `row ${i + 2}: column ${column} is empty`);
      return value;
    };
    const status = columns.status as CellStatus;
    if (!STATUSES.includes(status))
      throw new InputError(file, `row ${i + 2}: unknown status "${columns.status}"`);
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

export function parsePasses(file: string): PassRow[] {
  const rows = readCsv(file, ["cell", ...PASS_COLUMNS]);
  return rows.map((columns, i) => {
    const need = (column: string) => {
      const value = numberOrNull(file, i, column, columns[column]);
      if (value === null) throw new InputError(file, `row ${i + 2}: column ${column} is empty`);
      return value;
    };
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

export function parseCodecBench(file: string): CodecBenchRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new InputError(file, "no such file");
    throw new InputError(file, `not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new InputError(
      file,
      "expected an array of {codec, kind, encodeGBps, ...} (bench:codecs --json)",
    );
  return parsed.map((row, i) => {
    const ok =
      row !== null &&
      typeof row === "object" &&
      typeof row.codec === "string" &&
      typeof row.kind === "string" &&
      ["encodeGBps", "decodeGBps", "encodedPercent", "overflowPercent"].every(
        (key) => row[key] === null || typeof row[key] === "number",
      );
    if (!ok)
      throw new InputError(
        file,
        `entry ${i}: expected {codec, kind, encodeGBps, decodeGBps, encodedPercent, overflowPercent}`,
      );
    return {
      codec: row.codec,
      kind: row.kind,
      encodeGBps: row.encodeGBps ?? Number.NaN,
      decodeGBps: row.decodeGBps ?? Number.NaN,
      encodedPercent: row.encodedPercent ?? Number.NaN,
      overflowPercent: row.overflowPercent ?? Number.NaN,
    };
  });
}

function readManifest(file: string): Record<string, unknown> | null {
  if (!existsSync(file)) return null;
  try {
    const value = JSON.parse(readFileSync(file, "utf8"));
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw new Error("not a JSON object");
    return value;
  } catch (error) {
    throw new InputError(file, `not a valid manifest: ${(error as Error).message}`);
  }
}

/**
 * Load a run directory. results.csv is required; passes.csv and manifest.json are read when
 * present; the codec bench JSON comes from `codecBench` or else RUN/codec-bench.json.
 */
export function loadRun(dir: string, codecBench?: string): RunData {
  const resultsFile = join(dir, RESULTS_FILE);
  if (!existsSync(resultsFile))
    throw new InputError(resultsFile, "no such file (is this a migbench results directory?)");
  const passesFile = join(dir, PASSES_FILE);
  const benchFile = codecBench ?? join(dir, CODEC_BENCH_FILE);
  const haveBench = codecBench !== undefined || existsSync(benchFile);
  return {
    dir,
    cells: parseResults(resultsFile),
    passes: existsSync(passesFile) ? parsePasses(passesFile) : [],
    manifest: readManifest(join(dir, MANIFEST_FILE)),
    codecBench: haveBench ? parseCodecBench(benchFile) : null,
    codecBenchFile: haveBench ? benchFile : null,
  };
}
