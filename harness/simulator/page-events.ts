import type { PageOutcome } from "../../codecs/calibration.ts";
import type { HostProfile, SenderOutcome } from "./host-profile.ts";

/**
 * What happened to one page on the sender: the branches of ram.c ram_save_target_page() →
 * save_zero_page(), save_xbzrle_page(), save_normal_page() that the counters tell apart. Small
 * integers, so the per-page path hands one to the counters without allocating
 * (observers/counters.ts switches on it).
 */
export const PageEvent = {
  /** save_zero_page(): a 9-byte ZERO record. */
  zero: 0,
  /**
   * save_normal_page() with no delta tried: a delta codec before XBZRLE starts or in
   * qemu-kvm 0.13's final stage, a codec that `sendsPagesRaw`, a compressor's overflow.
   */
  raw: 1,
  /** save_xbzrle_page(): a cache miss, sent raw; the page is now cached (or it is the last stage). */
  miss: 2,
  /** A cache miss whose cache_insert() was refused (the age rule): sent raw, not cached. */
  missRefused: 3,
  /** A cache hit whose page equals its cached copy: nothing sent. */
  hitUnchanged: 4,
  /** A cache hit whose delta overflowed the page: sent raw. */
  hitOverflow: 5,
  /** A cache hit sent as a delta record. */
  hitDelta: 6,
  /** A codec without a cache said the page is unchanged (a plug-in's choice): nothing sent. */
  unchanged: 7,
  /** A page compressed on its own (lz4, zstd, deflate): QEMU's multifd counts it as normal. */
  compressed: 8,
} as const;
export type PageEvent = (typeof PageEvent)[keyof typeof PageEvent];

/** The calibration outcome (codecs/calibration.ts) each event's encode time is charged at. */
const OUTCOME_OF_EVENT: Readonly<Record<PageEvent, PageOutcome>> = {
  [PageEvent.zero]: "zero",
  [PageEvent.raw]: "raw",
  [PageEvent.miss]: "raw",
  [PageEvent.missRefused]: "raw",
  [PageEvent.hitUnchanged]: "unchanged",
  [PageEvent.hitOverflow]: "overflow",
  [PageEvent.hitDelta]: "delta",
  [PageEvent.unchanged]: "unchanged",
  [PageEvent.compressed]: "delta",
};

/**
 * The cost model: seconds of one sender thread's CPU per page, indexed by PageEvent, from the
 * seconds per outcome (harness/simulator/run-cell.ts derives those from the calibration). A
 * typed array, so the per-page lookup is one load.
 */
export function encodeSecondsByEvent(
  secondsPerOutcome: Readonly<Record<PageOutcome, number>>,
): Float64Array {
  const events = Object.values(PageEvent);
  const seconds = new Float64Array(events.length);
  for (const event of events) seconds[event] = secondsPerOutcome[OUTCOME_OF_EVENT[event]];
  return seconds;
}

/**
 * The host profile's outcome (host-profile.ts) each event's migration-thread cost is charged
 * at: a plug-in's "unchanged" and a compressor's page went down the normal path.
 */
const SENDER_OUTCOME_OF_EVENT: Readonly<Record<PageEvent, SenderOutcome>> = {
  [PageEvent.zero]: "zero",
  [PageEvent.raw]: "normal",
  [PageEvent.miss]: "miss",
  [PageEvent.missRefused]: "miss",
  [PageEvent.hitUnchanged]: "hit",
  [PageEvent.hitOverflow]: "overflow",
  [PageEvent.hitDelta]: "hit",
  [PageEvent.unchanged]: "normal",
  [PageEvent.compressed]: "normal",
};

/**
 * The host's cost model: seconds of the migration thread per page, indexed by PageEvent, with
 * the guest's vCPUs using `vcpuBusy` of the host's CPU (host-profile.ts busyVcpuSlowdown).
 */
export function senderSecondsByEvent(profile: HostProfile, vcpuBusy = 0): Float64Array {
  const events = Object.values(PageEvent);
  const seconds = new Float64Array(events.length);
  const contention = 1 + (profile.busyVcpuSlowdown ?? 0) * vcpuBusy;
  for (const event of events)
    seconds[event] =
      (profile.senderMicrosPerPage[SENDER_OUTCOME_OF_EVENT[event]] / 1e6) * contention;
  return seconds;
}

/** Sees every page the sender sends (observers/counters.ts: QEMU's query-migrate counters). */
export interface PageObserver {
  onPage(event: PageEvent, wireBytes: number, encodeSeconds: number): void;
}
