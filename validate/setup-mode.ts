import { mean } from "simple-statistics";
import { firstSyncPagewisePages } from "../harness/simulator/setup-time.ts";
import type { ComparedConfig } from "./compared.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";

/**
 * Which of QEMU's two setup times each real migration took. Under TCG the setup is the first
 * dirty sync, a cost per page of guest RAM it walks one at a time (harness/simulator/
 * setup-time.ts), and that cost is ~1.5 µs a page in one mode and ~2.2–2.6 µs in the other,
 * from one migration to the next, in stretches of minutes to hours (docs/VALIDATION.md, tenth
 * session). A host profile's setup is their mean, so a run whose migrations mostly took the slow
 * mode has totals below the simulated ones for a reason that is the host's: the summary says so.
 */

/** The fast mode's fixed part, ms: the three odd guest sizes' fastest setups lie on it. */
const FAST_MODE_FIXED_MS = 10;
/** Over this many µs a page walked, a setup is the slow mode's (the fast one: ≤ 1.8). */
export const SLOW_MODE_MICROS_PER_PAGE = 2;

/** Pages of a configuration's guest RAM that QEMU's first sync walks one at a time. */
export function setupWalkedPages(config: LabConfig): number {
  return firstSyncPagewisePages(config.guestRamKiB / 4);
}

/** µs a page the first sync walked one at a time; null without a setup-time or pages walked. */
export function setupMicrosPerPage(run: LabRun): number | null {
  const setupMs = run.final?.["setup-time"];
  const pages = setupWalkedPages(run.config);
  if (setupMs === undefined || pages === 0) return null;
  return ((setupMs - FAST_MODE_FIXED_MS) * 1000) / pages;
}

/** The real migrations' setups, and how many took the slow mode; null without a setup-time. */
export function setupModeLine(compared: readonly ComparedConfig[]): string | null {
  const runs = compared.flatMap((c) => c.real).filter((run) => run.outcome !== "failed");
  const setups = runs.flatMap((run) => run.final?.["setup-time"] ?? []);
  if (setups.length === 0) return null;
  const head = `QEMU's setup: mean ${Math.round(mean(setups))} ms over ${setups.length} real migrations (${Math.min(...setups)}–${Math.max(...setups)} ms)`;
  const perPage = runs.flatMap((run) => setupMicrosPerPage(run) ?? []);
  if (perPage.length === 0) return `${head}; no page walked one at a time`;
  const slow = perPage.filter((micros) => micros > SLOW_MODE_MICROS_PER_PAGE).length;
  return `${head}; ${slow} of ${perPage.length} in the first sync's slow mode (over ${SLOW_MODE_MICROS_PER_PAGE} µs a page of guest RAM; a host profile's setup is the mean of both modes)`;
}
