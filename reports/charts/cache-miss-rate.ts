import { round, sizeLabel } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import { panelOf, seedCount, sortedGroups, varyingSettings } from "../seed-groups.ts";
import { meanInterval } from "../stats.ts";
import { log2Axis } from "./axes.ts";
import {
  type ChartInput,
  cellsThatRan,
  distinct,
  type NotDrawn,
  noCells,
  notInRun,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";
import { chart, panelHeight, panelWidth, yAxisReserve } from "./layout.ts";

export interface MissRateRow {
  readonly panel: string;
  readonly codec: string;
  readonly cacheModel: string;
  readonly cacheSize: string;
  readonly cacheSizeBytes: number;
  readonly cacheMiB: number;
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
  return sortedGroups(cached).map((group) => {
    const first = group[0];
    const stats = meanInterval(group.map((c) => (c.cacheMissRate as number) * 100));
    if (!stats) throw new Error("unreachable: a group has at least one cell");
    return {
      panel: panelOf(first, varying, ["cache_size_bytes", "cache_model"]),
      codec: first.codec,
      cacheModel: first.cacheModel,
      cacheSize: sizeLabel(first.cacheSizeBytes),
      cacheSizeBytes: first.cacheSizeBytes,
      cacheMiB: round(first.cacheSizeBytes / 1024 ** 2),
      missPercent: round(stats.mean),
      low: round(stats.low),
      high: round(stats.high),
      seeds: stats.n,
    };
  });
}

export function missRateNotDrawn(rows: readonly MissRateRow[], input: ChartInput): NotDrawn | null {
  if (rows.length > 0) return null;
  return cellsThatRan(input.cells).length === 0
    ? noCells(input.cells)
    : notInRun("no codec in this run looked pages up in the cache (e.g. only raw/zero)");
}

/** A line and points per cache model, with 95 % intervals clipped to 0–100 % when seeded. */
function missRateLayers(
  x: object,
  y: object,
  models: readonly string[],
  seeds: number,
  paper: boolean,
): VegaLiteSpec[] {
  const color = { field: "cacheModel", type: "nominal", sort: models, title: "cache model" };
  const layer: VegaLiteSpec[] = [
    { mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } },
    {
      mark: { type: "point", filled: true, size: paper ? 30 : 50, opacity: 1 },
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
      transform: [
        { filter: "datum.seeds > 1" },
        { calculate: "max(datum.low, 0)", as: "lowClipped" },
        { calculate: "min(datum.high, 100)", as: "highClipped" },
      ],
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: {
        x,
        y: { field: "lowClipped", type: "quantitative" },
        y2: { field: "highClipped" },
        color,
      },
    });
  return layer;
}

/**
 * Cache miss rate (% of lookups) against cache size, one line per cache model, one column of
 * panels per codec that used the cache. Error bars: 95 % t-interval over seeds.
 */
export function cacheMissRateSpec(rows: readonly MissRateRow[], input: ChartInput): VegaLiteSpec {
  const layout = input.layout;
  const seeds = seedCount(input.cells);
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const models = distinct(rows.map((r) => r.cacheModel));
  const sizes = distinct(rows.map((r) => r.cacheMiB));
  const panels = distinct(rows.map((r) => r.panel));
  // One column per codec (the facet has rows too, so it cannot wrap).
  const columns = codecs.length;
  const width = panelWidth(
    layout,
    columns,
    Math.max(200, sizes.length * 70),
    yAxisReserve(layout, ["100"]),
  );
  const height = panelHeight(layout, width, 180);
  const log = sizes.length > 1 ? log2Axis(sizes, width, layout) : null;
  const x = {
    field: "cacheMiB",
    type: log ? "quantitative" : "ordinal",
    title: log ? "cache size (MiB, log scale)" : "cache size (MiB)",
    ...(log
      ? {
          scale: log.scale,
          axis: { values: log.values, labelExpr: "format(datum.value, '~r')", grid: true },
        }
      : { axis: { labelAngle: 0 } }),
  };
  const y = {
    field: "missPercent",
    type: "quantitative",
    title: "cache misses (% of lookups)",
    scale: { domain: [0, 100] },
    axis: { grid: true, values: [0, 25, 50, 75, 100] },
  };
  const layer = missRateLayers(x, y, models, seeds, layout.medium === "paper");
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
    layout,
    "Cache miss rate against cache size",
    [
      "QEMU's cache-miss-rate: misses / lookups of dirty pages after the bulk pass, per cache model; codecs that use no cache are not drawn.",
      seeds > 1 ? "Points: mean over seeds; bars: 95 % t-interval, clipped to 0–100 %." : "",
    ].filter(Boolean),
    { data: { values: rows }, facet, spec: { width, height, layer } },
  );
}
