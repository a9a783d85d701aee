import type { PageBitmap } from "../lib/page-bitmap.ts";

/**
 * Where dirty pages come from. A synthetic generator and a recorded trace implement the same
 * interface, so the simulator never knows which it has.
 *
 * A WorkloadRun is a cursor over simulated time: the simulator moves it forward with
 * advanceTo() and reads pages as they are at the cursor's time. Time only moves forward, which
 * lets a generator produce its writes as a stream and keep memory proportional to the pages it
 * touches, never to the VM's RAM.
 */
export interface WorkloadRun {
  /** The VM's RAM in 4096-byte pages. */
  readonly pageCount: number;
  /** The cursor's time, in seconds since the workload started (starts at 0). */
  readonly timeS: number;
  /**
   * When a recorded source runs out of data: its last time, in seconds; `null` for a source that
   * never ends. What happens past it is the source's `--set on-end=` policy.
   */
  readonly endS: number | null;
  /**
   * Move the cursor to `timeS` (≥ the current time) and add to `dirty` every page written in
   * (previous time, timeS]. Cost grows with the writes in the interval, not with RAM.
   */
  advanceTo(timeS: number, dirty: PageBitmap): void;
  /** True when the page is all zero at the cursor's time. Cheap: no page is built. */
  isZero(page: number): boolean;
  /**
   * Write the page's content at the cursor's time into `out` (4096 bytes, caller-owned).
   * Deterministic: same seed, same time, same bytes. Must not allocate per page.
   */
  readPage(page: number, out: Uint8Array): void;
}

/** A workload knob: `--set name=value`. Values are numbers in the stated unit, or strings. */
export interface WorkloadParam {
  readonly name: string;
  /** Unit as printed in --help-workload and in the CSV's param_ column, e.g. "pages/s". */
  readonly unit: string;
  readonly defaultValue: number | string;
  readonly description: string;
  /** Allowed values for a string parameter. */
  readonly choices?: readonly string[];
}

export type WorkloadParams = Readonly<Record<string, number | string>>;

export interface WorkloadOptions {
  /** RAM size in bytes (a multiple of 4096). */
  readonly ramBytes: number;
  readonly seed: number;
  /** Every declared parameter, defaults filled in (see resolveParams). */
  readonly params: WorkloadParams;
}

/** A registry row: what the workload models, its knobs, and where it comes from. */
export interface WorkloadDefinition {
  readonly name: string;
  /** One line: what it models. */
  readonly description: string;
  /** The source that motivated it (the paper, a patch series, QEMU's docs: docs/SOURCES.md). */
  readonly source: string;
  /** RAM when --ram is not given, in bytes. */
  readonly defaultRamBytes: number;
  readonly params: readonly WorkloadParam[];
  /**
   * Whether a run with these parameters draws anything from its seed (absent: always). Only a
   * workload that can be seed-free says so: `bench --dry-run` then warns that a sweep over
   * seeds only repeats its cells (harness/sweep/setting-warnings.ts).
   */
  readonly usesSeed?: (params: WorkloadParams) => boolean;
  create(options: WorkloadOptions): WorkloadRun | Promise<WorkloadRun>;
}

/**
 * Thrown by advanceTo() when a recorded source has run out of data and its on-end policy is
 * `stop`. The simulator reports the cell with status `trace-ended` rather than inventing data.
 */
export class WorkloadEndedError extends Error {
  override readonly name = "WorkloadEndedError";
  constructor(
    readonly workload: string,
    readonly endS: number,
  ) {
    super(`${workload}: the recorded data ends at ${endS} s`);
  }
}
