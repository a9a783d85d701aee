import type { PageOutcome } from "../../codecs/calibration.ts";
import { type CodecDefinition, PAGE_SIZE } from "../../codecs/types.ts";
import type { CellMetrics, CellSpec, MigrationResult } from "../../results/cell.ts";
import { guestVcpuBusy } from "../../workloads/guest-progress.ts";
import type { WorkloadRun } from "../../workloads/types.ts";
import { createPageCache } from "./cache/models.ts";
import { usesPageCache } from "./cache-independence.ts";
import { CONVERGENCE_RULES } from "./convergence.ts";
import { type HostProfile, NO_HOST_OVERHEAD } from "./host-profile.ts";
import { Migration } from "./migration.ts";
import type { SimulationObserver } from "./observer.ts";
import { MigrationCounters } from "./observers/counters.ts";
import { PassRecorder } from "./observers/passes.ts";
import { encodeSecondsByEvent, senderSecondsByEvent } from "./page-events.ts";
import { setupSeconds } from "./setup-time.ts";

/**
 * The pre-copy live-migration simulator: QEMU 7.2's RAM migration (migration/ram.c,
 * migration/migration.c) as a deterministic discrete-time model, after SimPy — a clock and the
 * model's state (migration.ts), the rules that decide when to sync and when to stop
 * (convergence.ts), and observers that metrics attach to from outside (observer.ts,
 * observers/). docs/SIMULATOR.md states every rule in prose; each cites the QEMU function it
 * mirrors. This module wires one simulation together and reads its metrics off the observers.
 */

export interface SimulationInputs {
  readonly spec: CellSpec;
  readonly workload: WorkloadRun;
  readonly codec: CodecDefinition;
  /** Seconds of one sender thread's CPU per page of each outcome (codecs/calibration.ts). */
  readonly encodeSecondsPerPage: Readonly<Record<PageOutcome, number>>;
  /**
   * The host's setup time, fixed downtime and per-page sender cost (host-profile.ts); without
   * one the host costs nothing, as the paper's formulas assume (the tests' analytic cases).
   */
  readonly hostProfile?: HostProfile;
  /**
   * Decode and compare one encoded page in this many (the first, then every n-th; 1 = all,
   * 0 = none), as the receiver would rebuild it; a mismatch fails the cell. run-cell.ts
   * samples plug-ins and verifies everything under bench's --verify.
   */
  readonly verifyEvery?: number;
}

/** Run one migration; `observers` see every sync, rate window and pass as it happens. */
export function simulate(
  inputs: SimulationInputs,
  observers: readonly SimulationObserver[] = [],
): MigrationResult {
  const { spec, codec } = inputs;
  const host = inputs.hostProfile ?? NO_HOST_OVERHEAD;
  const counters = new MigrationCounters();
  const recorder = new PassRecorder(counters);
  const migration = new Migration({
    spec,
    workload: inputs.workload,
    codec,
    cache: usesPageCache(codec) ? createPageCache(spec) : null,
    verifyEvery: inputs.verifyEvery ?? 0,
    rule: CONVERGENCE_RULES[spec.convergence],
    encodeSeconds: encodeSecondsByEvent(inputs.encodeSecondsPerPage),
    senderSeconds: senderSecondsByEvent(host, guestVcpuBusy(spec.params)),
    stoppedSenderSeconds: senderSecondsByEvent(host),
    setupS: setupSeconds(host, inputs.workload.pageCount),
    downtimeFixedS: host.downtimeFixedMs / 1000,
    pages: counters,
    observers: [recorder, ...observers],
  });
  const status = migration.run();
  const lookups = counters.deltaPages + counters.cacheMissPages;
  // A value the cell does not have is null, not 0 (results/cell.ts, docs/RESULTS.md).
  const metrics: CellMetrics<null> = {
    totalTimeMs: migration.timeS * 1000,
    downtimeMs: null,
    setupTimeMs: migration.setupS * 1000,
    transferredBytes: counters.transferredBytes,
    zeroPages: counters.zeroPages,
    normalPages: counters.normalPages,
    normalBytes: counters.normalPages * PAGE_SIZE,
    deltaPages: counters.deltaPages,
    deltaBytes: counters.deltaBytes,
    cacheMissPages: counters.cacheMissPages,
    // Only a delta codec looks pages up: without a cache there is no miss rate.
    cacheMissRate: lookups > 0 ? counters.cacheMissPages / lookups : null,
    overflowPages: counters.overflowPages,
    encodingRate:
      counters.deltaBytes > 0 ? (counters.deltaPages * PAGE_SIZE) / counters.deltaBytes : null,
    dirtySyncCount: migration.dirtySyncCount,
    passes: recorder.passes.length,
    encodeCpuMs: counters.encodeCpuS * 1000,
    unchangedPages: counters.unchangedPages,
    cacheInsertRefused: counters.cacheInsertRefused,
  };
  const passes = recorder.passes;
  if (status !== "completed") return { status, metrics, passes };
  return { status, metrics: { ...metrics, downtimeMs: migration.downtimeS * 1000 }, passes };
}
