import type { LabConfig, LabRun } from "./migration-run.ts";
import { DEFAULT_GUEST_RAM_KIB, type GuestLoad } from "./vm.ts";

/**
 * The configurations the lab migrates. `--quick` is the smallest set that still shows each
 * effect the simulator must reproduce (an idle guest, a sparse random writer with and without
 * XBZRLE, the QEMU docs stride program with and without XBZRLE, and a rate cap where the bulk
 * pass dominates); `--full` crosses every load with XBZRLE off/16 MiB/64 MiB and both rate caps
 * at 300 ms, and adds a 30 ms downtime limit for the two loads where it decides the outcome.
 */

const MiB = 1024 * 1024;

export const LOADS: Readonly<Record<GuestLoad["mode"], GuestLoad>> = {
  idle: { mode: "idle", args: [] },
  // 16 MiB buffer, as in QEMU's docs.
  stride: { mode: "stride", args: [16] },
  // 4 000 writes/s over 192 MiB: far more distinct pages per pass than a 16 MiB cache holds.
  sparse: { mode: "sparse", args: [192, 4000] },
  // The same rate with Zipf(1.0)-popular pages: a small hot set a cache can keep.
  zipf: { mode: "zipf", args: [192, 4000] },
};

function config(
  mode: GuestLoad["mode"],
  xbzrleMiB: number | null,
  bandwidthMiB: number,
  downtimeLimitMs: number,
  timeoutS: number,
): LabConfig {
  const xbzrle = xbzrleMiB === null ? "off" : `${xbzrleMiB}MiB`;
  return {
    name: `${mode}-xbzrle-${xbzrle}-${bandwidthMiB}MiBps-${downtimeLimitMs}ms`,
    load: LOADS[mode],
    guestRamKiB: DEFAULT_GUEST_RAM_KIB,
    preallocated: true,
    kaslr: false,
    xbzrleCacheBytes: xbzrleMiB === null ? null : xbzrleMiB * MiB,
    maxBandwidthBytesPerS: bandwidthMiB * MiB,
    downtimeLimitMs,
    timeoutS,
    warmupS: 3,
  };
}

export function quickMatrix(): LabConfig[] {
  return [
    config("idle", null, 128, 300, 45),
    config("sparse", null, 128, 300, 45),
    config("sparse", 64, 128, 300, 45),
    config("stride", null, 128, 300, 45),
    config("stride", 64, 128, 300, 45),
    config("stride", 64, 32, 300, 45),
    // A hot set a 16 MiB cache can hold: the one quick run where XBZRLE mostly hits.
    config("zipf", 16, 128, 300, 45),
  ];
}

/** `--full`'s repetitions of every configuration. */
export const FULL_LAB_REPS = 3;

/**
 * `--quick`'s repetitions: 3 of a deterministic configuration, whose totals are compared with
 * the real mean — QEMU's setup under TCG takes one of two times per migration (~215 or
 * ~290–500 ms for the lab's guest, docs/VALIDATION.md tenth session), and one repetition of a
 * 0.7 s migration is then a draw 15–30 % apart, not a mean; 1 of the stochastic one, whose
 * simulated share of converging seeds a repetition or two more would not test (its 45 s
 * timeout is the longest migration in the matrix).
 */
export function quickLabReps(config: LabConfig): number {
  return markedStochastic(config) ? 1 : 3;
}

/**
 * The order of a run's migrations, given each configuration's repetitions: round by round,
 * each round migrating every configuration (by its index) that has a repetition left. A
 * stretch of minutes when the host is slower (S12's slow setups came four in a row,
 * docs/VALIDATION.md) then falls on several configurations' repetitions, not on all of one's.
 */
export function migrationOrder(reps: readonly number[]): { index: number; rep: number }[] {
  const order: { index: number; rep: number }[] = [];
  for (let rep = 0; rep < Math.max(0, ...reps); rep++)
    reps.forEach((n, index) => {
      if (rep < n) order.push({ index, rep });
    });
  return order;
}

export function fullMatrix(): LabConfig[] {
  const out: LabConfig[] = [];
  for (const mode of ["idle", "sparse", "zipf", "stride"] as const)
    for (const xbzrle of [null, 16, 64])
      for (const bandwidth of [32, 128]) out.push(config(mode, xbzrle, bandwidth, 300, 120));
  for (const mode of ["sparse", "stride"] as const)
    for (const xbzrle of [null, 64]) out.push(config(mode, xbzrle, 128, 30, 120));
  return out;
}

/**
 * Configurations whose real outcome is a matter of chance, simulated over seeds with vCPU
 * stalls whatever their repetitions show: `stride` with XBZRLE at 32 MiB/s completed in 30 s
 * once and did not converge in 120 s once in the first 42 real runs (docs/VALIDATION.md).
 * Any configuration whose repetitions disagree is treated the same way (isStochastic).
 */
export function markedStochastic(config: LabConfig): boolean {
  return (
    config.load.mode === "stride" &&
    config.xbzrleCacheBytes !== null &&
    config.maxBandwidthBytesPerS <= 32 * MiB
  );
}

/** Stochastic: marked so, or its real repetitions converged and did not. */
export function isStochastic(config: LabConfig, real: readonly LabRun[]): boolean {
  // A run that failed (QEMU or the lab broke) says nothing about convergence.
  const outcomes = new Set(real.flatMap((r) => (r.outcome === "failed" ? [] : [r.outcome])));
  return markedStochastic(config) || outcomes.size > 1;
}
