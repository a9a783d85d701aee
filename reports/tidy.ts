import { msLabel, rateLabel, round, sizeLabel } from "../lib/format.ts";
import { PARAM_PREFIX, RESULT_SETTING_COLUMNS, RESULT_SPEC_COLUMNS } from "../results/schema.ts";
import type { CellRow, CodecBenchRow, PassRow } from "./data.ts";
import { PUBLISHED_2011, REFERENCE_2011 } from "./references.ts";
import { meanInterval } from "./stats.ts";

/**
 * Long-form rows, one per observation, for each chart (the chart specs are pure functions of
 * these). Sweep rows are grouped over seeds: the mean with its 95 % t-interval
 * (reports/stats.ts), and how many seeds did not converge.
 */

export const MIGBENCH = "migbench";
export const MEMCPY_BASELINE = "memcpy (memory bandwidth)";

// ---- codec benchmark ------------------------------------------------------------------------

export interface BandwidthRow {
  readonly codec: string;
  readonly kind: string;
  readonly direction: "encode" | "decode";
  readonly gbps: number;
  readonly source: string;
}

export function bandwidthRows(bench: readonly CodecBenchRow[]): BandwidthRow[] {
  const rows: BandwidthRow[] = [];
  for (const r of bench) {
    const source = r.codec === "memcpy" ? MEMCPY_BASELINE : MIGBENCH;
    if (r.encodeGBps > 0)
      rows.push({
        codec: r.codec,
        kind: r.kind,
        direction: "encode",
        gbps: round(r.encodeGBps),
        source,
      });
    if (r.decodeGBps > 0 && source === MIGBENCH)
      rows.push({
        codec: r.codec,
        kind: r.kind,
        direction: "decode",
        gbps: round(r.decodeGBps),
        source,
      });
  }
  const have = new Set(bench.map((r) => `${r.codec}|${r.kind}`));
  for (const p of PUBLISHED_2011)
    if (have.has(`${p.codec}|${p.kind}`))
      rows.push({
        codec: p.codec,
        kind: p.kind,
        direction: "encode",
        gbps: p.encodeMBps / 1000,
        source: REFERENCE_2011,
      });
  return rows;
}

export const ENCODED = "encoded size (% of page bytes)";
export const OVERFLOW = "overflowed (% of pages)";

export interface CompressionKindRow {
  readonly codec: string;
  readonly kind: string;
  readonly measure: typeof ENCODED | typeof OVERFLOW;
  readonly percent: number;
  readonly source: string;
}

export function compressionKindRows(bench: readonly CodecBenchRow[]): CompressionKindRow[] {
  const rows: CompressionKindRow[] = [];
  for (const r of bench) {
    if (r.codec === "memcpy") continue;
    if (Number.isFinite(r.encodedPercent))
      rows.push({
        codec: r.codec,
        kind: r.kind,
        measure: ENCODED,
        percent: round(r.encodedPercent),
        source: MIGBENCH,
      });
    if (Number.isFinite(r.overflowPercent))
      rows.push({
        codec: r.codec,
        kind: r.kind,
        measure: OVERFLOW,
        percent: round(r.overflowPercent),
        source: MIGBENCH,
      });
  }
  const have = new Set(bench.map((r) => `${r.codec}|${r.kind}`));
  for (const p of PUBLISHED_2011)
    if (have.has(`${p.codec}|${p.kind}`))
      rows.push({
        codec: p.codec,
        kind: p.kind,
        measure: ENCODED,
        percent: p.encodedPercent,
        source: REFERENCE_2011,
      });
  return rows;
}

// ---- sweep dimensions -------------------------------------------------------------------------

/** How a setting column prints in a panel title. */
function settingLabel(column: string, value: string): string {
  const n = Number(value);
  switch (column) {
    case "workload":
      return value;
    case "cache_model":
      return value;
    case "cache_size_bytes":
      return `${sizeLabel(n)} cache`;
    case "bandwidth_bytes_per_s":
      return `cap ${rateLabel(n)}`;
    case "link_bytes_per_s":
      return `link ${rateLabel(n)}`;
    case "downtime_limit_ms":
      return `limit ${msLabel(n)}`;
    case "convergence_rule":
      return `${value} rule`;
    case "ram_bytes":
      return `RAM ${sizeLabel(n)}`;
    case "max_time_ms":
      return `max ${msLabel(n)}`;
    default:
      return `${column.replace(/^param_/, "")}=${value}`;
  }
}

