import type { AxisValue, AxisValues } from "./axes.ts";

/**
 * One cell of a sweep: every parameter of one simulated migration, and what it produced.
 * The runner builds cells from the command line's cross product and hands each to the
 * simulator (harness/simulator/precopy.ts) on a worker thread; results/ turns CellResult into CSV rows.
 * Everything here is plain data so it crosses worker_threads by structured clone.
 */

export type CacheModel = AxisValue<"cacheModel">;
export type ConvergenceRule = AxisValue<"convergence">;

/**
 * Every parameter of one simulated migration: one value per axis of the sweep (results/axes.ts
 * declares them, with their columns and units), the workload's parameters and where codec
 * encode rates come from.
 */
export interface CellSpec extends AxisValues {
  /** Position in the sweep; rows are written in this order whatever finishes first. */
  readonly index: number;
  /** Every workload parameter, defaults filled in (→ param_<name> columns). */
  readonly params: Readonly<Record<string, number | string>>;
  /** Where codec encode rates come from: "builtin" or a calibration file path (not swept). */
  readonly calibration: string;
}

/** How a cell ended, in the order summaries count them. */
export const CELL_STATUSES = ["completed", "did-not-converge", "trace-ended", "failed"] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** How a simulated migration that ran to its end finished (trace-ended and failed stop it). */
export type MigrationOutcome = Extract<CellStatus, "completed" | "did-not-converge">;

/** One pass (between two dirty syncs) of one cell → a passes.csv row. */
export interface PassRecord {
  readonly pass: number;
  readonly startMs: number;
  readonly durationMs: number;
  /** Pages dirty at the sync that started this pass. */
  readonly dirtyPages: number;
  readonly pagesSent: number;
  readonly bytesSent: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly overflows: number;
  /** threshold = measured bandwidth × downtime-limit, bytes, at the end of the pass. */
  readonly thresholdBytes: number;
  /** True for the final stop-and-copy pass (the VM is paused). */
  readonly stopAndCopy: boolean;
}

/**
 * The totals of one cell, named after QEMU's query-migrate fields (see results/schema.ts).
 * A metric that has no value for the cell is null, never 0 (results.csv writes it as an empty
 * field): `Downtime` is `number` for a migration that completed and `null` for one that was
 * stopped before it could (MigrationResult ties the two to the status).
 */
export interface CellMetrics<Downtime extends number | null = number | null> {
  /**
   * Simulated time from the start to the end of the stop-and-copy, or, for a migration that
   * did not complete, to where it was stopped: what QEMU's query-migrate reports as total-time
   * while a migration is still active (migration.c populate_time_info()).
   */
  readonly totalTimeMs: number;
  /**
   * The stop-and-copy's duration. A migration that never stopped the VM had no downtime:
   * query-migrate has no downtime field before MIGRATION_STATUS_COMPLETED.
   */
  readonly downtimeMs: Downtime;
  readonly setupTimeMs: number;
  readonly transferredBytes: number;
  readonly zeroPages: number;
  readonly normalPages: number;
  readonly normalBytes: number;
  /** xbzrle "pages": cache hits encoded (incl. unchanged and overflowed). */
  readonly deltaPages: number;
  /** xbzrle "bytes": delta + 3 per encoded page, +4096 per overflow (QEMU's accounting). */
  readonly deltaBytes: number;
  readonly cacheMissPages: number;
  /** misses / (hits + misses); null when nothing was looked up (no cache, or no delta pass). */
  readonly cacheMissRate: number | null;
  readonly overflowPages: number;
  /** pages × 4096 / bytes, QEMU's xbzrle encoding-rate; null when no delta bytes were sent. */
  readonly encodingRate: number | null;
  readonly dirtySyncCount: number;
  /** Delta pages whose content equalled the cached copy: nothing sent (QEMU sends no record). */
  readonly unchangedPages: number;
  /** Cache inserts the age rule refused (page_cache.c cache_insert() returning -1). */
  readonly cacheInsertRefused: number;
  readonly passes: number;
  /** Simulated sender CPU time spent encoding, ms (from the calibration rates). */
  readonly encodeCpuMs: number;
}

/**
 * What a migration that ran measured, by how it ended: only a completed one has a downtime, so
 * a stopped cell with a downtime (or a completed one without) does not type-check.
 */
export type MigrationResult =
  | {
      readonly status: "completed";
      readonly metrics: CellMetrics<number>;
      readonly passes: readonly PassRecord[];
    }
  | {
      readonly status: Exclude<CellStatus, "completed" | "failed">;
      readonly metrics: CellMetrics<null>;
      readonly passes: readonly PassRecord[];
    };

/** A finished cell: a discriminated union on status, after tinybench's task results. */
export type CellResult =
  | (MigrationResult & {
      readonly spec: CellSpec;
      /** Wall-clock ms this machine took to simulate the cell (a machine timing, not a result). */
      readonly wallMs: number;
    })
  | {
      readonly spec: CellSpec;
      readonly status: "failed";
      readonly error: string;
      readonly wallMs: number;
    };
