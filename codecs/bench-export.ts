import { loadavg } from "node:os";
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { round } from "../lib/format.ts";
import { gitInfo, installedVersion, machineInfo, migbenchVersion } from "../lib/machine.ts";
import type { BenchSettings } from "./bench-options.ts";
import { BATCH } from "./bench-options.ts";
import type { ResultRow, Speed } from "./bench-results.ts";
import { markdownTable } from "./bench-table.ts";
import { type RateStats, warmupMs } from "./codec-bench.ts";
import { compressorVersions } from "./general.ts";
import { PAGE_SIZE } from "./types.ts";

/**
 * `bench:codecs --export-json/--export-csv/--export-markdown`, after hyperfine: the JSON holds
 * every timed iteration's rate with the settings, the machine and the versions; the CSV one row
 * per codec and kind with the units in the column names; the markdown the terminal's table.
 * Like hyperfine, the command rewrites them after every page kind, so a run stopped late
 * keeps what it measured (`complete` says whether it finished).
 *
 * The JSON's `results` keep the fields the report's charts read (reports/data.ts): codec, kind,
 * encodeGBps and decodeGBps (the median iteration's rate, as --calibrate takes it),
 * encodedPercent, overflowPercent; a number that means nothing (codecs/bench-results.ts) is
 * null there and an empty cell in the CSV.
 */

/** What the exports say about the run itself. */
export interface RunRecord {
  /** The command as typed, to run it again. */
  readonly command: string;
  readonly startedAt: Date;
  readonly elapsedSeconds: number;
  /** False while kinds remain to be measured. */
  readonly complete: boolean;
}

const DIGITS = 4;

function speedJson(speed: Speed) {
  const { stats } = speed;
  const why = speed.meaningful ? {} : { meaningless: speed.why };
  if (stats === null) return why;
  return {
    ...why,
    medianGBps: round(stats.medianGBps, DIGITS),
    meanGBps: round(stats.meanGBps, DIGITS),
    sdGBps: round(stats.sdGBps, DIGITS),
    minGBps: round(stats.minGBps, DIGITS),
    maxGBps: round(stats.maxGBps, DIGITS),
    rmePercent: round(stats.rmePercent, DIGITS),
    n: stats.n,
    samplesGBps: stats.samplesGBps.map((value) => round(value, DIGITS)),
  };
}

/** The median GB/s where it means something, else null (what the report's charts read). */
const pointGBps = (speed: Speed) =>
  speed.meaningful && Number.isFinite(speed.stats.medianGBps)
    ? round(speed.stats.medianGBps, DIGITS)
    : null;

export function benchJson(rows: readonly ResultRow[], settings: BenchSettings, run: RunRecord) {
  return {
    command: run.command,
    startedAt: run.startedAt.toISOString(),
    elapsedSeconds: round(run.elapsedSeconds, DIGITS),
    complete: run.complete,
    versions: {
      migbench: migbenchVersion(),
      ...gitInfo(),
      node: process.version,
      v8: process.versions.v8,
      tinybench: installedVersion("tinybench"),
      ...compressorVersions(),
    },
    machine: { ...machineInfo(), loadAverage: loadavg().map((load) => round(load, 3)) },
    settings: {
      codecs: settings.codecs.map(({ name, description }) => ({ name, description })),
      codecModules: settings.codecModules,
      kinds: settings.kinds,
      pairsPerKind: settings.pairs,
      pairsPerIteration: Math.min(BATCH, settings.pairs),
      timeMsPerTask: settings.timeMs,
      warmupMsPerTask: warmupMs(settings.timeMs),
      seed: settings.seed,
      limitBytes: PAGE_SIZE,
      units:
        "GB/s = 10^9 bytes of page input per second, one rate per timed iteration; " +
        "encodeGBps/decodeGBps = the median iteration's; samplesGBps ascending; " +
        "encodedPercent counts unchanged as 0 and overflow as 4096 bytes",
    },
    results: rows.map((row) => ({
      codec: row.codec,
      level: row.level,
      kind: row.kind,
      encodeGBps: pointGBps(row.encode),
      decodeGBps: pointGBps(row.decode),
      encodedPercent: round(row.encodedPercent, DIGITS),
      overflowPercent: row.overflowPercent === null ? null : round(row.overflowPercent, DIGITS),
      pages: row.pages,
      encode: speedJson(row.encode),
      decode: speedJson(row.decode),
    })),
  };
}

type CsvValue = string | number | null;

/** One speed's CSV columns; empty where the speed means nothing. */
function speedColumns(direction: "encode" | "decode"): [string, (row: ResultRow) => CsvValue][] {
  const stat =
    (pick: (stats: RateStats) => number) =>
    (row: ResultRow): CsvValue => {
      const speed = row[direction];
      return speed.meaningful ? round(pick(speed.stats), DIGITS) : null;
    };
  return [
    [`${direction}_median_gbps`, stat((s) => s.medianGBps)],
    [`${direction}_mean_gbps`, stat((s) => s.meanGBps)],
    [`${direction}_sd_gbps`, stat((s) => s.sdGBps)],
    [`${direction}_min_gbps`, stat((s) => s.minGBps)],
    [`${direction}_max_gbps`, stat((s) => s.maxGBps)],
    [`${direction}_rme_percent`, stat((s) => s.rmePercent)],
    [`${direction}_iterations`, stat((s) => s.n)],
  ];
}

/** The CSV's columns, in order: name (with its unit) and value. */
const CSV_COLUMNS: readonly [string, (row: ResultRow) => CsvValue][] = [
  ["codec", (row) => row.codec],
  ["level", (row) => row.level],
  ["kind", (row) => row.kind],
  ...speedColumns("encode"),
  ...speedColumns("decode"),
  ["encoded_percent", (row) => round(row.encodedPercent, DIGITS)],
  [
    "overflow_percent",
    (row) => (row.overflowPercent === null ? null : round(row.overflowPercent, DIGITS)),
  ],
  ["pages", (row) => row.pages.total],
  ["encoded_pages", (row) => row.pages.encoded],
  ["unchanged_pages", (row) => row.pages.unchanged],
  ["overflow_pages", (row) => row.pages.overflow],
];

export function benchCsv(rows: readonly ResultRow[]): string {
  const records = [
    CSV_COLUMNS.map(([name]) => name),
    ...rows.map((row) => CSV_COLUMNS.map(([, value]) => value(row) ?? "")),
  ];
  return stringify(records, { eof: true, record_delimiter: "unix", quoted: false });
}

/**
 * JSON with two-space indents, but each samples array on one line: a default run holds about
 * a million samples, which would otherwise be a million lines.
 */
export function jsonText(document: ReturnType<typeof benchJson>): string {
  const arrays: number[][] = [];
  const text = JSON.stringify(
    document,
    (key, value) => {
      if (key !== "samplesGBps") return value;
      arrays.push(value);
      return `\u0000samples ${arrays.length - 1}`;
    },
    2,
  );
  return `${text.replace(/"\\u0000samples (\d+)"/g, (_, i) => JSON.stringify(arrays[Number(i)]))}\n`;
}

/** Write the exports `settings` asks for (each temp-then-rename). */
export function writeExports(
  rows: readonly ResultRow[],
  settings: BenchSettings,
  run: RunRecord,
): void {
  const { json, csv, markdown } = settings.exports;
  if (json) writeFileAtomic(json, jsonText(benchJson(rows, settings, run)));
  if (csv) writeFileAtomic(csv, benchCsv(rows));
  if (markdown) writeFileAtomic(markdown, markdownTable(rows));
}
