import Table from "cli-table3";
import { formatBytes } from "../lib/units.ts";

/**
 * The end-of-run summary: one table per workload with, per cell (seeds averaged), the codec,
 * status, total time, downtime, bytes transferred and cache hit rate, plus a column for every
 * setting that varies within that workload's cells (cache size, bandwidth, ...). Built from
 * results.csv records, so a resumed run's summary covers the cells of earlier sessions too.
 * Pure: records in, text out.
 */

export type ResultRecord = Readonly<Record<string, string>>;

/** Settings shown as a column when they vary, in this order, with a short header and format. */
const SETTING_COLUMNS: readonly {
  column: string;
  header: string;
  format: (v: string) => string;
}[] = [
  { column: "ram_bytes", header: "RAM", format: (v) => formatBytes(Number(v)) },
  { column: "convergence_rule", header: "rule", format: (v) => v },
  { column: "bulk_skip", header: "bulk skip", format: (v) => v },
  { column: "cache_model", header: "cache", format: (v) => v },
  { column: "cache_age", header: "age", format: (v) => v },
  { column: "cache_size_bytes", header: "cache size", format: (v) => formatBytes(Number(v)) },
  {
    column: "bandwidth_bytes_per_s",
    header: "bandwidth",
    format: (v) => `${formatBytes(Number(v))}/s`,
  },
  { column: "link_bytes_per_s", header: "link", format: (v) => `${formatBytes(Number(v))}/s` },
  { column: "downtime_limit_ms", header: "limit", format: (v) => formatMs(Number(v)) },
  { column: "threads", header: "threads", format: (v) => v },
  { column: "max_time_ms", header: "max time", format: (v) => formatMs(Number(v)) },
  { column: "max_passes", header: "max passes", format: (v) => v || "-" },
];

/** Box lines around the table and under the header only: one line per row. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/** Columns that never become a summary column of their own. */
const NOT_SETTINGS = new Set(["cell", "workload", "codec", "seed", "codec_module"]);

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  return `${(ms / 1000).toFixed(ms < 100_000 ? 2 : 0)} s`;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Hit rate as QEMU's xbzrle counters give it: pages / (pages + cache-miss). */
function hitRate(record: ResultRecord): number {
  const hits = Number(record.delta_pages);
  const misses = Number(record.cache_miss_pages);
  return hits + misses > 0 ? hits / (hits + misses) : Number.NaN;
}

/** The columns whose value differs between records (param_* included), in display order. */
export function varyingColumns(records: readonly ResultRecord[]): string[] {
  if (records.length === 0) return [];
  const candidates = [
    ...SETTING_COLUMNS.map((s) => s.column),
    ...Object.keys(records[0]).filter((c) => c.startsWith("param_")),
  ].filter((c) => !NOT_SETTINGS.has(c));
  return candidates.filter((column) => records.some((r) => r[column] !== records[0][column]));
}

function statusOf(group: readonly ResultRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of group) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  if (counts.size === 1) return group[0].status;
  return [...counts].map(([status, n]) => `${status} ${n}/${group.length}`).join(", ");
}

/** One table per workload, as text (no colours, so the output is the same in a pipe). */
export function summaryTables(records: readonly ResultRecord[]): string[] {
  const workloads = [...new Set(records.map((r) => r.workload))];
  return workloads.map((workload) => {
    const rows = records.filter((r) => r.workload === workload);
    const varying = varyingColumns(rows);
    const seeds = new Set(rows.map((r) => r.seed)).size;
    // Group the seeds of one setting (rows differ only in seed): show means over them.
    const groups = new Map<string, ResultRecord[]>();
    for (const r of rows) {
      const key = [...varying.map((c) => r[c]), r.codec, r.codec_module].join("\u0000");
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
    const settingHeader = (column: string) =>
      SETTING_COLUMNS.find((s) => s.column === column)?.header ?? column.replace(/^param_/, "");
    const head = [
      ...varying.map(settingHeader),
      "codec",
      ...(seeds > 1 ? ["seeds"] : []),
      "status",
      "total time",
      "downtime",
      "transferred",
      "hit rate",
    ];
    const table = new Table({ head, chars: COMPACT, style: { head: [], border: [] } });
    for (const group of groups.values()) {
      const first = group[0];
      const ran = group.filter((r) => r.status !== "failed");
      const metric = (f: (r: ResultRecord) => number) => mean(ran.map(f));
      const hit = mean(ran.map(hitRate).filter((v) => !Number.isNaN(v)));
      table.push([
        ...varying.map((c) => {
          const setting = SETTING_COLUMNS.find((s) => s.column === c);
          return setting ? setting.format(first[c]) : first[c];
        }),
        first.codec,
        ...(seeds > 1 ? [String(group.length)] : []),
        statusOf(group),
        ran.length ? formatMs(metric((r) => Number(r.total_time_ms))) : "-",
        ran.length ? formatMs(metric((r) => Number(r.downtime_ms))) : "-",
        ran.length ? formatBytes(Math.round(metric((r) => Number(r.transferred_bytes)))) : "-",
        Number.isNaN(hit) ? "-" : `${(hit * 100).toFixed(1)} %`,
      ]);
    }
    const seedNote = seeds > 1 ? ` (means over ${seeds} seeds)` : "";
    return `${workload}${seedNote}\n${table.toString()}`;
  });
}
