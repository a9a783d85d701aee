import { log2Axis } from "../../reports/charts/axes.ts";
import { codecEncoding, type VegaLiteSpec } from "../../reports/charts/common.ts";
import {
  chart,
  type Layout,
  panelColumns,
  panelHeight,
  panelWidth,
  yAxisReserve,
} from "../../reports/charts/layout.ts";
import type { FigureData } from "./claim.ts";

/**
 * The paper suite's figures as Vega-Lite specs: a pure function of a claim's FigureData and a
 * layout (reports/charts/layout.ts's paper sizes), one spec per figure kind. Codecs keep the
 * colours and shapes they have in every migbench chart (reports/charts/common.ts); downtime is
 * on a log scale. A cell that did not converge has no row, and each caption says so.
 */

type Rows = FigureData["rows"];

function distinctText(rows: Rows, field: string): string[] {
  return [...new Set(rows.map((r) => String(r[field])))];
}

/** A base-2 log x axis over the rows' `x` (powers-of-two settings: rates, sizes). */
function log2X(rows: Rows, width: number, layout: Layout, title: string) {
  const values = rows.map((r) => Number(r.x)).filter((v) => v > 0);
  const axis = log2Axis(values.length > 0 ? values : [1], width, layout, 6);
  return {
    field: "x",
    type: "quantitative",
    scale: axis.scale,
    title,
    axis: { values: axis.values, format: "~g" },
  };
}

function facetColumns(rows: Rows, field: string, layout: Layout) {
  return panelColumns(layout, distinctText(rows, field).length);
}

/** Downtime (log) against a swept setting (log), codec by colour, a panel per setting set. */
function downtimeSpec(data: FigureData, layout: Layout): VegaLiteSpec {
  const columns = facetColumns(data.rows, "panel", layout);
  const width = panelWidth(layout, columns, 260, yAxisReserve(layout, ["1000"]));
  const codecs = distinctText(data.rows, "codec");
  const x = log2X(data.rows, width, layout, data.xTitle);
  const y = {
    field: "downtime_ms",
    type: "quantitative",
    scale: { type: "log" },
    title: "downtime (ms)",
  };
  return chart(
    layout,
    "Downtime",
    [data.caption],
    {
      data: { values: data.rows },
      facet: {
        field: "panel",
        type: "nominal",
        title: null,
        sort: distinctText(data.rows, "panel"),
      },
      columns,
      spec: {
        width,
        height: panelHeight(layout, width, 200),
        layer: [
          {
            transform: [{ calculate: "max(datum.low, datum.downtime_ms / 10)", as: "lowClipped" }],
            mark: { type: "rule" },
            encoding: {
              x,
              y: { ...y, field: "lowClipped" },
              y2: { field: "high" },
              color: codecEncoding(codecs).color,
            },
          },
          {
            mark: { type: "line", point: { filled: true, size: 30 } },
            encoding: { x, y, ...codecEncoding(codecs) },
          },
        ],
      },
    },
    "bottom",
  );
}

/** A map of where each codec converged: rate cap × cache size, a panel per codec. */
function convergenceMapSpec(data: FigureData, layout: Layout): VegaLiteSpec {
  const columns = facetColumns(data.rows, "codec", layout);
  const width = panelWidth(layout, columns, 200, yAxisReserve(layout, ["256 MiB"]));
  return chart(
    layout,
    "Where each codec converges",
    [data.caption],
    {
      data: { values: data.rows },
      facet: {
        field: "codec",
        type: "nominal",
        title: null,
        sort: distinctText(data.rows, "codec"),
      },
      columns,
      spec: {
        width,
        height: panelHeight(layout, width, 160),
        layer: [
          {
            mark: { type: "rect" },
            encoding: {
              x: { field: "bandwidth", type: "ordinal", sort: { field: "x" }, title: data.xTitle },
              y: {
                field: "cache",
                type: "ordinal",
                sort: { field: "y", order: "descending" },
                title: "cache size",
              },
              color: {
                field: "outcome",
                type: "nominal",
                title: null,
                scale: { domain: ["completed", "did not converge"], range: ["#54a24b", "#d0d0d0"] },
              },
            },
          },
          {
            mark: { type: "text", fontSize: layout.markFontSize },
            encoding: {
              x: { field: "bandwidth", type: "ordinal", sort: { field: "x" } },
              y: { field: "cache", type: "ordinal", sort: { field: "y", order: "descending" } },
              text: { field: "label" },
            },
          },
        ],
      },
    },
    "bottom",
  );
}

