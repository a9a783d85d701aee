import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../lib/errors.ts";
import { type CellRow, type PassRow, readPasses, readResults } from "../results/records.ts";
import { MANIFEST_FILE, PASSES_FILE, RESULTS_FILE } from "../results/schema.ts";

/**
 * Reading a run directory for its report: results.csv and passes.csv as typed records
 * (results/records.ts, the reader the end-of-run summary uses too), manifest.json as written,
 * and an optional codec benchmark JSON (`npm run bench:codecs -- --json FILE`).
 */

export const CODEC_BENCH_FILE = "codec-bench.json";

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

export function parseCodecBench(file: string): CodecBenchRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new InputError(file, "no such file");
    throw new InputError(file, `not valid JSON: ${(error as Error).message}`);
  }
  // bench:codecs --export-json writes {results: [...], settings, machine, ...}; files from
  // before it kept settings and samples hold the bare array of rows.
  const rows = Array.isArray(parsed) ? parsed : (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(rows))
    throw new InputError(
      file,
      "expected bench:codecs --export-json output: {results: [{codec, kind, encodeGBps, ...}]}",
    );
  return rows.map((row, i) => {
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
    cells: readResults(resultsFile),
    passes: existsSync(passesFile) ? readPasses(passesFile) : [],
    manifest: readManifest(join(dir, MANIFEST_FILE)),
    codecBench: haveBench ? parseCodecBench(benchFile) : null,
    codecBenchFile: haveBench ? benchFile : null,
  };
}
