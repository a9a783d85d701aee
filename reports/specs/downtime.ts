import type { SweepAxis, SweepPoint } from "../tidy.ts";
import {
  chart,
  codecColorScale,
  facetPanels,
  sortCodecs,
  sortedBy,
  type VegaLiteSpec,
} from "./common.ts";

const AXIS_TITLE: Record<SweepAxis, string> = {
  bandwidth_bytes_per_s: "max-bandwidth",
  cache_size_bytes: "cache size",
};

/**
 * Simulated downtime (ms, log scale) per codec against bandwidth or cache size. A setting at
 * which a codec did not converge is a triangle pinned to the top of the panel, labelled
 * "DNC" (with the share of seeds when there are several), never dropped. With several seeds:
 * the mean and a 95 % t-interval as error bars.
 */
export function downtimeSpec(
  rows: readonly SweepPoint[],
  axis: SweepAxis,
  options: { failedCells: number; seeds: number },
): VegaLiteSpec {
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const xs = sortedBy(
    rows,
    (r) => r.x,
    (r) => r.xValue,
  );
  const color = { field: "codec", type: "nominal", scale: codecColorScale(codecs), title: "codec" };
  const x = {
    field: "x",
    type: "ordinal",
    sort: xs,
    title: AXIS_TITLE[axis],
    scale: { type: "band", paddingInner: 0.25, paddingOuter: 0.1 },
    axis: { labelAngle: 0 },
  };
  const xOffset = { field: "codec", type: "nominal", sort: codecs, scale: { domain: codecs } };
  // With no completed setting there is no downtime to scale to: a fixed domain and a bare axis
  // keep Vega from warning about an empty log domain ("[,]") and from inventing tick values.
  const anyCompleted = rows.some((r) => r.mean !== null);
  const y = {
    field: "mean",
    type: "quantitative",
    scale: anyCompleted ? { type: "log", padding: 28 } : { type: "log", domain: [1, 10] },
    title: "downtime (ms, log scale)",
    axis: anyCompleted ? { grid: true } : { labels: false, ticks: false, grid: false },
  };
  const completed = { filter: "datum.mean != null" };
  const layer: VegaLiteSpec[] = [
    {
      transform: [completed],
      mark: { type: "point", filled: true, size: 45, opacity: 1 },
      encoding: {
        x,
        xOffset,
        y,
        color,
        tooltip: [
          { field: "codec" },
          { field: "x", title: AXIS_TITLE[axis] },
          { field: "mean", title: "downtime ms (mean)" },
          { field: "low", title: "95 % low" },
          { field: "high", title: "95 % high" },
          { field: "completed", title: "seeds completed" },
        ],
      },
    },
  ];
  if (options.seeds > 1)
    layer.push({
      transform: [completed, { filter: "datum.completed > 1" }],
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: {
        x,
        xOffset,
        y: { field: "low", type: "quantitative" },
        y2: { field: "high" },
        color,
      },
    });
  if (rows.some((r) => r.notConverged > 0)) {
    const dnc = [{ filter: "datum.notConverged > 0" }];
    layer.push(
      {
        transform: [...dnc, { calculate: "'did not converge'", as: "outcome" }],
        mark: { type: "point", filled: true, size: 80, opacity: 1 },
        encoding: {
          x,
          xOffset,
          y: { value: 8 },
          color,
          shape: {
            field: "outcome",
            type: "nominal",
            scale: { domain: ["did not converge"], range: ["triangle-up"] },
            title: null,
          },
        },
      },
      {
        transform: [...dnc, { filter: "datum.seeds > 1" }],
        mark: { type: "text", fontSize: 9, baseline: "top" },
        encoding: {
          x,
          xOffset,
          y: { value: 15 },
          text: { field: "notConvergedLabel" },
          color: { value: "#333" },
        },
      },
    );
  }
  const subtitle = [
    `Lower is better. ▲ at the top of a panel: the codec did not converge at that ${axis === "bandwidth_bytes_per_s" ? "bandwidth" : "cache size"}${options.seeds > 1 ? " (k/n: in k of n seeds)" : ""}.`,
    anyCompleted ? "" : "No setting completed, so there is no downtime to plot.",
    options.seeds > 1
      ? `Points: mean over the seeds that completed; bars: 95 % t-interval (Student's t, n − 1 df; up to ${options.seeds} seeds).`
      : "One seed per setting: no interval.",
    options.failedCells > 0
      ? `${options.failedCells} failed cell(s) are not drawn; they are listed in the report.`
      : "",
  ].filter(Boolean);
  const title =
    axis === "bandwidth_bytes_per_s" ? "Downtime against bandwidth" : "Downtime against cache size";
  return chart(
    title,
    subtitle,
    facetPanels(
      rows,
      { width: Math.max(220, xs.length * codecs.length * 22), height: 220, layer },
      3,
    ),
  );
}
