import { round } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import {
  type ChartInput,
  chart,
  codecColorScale,
  distinct,
  noCells,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";

/**
 * What the codecs did on the workload's real pages during the simulated migrations, pooled
 * over all cells of a codec: wire bytes per page byte sent (raw is the baseline), the size of
 * delta-encoded pages (QEMU's encoding-rate inverted) and the overflow share.
 */

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
export function compressionWorkloadRows(input: ChartInput): CompressionWorkloadRow[] {
  const groups = new Map<string, CellRow[]>();
  for (const cell of input.cells) {
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

export function compressionWorkloadNotDrawn(
  rows: readonly CompressionWorkloadRow[],
  input: ChartInput,
): string | null {
  return rows.length > 0 ? null : noCells(input.cells);
}
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
