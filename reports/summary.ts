import { msLabel, percentLabel, rateLabel, sizeLabel } from "../lib/format.ts";
import type { CellRow } from "./data.ts";
import { meanInterval } from "./stats.ts";
import { varyingSettings } from "./tidy.ts";

/**
 * The report's tables: per workload, one row per codec and setting (seeds pooled), with the
 * columns of the bench runner's end-of-run summary (codec, status, total time, downtime,
 * transferred, hit rate); and the failed cells with their errors.
 */

export interface SummaryTable {
  readonly workload: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const SETTING_TITLES: Record<string, string> = {
  cache_model: "cache model",
  cache_size_bytes: "cache size",
  bandwidth_bytes_per_s: "bandwidth",
  downtime_limit_ms: "downtime limit",
  convergence_rule: "convergence",
  ram_bytes: "RAM",
  link_bytes_per_s: "link",
};

function settingText(column: string, value: string): string {
  const n = Number(value);
  if (column === "cache_size_bytes" || column === "ram_bytes") return sizeLabel(n);
  if (column === "bandwidth_bytes_per_s" || column === "link_bytes_per_s") return rateLabel(n);
  if (column.endsWith("_ms")) return msLabel(n);
  return value;
}

function statusText(cells: readonly CellRow[]): string {
  const counts = new Map<string, number>();
  for (const cell of cells) counts.set(cell.status, (counts.get(cell.status) ?? 0) + 1);
  if (counts.size === 1 && cells.length === 1) return cells[0].status;
  return [...counts.entries()].map(([status, n]) => `${status} ×${n}`).join(", ");
}

function meanText(values: readonly (number | null)[], format: (v: number) => string): string {
  const stats = meanInterval(values.filter((v): v is number => v !== null));
  return stats ? format(stats.mean) : "—";
}

export function summaryTables(cells: readonly CellRow[]): SummaryTable[] {
  const varying = varyingSettings(cells).filter((c) => c !== "workload");
  const workloads = [...new Set(cells.map((c) => c.workload))];
  return workloads.map((workload) => {
    const groups = new Map<string, CellRow[]>();
    for (const cell of cells.filter((c) => c.workload === workload)) {
      const key = [cell.codec, ...varying.map((c) => cell.columns[c])].join("\u0000");
      groups.set(key, [...(groups.get(key) ?? []), cell]);
    }
    const rows = [...groups.values()].map((group) => {
      const ran = group.filter((c) => c.status !== "failed");
      const done = ran.filter((c) => c.status === "completed");
      const hitRates = ran.map((c) => {
        const lookups = (c.deltaPages ?? 0) + (c.cacheMissPages ?? 0);
        return lookups > 0 ? (c.deltaPages ?? 0) / lookups : null;
      });
      return [
        group[0].codec,
        ...varying.map((c) => settingText(c, group[0].columns[c] ?? "")),
        statusText(group),
        meanText(
          ran.map((c) => c.totalTimeMs),
          msLabel,
        ),
        meanText(
          done.map((c) => c.downtimeMs),
          msLabel,
        ),
        meanText(
          ran.map((c) => c.transferredBytes),
          sizeLabel,
        ),
        meanText(hitRates, percentLabel),
        String(group.length),
      ];
    });
    return {
      workload,
      columns: [
        "codec",
        ...varying.map((c) => SETTING_TITLES[c] ?? c.replace(/^param_/, "")),
        "status",
        "total time",
        "downtime",
        "transferred",
        "hit rate",
        "seeds",
      ],
      rows,
    };
  });
}

export interface FailedCell {
  readonly cell: number;
  readonly description: string;
  readonly error: string;
}

export function failedCells(cells: readonly CellRow[]): FailedCell[] {
  const varying = varyingSettings(cells);
  return cells
    .filter((c) => c.status === "failed")
    .map((c) => ({
      cell: c.cell,
      description: [
        c.workload,
        c.codec,
        ...varying.filter((v) => v !== "workload").map((v) => settingText(v, c.columns[v] ?? "")),
        `seed ${c.seed}`,
      ].join(" · "),
      error: c.error || "(no error text)",
    }));
}
