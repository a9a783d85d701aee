import { round } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import { NOT_CONVERGED } from "../seed-groups.ts";
import {
  type ChartInput,
  codecColorScale,
  distinct,
  type NotDrawn,
  noCells,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";
import { chart, labelsWidth, panelWidth } from "./layout.ts";

/**
 * What the codecs did on the workload's real pages during the simulated migrations, pooled
 * over the cells of a codec: wire bytes per page byte sent (raw is the baseline), the size of
 * delta-encoded pages (QEMU's encoding-rate inverted) and the overflow share.
 */

export const WIRE = "wire bytes, % of page bytes";
export const DELTA = "delta pages, % of page bytes";
export const OVERFLOWED = "overflowed, % of delta pages";

export const COMPLETED = "completed";
export const STOPPED = "did not converge";

export interface CompressionWorkloadRow {
  readonly workload: string;
  readonly codec: string;
  /** Which cells are pooled: those that completed, or those stopped at --max-time. */
  readonly outcome: typeof COMPLETED | typeof STOPPED;
  readonly measure: typeof WIRE | typeof DELTA | typeof OVERFLOWED;
  readonly percent: number;
  readonly cells: number;
}

/**
 * Pooled over the non-failed cells of a workload and codec, the completed ones and the stopped
 * ones (did not converge, trace ended) apart: a stopped migration resends its hottest pages
 * pass after pass until --max-time, so pooling it with completed ones would mix two different
 * migrations' page streams (and make a codec look better or worse than either).
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
    const outcome = NOT_CONVERGED.has(cell.status) ? STOPPED : COMPLETED;
    const key = `${cell.workload}\u0000${cell.codec}\u0000${outcome}`;
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
    const base = {
      workload: group[0].workload,
      codec: group[0].codec,
      outcome: NOT_CONVERGED.has(group[0].status) ? STOPPED : COMPLETED,
      cells: group.length,
    } as const;
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
): NotDrawn | null {
  return rows.length > 0 ? null : noCells(input.cells);
}

/** One measure's panel(s): bars per codec (completed and stopped apart), one row per workload. */
function measureView(
  measure: string,
  rows: readonly CompressionWorkloadRow[],
  width: number,
  input: ChartInput,
): VegaLiteSpec {
  const layout = input.layout;
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const workloads = distinct(rows.map((r) => r.workload));
  const split = rows.some((r) => r.outcome === STOPPED);
  const y = { field: "codec", type: "nominal", sort: codecs, title: null };
  const yOffset = split
    ? {
        yOffset: {
          field: "outcome",
          type: "nominal",
          sort: [COMPLETED, STOPPED],
          scale: { domain: [COMPLETED, STOPPED] },
        },
      }
    : {};
  const x = {
    field: "percent",
    type: "quantitative",
    title: measure,
    axis: {
      grid: true,
      tickCount: Math.max(2, Math.floor(width / 55)),
      labelExpr: "format(datum.value, '~r')",
    },
  };
  const view = {
    width,
    height: {
      step: layout.medium === "paper" ? layout.fontSize + 3 : 18,
      ...(split ? { for: "offset" } : {}),
    },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x,
          y,
          ...yOffset,
          color: { field: "codec", type: "nominal", scale: codecColorScale(codecs), legend: null },
          opacity: {
            field: "outcome",
            type: "ordinal",
            sort: [COMPLETED, STOPPED],
            scale: { domain: [COMPLETED, STOPPED], range: [1, 0.35] },
            title: "cells pooled",
            legend: split ? {} : null,
          },
          tooltip: [
            { field: "codec" },
            { field: "outcome", title: "cells pooled" },
            { field: "measure" },
            { field: "percent" },
            { field: "cells", title: "cells" },
          ],
        },
      },
      {
        mark: { type: "text", align: "left", dx: 3, fontSize: layout.markFontSize },
        encoding: {
          x,
          y,
          ...yOffset,
          text: { field: "percent", type: "quantitative", format: ".3~r" },
        },
      },
    ],
  };
  const own = { filter: { field: "measure", equal: measure } };
  if (workloads.length <= 1) return { transform: [own], ...view };
  return {
    transform: [own],
    facet: { row: { field: "workload", type: "nominal", sort: workloads, title: null } },
    spec: view,
  };
}

export function compressionByWorkloadSpec(
  rows: readonly CompressionWorkloadRow[],
  input: ChartInput,
): VegaLiteSpec {
  const layout = input.layout;
  const measures = [WIRE, DELTA, OVERFLOWED].filter((m) => rows.some((r) => r.measure === m));
  const columns = layout.medium === "paper" && layout.width < 300 ? 1 : measures.length;
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const width = panelWidth(layout, columns, 230, labelsWidth(layout, codecs) + 40);
  const split = rows.some((r) => r.outcome === STOPPED);
  return chart(
    layout,
    "Compression in the simulated migrations",
    [
      "Pooled over the cells of a codec (failed cells left out); raw is the baseline. Wire bytes: all records sent ÷ (pages sent × 4096);",
      "delta pages: QEMU's xbzrle bytes ÷ (xbzrle pages × 4096), the inverse of its encoding-rate; overflowed: pages sent raw after a failed delta.",
      split
        ? "Pale bars: the cells that did not converge, pooled apart from those that completed (a stopped migration resends its hottest pages until --max-time)."
        : "",
    ].filter(Boolean),
    {
      data: { values: rows },
      concat: measures.map((m) => measureView(m, rows, width, input)),
      columns,
      resolve: { scale: { x: "independent" } },
    },
  );
}
