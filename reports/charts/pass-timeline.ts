import { rateLabel, round, sizeLabel } from "../../lib/format.ts";
import type { CellRow, PassRow } from "../../results/records.ts";
import { SYMLOG_PAGES, symlogAxis, tickLabel } from "./axes.ts";
import { type ChartInput, missing, type NotDrawn, type VegaLiteSpec } from "./common.ts";
import { chart, labelsWidth, panelWidth, yAxisReserve } from "./layout.ts";

export const DIRTY = "dirty pages at the sync";
export const SENT = "pages sent";
export const THRESHOLD = "threshold (bytes ÷ 4096)";

export interface PassPoint {
  readonly pass: number;
  readonly series: typeof DIRTY | typeof SENT | typeof THRESHOLD;
  readonly pages: number;
  readonly phase: "iterative" | "stop-and-copy";
}

/**
 * The cell a timeline shows when none is asked for: the one closest to QEMU's defaults
 * (xbzrle, direct cache of 64 MiB, 128 MiB/s, qemu rule) that completed, lowest seed first.
 */
export function representativeCell(
  cells: readonly CellRow[],
  passes: readonly PassRow[],
): CellRow | null {
  const withPasses = new Set(passes.map((p) => p.cell));
  const candidates = cells.filter((c) => c.status !== "failed" && withPasses.has(c.cell));
  if (candidates.length === 0) return null;
  const distance = (c: CellRow) =>
    (c.codec === "xbzrle" ? 0 : c.codec === "xbrle" ? 1 : 2) * 100 +
    (c.status === "completed" ? 0 : 50) +
    (c.cacheModel === "direct" ? 0 : 5) +
    (c.convergenceRule === "qemu" ? 0 : 5) +
    Math.abs(Math.log2(c.cacheSizeBytes / (64 * 1024 ** 2))) +
    Math.abs(Math.log2(c.bandwidthBytesPerS / (128 * 1024 ** 2)));
  return [...candidates].sort(
    (a, b) => distance(a) - distance(b) || a.seed - b.seed || a.cell - b.cell,
  )[0];
}

/** The cell the timeline shows (--cell, or the representative one), or why there is none. */
function timelineCell(input: ChartInput): CellRow | string {
  if (input.passes.length === 0) return "passes.csv is missing or has no passes";
  if (input.cell === undefined)
    return (
      representativeCell(input.cells, input.passes) ?? "no cell that ran has passes in passes.csv"
    );
  const cell = input.cells.find((c) => c.cell === input.cell);
  if (!cell) return `--cell ${input.cell}: results.csv has no such cell`;
  if (cell.status === "failed") return `--cell ${cell.cell} failed: it has no passes`;
  return cell;
}

export function passTimelineRows(input: ChartInput): PassPoint[] {
  const cell = timelineCell(input);
  if (typeof cell === "string") return [];
  return input.passes
    .filter((p) => p.cell === cell.cell)
    .sort((a, b) => a.pass - b.pass)
    .flatMap((p) => {
      const phase = p.stopAndCopy ? ("stop-and-copy" as const) : ("iterative" as const);
      return [
        { pass: p.pass, series: DIRTY, pages: p.dirtyPages, phase },
        { pass: p.pass, series: SENT, pages: p.pagesSent, phase },
        { pass: p.pass, series: THRESHOLD, pages: round(p.thresholdBytes / 4096), phase },
      ];
    });
}

export function passTimelineNotDrawn(
  rows: readonly PassPoint[],
  input: ChartInput,
): NotDrawn | null {
  const cell = timelineCell(input);
  if (typeof cell === "string") return missing(cell);
  return rows.length > 0 ? null : missing(`cell ${cell.cell} has no rows in passes.csv`);
}

/** "cell 6 (sap-like · xbzrle · direct 64 MiB cache · cap 128 MiB/s · seed 1)" */
export function timelineSubject(input: ChartInput): string {
  const cell = timelineCell(input);
  if (typeof cell === "string") return cell;
  const settings = [
    cell.workload,
    cell.codec,
    `${cell.cacheModel} ${sizeLabel(cell.cacheSizeBytes)} cache`,
    `cap ${rateLabel(cell.bandwidthBytesPerS)}`,
    `seed ${cell.seed}`,
  ];
  return `cell ${cell.cell} (${settings.join(" · ")})`;
}

const DIRTY_ITERATIVE = "dirty pages (VM running)";
const DIRTY_STOP = "dirty pages (VM stopped)";

/**
 * One cell, pass by pass: pages dirty at each sync (bars), pages sent in the pass (line) and
 * the threshold (measured bandwidth × downtime limit, in pages; dashed) that the pending pages
 * must fall below before QEMU stops the VM (migration/ram.c ram_save_pending,
 * migration/migration.c migration_iteration_run). Pages are on a symmetric log scale: a pass
 * can find 0 pages dirty or send 0, and a log axis has no place for 0.
 */
