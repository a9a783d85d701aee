import type { CellRow, PassRow } from "../../results/records.ts";
import type { CodecBenchRow } from "../data.ts";
import { type Layout, panelColumns } from "./layout.ts";

/**
 * What every chart shares: what it is drawn from, why it may not be drawn, and a fixed codec
 * order, colour and point shape, so one codec looks the same in every chart of a report and in
 * every paper figure, in colour and in grey.
 */

/** What a chart is drawn from: the run's files and this drawing's options. */
export interface ChartInput {
  /** The run directory, as the user named it (commands in the report use it). */
  readonly dir: string;
  readonly cells: readonly CellRow[];
  readonly passes: readonly PassRow[];
  readonly codecBench: readonly CodecBenchRow[] | null;
  /** passes.csv cell index for the timeline (default: the cell closest to QEMU's defaults). */
  readonly cell?: number;
  readonly layout: Layout;
}

/** A Vega-Lite spec as plain JSON (the builders return data, not library objects). */
export type VegaLiteSpec = Record<string, unknown>;

/**
 * Why a chart is not drawn. A chart the run was not made for (it has no codec benchmark, it
 * swept no bandwidth) is "not-in-run": the report names it once, where such charts come from,
 * and nothing is printed. A chart whose data the run should have but lacks (every cell failed,
 * passes.csv is missing, --cell names no cell) is "missing": the report shows the reason in
 * its place and the command prints it.
 */
export interface NotDrawn {
  readonly kind: "not-in-run" | "missing";
  readonly reason: string;
}

export function notInRun(reason: string): NotDrawn {
  return { kind: "not-in-run", reason };
}

export function missing(reason: string): NotDrawn {
  return { kind: "missing", reason };
}

/** A path as a shell word: as it is when that is safe, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w./+:@%=-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** The codec benchmark charts' source, with the commands that make it for this run. */
export function noCodecBench(dir: string): NotDrawn {
  const json = shellWord(`${dir.replace(/\/+$/, "")}/codec-bench.json`);
  return notInRun(
    `they come from a codec benchmark, which \`npm run bench\` does not run: \`npm run bench:codecs -- --json ${json}\`, then \`npm run report -- ${shellWord(dir)}\``,
  );
}

/** Why a chart of the simulated cells has nothing to draw, when none ran. */
export function noCells(cells: readonly CellRow[]): NotDrawn {
  return missing(
    cells.length === 0
      ? "results.csv has no cells"
      : `all ${cells.length} cells failed (see the failed cells table)`,
  );
}

/** The cells that ran (failed cells are listed in the report, never drawn). */
export function cellsThatRan(cells: readonly CellRow[]): CellRow[] {
  return cells.filter((c) => c.status !== "failed");
}

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

/**
 * Point shapes in the same order, so codecs stay apart in grey print too. triangle-up is kept
 * for "did not converge".
 */
const SHAPES = [
  "circle",
  "square",
  "diamond",
  "triangle-down",
  "cross",
  "triangle-right",
  "triangle-left",
  "wedge",
];

/** A codec's fixed slot: its place in CODEC_ORDER (memcpy is never a codec series). */
function codecSlot(codec: string, domain: readonly string[]): number {
  const at = CODEC_ORDER.indexOf(codec);
  return at > 0 ? at - 1 : CODEC_ORDER.length + domain.indexOf(codec);
}

export function codecColorScale(codecs: readonly string[]) {
  const domain = sortCodecs(codecs);
  return { domain, range: domain.map((c) => PALETTE[codecSlot(c, domain) % PALETTE.length]) };
}

function codecShapeScale(codecs: readonly string[]) {
  const domain = sortCodecs(codecs);
  return { domain, range: domain.map((c) => SHAPES[codecSlot(c, domain) % SHAPES.length]) };
}

/** Colour and shape by codec, one legend. */
export function codecEncoding(codecs: readonly string[]) {
  return {
    color: {
      field: "codec",
      type: "nominal",
      scale: codecColorScale(codecs),
      title: "codec",
      legend: { symbolOpacity: 1 },
    },
    shape: { field: "codec", type: "nominal", scale: codecShapeScale(codecs), title: "codec" },
  };
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/**
 * Wrap a layered view in a facet over `panel` when the rows span more than one panel (the
 * settings a sweep varied besides the chart's own axes); otherwise return it unfaceted. Panels
 * come in the rows' order (reports/seed-groups.ts sorts them by setting).
 */
export function facetPanels(
  rows: readonly { panel: string }[],
  view: VegaLiteSpec,
  layout: Layout,
  extra: VegaLiteSpec = {},
): VegaLiteSpec {
  const panels = distinct(rows.map((r) => r.panel));
  if (panels.length <= 1) return { data: { values: rows }, ...view, ...extra };
  return {
    data: { values: rows },
    facet: { field: "panel", type: "nominal", sort: panels, title: null },
    columns: panelColumns(layout, panels.length),
    spec: view,
    ...extra,
  };
}
