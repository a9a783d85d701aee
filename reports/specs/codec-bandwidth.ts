import { PUBLISHED_2011_UNMATCHED, REFERENCE_2011 } from "../references.ts";
import { type BandwidthRow, MEMCPY_BASELINE, MIGBENCH } from "../tidy.ts";
import { chart, distinct, sortCodecs, type VegaLiteSpec } from "./common.ts";

/**
 * Encode and decode GB/s (of page input) per codec, one panel per page kind, log scale. The
 * memcpy row is a dashed rule (the memory ceiling); the Aug 2011 qemu-devel table's encode
 * speeds are black diamonds on the encode bar of the same codec and kind.
 */
function decades(low: number, high: number): number[] {
  const values: number[] = [];
  for (let v = low; v <= high * 1.0001; v *= 10) values.push(Number(v.toPrecision(1)));
  return values;
}

export function codecBandwidthSpec(rows: readonly BandwidthRow[]): VegaLiteSpec {
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
    title: "GB/s of page input (log scale)",
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
  if (hasMemcpy)
    layer.push({
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
        },
      },
    });
  if (hasReference)
    layer.push({
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
        },
      },
    });
  const notes = [
    "Bars: migbench's bench:codecs on this machine (encode / decode, per page pair).",
    hasMemcpy ? "Dashed line: memcpy of the same pages, the memory ceiling." : "",
    hasReference
      ? `Diamonds: encode speed in the Aug 2011 qemu-devel table (SPARSE, MEDIUM; 2011 hardware; no migbench codec for ${PUBLISHED_2011_UNMATCHED.join(", ")}).`
      : "",
  ].filter(Boolean);
  return chart(
    "Codec bandwidth per page kind",
    notes,
    {
      data: { values: rows },
      facet: { field: "kind", type: "nominal", sort: kinds, title: null },
      columns: 4,
      spec: {
        width: 250,
        height: { step: 16 },
        layer,
      },
      resolve: { scale: { x: "shared" } },
    },
    "bottom",
  );
}