export function passTimelineSpec(rows: readonly PassPoint[], input: ChartInput): VegaLiteSpec {
  const layout = input.layout;
  const cellTitle = timelineSubject(input);
  const passCount = new Set(rows.map((r) => r.pass)).size;
  const lastPass = Math.max(...rows.map((r) => r.pass));
  const top = Math.max(...rows.map((r) => r.pages), 1);
  const legend = [DIRTY_ITERATIVE, DIRTY_STOP, SENT, THRESHOLD];
  const guess = symlogAxis(top, SYMLOG_PAGES, 200, layout);
  const width = panelWidth(
    layout,
    1,
    Math.min(900, Math.max(420, passCount * 28)),
    yAxisReserve(layout, guess.values.map(pagesLabel)),
  );
  const height = layout.medium === "paper" ? Math.round(Math.max(100, width * 0.45)) : 260;
  const yAxis = symlogAxis(top, SYMLOG_PAGES, height, layout);
  const x = {
    field: "pass",
    type: "quantitative",
    title:
      layout.medium === "paper"
        ? "pass (1 = bulk pass)"
        : "pass (1 = bulk pass; each starts with a dirty-bitmap sync)",
    scale: { domain: [0.5, lastPass + 0.5], nice: false, zero: false },
    axis: { format: "d", tickMinStep: 1, grid: false },
  };
  const y = {
    field: "pages",
    type: "quantitative",
    scale: yAxis.scale,
    title: "pages",
    axis: { grid: true, values: yAxis.values, labelExpr: "format(datum.value, ',~r')" },
    stack: null,
  };
  const color = {
    field: "label",
    type: "nominal",
    sort: legend,
    scale: { domain: legend, range: ["#f2a8a8", "#c0392b", "#4c78a8", "#555555"] },
    title: null,
    // On paper the legend goes below the plot: as many columns of these long labels as fit.
    legend:
      layout.medium === "paper"
        ? { columns: Math.max(1, Math.floor(width / (labelsWidth(layout, legend) + 30))) }
        : {},
  };
  return chart(
    layout,
    `Passes of one cell: ${cellTitle}`,
    [
      "Bars: pages dirty at the dirty-bitmap sync that starts each pass; line: pages sent in the pass.",
      "The VM stops once the pending dirty pages (counted uncompressed) fall below the threshold;",
      "the last pass is the stop-and-copy (dark bar), whose transfer is the downtime.",
      "y: symmetric log scale (linear below 1 page), so a pass with 0 pages sits at the bottom.",
    ],
    {
      data: { values: rows },
      transform: [
        {
          calculate: `datum.series === '${DIRTY}' ? (datum.phase === 'stop-and-copy' ? '${DIRTY_STOP}' : '${DIRTY_ITERATIVE}') : datum.series`,
          as: "label",
        },
        { calculate: "datum.pass - 0.35", as: "passStart" },
        { calculate: "datum.pass + 0.35", as: "passEnd" },
      ],
      width,
      height,
      layer: timelineLayers(x, y, color, passCount),
    },
  );
}

/** Dirty pages as bars from 0, pages sent as a line (with points while they stay apart), the threshold dashed. */
function timelineLayers(x: object, y: object, color: object, passCount: number): VegaLiteSpec[] {
  const tooltip = [{ field: "pass" }, { field: "series" }, { field: "pages" }, { field: "phase" }];
  const only = (series: string) => [{ filter: { field: "series", equal: series } }];
  return [
    {
      transform: only(DIRTY),
      mark: { type: "rect" },
      encoding: {
        x: { ...x, field: "passStart" },
        x2: { field: "passEnd" },
        y,
        y2: { datum: 0 },
        color,
        tooltip,
      },
    },
    {
      transform: only(SENT),
      mark: { type: "line", strokeWidth: 2, point: false },
      encoding: { x, y, color, tooltip },
    },
    ...(passCount <= 60
      ? [
          {
            transform: only(SENT),
            mark: { type: "point", filled: true, size: 20, opacity: 1 },
            encoding: { x, y, color, tooltip },
          },
        ]
      : []),
    {
      transform: only(THRESHOLD),
      mark: { type: "line", strokeWidth: 2, strokeDash: [6, 4] },
      encoding: { x, y, color, tooltip },
    },
  ];
}

/** A page-count tick: 0, 10, 1,000, 100,000. */
function pagesLabel(value: number): string {
  return value >= 1000 ? value.toLocaleString("en-US") : tickLabel(value);
}
