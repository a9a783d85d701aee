import { DIRTY, type PassPoint, SENT, THRESHOLD } from "../tidy.ts";
import { chart, type VegaLiteSpec } from "./common.ts";

const DIRTY_ITERATIVE = "dirty pages at the sync (VM running)";
const DIRTY_STOP = "dirty pages at the last sync (stop-and-copy)";

/**
 * One cell, pass by pass: pages dirty at each sync (bars), pages sent in the pass (line) and
 * the threshold (measured bandwidth × downtime limit, in pages; dashed) that the pending pages
 * must fall below before QEMU stops the VM (migration/ram.c ram_save_pending,
 * migration/migration.c migration_iteration_run).
 */
export function passTimelineSpec(rows: readonly PassPoint[], cellTitle: string): VegaLiteSpec {
  const passCount = new Set(rows.map((r) => r.pass)).size;
  const values = rows.map((r) => r.pages).filter((v) => v > 0);
  const low = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const legend = [DIRTY_ITERATIVE, DIRTY_STOP, SENT, THRESHOLD];
  const x = {
    field: "pass",
    type: "ordinal",
    title: "pass (1 = bulk pass; each pass starts with a dirty-bitmap sync)",
    axis: { labelAngle: 0, labelOverlap: "greedy" },
  };
  const y = {
    field: "pages",
    type: "quantitative",
    scale: { type: "log", domain: [low, high] },
    title: "pages (log scale)",
    axis: { grid: true },
    stack: null,
  };
  const color = {
    field: "label",
    type: "nominal",
    sort: legend,
    scale: { domain: legend, range: ["#f2a8a8", "#c0392b", "#4c78a8", "#555555"] },
    title: null,
  };
  const tooltip = [{ field: "pass" }, { field: "series" }, { field: "pages" }, { field: "phase" }];
  return chart(
    `Passes of one cell: ${cellTitle}`,
    [
      "The VM stops once the pending dirty pages (counted uncompressed) fall below the threshold;",
      "the last pass is the stop-and-copy, whose transfer is the downtime.",
    ],
    {
      data: { values: rows },
      transform: [
        {
          calculate: `datum.series === '${DIRTY}' ? (datum.phase === 'stop-and-copy' ? '${DIRTY_STOP}' : '${DIRTY_ITERATIVE}') : datum.series`,
          as: "label",
        },
      ],
      width: Math.min(900, Math.max(420, passCount * 28)),
      height: 260,
      layer: [
        {
          transform: [{ filter: { field: "series", equal: DIRTY } }],
          mark: { type: "bar", width: { band: 0.7 } },
          encoding: { x, y, y2: { datum: low }, color, tooltip },
        },
        {
          transform: [{ filter: { field: "series", equal: SENT } }],
          mark: { type: "line", strokeWidth: 2, point: passCount <= 60 },
          encoding: { x, y, color, tooltip },
        },
        {
          transform: [{ filter: { field: "series", equal: THRESHOLD } }],
          mark: { type: "line", strokeWidth: 2, strokeDash: [6, 4] },
          encoding: { x, y, color, tooltip },
        },
      ],
    },
  );
}
