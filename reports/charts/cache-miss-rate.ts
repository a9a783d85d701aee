import { round, sizeLabel } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import { groupOverSeeds, panelOf, seedCount, varyingSettings } from "../seed-groups.ts";
import { meanInterval } from "../stats.ts";
import {
  type ChartInput,
  cellsThatRan,
  chart,
  distinct,
  noCells,
  sortCodecs,
  sortedBy,
  type VegaLiteSpec,
} from "./common.ts";

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
function usesCache(cell: CellRow): boolean {
  return (cell.deltaPages ?? 0) + (cell.cacheMissPages ?? 0) > 0;
}

export function missRateRows(input: ChartInput): MissRateRow[] {
  const cells = input.cells;
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

export function missRateNotDrawn(rows: readonly MissRateRow[], input: ChartInput): string | null {
  if (rows.length > 0) return null;
  return cellsThatRan(input.cells).length === 0
    ? noCells(input.cells)
    : "no codec in this run looked pages up in the cache (e.g. only raw/zero)";
}

/**
 * Cache miss rate (% of lookups) against cache size, one line per cache model, one column of
 * panels per codec that used the cache. Error bars: 95 % t-interval over seeds.
 */
export function cacheMissRateSpec(rows: readonly MissRateRow[], input: ChartInput): VegaLiteSpec {
  const seeds = seedCount(input.cells);
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const models = distinct(rows.map((r) => r.cacheModel));
  const sizes = sortedBy(
    rows,
    (r) => r.cacheSize,
    (r) => r.cacheSizeBytes,
  );
  const panels = distinct(rows.map((r) => r.panel));
  const x = {
    field: "cacheSize",
    type: "ordinal",
    sort: sizes,
    title: "cache size",
    axis: { labelAngle: 0 },
  };
  const y = {
    field: "missPercent",
    type: "quantitative",
    title: "cache miss rate (% of lookups)",
    scale: { domainMin: 0 },
    axis: { grid: true },
  };
  const color = { field: "cacheModel", type: "nominal", sort: models, title: "cache model" };
  const layer: VegaLiteSpec[] = [
    { mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } },
    {
      mark: { type: "point", filled: true, size: 50, opacity: 1 },
      encoding: {
        x,
        y,
        color,
        shape: { field: "cacheModel", type: "nominal", sort: models, title: "cache model" },
        tooltip: [
          { field: "codec" },
          { field: "cacheModel", title: "cache model" },
          { field: "cacheSize", title: "cache size" },
          { field: "missPercent", title: "miss % (mean)" },
          { field: "low", title: "95 % low" },
          { field: "high", title: "95 % high" },
          { field: "seeds" },
        ],
      },
    },
  ];
  if (seeds > 1)
    layer.push({
      transform: [{ filter: "datum.seeds > 1" }],
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: { x, y: { field: "low", type: "quantitative" }, y2: { field: "high" }, color },
    });
  const facet: Record<string, unknown> = {
    column: { field: "codec", type: "nominal", sort: codecs, title: null },
  };
  if (panels.length > 1)
    facet.row = {
      field: "panel",
      type: "nominal",
      sort: panels,
      title: null,
      header: { labelAngle: 0, labelAlign: "left", labelOrient: "top", labelAnchor: "start" },
    };
  return chart(
    "Cache miss rate against cache size",
    [
      "QEMU's cache-miss-rate: misses / lookups of dirty pages after the bulk pass, per cache model.",
      seeds > 1 ? "Points: mean over seeds; bars: 95 % t-interval." : "",
    ].filter(Boolean),
    {
      data: { values: rows },
      facet,
      spec: { width: Math.max(180, sizes.length * 60), height: 170, layer },
    },
  );
}