/** A published figure (grey square) beside ours (blue dot), in every figure that sets them side by side. */
const PUBLISHED_AND_OURS = {
  color: {
    field: "source",
    type: "nominal",
    title: null,
    scale: { domain: ["published", "ours"], range: ["#bab0ac", "#4c78a8"] },
  },
  shape: {
    field: "source",
    type: "nominal",
    title: null,
    scale: { domain: ["published", "ours"], range: ["square", "circle"] },
  },
};

/** After ÷ before of each statistic, published beside ours: a dot plot on a log scale, 1 marked. */
function beforeAfterSpec(data: FigureData, layout: Layout): VegaLiteSpec {
  const width = panelWidth(layout, 1, 300, yAxisReserve(layout, ["cache-miss-rate"]));
  const x = { field: "ratio", type: "quantitative", scale: { type: "log" }, title: data.xTitle };
  const y = { field: "statistic", type: "nominal", title: null, sort: null };
  return chart(
    layout,
    "Before and after",
    [data.caption],
    {
      data: { values: data.rows },
      width,
      height: { step: layout.medium === "paper" ? 14 : 22 },
      layer: [
        {
          mark: { type: "rule", color: "#888", strokeDash: [3, 3] },
          encoding: { x: { datum: 1 } },
        },
        {
          mark: { type: "point", filled: true, size: 40 },
          encoding: {
            x,
            y,
            ...PUBLISHED_AND_OURS,
          },
        },
      ],
    },
    "bottom",
  );
}

/**
 * The codec table's sizes: each codec the 2011 post measured, its published size beside ours
 * (on the zero-old pages the published sizes fit), a dot plot per scenario, published and ours
 * told apart as in the before-and-after figure.
 */
function codecSizesSpec(data: FigureData, layout: Layout): VegaLiteSpec {
  const labels = distinctText(data.rows, "codec");
  const width = panelWidth(layout, 1, 300, yAxisReserve(layout, labels, false));
  return chart(
    layout,
    "Codec table sizes",
    [data.caption],
    {
      data: { values: data.rows },
      facet: {
        row: {
          field: "scenario",
          type: "nominal",
          title: null,
          sort: distinctText(data.rows, "scenario"),
          header: { labelAngle: 0, labelAlign: "left", labelOrient: "top", labelAnchor: "start" },
        },
      },
      resolve: { scale: { y: "independent" } },
      spec: {
        width,
        height: { step: layout.medium === "paper" ? 12 : 20 },
        mark: { type: "point", filled: true, size: 40 },
        encoding: {
          x: { field: "size_pct", type: "quantitative", title: data.xTitle, scale: { zero: true } },
          y: { field: "codec", type: "nominal", title: null, sort: labels },
          ...PUBLISHED_AND_OURS,
        },
      },
    },
    "bottom",
  );
}

/** Miss rate, downtime and total time against cache size, a line per cache model. */
function cacheModelsSpec(data: FigureData, layout: Layout): VegaLiteSpec {
  const columns = facetColumns(data.rows, "metric", layout);
  const width = panelWidth(layout, columns, 220, yAxisReserve(layout, ["1000"]));
  const x = log2X(data.rows, width, layout, data.xTitle);
  return chart(
    layout,
    "Cache models",
    [data.caption],
    {
      data: { values: data.rows },
      facet: {
        field: "metric",
        type: "nominal",
        title: null,
        sort: distinctText(data.rows, "metric"),
      },
      columns,
      spec: {
        width,
        height: panelHeight(layout, width, 180),
        mark: { type: "line", point: { filled: true, size: 30 } },
        encoding: {
          x,
          y: { field: "value", type: "quantitative", scale: { type: "log" }, title: null },
          color: { field: "model", type: "nominal", title: "cache" },
          shape: { field: "model", type: "nominal", title: "cache" },
        },
      },
      resolve: { scale: { y: "independent" } },
    },
    "bottom",
  );
}

export function figureSpec(data: FigureData, layout: Layout): VegaLiteSpec {
  switch (data.kind) {
    case "downtime":
      return downtimeSpec(data, layout);
    case "convergence-map":
      return convergenceMapSpec(data, layout);
    case "before-after":
      return beforeAfterSpec(data, layout);
    case "cache-models":
      return cacheModelsSpec(data, layout);
    case "codec-sizes":
      return codecSizesSpec(data, layout);
  }
}
