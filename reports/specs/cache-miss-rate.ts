import type { MissRateRow } from "../tidy.ts";
import { chart, distinct, sortCodecs, sortedBy, type VegaLiteSpec } from "./common.ts";

/**
 * Cache miss rate (% of lookups) against cache size, one line per cache model, one column of
 * panels per codec that used the cache. Error bars: 95 % t-interval over seeds.
 */
export function cacheMissRateSpec(
  rows: readonly MissRateRow[],
  options: { seeds: number },
): VegaLiteSpec {
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
  if (options.seeds > 1)
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
      options.seeds > 1 ? "Points: mean over seeds; bars: 95 % t-interval." : "",
    ].filter(Boolean),
    {
      data: { values: rows },
      facet,
      spec: { width: Math.max(180, sizes.length * 60), height: 170, layer },
    },
  );
}
