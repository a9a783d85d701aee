import { round } from "../../lib/format.ts";
import { MIGBENCH, PUBLISHED_2011, REFERENCE_2011 } from "../references.ts";
import {
  type ChartInput,
  distinct,
  missing,
  type NotDrawn,
  noCodecBench,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";
import { chart, type Layout, labelsWidth, panelColumns, panelWidth } from "./layout.ts";

/**
 * Encoded size as % of page bytes, and the share of pages that overflowed (sent raw), per codec
 * per page kind, with the Aug 2011 table's sizes (SPARSE, MEDIUM) as diamonds on the same bars.
 */

export const ENCODED = "encoded size (% of page bytes)";
export const OVERFLOW = "overflowed (% of pages)";

export interface CompressionKindRow {
  readonly codec: string;
  readonly kind: string;
  readonly measure: typeof ENCODED | typeof OVERFLOW;
  readonly percent: number;
  readonly source: string;
}

export function compressionKindRows(input: ChartInput): CompressionKindRow[] {
  const bench = input.codecBench ?? [];
  const rows: CompressionKindRow[] = [];
  for (const r of bench) {
    if (r.codec === "memcpy") continue;
    if (Number.isFinite(r.encodedPercent))
      rows.push({
        codec: r.codec,
        kind: r.kind,
        measure: ENCODED,
        percent: round(r.encodedPercent),
        source: MIGBENCH,
      });
    if (Number.isFinite(r.overflowPercent))
      rows.push({
        codec: r.codec,
        kind: r.kind,
        measure: OVERFLOW,
        percent: round(r.overflowPercent),
        source: MIGBENCH,
      });
  }
  const have = new Set(bench.map((r) => `${r.codec}|${r.kind}`));
  for (const p of PUBLISHED_2011)
    if (have.has(`${p.codec}|${p.kind}`))
      rows.push({
        codec: p.codec,
        kind: p.kind,
        measure: ENCODED,
        percent: p.encodedPercent,
        source: REFERENCE_2011,
      });
  return rows;
}

export function compressionKindNotDrawn(
  rows: readonly CompressionKindRow[],
  input: ChartInput,
): NotDrawn | null {
  if (rows.some((r) => r.source === MIGBENCH)) return null;
  return input.codecBench ? missing("the codec benchmark has no sizes") : noCodecBench(input.dir);
}
/** migbench's bars (size green, overflow red) with their values printed beside them. */
function measuredLayers(
  x: object,
  y: object,
  yOffset: object,
  measures: readonly string[],
  layout: Layout,
): VegaLiteSpec[] {
  return [
    {
      transform: [{ filter: { field: "source", equal: MIGBENCH } }],
      mark: { type: "bar" },
      encoding: {
        x,
        y,
        yOffset,
        color: {
          field: "measure",
          type: "nominal",
          sort: measures,
          scale: { domain: measures, range: ["#54a24b", "#e45756"] },
          title: "migbench",
          // On paper "encoded size", "overflowed": the caption gives the units.
          ...(layout.medium === "paper"
            ? { legend: { labelExpr: "split(datum.label, ' (')[0]" } }
            : {}),
        },
        tooltip: [
          { field: "codec" },
          { field: "kind" },
          { field: "measure" },
          { field: "percent" },
        ],
      },
    },
    {
      transform: [
        { filter: { field: "source", equal: MIGBENCH } },
        { filter: "datum.percent > 0" },
      ],
      mark: { type: "text", align: "left", dx: 3, fontSize: layout.markFontSize, color: "#333" },
      encoding: { x, y, yOffset, text: { field: "percent", type: "quantitative", format: ".3~r" } },
    },
  ];
}

/** The 2011 table's sizes: black diamonds on the bar of the same codec and kind. */
function referenceLayer(x: object, y: object, yOffset: object, paper: boolean): VegaLiteSpec {
  return {
    transform: [{ filter: { field: "source", equal: REFERENCE_2011 } }],
    mark: { type: "point", filled: true, color: "black", size: 70, opacity: 1 },
    encoding: {
      x,
      y,
      yOffset,
      shape: {
        field: "source",
        type: "nominal",
        scale: { domain: [REFERENCE_2011], range: ["diamond"] },
        title: "published (encoded size)",
        // On paper the caption names them: one legend fits a column.
        ...(paper ? { legend: null } : {}),
      },
    },
  };
}

export function compressionByKindSpec(
  rows: readonly CompressionKindRow[],
  input: ChartInput,
): VegaLiteSpec {
  const layout = input.layout;
  const kinds = distinct(rows.map((r) => r.kind));
  const codecs = sortCodecs(rows.filter((r) => r.source === MIGBENCH).map((r) => r.codec));
  const measures = [ENCODED, OVERFLOW];
  // symlog: 0.5 %, 5 % and 100 % all stay readable, and 0 (an unchanged page) stays at 0.
  const x = {
    field: "percent",
    type: "quantitative",
    title: layout.medium === "paper" ? "%" : "% (symmetric log scale)",
    // Room right of 100 % for the value printed beside a full bar.
    scale: { type: "symlog", constant: 1, domain: [0, layout.medium === "paper" ? 400 : 160] },
    axis: { grid: true, values: [0, 1, 2, 5, 10, 20, 50, 100] },
  };
  const y = {
    field: "codec",
    type: "nominal",
    sort: codecs,
    title: null,
    scale: { domain: codecs },
  };
  const yOffset = {
    field: "measure",
    type: "nominal",
    sort: measures,
    scale: { domain: measures },
  };
  const layer = measuredLayers(x, y, yOffset, measures, layout);
  if (rows.some((r) => r.source === REFERENCE_2011))
    layer.push(referenceLayer(x, y, yOffset, layout.medium === "paper"));
  const columns = panelColumns(layout, kinds.length, 4);
  const width = panelWidth(layout, columns, 250, labelsWidth(layout, codecs) + 10);
  return chart(
    layout,
    "Compression per page kind",
    [
      "Green: encoded size as % of the 4096 page bytes (wire record included); red: % of pages that overflowed and went raw.",
      "Labels: the value in %.",
      "Diamonds: the Aug 2011 qemu-devel table's sizes for the same scenario (SPARSE = sparse, MEDIUM = medium).",
    ],
    {
      data: { values: rows },
      facet: { field: "kind", type: "nominal", sort: kinds, title: null },
      columns,
      spec: {
        width,
        height: { step: layout.medium === "paper" ? layout.fontSize + 2 : 18 },
        layer,
      },
    },
    "bottom",
  );
}
