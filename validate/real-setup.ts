import { join } from "node:path";
import { mean } from "simple-statistics";
import type { HostProfile } from "../harness/simulator/host-profile.ts";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import type { LabRun } from "./migration-run.ts";

/**
 * `--real-setup`: simulate each real repetition with that migration's own setup-time instead of
 * the profile's. Under TCG the setup is one walk of the vCPU's software TLB per page of guest
 * RAM, and the TLB's size is set by the guest's flushes seconds before (docs/VALIDATION.md,
 * eleventh session): a draw no model of the load predicts, which moved the real mean total of
 * one configuration by up to 1.20 times from one session to the next. Given the draw as an
 * input, as the synthetic stride is given each repetition's guest speed, the simulator still
 * models what the setup's length does — the guest's writes during it, the first rate window it
 * ends — and the totals and bytes can be compared migration by migration. The profile's own
 * setup stays what `npm run bench` uses; the setup column's ratio is then 1 by construction.
 */

/** The summary's line under `--real-setup`. */
export const REAL_SETUP_NOTE =
  "--real-setup: each simulation took its real migration's setup-time (the repetitions' mean for a trace replay or a seed sweep), so the setup is not tested here; the time and bytes ratios are the rest of the model's";

/** The setup-time QEMU reported for a real migration, ms, or null when it reported none. */
export function realSetupMs(run: LabRun): number | null {
  return run.final?.["setup-time"] ?? null;
}

/** The repetitions' mean setup-time (for the simulations that stand for them all), or null. */
export function meanRealSetupMs(runs: readonly LabRun[]): number | null {
  const setups = runs.flatMap((run) => realSetupMs(run) ?? []);
  return setups.length === 0 ? null : mean(setups);
}

/**
 * Writes `base` (the profile `--profile` named, read once by the caller) with its setup replaced
 * by `setupMs` (no part per page) as `dir/<name>.json`, and returns the file's path for
 * `--profile`.
 */
export function profileWithSetup(
  base: HostProfile,
  setupMs: number,
  dir: string,
  name: string,
): string {
  const { setupMicrosPerPage: _perPage, ...profile } = base;
  const file = join(dir, `${name}.json`);
  const withSetup: HostProfile = {
    ...profile,
    source: `${profile.source} — with the real migration's setup-time, ${setupMs} ms (--real-setup)`,
    setupMs,
  };
  writeFileAtomic(file, `${JSON.stringify(withSetup, null, 1)}\n`);
  return file;
}
