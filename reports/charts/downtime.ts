import { rateLabel, round, sizeLabel } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import {
  groupOverSeeds,
  NOT_CONVERGED,
  panelOf,
  seedCount,
  varyingSettings,
} from "../seed-groups.ts";
import { meanInterval } from "../stats.ts";
import {
  type ChartInput,
  cellsThatRan,
  chart,
  codecColorScale,
  facetPanels,
  noCells,
  sortCodecs,
  sortedBy,
  type VegaLiteSpec,
} from "./common.ts";

/** The settings downtime is drawn against; each is its own chart. */
export type SweepAxis = "bandwidth_bytes_per_s" | "cache_size_bytes";

export interface SweepPoint {
  readonly panel: string;
  readonly codec: string;
  /** The x value as a label ("128 MiB/s") and its number for sorting. */
  readonly x: string;
  readonly xValue: number;
  /** Mean over completed seeds (null when none completed), with its 95 % t-interval. */
  readonly mean: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Seeds that completed / did not converge (or whose trace ended) / all non-failed seeds. */
  readonly completed: number;
  readonly notConverged: number;
  readonly seeds: number;
  readonly notConvergedLabel: string;
}

function axisValue(cell: CellRow, axis: SweepAxis): number {
  return axis === "bandwidth_bytes_per_s" ? cell.bandwidthBytesPerS : cell.cacheSizeBytes;
}

function axisLabel(axis: SweepAxis, value: number): string {
  return axis === "bandwidth_bytes_per_s" ? rateLabel(value) : sizeLabel(value);
}

/**
 * Mean downtime (ms) per codec per value of `axis`, in panels of the other varying settings.
 * Failed cells are left out (the report lists them); cells that did not converge are counted,
 * never averaged in: a stopped migration's downtime is not a measurement.
 */
export function downtimeRows(cells: readonly CellRow[], axis: SweepAxis): SweepPoint[] {
  const varying = varyingSettings(cells);
  return groupOverSeeds(cellsThatRan(cells)).map((group) => {
    const first = group[0];
    const done = group.filter((c) => c.status === "completed" && c.downtimeMs !== null);
    const notConverged = group.filter((c) => NOT_CONVERGED.has(c.status)).length;
    const stats = meanInterval(done.map((c) => c.downtimeMs as number));
    const xValue = axisValue(first, axis);
    return {
      panel: panelOf(first, varying, [axis]),
      codec: first.codec,
      x: axisLabel(axis, xValue),
      xValue,
      mean: stats ? round(stats.mean) : null,
      low: stats ? round(stats.low) : null,
      high: stats ? round(stats.high) : null,
      completed: done.length,
      notConverged,
      seeds: group.length,
      notConvergedLabel: notConverged === 0 ? "" : `${notConverged}/${group.length}`,
    };
  });
}

/**
 * Downtime is drawn against bandwidth when the run swept it, or when it swept neither (then it
 * is the per-codec downtime chart at the run's one bandwidth); against cache size when the run
 * swept that.
 */
export function downtimeNotDrawn(axis: SweepAxis, input: ChartInput): string | null {
  const ran = cellsThatRan(input.cells);
  if (ran.length === 0) return noCells(input.cells);
  const values = (of: SweepAxis) => new Set(ran.map((c) => axisValue(c, of)));
  const swept = values(axis).size > 1;
  if (swept || (axis === "bandwidth_bytes_per_s" && values("cache_size_bytes").size <= 1))
    return null;
  const [only] = values(axis);
  return axis === "bandwidth_bytes_per_s"
    ? `the run has one bandwidth (${rateLabel(only)})`
    : `the run has one cache size (${sizeLabel(only)})`;
}

/** What the spec says about the run besides its rows: failed cells and seeds per setting. */
export function downtimeOptions(input: ChartInput) {
  return {
    failedCells: input.cells.length - cellsThatRan(input.cells).length,
    seeds: seedCount(input.cells),
  };
}

const AXIS_TITLE: Record<SweepAxis, string> = {
  bandwidth_bytes_per_s: "max-bandwidth",
  cache_size_bytes: "cache size",
};

/** The ▲ pinned to the top of a panel where a codec did not converge, with k/n when seeded. */
function notConvergedLayers(x: object, xOffset: object, color: object): VegaLiteSpec[] {
  const dnc = [{ filter: "datum.notConverged > 0" }];
  return [
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
  ];
}

function subtitle(
  axis: SweepAxis,
  options: { failedCells: number; seeds: number },
  anyCompleted: boolean,
): string[] {
  return [
    `Lower is better. ▲ at the top of a panel: the codec did not converge at that ${axis === "bandwidth_bytes_per_s" ? "bandwidth" : "cache size"}${options.seeds > 1 ? " (k/n: in k of n seeds)" : ""}.`,
    anyCompleted ? "" : "No setting completed, so there is no downtime to plot.",
    options.seeds > 1
      ? `Points: mean over the seeds that completed; bars: 95 % t-interval (Student's t, n − 1 df; up to ${options.seeds} seeds).`
      : "One seed per setting: no interval.",
    options.failedCells > 0
      ? `${options.failedCells} failed cell(s) are not drawn; they are listed in the report.`
      : "",
  ].filter(Boolean);
}

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
  if (rows.some((r) => r.notConverged > 0)) layer.push(...notConvergedLayers(x, xOffset, color));
  const title =
    axis === "bandwidth_bytes_per_s" ? "Downtime against bandwidth" : "Downtime against cache size";
  return chart(
    title,
    subtitle(axis, options, anyCompleted),
    facetPanels(
      rows,
      { width: Math.max(220, xs.length * codecs.length * 22), height: 220, layer },
      3,
    ),
  );
}