/** Setting columns every cell carries; a sweep varies some of them (codec and seed aside). */
const SETTING_COLUMNS: readonly string[] = [
  ...RESULT_SPEC_COLUMNS.filter((c) => c !== "cell" && c !== "codec" && c !== "seed"),
  ...RESULT_SETTING_COLUMNS,
];

function settingsOf(cells: readonly CellRow[]): string[] {
  const first = cells[0]?.columns ?? {};
  return [
    ...SETTING_COLUMNS.filter((c) => c in first),
    ...Object.keys(first).filter((c) => c.startsWith(PARAM_PREFIX)),
  ];
}

/** The setting columns whose value differs between cells (besides codec and seed). */
export function varyingSettings(cells: readonly CellRow[]): string[] {
  return settingsOf(cells).filter((c) => new Set(cells.map((cell) => cell.columns[c])).size > 1);
}

/** A panel title: the varying settings of a cell, except those the chart draws on an axis. */
export function panelOf(cell: CellRow, varying: readonly string[], except: readonly string[]) {
  const parts = varying
    .filter((c) => !except.includes(c))
    .map((c) => settingLabel(c, cell.columns[c] ?? ""));
  return parts.length > 0 ? parts.join(" · ") : "all cells";
}

/** Group cells that differ only by seed (and cell index). */
function groupOverSeeds(cells: readonly CellRow[]): CellRow[][] {
  const settings = settingsOf(cells);
  const groups = new Map<string, CellRow[]>();
  for (const cell of cells) {
    const key = [cell.codec, ...settings.map((c) => cell.columns[c])].join("\u0000");
    const group = groups.get(key);
    if (group) group.push(cell);
    else groups.set(key, [cell]);
  }
  return [...groups.values()];
}

export function seedCount(cells: readonly CellRow[]): number {
  return Math.max(0, ...groupOverSeeds(cells).map((g) => g.length));
}

const NOT_COMPLETED = new Set(["did-not-converge", "trace-ended"]);

// ---- downtime against a swept setting --------------------------------------------------------

export interface SweepPoint {
  readonly panel: string;
  readonly codec: string;
  /** The x value as a label ("128 MiB/s") and its number for sorting. */
  readonly x: string;
  readonly xValue: number;
  /** Mean over completed seeds (null when none completed), with its 95 % t-interval. */
  readonly mean: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Seeds that completed / did not converge (or whose trace ended) / all non-failed seeds. */
  readonly completed: number;
  readonly notConverged: number;
  readonly seeds: number;
  readonly notConvergedLabel: string;
}

export type SweepAxis = "bandwidth_bytes_per_s" | "cache_size_bytes";

export function sweepAxisLabel(axis: SweepAxis, value: number): string {
  return axis === "bandwidth_bytes_per_s" ? rateLabel(value) : sizeLabel(value);
}

/**
 * Mean downtime (ms) per codec per value of `axis`, in panels of the other varying settings.
 * Failed cells are left out (the report lists them); cells that did not converge are counted.
 */
export function downtimeRows(cells: readonly CellRow[], axis: SweepAxis): SweepPoint[] {
  const ran = cells.filter((c) => c.status !== "failed");
  const varying = varyingSettings(cells);
  return groupOverSeeds(ran).map((group) => {
    const first = group[0];
    const done = group.filter((c) => c.status === "completed" && c.downtimeMs !== null);
    const notConverged = group.filter((c) => NOT_COMPLETED.has(c.status)).length;
    const stats = meanInterval(done.map((c) => c.downtimeMs as number));
    const xValue =
      axis === "bandwidth_bytes_per_s" ? first.bandwidthBytesPerS : first.cacheSizeBytes;
    return {
      panel: panelOf(first, varying, [axis]),
      codec: first.codec,
      x: sweepAxisLabel(axis, xValue),
      xValue,
      mean: stats ? round(stats.mean) : null,
      low: stats ? round(stats.low) : null,
      high: stats ? round(stats.high) : null,
      completed: done.length,
      notConverged,
      seeds: group.length,
      notConvergedLabel: notConverged === 0 ? "" : `${notConverged}/${group.length}`,
    };
  });
}

// ---- total time and transferred ---------------------------------------------------------------

