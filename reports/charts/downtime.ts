import { msLabel, rateLabel, round, sizeLabel } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import { NOT_CONVERGED, panelOf, sortedGroups, varyingSettings } from "../seed-groups.ts";
import { meanInterval } from "../stats.ts";
import { type ChartInput, cellsThatRan, type NotDrawn, noCells, notInRun } from "./common.ts";

/** The settings downtime is drawn against; each is its own chart. */
export type SweepAxis = "bandwidth_bytes_per_s" | "cache_size_bytes";

export const COMPLETED = "completed";
export const DID_NOT_CONVERGE = "did not converge";
export const SOME_SEEDS = "some seeds did not converge";

export interface SweepPoint {
  readonly panel: string;
  readonly codec: string;
  /** The x value as a label ("128 MiB/s"), in bytes (per second), and in MiB (per second). */
  readonly x: string;
  readonly xValue: number;
  readonly xMiB: number;
  /**
   * Mean over the completed seeds (null when none completed) and its 95 % t-interval as
   * computed (low may be below 0 with few, spread seeds; the chart clips it at 0 ms).
   */
  readonly mean: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Seeds that completed / did not converge (or whose trace ended) / all non-failed seeds. */
  readonly completed: number;
  readonly notConverged: number;
  readonly seeds: number;
  readonly outcome: typeof COMPLETED | typeof DID_NOT_CONVERGE | typeof SOME_SEEDS;
  /** QEMU's downtime-limit of the setting, and as a label for its line. */
  readonly limitMs: number;
  readonly limitLabel: string;
}

function axisValue(cell: CellRow, axis: SweepAxis): number {
  return axis === "bandwidth_bytes_per_s" ? cell.bandwidthBytesPerS : cell.cacheSizeBytes;
}

function axisLabel(axis: SweepAxis, value: number): string {
  return axis === "bandwidth_bytes_per_s" ? rateLabel(value) : sizeLabel(value);
}

function outcomeOf(completed: number, notConverged: number): SweepPoint["outcome"] {
  if (notConverged === 0) return COMPLETED;
  return completed === 0 ? DID_NOT_CONVERGE : SOME_SEEDS;
}

/**
 * Mean downtime (ms) per codec per value of `axis`, in panels of the other varying settings,
 * in setting order. Failed cells are left out (the report lists them); cells that did not
 * converge are counted, never averaged in: a stopped migration's downtime is not a measurement.
 */
export function downtimeRows(cells: readonly CellRow[], axis: SweepAxis): SweepPoint[] {
  const varying = varyingSettings(cells);
  return sortedGroups(cellsThatRan(cells)).map((group) => {
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
      xMiB: round(xValue / 1024 ** 2),
      mean: stats ? round(stats.mean) : null,
      low: stats ? round(stats.low) : null,
      high: stats ? round(stats.high) : null,
      completed: done.length,
      notConverged,
      seeds: group.length,
      outcome: outcomeOf(done.length, notConverged),
      limitMs: first.downtimeLimitMs,
      limitLabel: `limit ${msLabel(first.downtimeLimitMs)}`,
    };
  });
}

/** How many values of `axis` the cells that ran have. */
function axisValues(cells: readonly CellRow[], axis: SweepAxis): Set<number> {
  return new Set(cellsThatRan(cells).map((c) => axisValue(c, axis)));
}

/**
 * Downtime is drawn against bandwidth when the run swept it, or when it swept neither (then it
 * is the per-codec downtime chart at the run's one bandwidth); against cache size when the run
 * swept that.
 */
export function downtimeNotDrawn(axis: SweepAxis, input: ChartInput): NotDrawn | null {
  if (cellsThatRan(input.cells).length === 0) return noCells(input.cells);
  const values = axisValues(input.cells, axis);
  if (values.size > 1) return null;
  if (axis === "bandwidth_bytes_per_s" && axisValues(input.cells, "cache_size_bytes").size <= 1)
    return null;
  const [only] = values;
  return axis === "bandwidth_bytes_per_s"
    ? notInRun(`the run has one bandwidth (${rateLabel(only)}); give --bandwidth a list`)
    : notInRun(`the run has one cache size (${sizeLabel(only)}); give --cache-size a list`);
}
