import type { HostProfile } from "./host-profile.ts";

/**
 * How long QEMU takes to set a migration up (migration.c setup-time), from a host profile and
 * the guest's RAM: the profile's fixed part, and its part per page for every page the first
 * dirty-bitmap sync walks one at a time.
 *
 * Why a part per page: the setup ends with the first sync (ram.c ram_init_bitmaps), when every
 * page is dirty. QEMU 7.2's cpu_physical_memory_sync_dirty_bitmap (include/exec/ram_addr.h)
 * takes the dirty bits a word at a time when the RAM block's start and length are multiples of
 * a word's pages, and otherwise tests and clears each page's bit and, under TCG, resets the
 * dirty state of every vCPU TLB entry on that page (cputlb.c tlb_reset_dirty). The lab measured
 * it (docs/VALIDATION.md, tenth session): idle guests of 262 136, 524 280 and 1 048 568 KiB set
 * up in ~110, ~210 and ~410 ms at their fastest, one of 524 288 KiB in 1–2 ms.
 */

/** Pages in a word of the dirty bitmap on a 64-bit host (BITS_PER_LONG): 256 KiB of RAM. */
const DIRTY_WORD_PAGES = 64;

/** Pages of a RAM of `ramPages` that the first sync walks one at a time: all, or none. */
export function firstSyncPagewisePages(ramPages: number): number {
  return ramPages % DIRTY_WORD_PAGES === 0 ? 0 : ramPages;
}

/** The simulated setup-time, seconds. */
export function setupSeconds(host: HostProfile, ramPages: number): number {
  const perPageMs = ((host.setupMicrosPerPage ?? 0) * firstSyncPagewisePages(ramPages)) / 1000;
  return (host.setupMs + perPageMs) / 1000;
}