export const TOTAL_TIME = "total migration time (s)";
export const TRANSFERRED = "data transferred (GiB)";

export interface TotalsRow {
  readonly panel: string;
  readonly codec: string;
  readonly measure: typeof TOTAL_TIME | typeof TRANSFERRED;
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly seeds: number;
  readonly status: string;
}

export const STATUS_COMPLETED = "completed";
export const STATUS_DNC = "did not converge (stopped at max time)";
export const STATUS_MIXED = "some seeds did not converge (mean of those that completed)";

export function totalsRows(cells: readonly CellRow[]): TotalsRow[] {
  const ran = cells.filter((c) => c.status !== "failed" && c.totalTimeMs !== null);
  const varying = varyingSettings(cells);
  return groupOverSeeds(ran).flatMap((group) => {
    const first = group[0];
    const notConverged = group.filter((c) => NOT_COMPLETED.has(c.status)).length;
    const status =
      notConverged === 0
        ? STATUS_COMPLETED
        : notConverged === group.length
          ? STATUS_DNC
          : STATUS_MIXED;
    const panel = panelOf(first, varying, []);
    // A run stopped at --max-time says nothing about how long it would have taken: when some
    // seeds completed, the bar is their mean; when none did, it is what was spent until stopped.
    const counted = status === STATUS_MIXED ? group.filter((c) => c.status === "completed") : group;
    const time = meanInterval(counted.map((c) => (c.totalTimeMs as number) / 1000));
    const bytes = meanInterval(counted.map((c) => (c.transferredBytes ?? Number.NaN) / 1024 ** 3));
    const rows: TotalsRow[] = [];
    for (const [measure, stats] of [
      [TOTAL_TIME, time],
      [TRANSFERRED, bytes],
    ] as const)
      if (stats)
        rows.push({
          panel,
          codec: first.codec,
          measure,
          value: round(stats.mean),
          low: round(stats.low),
          high: round(stats.high),
          seeds: stats.n,
          status,
        });
    return rows;
  });
}

// ---- cache miss rate ----------------------------------------------------------------------------

export interface MissRateRow {
  readonly panel: string;
  readonly codec: string;
  readonly cacheModel: string;
  readonly cacheSize: string;
  readonly cacheSizeBytes: number;
  /** Percent of cache lookups that missed (QEMU's cache-miss-rate × 100). */
  readonly missPercent: number;
  readonly low: number;
  readonly high: number;
  readonly seeds: number;
}

/** Cells whose codec used the page cache (it looked pages up). */
export function usesCache(cell: CellRow): boolean {
  return (cell.deltaPages ?? 0) + (cell.cacheMissPages ?? 0) > 0;
}

export function missRateRows(cells: readonly CellRow[]): MissRateRow[] {
  const cached = cells.filter(
    (c) => c.status !== "failed" && c.cacheMissRate !== null && usesCache(c),
  );
  const varying = varyingSettings(cells);
  return groupOverSeeds(cached).map((group) => {
    const first = group[0];
    const stats = meanInterval(group.map((c) => (c.cacheMissRate as number) * 100));
    if (!stats) throw new Error("unreachable: a group has at least one cell");
    return {
      panel: panelOf(first, varying, ["cache_size_bytes", "cache_model"]),
      codec: first.codec,
      cacheModel: first.cacheModel,
      cacheSize: sizeLabel(first.cacheSizeBytes),
      cacheSizeBytes: first.cacheSizeBytes,
      missPercent: round(stats.mean),
      low: round(stats.low),
      high: round(stats.high),
      seeds: stats.n,
    };
  });
}

// ---- compression per workload -------------------------------------------------------------------

export const WIRE = "wire bytes, % of page bytes";
export const DELTA = "delta pages, % of page bytes";
export const OVERFLOWED = "overflowed, % of delta pages";

export interface CompressionWorkloadRow {
  readonly workload: string;
  readonly codec: string;
  readonly measure: typeof WIRE | typeof DELTA | typeof OVERFLOWED;
  readonly percent: number;
  readonly cells: number;
}

/**
 * Pooled over every non-failed cell of a workload and codec:
 * - wire bytes: transferred / ((zero + normal + delta − overflow pages) × 4096) — overflowed
 *   pages are counted in both normal and xbzrle pages by QEMU (ram.c save_xbzrle_page falls back
 *   to a normal page), so they are subtracted once;
 * - delta-encoded pages: xbzrle bytes / (xbzrle pages × 4096), the inverse of QEMU's
 *   encoding-rate;
 * - overflowed: overflow pages / xbzrle pages.
 */
