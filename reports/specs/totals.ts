import {
  STATUS_COMPLETED,
  STATUS_DNC,
  STATUS_MIXED,
  TOTAL_TIME,
  type TotalsRow,
  TRANSFERRED,
} from "../tidy.ts";
import { chart, distinct, sortCodecs, type VegaLiteSpec } from "./common.ts";

/**
 * Total migration time and data transferred per codec, one row of panels per setting, raw
 * first and drawn again as a dashed rule across the panel (the baseline). A bar that did not
 * converge is orange: it shows what was spent before the run was stopped.
 */
export function totalsSpec(rows: readonly TotalsRow[], options: { seeds: number }): VegaLiteSpec {
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const panels = distinct(rows.map((r) => r.panel));
  const statuses = [STATUS_COMPLETED, STATUS_MIXED, STATUS_DNC];
  const x = { field: "value", type: "quantitative", title: null, axis: { grid: true } };
  const y = { field: "codec", type: "nominal", sort: codecs, title: null };
  const layer: VegaLiteSpec[] = [
    {
      mark: { type: "bar" },
      encoding: {
        x,
        y,
        color: {
          field: "status",
          type: "nominal",
          scale: { domain: statuses, range: ["#4c78a8", "#eeca3b", "#f58518"] },
          title: "status",
        },
        tooltip: [
          { field: "codec" },
          { field: "panel", title: "settings" },
          { field: "measure" },
          { field: "value", title: "mean" },
          { field: "low", title: "95 % low" },
          { field: "high", title: "95 % high" },
          { field: "status" },
        ],
      },
    },
  ];
  if (options.seeds > 1)
    layer.push({
      transform: [{ filter: "datum.seeds > 1" }],
      mark: { type: "rule", color: "black" },
      encoding: { x: { field: "low", type: "quantitative" }, x2: { field: "high" }, y },
    });
  if (codecs.includes("raw") && codecs.length > 1)
    layer.push({
      transform: [{ filter: { field: "codec", equal: "raw" } }],
      mark: { type: "rule", color: "#333", strokeWidth: 1.2 },
      encoding: {
        x,
        strokeDash: {
          field: "codec",
          type: "nominal",
          scale: { domain: ["raw"], range: [[4, 3]] },
          legend: { title: "baseline", labelExpr: "'raw codec'" },
        },
      },
    });
  return chart(
    "Total migration time and data transferred",
    [
      "Per codec; the dashed line repeats raw (no compression) across each panel.",
      options.seeds > 1
        ? "Bars: mean over seeds; black whiskers: 95 % t-interval. Orange: the run was stopped at --max-time without converging."
        : "Orange: the run was stopped at --max-time without converging.",
    ],
    {
      data: { values: rows },
      facet: {
        row: {
          field: "panel",
          type: "nominal",
          sort: panels,
          title: null,
          header: { labelAngle: 0, labelAlign: "left", labelOrient: "top", labelAnchor: "start" },
        },
        column: { field: "measure", type: "nominal", sort: [TOTAL_TIME, TRANSFERRED], title: null },
      },
      spec: { width: 300, height: { step: 16 }, layer },
      resolve: { scale: { x: "independent" } },
    },
  );
}
