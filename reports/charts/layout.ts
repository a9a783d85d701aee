import { CHART_FONT, textWidth } from "../font-metrics.ts";

/**
 * Where a chart is drawn decides its size and type: on screen (report.html and the PNGs) panels
 * have fixed, comfortable sizes; on paper (`npm run report -- DIR --paper`) the whole figure
 * must fit a column (3.3 in) or the page width (7 in) with text no smaller than 8 pt, so panel
 * sizes follow from the width. A paper figure is laid out in points (1 px of the SVG = 1 pt),
 * so a font size in px is its size in print.
 */

export interface Layout {
  readonly medium: "screen" | "paper";
  /** The width the figure may take, px (on paper: points). */
  readonly width: number;
  /** Axis labels, legend labels, panel headers. */
  readonly fontSize: number;
  /** Text drawn inside a plot (values on bars). */
  readonly markFontSize: number;
  /** Most panels side by side. */
  readonly maxColumns: number;
}

export const SCREEN: Layout = {
  medium: "screen",
  width: 1100,
  fontSize: 11,
  markFontSize: 10,
  maxColumns: 3,
};

/** The two print widths of a paper figure, in inches (a two-column paper's column and page). */
export const PAPER_SIZES = { column: 3.3, wide: 7 } as const;
export type PaperSize = keyof typeof PAPER_SIZES;

/** 8 pt is the smallest text most venues accept in figures (e.g. ACM's and IEEE's guides). */
export const PAPER_FONT_PT = 8;

export function paperLayout(size: PaperSize): Layout {
  return {
    medium: "paper",
    width: Math.floor(PAPER_SIZES[size] * 72),
    fontSize: PAPER_FONT_PT,
    markFontSize: PAPER_FONT_PT,
    maxColumns: size === "column" ? 2 : 4,
  };
}

/** Space between facet panels and between concatenated views, px. */
function spacing(layout: Layout): number {
  return layout.medium === "paper" ? 8 : 16;
}

/**
 * The Vega-Lite config every chart shares: the font resvg draws with (DejaVu Sans, shipped by
 * npm) and text sizes from the layout. Labels are never truncated (labelLimit 0 would hide
 * them, so the limits are wide) and overlapping axis labels are thinned, never drawn on top of
 * each other.
 */
function chartConfig(layout: Layout, legendOrient: "right" | "bottom") {
  const size = layout.fontSize;
  const paper = layout.medium === "paper";
  return {
    font: CHART_FONT,
    background: "white",
    padding: paper ? 2 : 10,
    view: { stroke: "#d0d0d0" },
    text: { fontSize: layout.markFontSize },
    facet: { spacing: spacing(layout) },
    concat: { spacing: spacing(layout) },
    axis: {
      labelFontSize: size,
      titleFontSize: size + (paper ? 0 : 1),
      titleFontWeight: paper ? "normal" : "bold",
      labelLimit: 400,
      labelOverlap: "greedy",
      labelSeparation: 4,
      titlePadding: paper ? 3 : 6,
    },
    legend: {
      labelFontSize: size,
      titleFontSize: size + (paper ? 0 : 1),
      titleFontWeight: paper ? "normal" : "bold",
      labelLimit: 600,
      symbolStrokeWidth: 2,
      orient: paper ? "bottom" : legendOrient,
      ...(paper || legendOrient === "bottom" ? { direction: "horizontal", columns: 0 } : {}),
      ...(paper ? { symbolSize: 50, rowPadding: 2, columnPadding: 6, padding: 0 } : {}),
    },
    header: {
      labelFontSize: size + (paper ? 0 : 1),
      titleFontSize: size + (paper ? 0 : 1),
      labelFontWeight: paper ? "normal" : "bold",
      labelLimit: 600,
      labelPadding: paper ? 2 : 6,
    },
    title: {
      fontSize: 15,
      subtitleFontSize: 12,
      anchor: "start",
      subtitleColor: "#444",
      offset: 12,
    },
  } as const;
}

/**
 * A top-level spec: on screen with its title and caption lines; on paper without (a paper's
 * caption says it, and `--paper` writes the caption beside the figure).
 */
export function chart(
  layout: Layout,
  title: string,
  caption: readonly string[],
  body: Record<string, unknown>,
  legendOrient: "right" | "bottom" = "right",
): Record<string, unknown> {
  const head = layout.medium === "paper" ? {} : { title: { text: title, subtitle: [...caption] } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...head,
    // The caption travels with the spec: --paper writes it beside the figure.
    description: caption.join(" "),
    config: chartConfig(layout, legendOrient),
    ...body,
  };
}

/** Width of the widest of `labels` at the layout's font size, px. */
export function labelsWidth(layout: Layout, labels: Iterable<string>): number {
  let widest = 0;
  for (const label of labels) widest = Math.max(widest, textWidth(label, layout.fontSize));
  return Math.ceil(widest);
}

/**
 * The width of one panel: on screen `preferred`; on paper what `columns` panels leave of the
 * layout's width after `reserved` px (the y axis's labels and title, a legend on the right).
 */
export function panelWidth(
  layout: Layout,
  columns: number,
  preferred: number,
  reserved: number,
): number {
  if (layout.medium === "screen") return preferred;
  const free = layout.width - reserved - (columns - 1) * spacing(layout) - 4;
  return Math.max(60, Math.floor(free / columns));
}

/** A panel's height: on screen `preferred`; on paper in proportion to its width. */
export function panelHeight(layout: Layout, width: number, preferred: number): number {
  if (layout.medium === "screen") return preferred;
  return Math.round(Math.min(preferred, Math.max(90, width * 0.62)));
}

/** Panels per row: as many as fit, up to the layout's maximum; four read better as 2 × 2. */
export function panelColumns(layout: Layout, panels: number, preferredMax = layout.maxColumns) {
  const most = Math.min(preferredMax, layout.maxColumns);
  if (panels === 4 && most >= 2) return 2;
  return Math.max(1, Math.min(most, panels));
}

/** Space for a y axis whose labels are `labels` and that has a title, px. */
export function yAxisReserve(layout: Layout, labels: Iterable<string>, titled = true): number {
  return labelsWidth(layout, labels) + 8 + (titled ? layout.fontSize + 6 : 0);
}
