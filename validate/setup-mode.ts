import { mean } from "simple-statistics";
import { firstSyncPagewisePages } from "../harness/simulator/setup-time.ts";
import type { ComparedConfig } from "./compared.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";
import { realSetupMs } from "./real-setup.ts";

/**
 * Which of QEMU's setup times each real migration took. Under TCG the setup is the first dirty
 * sync, a cost per page of guest RAM it walks one at a time (harness/simulator/setup-time.ts):
 * for each page `tlb_reset_dirty()` walks every entry of the vCPU's software TLB, whose size TCG
 * sets by powers of two at the guest's rare flushes (accel/tcg/cputlb.c
 * `tlb_mmu_resize_locked()`). The lab's guest kernel's TLB was 2 048 entries in some
 * migrations and 4 096 in others: ~1.6 µs a page and ~2.4 (docs/VALIDATION.md, eleventh
 * session). A host profile's setup is their mean, so a run whose migrations mostly walked the
 * larger TLB has totals below the simulated ones for a reason that is the guest's TLB history,
 * not the model's: the summary says so.
 */

/** The fast mode's fixed part, ms: the three odd guest sizes' fastest setups lie on it. */
const FAST_MODE_FIXED_MS = 10;
/** Over this many µs a page walked, a setup walked the larger TLB (the smaller: ≤ 1.8). */
export const SLOW_MODE_MICROS_PER_PAGE = 2;

/** Pages of a configuration's guest RAM that QEMU's first sync walks one at a time. */
export function setupWalkedPages(config: LabConfig): number {
  return firstSyncPagewisePages(config.guestRamKiB / 4);
}

/** µs a page the first sync walked one at a time; null without a setup-time or pages walked. */
export function setupMicrosPerPage(run: LabRun): number | null {
  const setupMs = realSetupMs(run);
  const pages = setupWalkedPages(run.config);
  if (setupMs === null || pages === 0) return null;
  return ((setupMs - FAST_MODE_FIXED_MS) * 1000) / pages;
}

/** The real migrations' setups, and how many walked the larger TLB; null without a setup-time. */
export function setupModeLine(compared: readonly ComparedConfig[]): string | null {
  const runs = compared.flatMap((c) => c.real).filter((run) => run.outcome !== "failed");
  const setups = runs.flatMap((run) => realSetupMs(run) ?? []);
  if (setups.length === 0) return null;
  const head = `QEMU's setup: mean ${Math.round(mean(setups))} ms over ${setups.length} real migrations (${Math.min(...setups)}–${Math.max(...setups)} ms)`;
  const perPage = runs.flatMap((run) => setupMicrosPerPage(run) ?? []);
  if (perPage.length === 0) return `${head}; no page walked one at a time`;
  const slow = perPage.filter((micros) => micros > SLOW_MODE_MICROS_PER_PAGE).length;
  return `${head}; ${slow} of ${perPage.length} walked the larger TCG TLB (over ${SLOW_MODE_MICROS_PER_PAGE} µs a page of guest RAM; a host profile's setup is the mean of both)`;
}
