import { PageBitmap } from "../lib/page-bitmap.ts";
import { checkForward } from "./heap-model.ts";
import { hash2, Xoshiro128 } from "./random.ts";
import type { WorkloadDefinition, WorkloadOptions, WorkloadParams, WorkloadRun } from "./types.ts";
import { param } from "./workload-params.ts";

/**
 * The guest's progress as the migration sees it: how long it ran before the migration started
 * (`guest_warmup_s`), and a seeded model of its vCPU stopping now and then. Under TCG on a machine
 * whose cores it shares with QEMU's migration thread (and other work), a vCPU thread is
 * descheduled, waits for the big QEMU lock, or runs the slow path after a dirty sync; real
 * migrations of the same configuration then end differently from run to run (the lab's
 * `stride` with XBZRLE completed in 30 s once and did not converge in 120 s another time,
 * docs/VALIDATION.md): it converges when a dirty sync falls while the vCPU is stalled and finds
 * few pages dirty. A deterministic guest can only ever give one outcome; with stalls, a sweep
 * over seeds gives the share that converges.
 *
 * Model: stalls start as a Poisson process in the guest's running time (`guest_stalls_per_s`)
 * and last an exponentially distributed time (mean `guest_stall_ms`); the guest makes no progress
 * during one, so the load behind it sees time pass only while the guest runs: it is advanced to
 * guest time g(t) = t − (stalled time before t). Stalls are drawn in one fixed order from the
 * seed, so the same seed gives the same stalls however the simulator slices time.
 *
 * Warm-up: a real migration starts on a guest that has been running (the lab lets its load run
 * 3 s first), so the memory it finds holds what the load wrote by then. With `guest_warmup_s`
 * the load is advanced that far before the migration's clock starts (its writes are in RAM;
 * setup's first sync marks every page dirty anyway), and then runs on from there.
 *
 * Every workload has the parameters (workloads/registry.ts); the defaults (no warm-up, no
 * stalls) change nothing.
 */

export const GUEST_PROGRESS_PARAMS = [
  param({
    name: "guest_warmup_s",
    unit: "s",
    defaultValue: 0,
    description:
      "seconds the load ran before the migration started (its writes are in RAM at the start)",
    min: 0,
  }),
  param({
    name: "guest_stalls_per_s",
    unit: "stalls/s",
    defaultValue: 0,
    description:
      "vCPU stalls per second of running time (Poisson, from the seed); the guest makes no progress during one (0 = none)",
    min: 0,
  }),
  param({
    name: "guest_stall_ms",
    unit: "ms",
    defaultValue: 20,
    description: "mean length of a vCPU stall (exponentially distributed)",
    min: 0,
  }),
  param({
    name: "guest_vcpu_busy",
    unit: "vCPUs",
    defaultValue: 0,
    description:
      "CPU the guest's vCPUs use while it migrates (1 = one vCPU computing flat out); slows the sender on a host profile with busyVcpuSlowdown",
    min: 0,
  }),
];

/**
 * The guest's vCPU use the host profile's contention term is charged at (harness/simulator/
 * page-events.ts): it changes no page the load writes, only what the sender's pages cost.
 */
export function guestVcpuBusy(params: WorkloadParams): number {
  return numberOr(params, "guest_vcpu_busy", 0);
}

/** Salt for the stalls' generator, apart from every load's own streams. */
export const STALL_SALT = 0x57a11;

/**
 * `definition` with the progress parameters, its runs wrapped in GuestProgressRun when a
 * warm-up or stalls are set.
 */
export function withGuestProgress(definition: WorkloadDefinition): WorkloadDefinition {
  return {
    ...definition,
    params: [...definition.params, ...GUEST_PROGRESS_PARAMS],
    // Stalls are drawn from the seed; the warm-up is not.
    usesSeed: (params) => stallModel(params) !== null || (definition.usesSeed?.(params) ?? true),
    create(options: WorkloadOptions) {
      const warmupS = numberOr(options.params, "guest_warmup_s", 0);
      const stalls = stallModel(options.params);
      const created = definition.create(options);
      if (warmupS === 0 && stalls === null) return created;
      const wrap = (run: WorkloadRun) => new GuestProgressRun(run, options.seed, warmupS, stalls);
      return created instanceof Promise ? created.then(wrap) : wrap(created);
    },
  };
}

/** The stalls the parameters ask for, or null for none. */
function stallModel(params: WorkloadParams): StallModel | null {
  const ratePerS = numberOr(params, "guest_stalls_per_s", 0);
  const meanS = numberOr(params, "guest_stall_ms", 0) / 1000;
  return ratePerS > 0 && meanS > 0 ? { ratePerS, meanS } : null;
}

/** A parameter's value, or `fallback` for a caller that did not give it (tests, old specs). */
function numberOr(params: WorkloadParams, name: string, fallback: number): number {
  const value = params[name];
  return typeof value === "number" ? value : fallback;
}

/** vCPU stalls: Poisson starts in running time, exponential lengths. */
export interface StallModel {
  readonly ratePerS: number;
  readonly meanS: number;
}

/**
 * A load advanced to the guest's own time: the warm-up plus the time it ran since the
 * migration started, stalls excluded.
 */
export class GuestProgressRun implements WorkloadRun {
  readonly pageCount: number;
  /** The load's end, in the guest's time (a stalled guest reaches it later). */
  readonly endS: number | null;
  timeS = 0;
  private readonly random: Xoshiro128;
  /** Time stalled in the stalls that ended at or before `stallStartS`. */
  private stalledS = 0;
  /** The next stall not yet over: [stallStartS, stallEndS) in the simulator's time. */
  private stallStartS = Number.POSITIVE_INFINITY;
  private stallEndS = Number.POSITIVE_INFINITY;

  constructor(
    private readonly inner: WorkloadRun,
    seed: number,
    private readonly warmupS: number,
    private readonly stalls: StallModel | null,
  ) {
    this.pageCount = inner.pageCount;
    this.endS = inner.endS;
    this.random = new Xoshiro128(hash2(seed >>> 0, STALL_SALT));
    if (stalls !== null) {
      this.stallStartS = this.random.nextExponential(stalls.ratePerS);
      this.stallEndS = this.stallStartS + this.random.nextExponential(1 / stalls.meanS);
    }
    // The warm-up's writes are in RAM; which pages they dirtied does not matter (setup's first
    // sync marks every page dirty), so they go to a bitmap that is dropped.
    if (warmupS > 0) inner.advanceTo(warmupS, new PageBitmap(inner.pageCount));
  }

  /** Seconds the guest has run by `timeS` (≥ the last time asked), its warm-up included. */
  guestTime(timeS: number): number {
    const stalls = this.stalls;
    if (stalls !== null) {
      while (timeS >= this.stallEndS) {
        this.stalledS += this.stallEndS - this.stallStartS;
        this.stallStartS = this.stallEndS + this.random.nextExponential(stalls.ratePerS);
        this.stallEndS = this.stallStartS + this.random.nextExponential(1 / stalls.meanS);
      }
    }
    return this.warmupS + Math.min(timeS, this.stallStartS) - this.stalledS;
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    checkForward(this.timeS, timeS);
    this.inner.advanceTo(this.guestTime(timeS), dirty);
    this.timeS = timeS;
  }

  isZero(page: number): boolean {
    return this.inner.isZero(page);
  }

  readPage(page: number, out: Uint8Array): void {
    this.inner.readPage(page, out);
  }
}
