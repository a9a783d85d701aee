/**
 * One cell of a sweep: every parameter of one simulated migration, and what it produced.
 * The runner builds cells from the command line's cross product and hands each to the
 * simulator (harness/simulator/precopy.ts) on a worker thread; results/ turns CellResult into CSV rows.
 * Everything here is plain data so it crosses worker_threads by structured clone.
 */

export type CacheModel = "direct" | "2way" | "lru";
export type ConvergenceRule = "qemu" | "qemu-kvm-0.13" | "codec-aware";

export interface CellSpec {
  /** Position in the sweep; rows are written in this order whatever finishes first. */
  readonly index: number;
  readonly workload: string;
  readonly ramBytes: number;
  /** Every workload parameter, defaults filled in (→ param_<name> columns). */
  readonly params: Readonly<Record<string, number | string>>;
  readonly seed: number;
  readonly codec: string;
  /** Path of a --codec-module plug-in that defines `codec`, if it is not built in. */
  readonly codecModule: string | null;
  readonly cacheModel: CacheModel;
  readonly cacheSizeBytes: number;
  /** QEMU ≥ 2.3's CACHED_PAGE_LIFETIME rule (direct cache only); false = pre-2014 always-replace. */
  readonly cacheAge: boolean;
  /** max-bandwidth: the rate cap of the iterative passes, bytes/s. */
  readonly bandwidthBytesPerS: number;
  /** The link's own speed, bytes/s: the uncapped stop-and-copy runs at this rate. */
  readonly linkBytesPerS: number;
  readonly downtimeLimitMs: number;
  readonly convergence: ConvergenceRule;
  /** QEMU ≥ 1.5 skips delta encoding during the bulk (first) pass; false = pre-2013 behaviour. */
  readonly bulkSkip: boolean;
  /** Sender compression threads (encode time is divided over them). */
  readonly threads: number;
  readonly maxTimeMs: number;
  /** null = no pass limit. */
  readonly maxPasses: number | null;
  /** Where codec encode rates come from: "built-in" or a calibration file path. */
  readonly calibration: string;
}

export type CellStatus = "completed" | "did-not-converge" | "trace-ended" | "failed";

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

/** The totals of one cell, named after QEMU's query-migrate fields (see results/schema.ts). */
export interface CellMetrics {
  readonly totalTimeMs: number;
  readonly downtimeMs: number;
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
  readonly cacheMissRate: number;
  readonly overflowPages: number;
  /** pages × 4096 / bytes, QEMU's xbzrle encoding-rate (0 when no delta pages). */
  readonly encodingRate: number;
  readonly dirtySyncCount: number;
  /** Delta pages whose content equalled the cached copy: nothing sent (QEMU sends no record). */
  readonly unchangedPages: number;
  /** Cache inserts the age rule refused (page_cache.c cache_insert() returning -1). */
  readonly cacheInsertRefused: number;
  readonly passes: number;
  /** Simulated sender CPU time spent encoding, ms (from the calibration rates). */
  readonly encodeCpuMs: number;
}

/** A finished cell: a discriminated union on status, after tinybench's task results. */
export type CellResult =
  | {
      readonly spec: CellSpec;
      readonly status: Exclude<CellStatus, "failed">;
      readonly metrics: CellMetrics;
      readonly passes: readonly PassRecord[];
      /** Wall-clock ms this machine took to simulate the cell (a machine timing, not a result). */
      readonly wallMs: number;
    }
  | {
      readonly spec: CellSpec;
      readonly status: "failed";
      readonly error: string;
      readonly wallMs: number;
    };
