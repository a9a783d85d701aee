import type { CellRow, PassRow } from "../../results/records.ts";
import type { CodecBenchRow } from "../data.ts";
import { CHART_FONT } from "../font-metrics.ts";

/**
 * What every chart shares: what it is drawn from, the font resvg draws with (DejaVu Sans,
 * shipped by npm), sizes that stay readable when a PNG is shrunk into a paper's column, and a
 * fixed codec order and colour so one codec looks the same in every chart of a report.
 */

/** What a chart is drawn from: the run's files and this report's options. */
export interface ChartInput {
  readonly cells: readonly CellRow[];
  readonly passes: readonly PassRow[];
  readonly codecBench: readonly CodecBenchRow[] | null;
  /** passes.csv cell index for the timeline (default: the cell closest to QEMU's defaults). */
  readonly cell?: number;
}

/** A Vega-Lite spec as plain JSON (the builders return data, not library objects). */
export type VegaLiteSpec = Record<string, unknown>;

export const NO_CODEC_BENCH =
  "no codec benchmark in this run: run `npm run bench:codecs -- --json RUN/codec-bench.json`, or pass --codec-bench FILE";

/** Why a chart of the simulated cells has nothing to draw, when none ran. */
export function noCells(cells: readonly CellRow[]): string {
  return cells.length === 0
    ? "results.csv has no cells"
    : `all ${cells.length} cells failed (see the failed cells table)`;
}

/** The cells that ran (failed cells are listed in the report, never drawn). */
export function cellsThatRan(cells: readonly CellRow[]): CellRow[] {
  return cells.filter((c) => c.status !== "failed");
}

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

export const CHART_CONFIG = {
  font: CHART_FONT,
  background: "white",
  padding: 10,
  view: { stroke: "#d0d0d0" },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "bold", labelLimit: 220 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320, symbolStrokeWidth: 2 },
  header: { labelFontSize: 12, titleFontSize: 12, labelFontWeight: "bold", labelLimit: 400 },
  title: { fontSize: 15, subtitleFontSize: 12, anchor: "start", subtitleColor: "#444", offset: 12 },
} as const;

/** The codecs in the order users read them: baselines first, then delta codecs, then general compressors. */
const CODEC_ORDER = [
  "memcpy",
  "raw",
  "zero",
  "xbrle-2010",
  "xbrle",
  "xbzrle",
  "lz4",
  "zstd",
  "deflate",
  "xor+lz4",
  "xor+zstd",
  "xor+deflate",
];

export function sortCodecs(codecs: Iterable<string>): string[] {
  const rank = (codec: string) => {
    const at = CODEC_ORDER.indexOf(codec);
    return at < 0 ? CODEC_ORDER.length : at;
  };
  return [...new Set(codecs)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Tableau 10, assigned in CODEC_ORDER so a codec keeps its colour across charts and runs. */
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#54a24b",
  "#e45756",
  "#72b7b2",
  "#b279a2",
  "#eeca3b",
  "#9d755d",
  "#ff9da6",
  "#bab0ac",
];

export function codecColorScale(codecs: readonly string[]) {
  const domain = sortCodecs(codecs);
  const range = domain.map((codec) => {
    const at = CODEC_ORDER.indexOf(codec);
    const fixed = at > 0 ? at - 1 : -1; // memcpy is never coloured as a codec series
    return PALETTE[
      (fixed >= 0 ? fixed : CODEC_ORDER.length + domain.indexOf(codec)) % PALETTE.length
    ];
  });
  return { domain, range };
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Values of `field` sorted by a numeric companion field (e.g. labels sorted by bytes). */
export function sortedBy<R>(rows: readonly R[], label: (r: R) => string, key: (r: R) => number) {
  const seen = new Map<string, number>();
  for (const row of rows) if (!seen.has(label(row))) seen.set(label(row), key(row));
  return [...seen.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
}

export function chart(
  title: string,
  subtitle: string | string[],
  body: VegaLiteSpec,
  legendOrient: "right" | "bottom" = "right",
): VegaLiteSpec {
  const config =
    legendOrient === "right"
      ? CHART_CONFIG
      : {
          ...CHART_CONFIG,
          legend: { ...CHART_CONFIG.legend, orient: legendOrient, direction: "vertical" },
        };
  return { $schema: VEGA_LITE_SCHEMA, title: { text: title, subtitle }, config, ...body };
}

/**
 * Wrap a layered view in a facet over `panel` when the rows span more than one panel (the
 * settings a sweep varied besides the chart's own axes); otherwise return it unfaceted.
 */
export function facetPanels(
  rows: readonly { panel: string }[],
  view: VegaLiteSpec,
  columns: number,
  extra: VegaLiteSpec = {},
): VegaLiteSpec {
  const panels = distinct(rows.map((r) => r.panel));
  if (panels.length <= 1) return { data: { values: rows }, ...view, ...extra };
  return {
    data: { values: rows },
    facet: { field: "panel", type: "nominal", sort: panels, title: null },
    // Four panels read better as 2 × 2 than as 3 + 1.
    columns: panels.length === 4 ? 2 : Math.min(columns, panels.length),
    spec: view,
    ...extra,
  };
}
