import { round } from "../../lib/format.ts";
import {
  MIGBENCH,
  PUBLISHED_2011,
  PUBLISHED_2011_UNMATCHED,
  REFERENCE_2011,
} from "../references.ts";
import {
  type ChartInput,
  distinct,
  missing,
  type NotDrawn,
  noCodecBench,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";
import { chart, labelsWidth, panelColumns, panelWidth } from "./layout.ts";

/**
 * Encode and decode GB/s (of page input) per codec, one panel per page kind, log scale. The
 * memcpy row is a dashed rule (the memory ceiling); the Aug 2011 qemu-devel table's encode
 * speeds are black diamonds on the encode bar of the same codec and kind.
 */

export const MEMCPY_BASELINE = "memcpy (memory bandwidth)";

export interface BandwidthRow {
  readonly codec: string;
  readonly kind: string;
  readonly direction: "encode" | "decode";
  readonly gbps: number;
  readonly source: string;
}

export function bandwidthRows(input: ChartInput): BandwidthRow[] {
  const bench = input.codecBench ?? [];
  const rows: BandwidthRow[] = [];
  for (const r of bench) {
    const source = r.codec === "memcpy" ? MEMCPY_BASELINE : MIGBENCH;
    if (r.encodeGBps > 0)
      rows.push({
        codec: r.codec,
        kind: r.kind,
        direction: "encode",
        gbps: round(r.encodeGBps),
        source,
      });
    if (r.decodeGBps > 0 && source === MIGBENCH)
      rows.push({
        codec: r.codec,
        kind: r.kind,
        direction: "decode",
        gbps: round(r.decodeGBps),
        source,
      });
  }
  const have = new Set(bench.map((r) => `${r.codec}|${r.kind}`));
  for (const p of PUBLISHED_2011)
    if (have.has(`${p.codec}|${p.kind}`))
      rows.push({
        codec: p.codec,
        kind: p.kind,
        direction: "encode",
        gbps: p.encodeMBps / 1000,
        source: REFERENCE_2011,
      });
  return rows;
}

export function bandwidthNotDrawn(
  rows: readonly BandwidthRow[],
  input: ChartInput,
): NotDrawn | null {
  if (rows.some((r) => r.source === MIGBENCH)) return null;
  return input.codecBench
    ? missing("the codec benchmark has no GB/s figures")
    : noCodecBench(input.dir);
}
function decades(low: number, high: number): number[] {
  const values: number[] = [];
  for (let v = low; v <= high * 1.0001; v *= 10) values.push(Number(v.toPrecision(1)));
  return values;
}

/** memcpy of the same pages: a dashed rule across the panel, the memory ceiling. */
/** On paper the caption names the baseline and the published figures: one legend fits a column. */
function memcpyLayer(x: object, paper: boolean): VegaLiteSpec {
  return {
    transform: [
      { filter: { field: "source", equal: MEMCPY_BASELINE } },
      { calculate: "datum.source", as: "baseline" },
    ],
    mark: { type: "rule", color: "#555", strokeWidth: 1.5 },
    encoding: {
      x,
      strokeDash: {
        field: "baseline",
        type: "nominal",
        scale: { domain: [MEMCPY_BASELINE], range: [[5, 3]] },
        title: "baseline",
        ...(paper ? { legend: null } : {}),
      },
    },
  };
}

/** The 2011 table's encode speeds: black diamonds on the encode bar of the same codec. */
function referenceLayer(x: object, y: object, paper: boolean): VegaLiteSpec {
  return {
    transform: [{ filter: { field: "source", equal: REFERENCE_2011 } }],
    mark: { type: "point", filled: true, color: "black", size: 70, opacity: 1 },
    encoding: {
      x,
      y,
      yOffset: { field: "direction", type: "nominal", sort: ["encode", "decode"] },
      shape: {
        field: "source",
        type: "nominal",
        scale: { domain: [REFERENCE_2011], range: ["diamond"] },
        title: "published (encode)",
        ...(paper ? { legend: null } : {}),
      },
    },
  };
}

/** The caption: what the bars, the dashed line and the diamonds are. */
function caption(hasMemcpy: boolean, hasReference: boolean): string[] {
  return [
    "Bars: migbench's bench:codecs on this machine (encode / decode, per page pair).",
    hasMemcpy ? "Dashed line: memcpy of the same pages, the memory ceiling." : "",
    hasReference
      ? `Diamonds: encode speed in the Aug 2011 qemu-devel table (SPARSE, MEDIUM; 2011 hardware; no migbench codec for ${PUBLISHED_2011_UNMATCHED.join(", ")}).`
      : "",
  ].filter(Boolean);
}

export function codecBandwidthSpec(rows: readonly BandwidthRow[], input: ChartInput): VegaLiteSpec {
  const layout = input.layout;
  const kinds = distinct(rows.map((r) => r.kind));
  const codecs = sortCodecs(rows.filter((r) => r.source === MIGBENCH).map((r) => r.codec));
  const hasReference = rows.some((r) => r.source === REFERENCE_2011);
  const hasMemcpy = rows.some((r) => r.source === MEMCPY_BASELINE);
  // Whole decades around the data: a log axis needs a positive start, and bars grow from it.
  const values = rows.map((r) => r.gbps).filter((v) => v > 0);
  const domain = [
    10 ** Math.floor(Math.log10(Math.min(...values))),
    10 ** Math.ceil(Math.log10(Math.max(...values))),
  ];
  const x = {
    field: "gbps",
    type: "quantitative",
    scale: { type: "log", domain },
    title: layout.medium === "paper" ? "GB/s" : "GB/s of page input (log scale)",
    stack: null,
    axis: { grid: true, values: decades(domain[0], domain[1]) },
  };
  const y = {
    field: "codec",
    type: "nominal",
    sort: codecs,
    title: null,
    scale: { domain: codecs },
  };
  const layer: VegaLiteSpec[] = [
    {
      transform: [{ filter: { field: "source", equal: MIGBENCH } }],
      mark: { type: "bar" },
      encoding: {
        x,
        x2: { datum: domain[0] },
        y,
        yOffset: { field: "direction", type: "nominal", sort: ["encode", "decode"] },
        color: {
          field: "direction",
          type: "nominal",
          sort: ["encode", "decode"],
          scale: { domain: ["encode", "decode"], range: ["#4c78a8", "#f58518"] },
          title: "migbench",
        },
        tooltip: [
          { field: "codec" },
          { field: "kind" },
          { field: "direction" },
          { field: "gbps", title: "GB/s" },
        ],
      },
    },
  ];
  const paper = layout.medium === "paper";
  if (hasMemcpy) layer.push(memcpyLayer(x, paper));
  if (hasReference) layer.push(referenceLayer(x, y, paper));
  const notes = caption(hasMemcpy, hasReference);
  const columns = panelColumns(layout, kinds.length, 4);
  const width = panelWidth(layout, columns, 250, labelsWidth(layout, codecs) + 10);
  return chart(
    layout,
    "Codec bandwidth per page kind",
    notes,
    {
      data: { values: rows },
      facet: { field: "kind", type: "nominal", sort: kinds, title: null },
      columns,
      spec: {
        width,
        height: { step: layout.medium === "paper" ? layout.fontSize + 1 : 16 },
        layer,
      },
      resolve: { scale: { x: "shared" } },
    },
    "bottom",
  );
}
