import assert from "node:assert/strict";
import { test } from "node:test";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import { toCsv } from "../../results/csv.ts";
import { formatCount, formatMs, formatRatio } from "../../results/csv-format.ts";
import {
  paramColumns,
  passColumns,
  passRows,
  resultColumns,
  resultRow,
  timingRow,
} from "../../results/schema.ts";

const spec: CellSpec = {
  index: 7,
  workload: "sap-like",
  ramBytes: 64 * 1024 ** 2,
  params: { active_bytes: 1024 ** 3, mode: "a,b" },
  seed: 3,
  codec: "xbzrle",
  codecModule: null,
  cacheModel: "direct",
  cacheSizeBytes: 64 * 1024 ** 2,
  cacheAge: true,
  bandwidthBytesPerS: 128 * 1024 ** 2,
  linkBytesPerS: 1.25e9,
  downtimeLimitMs: 300,
  convergence: "qemu",
  bulkSkip: true,
  threads: 1,
  maxTimeMs: 600_000,
  maxPasses: null,
  calibration: "builtin",
};

const completed: CellResult = {
  spec,
  status: "completed",
  metrics: {
    totalTimeMs: 1234.56789,
    downtimeMs: 12.5,
    setupTimeMs: 0,
    transferredBytes: 123456789,
    zeroPages: 10,
    normalPages: 20,
    normalBytes: 20 * 4096,
    deltaPages: 30,
    deltaBytes: 3000,
    cacheMissPages: 10,
    cacheMissRate: 0.25,
    overflowPages: 1,
    encodingRate: (30 * 4096) / 3000,
    dirtySyncCount: 4,
    passes: 4,
    encodeCpuMs: 1 / 3,
    unchangedPages: 5,
    cacheInsertRefused: 2,
  },
  passes: [
    {
      pass: 1,
      startMs: 0,
      durationMs: 1000,
      dirtyPages: 16384,
      pagesSent: 16384,
      bytesSent: 16384 * 4104,
      cacheHits: 0,
      cacheMisses: 0,
      overflows: 0,
      thresholdBytes: 40265318.4,
      stopAndCopy: false,
    },
    {
      pass: 2,
      startMs: 1000,
      durationMs: 12.5,
      dirtyPages: 40,
      pagesSent: 40,
      bytesSent: 3400,
      cacheHits: 30,
      cacheMisses: 10,
      overflows: 1,
      thresholdBytes: 40265318.4,
      stopAndCopy: true,
    },
  ],
  wallMs: 55.5,
};

const REQUIRED = [
  "workload",
  "codec",
  "cache_model",
  "cache_size_bytes",
  "bandwidth_bytes_per_s",
  "downtime_limit_ms",
  "convergence_rule",
  "seed",
  "ram_bytes",
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
];

test("results.csv holds issue 4's columns in its order, then params, and no machine timing", () => {
  const columns = resultColumns(paramColumns([spec]));
  const positions = REQUIRED.map((c) => columns.indexOf(c));
  assert.ok(positions.every((p) => p >= 0));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
  );
  assert.ok(columns.includes("param_active_bytes") && columns.includes("param_mode"));
  assert.ok(!columns.some((c) => /wall|machine/.test(c)));
  assert.equal(new Set(columns).size, columns.length);
  assert.equal(columns.at(-1), "error");
});

test("param columns: union over cells in order of first appearance", () => {
  const other = { ...spec, params: { mode: "x", rate: 5 } };
  assert.deepEqual(paramColumns([spec, other]), ["param_active_bytes", "param_mode", "param_rate"]);
});

test("a completed cell's row: fixed decimals, on/off switches, quoted commas (golden)", () => {
  const columns = resultColumns(paramColumns([spec]));
  const text = toCsv([columns, resultRow(completed, columns)]);
  assert.equal(
    text.split("\n")[1],
    '7,sap-like,xbzrle,direct,67108864,134217728,300.000,qemu,3,67108864,completed,1234.568,12.500,123456789,10,20,30,3000,10,0.250000,1,40.960000,4,0.000,81920,4,0.333,5,2,1250000000,on,on,1,600000.000,,,1073741824,"a,b",',
  );
});

test("no value is an empty field, never 0: a stopped cell's downtime, no lookups, no deltas", () => {
  if (completed.status !== "completed") throw new Error("fixture");
  const stopped: CellResult = {
    spec: { ...spec, codec: "raw" },
    status: "did-not-converge",
    metrics: {
      ...completed.metrics,
      downtimeMs: null,
      deltaPages: 0,
      deltaBytes: 0,
      cacheMissPages: 0,
      cacheMissRate: null,
      encodingRate: null,
    },
    passes: completed.passes.slice(0, 1),
    wallMs: 1,
  };
  const columns = resultColumns(paramColumns([spec]));
  const row = resultRow(stopped, columns);
  const at = (column: string) => row[columns.indexOf(column)];
  assert.equal(at("status"), "did-not-converge");
  // Its total time is where it was stopped (query-migrate's total-time of an active migration).
  assert.equal(at("total_time_ms"), "1234.568");
  for (const column of ["downtime_ms", "cache_miss_rate", "encoding_rate"])
    assert.equal(at(column), "", column);
  // Counts of what did not happen stay 0: they are counts, not missing values.
  for (const column of ["delta_pages", "delta_bytes", "cache_miss_pages"])
    assert.equal(at(column), "0", column);
});

test("a failed cell is a row with its error on one line and empty metrics", () => {
  const columns = resultColumns(paramColumns([spec]));
  const row = resultRow({ spec, status: "failed", error: "boom\n  at x", wallMs: 1 }, columns);
  const record = Object.fromEntries(columns.map((c, i) => [c, row[i]]));
  assert.equal(record.status, "failed");
  assert.equal(record.error, "boom | at x");
  assert.equal(record.total_time_ms, "");
  assert.equal(record.workload, "sap-like");
  assert.deepEqual(
    passRows({ spec, status: "failed", error: "x", wallMs: 1 }, passColumns([])),
    [],
  );
});

test("passes.csv: a row per pass with the cell's key and params", () => {
  const columns = passColumns(paramColumns([spec]));
  const rows = passRows(completed, columns);
  assert.equal(rows.length, 2);
  const last = Object.fromEntries(columns.map((c, i) => [c, rows[1][i]]));
  assert.equal(last.cell, "7");
  assert.equal(last.pass, "2");
  assert.equal(last.stop_and_copy, "true");
  assert.equal(last.threshold_bytes, "40265318.400");
  assert.equal(last.param_mode, "a,b");
  assert.deepEqual(timingRow(completed), ["7", "sap-like", "xbzrle", "completed", "55.500"]);
});

test("number formats are fixed", () => {
  assert.equal(formatCount(42), "42");
  assert.equal(formatCount(0.1 + 0.2), "0.300");
  assert.equal(formatMs(1 / 3), "0.333");
  assert.equal(formatRatio(2 / 3), "0.666667");
  assert.equal(formatRatio(Number.NaN), "");
});

test("workload parameters print exactly as the simulation used them", () => {
  const exact = { ...spec, params: { zipf_exponent: 0.9995, active_bytes: 2 ** 30 } };
  const columns = resultColumns(paramColumns([exact]));
  const row = resultRow({ spec: exact, status: "failed", error: "x", wallMs: 1 }, columns);
  const record = Object.fromEntries(columns.map((c, i) => [c, row[i]]));
  assert.equal(record.param_zipf_exponent, "0.9995");
  assert.equal(record.param_active_bytes, "1073741824");
});
