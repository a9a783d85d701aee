import type { RunData } from "../data.ts";
import { cacheMissRateSpec, missRateNotDrawn, missRateRows } from "./cache-miss-rate.ts";
import { bandwidthNotDrawn, bandwidthRows, codecBandwidthSpec } from "./codec-bandwidth.ts";
import type { ChartInput, NotDrawn, VegaLiteSpec } from "./common.ts";
import {
  compressionByKindSpec,
  compressionKindNotDrawn,
  compressionKindRows,
} from "./compression-by-kind.ts";
import {
  compressionByWorkloadSpec,
  compressionWorkloadNotDrawn,
  compressionWorkloadRows,
} from "./compression-by-workload.ts";
import { downtimeNotDrawn, downtimeRows } from "./downtime.ts";
import { downtimeSpec } from "./downtime-spec.ts";
import { type Layout, SCREEN } from "./layout.ts";
import {
  passTimelineNotDrawn,
  passTimelineRows,
  passTimelineSpec,
  timelineSubject,
} from "./pass-timeline.ts";
import { ratioNotDrawn, ratioRows, ratioSpec } from "./ratio-to-raw.ts";
import { totalsNotDrawn, totalsRows, totalsSpec } from "./time-and-transferred.ts";

/**
 * The table of charts, in report order: what the headline claims first (total time and bytes,
 * downtime), then how the codecs and the cache got there, then the codec benchmark's charts. A chart is a module in reports/charts/ with its rows
 * (long-form, one per observation), its Vega-Lite spec (a pure function of those rows) and the
 * reason it is not drawn when the run lacks its data; here it is one entry. A chart is never
 * drawn empty: one that cannot be made carries the reason the report prints in its place.
 */

export interface ChartDefinition<Row extends object> {
  /** RUN/charts/NAME.{data.csv,vl.json,svg,png} and the report's #chart-NAME anchor. */
  readonly name: string;
  readonly title: string;
  readonly rows: (input: ChartInput) => readonly Row[];
  /** null when the chart is drawn; otherwise why not (common.ts NotDrawn). */
  readonly notDrawn: (rows: readonly Row[], input: ChartInput) => NotDrawn | null;
  readonly spec: (rows: readonly Row[], input: ChartInput) => VegaLiteSpec;
  /** What this drawing of the chart shows, when the run decides it (the timeline's cell). */
  readonly subject?: (input: ChartInput) => string;
}

export type ChartPlan =
  | {
      readonly name: string;
      readonly title: string;
      readonly rows: readonly object[];
      readonly spec: VegaLiteSpec;
    }
  | { readonly name: string; readonly title: string; readonly skipped: NotDrawn };

/** A table entry with its row type closed over, so charts of different rows share one list. */
interface Chart {
  readonly name: string;
  plan(input: ChartInput): ChartPlan;
}

function chart<Row extends object>(definition: ChartDefinition<Row>): Chart {
  const { name, title } = definition;
  return {
    name,
    plan(input) {
      const rows = definition.rows(input);
      const skipped = definition.notDrawn(rows, input);
      if (skipped !== null) return { name, title, skipped };
      const subject = definition.subject?.(input);
      return {
        name,
        title: subject === undefined ? title : `${title}: ${subject}`,
        rows,
        spec: definition.spec(rows, input),
      };
    },
  };
}

export const CHARTS: readonly Chart[] = [
  chart({
    name: "time-and-transferred",
    title: "Total migration time and data transferred",
    rows: totalsRows,
    notDrawn: totalsNotDrawn,
    spec: totalsSpec,
  }),
  chart({
    name: "ratio-to-raw",
    title: "Each codec against raw at the same setting",
    rows: ratioRows,
    notDrawn: ratioNotDrawn,
    spec: ratioSpec,
  }),
  chart({
    name: "downtime-vs-bandwidth",
    title: "Downtime against bandwidth",
    rows: (input) => downtimeRows(input.cells, "bandwidth_bytes_per_s"),
    notDrawn: (_, input) => downtimeNotDrawn("bandwidth_bytes_per_s", input),
    spec: (rows, input) => downtimeSpec(rows, "bandwidth_bytes_per_s", input),
  }),
  chart({
    name: "downtime-vs-cache-size",
    title: "Downtime against cache size",
    rows: (input) => downtimeRows(input.cells, "cache_size_bytes"),
    notDrawn: (_, input) => downtimeNotDrawn("cache_size_bytes", input),
    spec: (rows, input) => downtimeSpec(rows, "cache_size_bytes", input),
  }),
  chart({
    name: "compression-by-workload",
    title: "Compression in the simulated migrations",
    rows: compressionWorkloadRows,
    notDrawn: compressionWorkloadNotDrawn,
    spec: compressionByWorkloadSpec,
  }),
  chart({
    name: "cache-miss-rate",
    title: "Cache miss rate against cache size",
    rows: missRateRows,
    notDrawn: missRateNotDrawn,
    spec: cacheMissRateSpec,
  }),
  chart({
    name: "pass-timeline",
    title: "Passes of one cell",
    rows: passTimelineRows,
    notDrawn: passTimelineNotDrawn,
    spec: passTimelineSpec,
    subject: timelineSubject,
  }),
  chart({
    name: "codec-bandwidth",
    title: "Codec bandwidth per page kind",
    rows: bandwidthRows,
    notDrawn: bandwidthNotDrawn,
    spec: codecBandwidthSpec,
  }),
  chart({
    name: "compression-by-kind",
    title: "Compression per page kind",
    rows: compressionKindRows,
    notDrawn: compressionKindNotDrawn,
    spec: compressionByKindSpec,
  }),
];

export interface PlanOptions {
  /** passes.csv cell index for the timeline (default: the cell closest to QEMU's defaults). */
  readonly cell?: number;
  /** Screen (report.html, PNG; the default) or a paper size (reports/charts/layout.ts). */
  readonly layout?: Layout;
}

export function chartInput(run: RunData, options: PlanOptions = {}): ChartInput {
  return { ...run, cell: options.cell, layout: options.layout ?? SCREEN };
}

/** Every chart of the table, drawn or with the reason it is not, in report order. */
export function planCharts(run: RunData, options: PlanOptions = {}): ChartPlan[] {
  const input = chartInput(run, options);
  return CHARTS.map((c) => c.plan(input));
}
