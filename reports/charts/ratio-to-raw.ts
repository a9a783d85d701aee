import { round } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import { type Comparison, compareToBaseline, type MetricComparison } from "../compare.ts";
import { bySettings, settingsLabel } from "../seed-groups.ts";
import { log2Axis } from "./axes.ts";
import {
  type ChartInput,
  cellsThatRan,
  codecColorScale,
  distinct,
  missing,
  type NotDrawn,
  noCells,
  notInRun,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";
import { chart, type Layout, labelsWidth, panelWidth } from "./layout.ts";

/**
 * Every codec of a run against raw at the same setting: total time and bytes as a ratio,
 * codec ÷ raw, on a log scale — the comparison `npm run compare -- RUN --baseline raw` prints
 * (reports/compare.ts), drawn; `npm run compare -- RUN_A RUN_B --chart FILE` draws two runs'
 * comparison with the same spec (B ÷ A). A side stopped before completing has only a lower bound on its
 * time and bytes, so a ratio against it is a bound too, and is drawn as one: raw stopped → the
 * codec's true ratio is at most the point (◀); the codec stopped → at least (▶). Where both were
 * stopped nothing orders them, and there is no point.
 */

export const BASELINE = "raw";

const METRICS = [
  { metric: "total time", title: "total time" },
  { metric: "transferred", title: "data transferred" },
] as const;

/** What the two sides are called in the chart: A the baseline (or first run), B the other. */
export interface RatioSides {
  readonly a: string;
  readonly b: string;
}

const RAW_SIDES: RatioSides = { a: BASELINE, b: "the codec" };

const BOUND_KINDS = ["measured", "at most", "at least"] as const;
type BoundKind = (typeof BOUND_KINDS)[number];
const BOUND_SHAPES: Readonly<Record<BoundKind, string>> = {
  measured: "circle",
  "at most": "triangle-left",
  "at least": "triangle-right",
};

/** The legend's words for a kind of ratio. */
export function boundLabel(kind: BoundKind, sides: RatioSides): string {
  if (kind === "measured") return "measured (both completed)";
  return kind === "at most"
    ? `at most (${sides.a} did not converge)`
    : `at least (${sides.b} did not converge)`;
}

export interface RatioRow {
  /** The setting, as the panels of the other charts name it ("all cells" for one setting). */
  readonly setting: string;
  readonly codec: string;
  readonly measure: (typeof METRICS)[number]["title"];
  /** mean(B) ÷ mean(A) over the seeds compared (reports/compare.ts compareMetric). */
  readonly ratio: number;
  readonly bound: string;
  readonly seeds: number;
}

function boundOf(m: MetricComparison): BoundKind | null {
  if (m.ratio === null || m.ratio <= 0 || m.a === null || m.b === null) return null;
  if (m.basis !== "bound") return "measured";
  if (m.a.lowerBound && m.b.lowerBound) return null;
  return m.a.lowerBound ? "at most" : "at least";
}

/** The compared settings in the order the other charts draw them (reports/seed-groups.ts). */
function settingOrder(comparison: Comparison): string[] {
  const order = bySettings(comparison.rows, comparison.varying, (row) => row.settings);
  return distinct(
    [...comparison.rows].sort(order).map((row) => settingsLabel(row.settings, comparison.varying)),
  );
}

/** A comparison's ratios, B ÷ A, per setting, codec and metric; pairs nothing orders left out. */
export function comparisonRatioRows(comparison: Comparison, sides: RatioSides): RatioRow[] {
  const order = settingOrder(comparison);
  const rows = comparison.rows.flatMap((row) =>
    METRICS.flatMap(({ metric, title }) => {
      const m = row.metrics.find((each) => each.metric === metric);
      const bound = m ? boundOf(m) : null;
      if (!m || bound === null || m.ratio === null) return [];
      return [
        {
          setting: settingsLabel(row.settings, comparison.varying),
          codec: row.codec,
          measure: title,
          ratio: round(m.ratio, 4),
          bound: boundLabel(bound, sides),
          seeds: Math.min(row.a.seeds, row.b.seeds),
        },
      ];
    }),
  );
  return rows.sort((x, y) => order.indexOf(x.setting) - order.indexOf(y.setting));
}

export function ratioRows(input: ChartInput): RatioRow[] {
  const ran = cellsThatRan(input.cells);
  if (!ran.some((cell) => cell.codec === BASELINE)) return [];
  return comparisonRatioRows(compareToBaseline(ran, BASELINE), RAW_SIDES);
}

export function ratioNotDrawn(rows: readonly RatioRow[], input: ChartInput): NotDrawn | null {
  if (rows.length > 0) return null;
  const ran = cellsThatRan(input.cells);
  if (ran.length === 0) return noCells(input.cells);
  const codecs = new Set(ran.map((cell: CellRow) => cell.codec));
  if (!codecs.has(BASELINE) || codecs.size < 2)
    return notInRun(
      `it sets each codec against ${BASELINE} at the same setting, and this run has ${codecs.has(BASELINE) ? `only ${BASELINE}` : `no ${BASELINE}`} (add --codec ${BASELINE},…)`,
    );
  return missing(`no setting where ${BASELINE} or the other codec completed: nothing orders them`);
}

export function ratioSpec(rows: readonly RatioRow[], input: ChartInput): VegaLiteSpec {
  return comparisonRatioSpec(rows, input.layout, RAW_SIDES, {
    title: "Each codec against raw at the same setting",
    axis: "codec ÷ raw (log scale)",
    lead: "Ratio of the means over seeds, codec ÷ raw: left of the line the codec took less time or sent less than raw.",
  });
}

/**
 * The ratio chart for any comparison: one panel per metric, a row per setting, a point per
 * codec, its shape saying whether the ratio is measured or a bound.
 */
export function comparisonRatioSpec(
  rows: readonly RatioRow[],
  layout: Layout,
  sides: RatioSides,
  text: { readonly title: string; readonly axis: string; readonly lead: string },
): VegaLiteSpec {
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const settings = distinct(rows.map((r) => r.setting));
  const paper = layout.medium === "paper";
  // A setting's name is broken at its " · " into lines (as time-and-transferred does), and a
  // column-wide figure stacks the two panels, so the plots keep their width.
  const columns = paper && layout.width < 300 ? 1 : METRICS.length;
  const labels = settings.flatMap((s) => s.split(" · "));
  const width = panelWidth(layout, columns, 300, labelsWidth(layout, labels) + 12);
  const step = paper ? layout.fontSize + 2 : 15;
  const axis = log2Axis([...rows.map((r) => r.ratio), 1], width, layout, 8);
  const x = {
    field: "ratio",
    type: "quantitative",
    title: paper ? text.axis.replace(" (log scale)", "") : text.axis,
    scale: axis.scale,
    // Ratios within an octave or two of 1 (two runs of one sweep) have too few powers of 2 to
    // read them by: then vega's own log ticks (0.8, 0.9, 1, …).
    axis:
      axis.values.length >= 3
        ? { values: axis.values, labelExpr: "format(datum.value, '~r') + '×'", grid: true }
        : { tickCount: 6, labelExpr: "format(datum.value, '.2~r') + '×'", grid: true },
  };
  const y = {
    field: "setting",
    type: "nominal",
    sort: settings,
    title: null,
    scale: { paddingInner: 0.25 },
    axis: { labelExpr: "split(datum.label, ' · ')" },
  };
  const yOffset = { field: "codec", type: "nominal", sort: codecs, scale: { domain: codecs } };
  const color = { field: "codec", type: "nominal", scale: codecColorScale(codecs), title: "codec" };
  const present = BOUND_KINDS.filter((kind) =>
    rows.some((r) => r.bound === boundLabel(kind, sides)),
  );
  return chart(
    layout,
    text.title,
    [
      text.lead,
      present.includes("at most")
        ? `◀: ${sides.a} did not converge, so its time and bytes are lower bounds and the true ratio is at most the point.`
        : "",
      present.includes("at least")
        ? `▶: ${sides.b} did not converge, so the true ratio is at least the point.`
        : "",
      "Where neither converged nothing orders them: no point.",
    ].filter(Boolean),
    {
      data: { values: rows },
      facet: { field: "measure", type: "nominal", sort: METRICS.map((m) => m.title), title: null },
      columns,
      spec: {
        width,
        height: { step, for: "offset" },
        layer: [
          {
            mark: { type: "rule", strokeDash: [4, 3], color: "#666" },
            encoding: { x: { datum: 1 } },
          },
          {
            mark: {
              type: "point",
              filled: true,
              size: layout.medium === "paper" ? 28 : 70,
              opacity: 1,
            },
            encoding: {
              x,
              y,
              yOffset,
              color,
              shape: {
                field: "bound",
                type: "nominal",
                title: "ratio",
                // On paper the legends sit side by side below the plot, too wide for a column with
                // these labels: the caption (written beside the figure) says what ◀ and ▶ mean.
                ...(paper ? { legend: null } : {}),
                scale: {
                  domain: present.map((kind) => boundLabel(kind, sides)),
                  range: present.map((kind) => BOUND_SHAPES[kind]),
                },
              },
              tooltip: [
                { field: "setting" },
                { field: "codec" },
                { field: "measure" },
                { field: "ratio", format: ".3~r" },
                { field: "bound", title: "ratio is" },
                { field: "seeds" },
              ],
            },
          },
        ],
      },
    },
  );
}
