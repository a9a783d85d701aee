import { pathToFileURL } from "node:url";
import { loadCalibration } from "../../codecs/calibration.ts";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import { DEFAULT_HOST_PROFILE, loadHostProfile } from "../simulator/host-profile.ts";
import { runCell } from "../simulator/run-cell.ts";

/**
 * The child process of `npm run bench:scale` (harness/benchmarks/scale-bench.ts): runs ONE cell, given as
 * CellSpec JSON in argv[2], with the very runCell the bench's workers use, and prints one line
 * of JSON (a ScaleMeasurement) on stdout. One process per RAM size, so the peak RSS it reports
 * (getrusage ru_maxrss, via process.resourceUsage) belongs to that size alone. It imports
 * nothing but the simulator, so the baseline it adds is Node's and tsx's own.
 */

/** What one RAM size cost; the parent's table and --json rows are made of these. */
export interface ScaleMeasurement {
  readonly ramBytes: number;
  readonly status: CellResult["status"];
  /** The cell's one-line error when status is failed. */
  readonly error: string | null;
  /** Simulated migration time (total-time), ms; null when the cell failed. */
  readonly totalTimeMs: number | null;
  /** Pages put on the wire over every pass, the stop-and-copy included. */
  readonly pagesSent: number;
  readonly zeroPages: number;
  /** Pages sent as a full page (cache misses, overflows, bulk pass, raw codec). */
  readonly normalPages: number;
  /** Cache hits: pages the delta codec encoded against their cached copy (overflows included). */
  readonly deltaPages: number;
  readonly overflowPages: number;
  /**
   * Non-zero pages encoded for the wire: normal + delta − overflow (an overflow counts in both,
   * QEMU's accounting), = pages sent − zero pages.
   */
  readonly nonZeroPages: number;
  /** Wall-clock ms of runCell (workload creation + simulation), without process start-up. */
  readonly wallMs: number;
  /** Peak resident set of the whole child process, KiB (ru_maxrss). */
  readonly maxRssKiB: number;
}

/** Reduce a cell's result and the process's peak RSS to one measurement. Pure. */
export function measurementOf(result: CellResult, maxRssKiB: number): ScaleMeasurement {
  const base = { ramBytes: result.spec.ramBytes, wallMs: result.wallMs, maxRssKiB };
  if (result.status === "failed") {
    return {
      ...base,
      status: result.status,
      error: result.error,
      totalTimeMs: null,
      pagesSent: 0,
      zeroPages: 0,
      normalPages: 0,
      deltaPages: 0,
      overflowPages: 0,
      nonZeroPages: 0,
    };
  }
  const { metrics } = result;
  return {
    ...base,
    status: result.status,
    error: null,
    totalTimeMs: metrics.totalTimeMs,
    pagesSent: result.passes.reduce((sum, pass) => sum + pass.pagesSent, 0),
    zeroPages: metrics.zeroPages,
    normalPages: metrics.normalPages,
    deltaPages: metrics.deltaPages,
    overflowPages: metrics.overflowPages,
    nonZeroPages: metrics.normalPages + metrics.deltaPages - metrics.overflowPages,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const spec = JSON.parse(process.argv[2] ?? "null") as CellSpec;
  // This process is the cell's whole run: it reads the calibration and the host profile once,
  // as bench's main thread does (bench:scale measures the default profile).
  const result = await runCell(spec, {
    calibration: await loadCalibration(spec.calibration),
    profile: await loadHostProfile(DEFAULT_HOST_PROFILE),
  });
  process.stdout.write(
    `${JSON.stringify(measurementOf(result, process.resourceUsage().maxRSS))}\n`,
  );
}
