import {
  DOWNTIME_SCALE_RULE,
  dodgeExpression,
  log2Axis,
  SYMLOG_MS,
  symlogAxis,
  tickLabel,
} from "./axes.ts";
import {
  type ChartInput,
  cellsThatRan,
  codecEncoding,
  distinct,
  facetPanels,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";
import { DID_NOT_CONVERGE, SOME_SEEDS, type SweepAxis, type SweepPoint } from "./downtime.ts";
import {
  chart,
  labelsWidth,
  panelColumns,
  panelHeight,
  panelWidth,
  yAxisReserve,
} from "./layout.ts";

/**
 * Simulated downtime per codec against bandwidth or cache size (or per codec, when the run has
 * one of each). Measured downtime is drawn on a symmetric log scale (reports/charts/axes.ts)
 * beside QEMU's downtime-limit as a dashed line; a setting where a codec did not converge is a
 * triangle in a grey band above the plot (named in the legend), where no value can be read off
 * the y axis.
 */

/** The x axis' title; on paper short enough for a narrow panel (the caption names the scale). */
function axisTitle(axis: SweepAxis, paper: boolean): string {
  if (axis === "bandwidth_bytes_per_s")
    return paper ? "bandwidth (MiB/s)" : "max-bandwidth (MiB/s, log scale)";
  return paper ? "cache size (MiB)" : "cache size (MiB, log scale)";
}

/** The band's legend entry: what a triangle in it means. */
const BAND = "did not converge (▲ in this band)";

/** The x channel: the swept setting on a log₂ axis (codecs a few px apart), or the codec. */
function xChannel(rows: readonly SweepPoint[], axis: SweepAxis, width: number, input: ChartInput) {
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const xs = distinct(rows.map((r) => r.xMiB));
  if (xs.length <= 1) {
    const tilt = labelsWidth(input.layout, codecs) + 6 > width / codecs.length;
    return {
      transform: [],
      x: {
        field: "codec",
        type: "nominal",
        sort: codecs,
        title: null,
        scale: { type: "band", domain: codecs, paddingInner: 0.3, paddingOuter: 0.2 },
        axis: {
          labelAngle: tilt ? -35 : 0,
          labelOverlap: false,
          labelAlign: tilt ? "right" : "center",
        },
      },
    };
  }
  const step = input.layout.medium === "paper" ? 4 : 7;
  // Room for the outermost codec's dodge and half a marker beyond it.
  const log = log2Axis(xs, width, input.layout, ((codecs.length - 1) / 2) * step + 8);
  return {
    transform: [
      { calculate: dodgeExpression("xMiB", codecs, step, log.pxPerOctave), as: "xDrawn" },
    ],
    x: {
      field: "xDrawn",
      type: "quantitative",
      scale: log.scale,
      title: axisTitle(axis, input.layout.medium === "paper"),
      axis: { values: log.values, labelExpr: "format(datum.value, '~r')", grid: true },
    },
  };
}

/** Triangles in the DNC band: filled where every seed stopped, hollow where some did. */
function notConvergedLayers(
  x: object,
  band: number,
  colour: object,
  paper: boolean,
): VegaLiteSpec[] {
  const at = { value: (band - 3) / 2 };
  const triangle = (outcome: string, filled: boolean): VegaLiteSpec => ({
    transform: [{ filter: { field: "outcome", equal: outcome } }],
    mark: { type: "point", shape: "triangle-up", filled, size: 55, opacity: 1, strokeWidth: 1.5 },
    encoding: {
      x,
      y: at,
      color: colour,
      tooltip: [
        { field: "codec" },
        { field: "x", title: "setting" },
        { field: "notConverged", title: "seeds that did not converge" },
        { field: "seeds" },
      ],
    },
  });
  return [
    {
      mark: { type: "rect" },
      encoding: {
        x: { value: 0 },
        x2: { value: "width" },
        y: { value: 0 },
        y2: { value: band - 3 },
        fill: {
          datum: BAND,
          type: "nominal",
          scale: { domain: [BAND], range: ["#e3e3e3"] },
          title: null,
          // On paper the caption says it; a second legend would not fit a column.
          legend: paper ? null : { symbolType: "square" },
        },
      },
    },
    triangle(DID_NOT_CONVERGE, true),
    triangle(SOME_SEEDS, false),
  ];
}

/** QEMU's downtime-limit of the panel: a dashed line, labelled at its right end. */
function limitLayers(y: object, fontSize: number): VegaLiteSpec[] {
  const once = { aggregate: [{ op: "count", as: "n" }], groupby: ["limitMs", "limitLabel"] };
  const yLimit = { ...y, field: "limitMs" };
  return [
    {
      transform: [once],
      mark: { type: "rule", color: "#555", strokeDash: [5, 3], strokeWidth: 1.2 },
      encoding: { y: yLimit },
    },
    {
      transform: [once],
      mark: {
        type: "text",
        align: "right",
        baseline: "top",
        dx: -2,
        dy: 2,
        fontSize,
        color: "#555",
      },
      encoding: { x: { value: "width" }, y: yLimit, text: { field: "limitLabel" } },
    },
  ];
}

function caption(rows: readonly SweepPoint[], input: ChartInput, swept: boolean): string[] {
  const seeds = Math.max(1, ...rows.map((r) => r.seeds));
  const failed = input.cells.length - cellsThatRan(input.cells).length;
  const anyCompleted = rows.some((r) => r.mean !== null);
  return [
    "Lower is better. Dashed line: the downtime limit (QEMU's downtime-limit).",
    rows.some((r) => r.notConverged > 0)
      ? `Grey band: ▲ the codec did not converge at that setting${seeds > 1 ? "; △ some seeds did not (the point below is the mean of those that completed)" : ""}.`
      : "",
    anyCompleted
      ? `${DOWNTIME_SCALE_RULE}.`
      : "No setting completed, so there is no downtime to plot.",
    seeds > 1
      ? `Points: mean over the seeds that completed; bars: 95 % t-interval (Student's t, n − 1 df; up to ${seeds} seeds), clipped at 0 ms.`
      : "One seed per setting: no interval.",
    swept ? "x: log scale; codecs measured at the same setting are drawn a few pixels apart." : "",
    failed > 0 ? `${failed} failed cell(s) are not drawn; they are listed in the report.` : "",
  ].filter(Boolean);
}

export function downtimeSpec(
  rows: readonly SweepPoint[],
  axis: SweepAxis,
  input: ChartInput,
): VegaLiteSpec {
  const layout = input.layout;
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const swept = distinct(rows.map((r) => r.xMiB)).length > 1;
  const panels = distinct(rows.map((r) => r.panel)).length;
  const columns = panelColumns(layout, panels);
  const top = Math.max(...rows.flatMap((r) => [r.high ?? 0, r.mean ?? 0, r.limitMs]), SYMLOG_MS);
  const band = rows.some((r) => r.notConverged > 0) ? layout.fontSize + 9 : 0;
  // The y labels decide the reserve, the width decides the x ticks: lay out on a first guess.
  const guess = symlogAxis(top, SYMLOG_MS, 200, layout);
  const reserve = yAxisReserve(layout, guess.values.map(tickLabel));
  const width = panelWidth(
    layout,
    columns,
    swept ? 280 : Math.max(200, codecs.length * 48),
    reserve,
  );
  const height = panelHeight(layout, width, 230);
  const yAxis = symlogAxis(top, SYMLOG_MS, height, layout, band);
  const { transform, x } = xChannel(rows, axis, width, input);
  const y = {
    field: "mean",
    type: "quantitative",
    scale: yAxis.scale,
    title: "downtime (ms)",
    axis: { values: yAxis.values, labelExpr: "format(datum.value, '~r')", grid: true },
  };
  const { color, shape } = codecEncoding(codecs);
  const measured = { filter: "datum.mean != null" };
  const layer: VegaLiteSpec[] = [...limitLayers(y, layout.markFontSize)];
  if (rows.some((r) => r.completed > 1))
    layer.push({
      transform: [
        { filter: "datum.completed > 1" },
        { calculate: "max(datum.low, 0)", as: "lowClipped" },
      ],
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: { x, y: { ...y, field: "lowClipped" }, y2: { field: "high" }, color },
    });
  if (swept)
    layer.push({
      mark: { type: "line", strokeWidth: 1.2, opacity: 0.6, invalid: "break-paths-filter-domains" },
      encoding: { x, y, color, detail: { field: "codec" } },
    });
  layer.push({
    transform: [measured],
    mark: { type: "point", filled: true, size: layout.medium === "paper" ? 30 : 55, opacity: 1 },
    encoding: {
      x,
      y,
      color,
      shape,
      tooltip: [
        { field: "codec" },
        { field: "x", title: "setting" },
        { field: "mean", title: "downtime ms (mean)" },
        { field: "low", title: "95 % low" },
        { field: "high", title: "95 % high" },
        { field: "completed", title: "seeds completed" },
      ],
    },
  });
  if (band > 0) layer.push(...notConvergedLayers(x, band, color, layout.medium === "paper"));
  const title =
    swept || axis === "cache_size_bytes"
      ? `Downtime against ${axis === "bandwidth_bytes_per_s" ? "bandwidth" : "cache size"}`
      : `Downtime per codec at ${rows[0]?.x ?? ""}`;
  return chart(
    layout,
    title,
    caption(rows, input, swept),
    facetPanels(rows, { width, height, transform, layer }, layout),
  );
}
