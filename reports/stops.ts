import type { CellRow } from "../results/records.ts";

/**
 * A cell that ran but did not complete was stopped: by --max-time, by --max-passes, or by the
 * end of its recorded trace. It has no downtime (the VM was never stopped), and its total time
 * and transferred bytes are what it had reached when it was stopped (QEMU's query-migrate reports
 * an active migration's total-time the same way, migration.c populate_time_info()): lower
 * bounds on what the migration would have taken, never values to average as if it had finished.
 */

export type StopReason = "max-time" | "max-passes" | "trace ended";

export interface Stop {
  readonly reason: StopReason;
  /**
   * The simulated time the cell counts at: the --max-time limit for a cell stopped by it (the
   * simulation overshoots it by up to a rate window), otherwise the time it reached.
   */
  readonly atMs: number;
}

/** Why `cell` was stopped, or null if it completed (or failed: it has no values at all). */
export function stopOf(cell: CellRow): Stop | null {
  if (cell.status === "completed" || cell.status === "failed") return null;
  const reached = cell.totalTimeMs ?? 0;
  if (cell.status === "trace-ended") return { reason: "trace ended", atMs: reached };
  // The rules stop at whichever limit comes first (harness/simulator/convergence.ts); time is
  // checked first, so a cell past --max-time was stopped by it.
  const maxTimeMs = Number(cell.columns.max_time_ms || Number.NaN);
  const passLimit = (cell.columns.max_passes ?? "") !== "";
  if (!Number.isFinite(maxTimeMs))
    return { reason: passLimit ? "max-passes" : "max-time", atMs: reached };
  if (reached >= maxTimeMs || !passLimit) return { reason: "max-time", atMs: maxTimeMs };
  return { reason: "max-passes", atMs: reached };
}
