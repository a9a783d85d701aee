import { msLabel, round, sizeLabel } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import { textWidth } from "../font-metrics.ts";
import {
  NOT_CONVERGED,
  panelOf,
  seedCount,
  sortedGroups,
  varyingSettings,
} from "../seed-groups.ts";
import { meanInterval } from "../stats.ts";
import {
  type ChartInput,
  cellsThatRan,
  codecColorScale,
  distinct,
  missing,
  type NotDrawn,
  noCells,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";
import { chart, labelsWidth, panelWidth } from "./layout.ts";

export const TOTAL_TIME = "total migration time (s)";
export const TRANSFERRED = "data transferred (GiB)";

export const COMPLETED = "completed";
export const DID_NOT_CONVERGE = "did not converge";
export const SOME_SEEDS = "some seeds did not converge";

export interface TotalsRow {
  readonly panel: string;
  readonly codec: string;
  readonly measure: typeof TOTAL_TIME | typeof TRANSFERRED;
  /** Mean over the seeds that completed and its 95 % t-interval; null when none completed. */
  readonly value: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Seeds that completed, of `of` that ran. */
  readonly seeds: number;
  readonly of: number;
  readonly outcome: typeof COMPLETED | typeof DID_NOT_CONVERGE | typeof SOME_SEEDS;
  /** For a setting no seed completed: that it did not converge and what it had spent by then. */
  readonly stopped: string;
  readonly stoppedShort: string;
}

function outcomeOf(completed: number, of: number): TotalsRow["outcome"] {
  if (completed === of) return COMPLETED;
  return completed === 0 ? DID_NOT_CONVERGE : SOME_SEEDS;
}

/**
 * Total time and bytes per codec per setting, over the seeds that completed. A migration
 * stopped at --max-time has no total time and no total bytes — it would have taken and sent
 * more — so it is no bar: its row says it did not converge and what it had spent by then.
 */
export function totalsRows(input: ChartInput): TotalsRow[] {
  const ran = cellsThatRan(input.cells).filter((c) => c.totalTimeMs !== null);
  const varying = varyingSettings(input.cells);
  return sortedGroups(ran).flatMap((group) => {
    const first = group[0];
    const done = group.filter((c) => !NOT_CONVERGED.has(c.status));
    const outcome = outcomeOf(done.length, group.length);
    const base = {
      panel: panelOf(first, varying, []),
      codec: first.codec,
      of: group.length,
      outcome,
    };
    const measures: [TotalsRow["measure"], (c: CellRow) => number, (v: number) => string][] = [
      [
        TOTAL_TIME,
        (c) => (c.totalTimeMs as number) / 1000,
        (s) => `stopped at ${msLabel(s * 1000)}`,
      ],
      [
        TRANSFERRED,
        (c) => (c.transferredBytes ?? Number.NaN) / 1024 ** 3,
        (g) => `${sizeLabel(g * 1024 ** 3)} sent`,
      ],
    ];
    return measures.map(([measure, pick, stoppedText]) => {
      const stats = meanInterval(done.map(pick));
      const spent = meanInterval(group.map(pick));
      return {
        ...base,
        measure,
        value: stats ? round(stats.mean) : null,
        low: stats ? round(stats.low) : null,
        high: stats ? round(stats.high) : null,
        seeds: done.length,
        stopped:
          stats === null && spent
            ? `${first.codec}: did not converge (${stoppedText(spent.mean)})`
            : "",
        stoppedShort: stats === null ? `${first.codec}: did not converge` : "",
      };
    });
  });
}

export function totalsNotDrawn(rows: readonly TotalsRow[], input: ChartInput): NotDrawn | null {
  if (rows.length === 0) return noCells(input.cells);
  if (rows.every((r) => r.value === null))
    return missing(
      "no migration completed (every cell was stopped at --max-time), so there is no total time or data to compare; the summary lists what each had spent",
    );
  return null;
}

/** y: a band per setting with the codecs side by side in it, or the codecs when one setting. */
function rowChannels(panels: readonly string[], codecs: readonly string[]) {
  if (panels.length <= 1)
    return {
      y: {
        field: "codec",
        type: "nominal",
        sort: codecs,
        title: null,
        scale: { paddingInner: 0.2 },
      },
      yOffset: {},
      labels: codecs,
    };
  return {
    y: {
      field: "panel",
      type: "nominal",
      sort: panels,
      title: null,
      scale: { paddingInner: 0.25 },
      axis: { labelExpr: "split(datum.label, ' · ')", labelFontWeight: "bold" },
    },
    yOffset: {
      yOffset: {
        field: "codec",
        type: "nominal",
        sort: codecs,
        scale: { domain: codecs, paddingInner: 0.1 },
      },
    },
    labels: panels.flatMap((p) => p.split(" · ")),
  };
}

const TOOLTIP = [
  { field: "codec" },
  { field: "panel", title: "settings" },
  { field: "measure" },
  { field: "value", title: "mean" },
  { field: "low", title: "95 % low" },
  { field: "high", title: "95 % high" },
  { field: "seeds", title: "seeds completed" },
  { field: "of", title: "seeds" },
];

/** In a stopped setting's place: the full text where it fits the panel, else the short one. */
function stoppedLayer(rows: readonly TotalsRow[], rowsAt: object, width: number, fontSize: number) {
  const longest = rows.map((r) => r.stopped).reduce((a, b) => (a.length >= b.length ? a : b), "");
  const fitsFull = textWidth(longest, fontSize) + 8 <= width;
  return {
    transform: [{ filter: "datum.value == null" }],
    mark: {
      type: "text",
      align: "left",
      baseline: "middle",
      dx: 3,
      fontSize,
      color: "#555",
      // Cut at the panel's edge (with an ellipsis) rather than overflow it.
      limit: width - 6,
    },
    encoding: {
      x: { value: 0 },
      ...rowsAt,
      text: { field: fitsFull ? "stopped" : "stoppedShort" },
    },
  };
}

/**
 * Total migration time and data transferred, one panel each, one group of bars per setting
 * (settings in order, codecs in their fixed order and colours). Only completed migrations are
 * bars; a setting that did not converge is a line of text in its bar's place.
 */
export function totalsSpec(rows: readonly TotalsRow[], input: ChartInput): VegaLiteSpec {
  const layout = input.layout;
  const seeds = seedCount(input.cells);
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const panels = distinct(rows.map((r) => r.panel));
  const { y, yOffset, labels } = rowChannels(panels, codecs);
  const rowsAt = { y, ...yOffset };
  const columns = layout.medium === "paper" && layout.width < 300 ? 1 : 2;
  const width = panelWidth(layout, columns, 320, labelsWidth(layout, labels) + 12);
  const step = layout.medium === "paper" ? layout.fontSize + 2 : 15;
  const color = {
    field: "codec",
    type: "nominal",
    scale: codecColorScale(codecs),
    title: "codec",
    ...(panels.length > 1 ? {} : { legend: null }),
  };
  const x = {
    field: "value",
    type: "quantitative",
    title: null,
    axis: { grid: true, tickCount: 5 },
  };
  const layer: VegaLiteSpec[] = [
    {
      transform: [{ filter: "datum.value != null" }],
      mark: { type: "bar" },
      encoding: {
        x,
        ...rowsAt,
        color,
        opacity: {
          condition: { test: `datum.outcome === '${SOME_SEEDS}'`, value: 0.45 },
          value: 1,
        },
        tooltip: TOOLTIP,
      },
    },
    stoppedLayer(rows, rowsAt, width, layout.markFontSize),
  ];
  if (seeds > 1)
    layer.push({
      transform: [
        { filter: "datum.seeds > 1" },
        { calculate: "max(datum.low, 0)", as: "lowClipped" },
      ],
      mark: { type: "rule", color: "black" },
      encoding: {
        x: { field: "lowClipped", type: "quantitative" },
        x2: { field: "high" },
        ...rowsAt,
      },
    });
  return chart(
    layout,
    "Total migration time and data transferred",
    [
      "Per setting, per codec; only migrations that completed are bars.",
      "Did not converge: the migration was stopped at --max-time, so it has no total; the text in its place says what it had spent by then.",
      rows.some((r) => r.outcome === SOME_SEEDS)
        ? "Pale bar: some seeds did not converge; the bar is the mean of those that completed."
        : "",
      seeds > 1 ? "Bars: mean over seeds; black whiskers: 95 % t-interval, clipped at 0." : "",
    ].filter(Boolean),
    {
      data: { values: rows },
      facet: { field: "measure", type: "nominal", sort: [TOTAL_TIME, TRANSFERRED], title: null },
      columns,
      spec: { width, height: panels.length > 1 ? { step, for: "offset" } : { step }, layer },
      resolve: { scale: { x: "independent" } },
    },
  );
}
