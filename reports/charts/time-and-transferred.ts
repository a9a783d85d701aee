import { round } from "../../lib/format.ts";
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
  chart,
  distinct,
  noCells,
  sortCodecs,
  type VegaLiteSpec,
} from "./common.ts";

export const TOTAL_TIME = "total migration time (s)";
export const TRANSFERRED = "data transferred (GiB)";

export const STATUS_COMPLETED = "completed";
export const STATUS_DNC = "did not converge (stopped at max time)";
export const STATUS_MIXED = "some seeds did not converge (mean of those that completed)";

export interface TotalsRow {
  readonly panel: string;
  readonly codec: string;
  readonly measure: typeof TOTAL_TIME | typeof TRANSFERRED;
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly seeds: number;
  readonly status: typeof STATUS_COMPLETED | typeof STATUS_DNC | typeof STATUS_MIXED;
}

export function totalsRows(input: ChartInput): TotalsRow[] {
  const cells = input.cells;
  const ran = cells.filter((c) => c.status !== "failed" && c.totalTimeMs !== null);
  const varying = varyingSettings(cells);
  return groupOverSeeds(ran).flatMap((group) => {
    const first = group[0];
    const notConverged = group.filter((c) => NOT_CONVERGED.has(c.status)).length;
    const status =
      notConverged === 0
        ? STATUS_COMPLETED
        : notConverged === group.length
          ? STATUS_DNC
          : STATUS_MIXED;
    const panel = panelOf(first, varying, []);
    // A run stopped at --max-time says nothing about how long it would have taken: when some
    // seeds completed, the bar is their mean; when none did, it is what was spent until stopped.
    const counted = status === STATUS_MIXED ? group.filter((c) => c.status === "completed") : group;
    const time = meanInterval(counted.map((c) => (c.totalTimeMs as number) / 1000));
    const bytes = meanInterval(counted.map((c) => (c.transferredBytes ?? Number.NaN) / 1024 ** 3));
    const rows: TotalsRow[] = [];
    for (const [measure, stats] of [
      [TOTAL_TIME, time],
      [TRANSFERRED, bytes],
    ] as const)
      if (stats)
        rows.push({
          panel,
          codec: first.codec,
          measure,
          value: round(stats.mean),
          low: round(stats.low),
          high: round(stats.high),
          seeds: stats.n,
          status,
        });
    return rows;
  });
}

export function totalsNotDrawn(rows: readonly TotalsRow[], input: ChartInput): string | null {
  return rows.length > 0 ? null : noCells(input.cells);
}

/**
 * Total migration time and data transferred per codec, one row of panels per setting, raw
 * first and drawn again as a dashed rule across the panel (the baseline). A bar that did not
 * converge is orange: it shows what was spent before the run was stopped.
 */
export function totalsSpec(rows: readonly TotalsRow[], input: ChartInput): VegaLiteSpec {
  const seeds = seedCount(input.cells);
  const codecs = sortCodecs(rows.map((r) => r.codec));
  const panels = distinct(rows.map((r) => r.panel));
  const statuses = [STATUS_COMPLETED, STATUS_MIXED, STATUS_DNC];
  const x = { field: "value", type: "quantitative", title: null, axis: { grid: true } };
  const y = { field: "codec", type: "nominal", sort: codecs, title: null };
  const layer: VegaLiteSpec[] = [
    {
      mark: { type: "bar" },
      encoding: {
        x,
        y,
        color: {
          field: "status",
          type: "nominal",
          scale: { domain: statuses, range: ["#4c78a8", "#eeca3b", "#f58518"] },
          title: "status",
        },
        tooltip: [
          { field: "codec" },
          { field: "panel", title: "settings" },
          { field: "measure" },
          { field: "value", title: "mean" },
          { field: "low", title: "95 % low" },
          { field: "high", title: "95 % high" },
          { field: "status" },
        ],
      },
    },
  ];
  if (seeds > 1)
    layer.push({
      transform: [{ filter: "datum.seeds > 1" }],
      mark: { type: "rule", color: "black" },
      encoding: { x: { field: "low", type: "quantitative" }, x2: { field: "high" }, y },
    });
  if (codecs.includes("raw") && codecs.length > 1)
    layer.push({
      transform: [{ filter: { field: "codec", equal: "raw" } }],
      mark: { type: "rule", color: "#333", strokeWidth: 1.2 },
      encoding: {
        x,
        strokeDash: {
          field: "codec",
          type: "nominal",
          scale: { domain: ["raw"], range: [[4, 3]] },
          legend: { title: "baseline", labelExpr: "'raw codec'" },
        },
      },
    });
  return chart(
    "Total migration time and data transferred",
    [
      "Per codec; the dashed line repeats raw (no compression) across each panel.",
      seeds > 1
        ? "Bars: mean over seeds; black whiskers: 95 % t-interval. Orange: the run was stopped at --max-time without converging."
        : "Orange: the run was stopped at --max-time without converging.",
    ],
    {
      data: { values: rows },
      facet: {
        row: {
          field: "panel",
          type: "nominal",
          sort: panels,
          title: null,
          header: { labelAngle: 0, labelAlign: "left", labelOrient: "top", labelAnchor: "start" },
        },
        column: { field: "measure", type: "nominal", sort: [TOTAL_TIME, TRANSFERRED], title: null },
      },
      spec: { width: 300, height: { step: 16 }, layer },
      resolve: { scale: { x: "independent" } },
    },
  );
}
