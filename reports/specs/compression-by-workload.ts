import { type CompressionWorkloadRow, DELTA, OVERFLOWED, WIRE } from "../tidy.ts";
import { chart, codecColorScale, distinct, sortCodecs, type VegaLiteSpec } from "./common.ts";

/**
 * What the codecs did on the workload's real pages during the simulated migrations, pooled
 * over all cells of a codec: wire bytes per page byte sent (raw is the baseline), the size of
 * delta-encoded pages (QEMU's encoding-rate inverted) and the overflow share.
 */
export function compressionByWorkloadSpec(rows: readonly CompressionWorkloadRow[]): VegaLiteSpec {
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const measures = [WIRE, DELTA, OVERFLOWED].filter((m) => rows.some((r) => r.measure === m));
  const workloads = distinct(rows.map((r) => r.workload));
  return chart(
    "Compression in the simulated migrations",
    [
      "Pooled over every cell that ran (failed cells left out); raw is the baseline. Wire bytes: all records sent ÷ (pages sent × 4096);",
      "delta pages: QEMU's xbzrle bytes ÷ (xbzrle pages × 4096), the inverse of its encoding-rate; overflowed: pages sent raw after a failed delta.",
    ],
    {
      data: { values: rows },
      facet: {
        row: { field: "workload", type: "nominal", sort: workloads, title: null },
        column: { field: "measure", type: "nominal", sort: measures, title: null },
      },
      spec: {
        width: 240,
        height: { step: 20 },
        layer: [
          {
            mark: { type: "bar" },
            encoding: {
              x: { field: "percent", type: "quantitative", title: "%", axis: { grid: true } },
              y: { field: "codec", type: "nominal", sort: codecs, title: null },
              color: {
                field: "codec",
                type: "nominal",
                scale: codecColorScale(codecs),
                legend: null,
              },
              tooltip: [
                { field: "codec" },
                { field: "measure" },
                { field: "percent" },
                { field: "cells", title: "cells pooled" },
              ],
            },
          },
          {
            mark: { type: "text", align: "left", dx: 3, fontSize: 10 },
            encoding: {
              x: { field: "percent", type: "quantitative" },
              y: { field: "codec", type: "nominal", sort: codecs },
              text: { field: "percent", type: "quantitative", format: ".3~r" },
            },
          },
        ],
      },
      resolve: { scale: { x: "independent" } },
    },
  );
}