export function compressionWorkloadRows(cells: readonly CellRow[]): CompressionWorkloadRow[] {
  const groups = new Map<string, CellRow[]>();
  for (const cell of cells) {
    if (cell.status === "failed" || cell.transferredBytes === null) continue;
    const key = `${cell.workload}\u0000${cell.codec}`;
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  const rows: CompressionWorkloadRow[] = [];
  for (const group of groups.values()) {
    const sum = (pick: (c: CellRow) => number | null) =>
      group.reduce((s, c) => s + (pick(c) ?? 0), 0);
    const transferred = sum((c) => c.transferredBytes);
    const deltaPages = sum((c) => c.deltaPages);
    const deltaBytes = sum((c) => c.deltaBytes);
    const overflow = sum((c) => c.overflowPages);
    const pages = sum((c) => c.zeroPages) + sum((c) => c.normalPages) + deltaPages - overflow;
    const base = { workload: group[0].workload, codec: group[0].codec, cells: group.length };
    if (pages > 0)
      rows.push({ ...base, measure: WIRE, percent: round((100 * transferred) / (pages * 4096)) });
    if (deltaPages > 0) {
      rows.push({
        ...base,
        measure: DELTA,
        percent: round((100 * deltaBytes) / (deltaPages * 4096)),
      });
      rows.push({ ...base, measure: OVERFLOWED, percent: round((100 * overflow) / deltaPages) });
    }
  }
  return rows;
}

// ---- per-pass timeline --------------------------------------------------------------------------

export const DIRTY = "dirty pages at the sync";
export const SENT = "pages sent in the pass";
export const THRESHOLD = "threshold (bytes ÷ 4096)";

export interface PassPoint {
  readonly pass: number;
  readonly series: typeof DIRTY | typeof SENT | typeof THRESHOLD;
  readonly pages: number;
  readonly phase: "iterative" | "stop-and-copy";
}

export function passTimelineRows(passes: readonly PassRow[], cell: number): PassPoint[] {
  return passes
    .filter((p) => p.cell === cell)
    .sort((a, b) => a.pass - b.pass)
    .flatMap((p) => {
      const phase = p.stopAndCopy ? ("stop-and-copy" as const) : ("iterative" as const);
      return [
        { pass: p.pass, series: DIRTY, pages: p.dirtyPages, phase },
        { pass: p.pass, series: SENT, pages: p.pagesSent, phase },
        { pass: p.pass, series: THRESHOLD, pages: round(p.thresholdBytes / 4096), phase },
      ];
    });
}

/**
 * The cell a timeline shows when none is asked for: the one closest to QEMU's defaults
 * (xbzrle, direct cache of 64 MiB, 128 MiB/s, qemu rule) that completed, lowest seed first.
 */
export function representativeCell(
  cells: readonly CellRow[],
  passes: readonly PassRow[],
): CellRow | null {
  const withPasses = new Set(passes.map((p) => p.cell));
  const candidates = cells.filter((c) => c.status !== "failed" && withPasses.has(c.cell));
  if (candidates.length === 0) return null;
  const distance = (c: CellRow) =>
    (c.codec === "xbzrle" ? 0 : c.codec === "xbrle" ? 1 : 2) * 100 +
    (c.status === "completed" ? 0 : 50) +
    (c.cacheModel === "direct" ? 0 : 5) +
    (c.convergenceRule === "qemu" ? 0 : 5) +
    Math.abs(Math.log2(c.cacheSizeBytes / (64 * 1024 ** 2))) +
    Math.abs(Math.log2(c.bandwidthBytesPerS / (128 * 1024 ** 2)));
  return [...candidates].sort(
    (a, b) => distance(a) - distance(b) || a.seed - b.seed || a.cell - b.cell,
  )[0];
}

/** "xbzrle · direct 64 MiB cache · cap 128 MiB/s · seed 1" */
export function describeCell(cell: CellRow): string {
  return [
    cell.workload,
    cell.codec,
    `${cell.cacheModel} ${sizeLabel(cell.cacheSizeBytes)} cache`,
    `cap ${rateLabel(cell.bandwidthBytesPerS)}`,
    `seed ${cell.seed}`,
  ].join(" · ");
}
