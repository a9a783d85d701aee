import { badEncodeResult, codecLabel, createChecked, PluginError } from "../../codecs/plugin.ts";
import {
  type ArenaEncode,
  type CodecDefinition,
  OVERFLOW,
  PAGE_HEADER_BYTES,
  PAGE_SIZE,
  type PageCodec,
  RAW_RECORD_BYTES,
  UNCHANGED,
} from "../../codecs/types.ts";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import type { CellMetrics, CellSpec, CellStatus, PassRecord } from "../../results/cell.ts";
import { WorkloadEndedError, type WorkloadRun } from "../../workloads/types.ts";
import { createPageCache } from "./cache/create.ts";
import type { WorkPages } from "./cache/slots.ts";
import type { PageCache } from "./cache/types.ts";

/**
 * The pre-copy live-migration simulator: QEMU 7.2's RAM migration (migration/ram.c,
 * migration/migration.c) as a deterministic discrete-time model, after SimPy — one clock, the
 * model's state, and observers that metrics attach to from outside. docs/SIMULATOR.md states
 * every rule in prose; each rule below cites the QEMU function it mirrors.
 *
 * Time advances page by page: sending a page costs its wire bytes at the current rate and its
 * encode time on the sender's threads, and a chunk (one QEMU iteration ≈ one 100 ms rate
 * window) takes max(wire time, encode time). The workload's cursor follows the clock in ≤ 1 ms
 * steps, so a page is read as it is when it is sent, and it stops when the VM stops.
 */

/** What one page cost the sender's CPU, as codecs/calibration.ts names it. */
export type EncodeOutcome = "zero" | "unchanged" | "delta" | "overflow" | "raw";

/** Hooks for metrics from outside the model; the model never formats output. */
export interface SimulationObserver {
  /** A pass (the interval between two dirty syncs, or the stop-and-copy) has ended. */
  onPass?(record: PassRecord): void;
  /** A dirty sync ran (migration_bitmap_sync): the new generation and the pages now dirty. */
  onSync?(timeMs: number, dirtySyncCount: number, dirtyPages: number): void;
  /** migration_update_counters measured a rate window. */
  onWindow?(timeMs: number, bandwidthBytesPerS: number, thresholdBytes: number): void;
}

export interface SimulationInputs {
  readonly spec: CellSpec;
  readonly workload: WorkloadRun;
  readonly codec: CodecDefinition;
  /** Seconds of one sender thread's CPU per page of each outcome (codecs/calibration.ts). */
  readonly encodeSecondsPerPage: Readonly<Record<EncodeOutcome, number>>;
  /**
   * Decode and compare one encoded page in this many (the first, then every n-th; 1 = all,
   * 0 = none), as the receiver would rebuild it; a mismatch fails the cell. run-cell.ts
   * samples plug-ins and verifies everything under bench's --verify.
   */
  readonly verifyEvery?: number;
}

/** CellMetrics plus what only the simulator knows (extra fields; CellMetrics stays valid). */
export interface SimulationMetrics extends CellMetrics {
  /** QEMU's expected-downtime at the last rate window: remaining bytes / bandwidth. */
  readonly expectedDowntimeMs: number;
  /** Cache hits whose page had not changed (XBZRLE encode == 0: nothing sent). */
  readonly unchangedPages: number;
  /** cache_insert() refusals under the age rule (the page went raw and stayed uncached). */
  readonly cacheInsertRefused: number;
  /** Pages the stop-and-copy sent while the VM was paused. */
  readonly stopAndCopyPages: number;
}

export interface SimulationOutcome {
  readonly status: Exclude<CellStatus, "failed">;
  readonly metrics: SimulationMetrics;
  readonly passes: readonly PassRecord[];
}

/** migration.c BUFFER_DELAY: the rate-limit and bandwidth-measurement window. */
export const RATE_WINDOW_S = 0.1;
/** How far the workload's cursor may lag the clock (the "content at send time" resolution). */
export const WORKLOAD_STEP_S = 0.001;
/** ram.c save_zero_page(): the page header plus one fill byte. */
export const ZERO_RECORD_BYTES = PAGE_HEADER_BYTES + 1;
/** migration.c migration_update_counters(): expected-downtime needs more than this sent. */
const EXPECTED_DOWNTIME_MIN_BYTES = 10000;

/**
 * Codecs whose encoding of a non-zero page does not depend on its bytes, so the simulator need
 * not build the page (the bulk pass of a 64 GiB VM then costs bitmap work, not 16 M page
 * reads): `raw` always writes the page, `zero` sends every non-zero page raw (its zero
 * decision is the workload's isZero, which the simulator has already asked).
 */
const BYTE_INDEPENDENT_RESULT: Readonly<Record<string, number>> = {
  raw: PAGE_SIZE,
  zero: OVERFLOW,
};

/** Index of the first byte where two pages differ, or -1 (a native memcmp when equal). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.compare(a, b) === 0) return -1;
  for (let i = 0; i < PAGE_SIZE; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export function simulate(
  inputs: SimulationInputs,
  observer?: SimulationObserver,
): SimulationOutcome {
  return new PrecopySimulation(inputs, observer ?? {}).run();
}

interface PassCounters {
  startS: number;
  /** The codec-aware rule learns wire bytes per page only from passes like the ones to come. */
  representative: boolean;
  dirtyPages: number;
  pagesSent: number;
  bytesSent: number;
  hits: number;
  misses: number;
  overflows: number;
}

class PrecopySimulation {
  private readonly spec: CellSpec;
  private readonly workload: WorkloadRun;
  private readonly codecDefinition: CodecDefinition;
  private readonly codec: PageCodec;
  private readonly observer: SimulationObserver;
  private readonly pageCount: number;
  /** The migration bitmap: pages still to send (ram.c RAMBlock.bmap). */
  private readonly dirty: PageBitmap;
  /** Pages the guest wrote since the last sync (KVM's dirty log, read by migration_bitmap_sync). */
  private readonly written: PageBitmap;
  private readonly cache: PageCache | null;
  private readonly current: Uint8Array;
  private readonly encoded: Uint8Array;
  /**
   * The codec's arena entry point on the cache's memory (codecs/types.ts ArenaEncode), with the
   * work pages' offsets and the memory's bytes; null when the codec or the cache has none.
   */
  private readonly arenaEncode: {
    readonly encode: ArenaEncode;
    readonly work: WorkPages;
    readonly bytes: Uint8Array;
    readonly currentAt: number;
    readonly outputAt: number;
  } | null;
  private readonly zeroPage = new Uint8Array(PAGE_SIZE);
  private readonly verifyEvery: number;
  /** Encoded pages until the next one is verified. */
  private verifyCountdown = 1;
  /** Where verify() rebuilds a page, and views of `encoded` by length, made once per length. */
  private readonly rebuilt: Uint8Array;
  private readonly encodedViews: (Uint8Array | undefined)[];
  private readonly byteIndependentResult: number | undefined;
  private readonly costZero: number;
  private readonly costUnchanged: number;
  private readonly costDelta: number;
  private readonly costOverflow: number;
  private readonly costRaw: number;
  private readonly threads: number;
  private readonly downtimeLimitS: number;

  // Clock and the workload's cursor.
  private timeS = 0;
  private workloadTimeS = 0;
  private vmRunning = true;
  /** Seconds of sender CPU in the current chunk, already divided over the threads. */
  private chunkCpuS = 0;

  // ram.c RAMState.
  private scanPage = 0;
  /** ram.c xbzrle_enabled: delta encoding active (after the bulk pass's first wrap-around). */
  private deltaActive: boolean;
  private lastStage = false;
  /** qemu-kvm 0.13's prototype sends full pages in the final stage. */
  private rawFinalStage: boolean;
  private dirtySyncCount = 0;

  // migration.c MigrationState: rate window, bandwidth, threshold.
  private windowStartS = 0;
  private windowBytes = 0;
  private bandwidthBytesPerS = 0;
  private thresholdBytes = 0;
  private expectedDowntimeS = 0;
  /**
   * codec-aware rule: wire bytes per page sent in the last pass that was neither the bulk pass
   * nor (for a delta codec) before XBZRLE started; raw until then.
   */
  private wireBytesPerPage = RAW_RECORD_BYTES;

  // query-migrate counters.
  private transferredBytes = 0;
  private zeroPages = 0;
  private normalPages = 0;
  private deltaPages = 0;
  private deltaBytes = 0;
  private cacheMisses = 0;
  private overflows = 0;
  private unchangedPages = 0;
  private refusedInserts = 0;
  private encodeCpuS = 0;
  private stopAndCopyPages = 0;
  private downtimeS = 0;

  private readonly passes: PassRecord[] = [];
  private pass: PassCounters;

  constructor(inputs: SimulationInputs, observer: SimulationObserver) {
    this.spec = inputs.spec;
    this.workload = inputs.workload;
    this.codecDefinition = inputs.codec;
    this.codec = createChecked(inputs.codec);
    this.observer = observer;
    this.pageCount = inputs.workload.pageCount;
    this.dirty = new PageBitmap(this.pageCount);
    this.written = new PageBitmap(this.pageCount);
    this.cache = inputs.codec.usesPrevious ? createPageCache(inputs.spec) : null;
    // With a cache, the work pages share its memory so a WASM kernel works in place
    // (harness/simulator/cache/slots.ts). Codecs write at most `limit` (4096) bytes into `encoded`; the
    // slack is for plug-ins that overshoot.
    this.current = this.cache?.workPages.current ?? new Uint8Array(PAGE_SIZE);
    this.encoded = this.cache?.workPages.output ?? new Uint8Array(2 * PAGE_SIZE);
    const work = this.cache?.workPages;
    const encode = work?.arena && this.codec.arenaEncoder?.(work.arena);
    this.arenaEncode =
      work?.arena && encode
        ? {
            encode,
            work,
            bytes: work.arena.bytes,
            currentAt: work.current.byteOffset,
            outputAt: work.output.byteOffset,
          }
        : null;
    this.verifyEvery = inputs.verifyEvery ?? 0;
    this.rebuilt = new Uint8Array(this.verifyEvery > 0 ? PAGE_SIZE : 0);
    this.encodedViews = this.verifyEvery > 0 ? new Array(PAGE_SIZE + 1) : [];
    this.byteIndependentResult = inputs.codec.usesPrevious
      ? undefined
      : BYTE_INDEPENDENT_RESULT[inputs.codec.name];
    const cost = inputs.encodeSecondsPerPage;
    this.costZero = cost.zero;
    this.costUnchanged = cost.unchanged;
    this.costDelta = cost.delta;
    this.costOverflow = cost.overflow;
    this.costRaw = cost.raw;
    this.threads = Math.max(1, inputs.spec.threads);
    this.downtimeLimitS = inputs.spec.downtimeLimitMs / 1000;
    // ram.c: XBZRLE starts after the bulk pass wraps (find_dirty_block); pre-2013 from the start.
    this.deltaActive = !inputs.spec.bulkSkip;
    this.rawFinalStage = inputs.spec.convergence === "qemu-kvm-0.13";
    this.pass = this.newPass(0, 0);
  }

  run(): SimulationOutcome {
    try {
      return this.finish(this.migrate());
    } catch (error) {
      if (error instanceof WorkloadEndedError) return this.finish("trace-ended");
      throw error;
    }
  }

  private migrate(): "completed" | "did-not-converge" {
    const maxTimeS = this.spec.maxTimeMs / 1000;
    const maxPasses = this.spec.maxPasses ?? Number.POSITIVE_INFINITY;
    // ram.c ram_save_setup → ram_init_bitmaps: every page dirty, then the first sync.
    this.dirty.fill();
    this.sync();
    if (this.spec.convergence === "qemu-kvm-0.13")
      return this.migrateQemuKvm013(maxTimeS, maxPasses);
    for (;;) {
      if (this.timeS >= maxTimeS || this.passes.length >= maxPasses) return "did-not-converge";
      // migration.c migration_iteration_run → ram.c ram_save_pending: when what is left is
      // below the threshold, sync the dirty bitmap and count again.
      let pending = this.pendingBytes();
      if (pending < this.thresholdBytes) {
        this.advanceWorkload(this.timeS);
        this.sync();
        pending = this.pendingBytes();
        if (this.passes.length >= maxPasses && !(pending === 0 || pending < this.thresholdBytes))
          return "did-not-converge";
      }
      // migration_iteration_run: `if (pending_size && pending_size >= threshold_size)` iterate,
      // else migration_completion.
      if (pending === 0 || pending < this.thresholdBytes) {
        this.complete();
        return "completed";
      }
      this.iterate(this.iterativeRate());
    }
  }

  /**
   * qemu-kvm 0.11–0.13's ram_save_live(): every call (one rate window) syncs the dirty bitmap,
   * sends until the rate limit, then computes expected_time = remaining pages × 4096 / the
   * bandwidth of that call, and stops the VM when it is ≤ the max downtime. No pass limit in
   * the original; maxTime/maxPasses still bound the simulation.
   */
  private migrateQemuKvm013(maxTimeS: number, maxPasses: number): "completed" | "did-not-converge" {
    for (;;) {
      if (this.timeS >= maxTimeS || this.passes.length >= maxPasses) return "did-not-converge";
      const callStartS = this.timeS;
      const bytesBefore = this.transferredBytes + this.pass.bytesSent;
      this.iterate(this.iterativeRate());
      const callS = this.timeS - callStartS;
      // "if we haven't transferred anything this round, force expected_time to a very high
      // value" (bwidth = 0.000001); nothing left still gives 0.
      const sent = this.transferredBytes + this.pass.bytesSent - bytesBefore;
      const bandwidth = callS > 0 && sent > 0 ? sent / callS : 1e-6;
      const expectedTimeS = (this.dirty.size * PAGE_SIZE) / bandwidth;
      if (expectedTimeS <= this.downtimeLimitS) {
        this.complete();
        return "completed";
      }
      this.advanceWorkload(this.timeS);
      this.sync();
    }
  }

  /** max-bandwidth caps the iterative passes; the link's own speed bounds it too. */
  private iterativeRate(): number {
    return Math.min(this.spec.bandwidthBytesPerS, this.spec.linkBytesPerS);
  }

  /**
   * ram.c ram_save_pending(): remaining = dirty pages × 4096 (uncompressed, as QEMU counts);
   * the codec-aware research rule counts them at the wire bytes per page of the last pass.
   */
  private pendingBytes(): number {
    if (this.spec.convergence === "codec-aware") return this.dirty.size * this.wireBytesPerPage;
    return this.dirty.size * PAGE_SIZE;
  }

  /**
   * ram.c migration_bitmap_sync(): merge the guest's writes since the last sync into the
   * migration bitmap, dirty-sync-count + 1 (the cache's generation). Closes the current pass.
   */
  private sync(): void {
    this.dirty.union(this.written);
    this.written.clear();
    this.dirtySyncCount++;
    this.closePass(false);
    this.pass = this.newPass(this.timeS, this.dirty.size);
    this.observer.onSync?.(this.timeS * 1000, this.dirtySyncCount, this.dirty.size);
  }

  /**
   * One migration_iteration_run → ram_save_iterate: send dirty pages (ram_find_and_save_block)
   * until the rate window is used up or nothing is dirty. Sending is a pipeline of the wire and
   * the sender's threads, so the chunk's time is max(wire time, encode time).
   */
  private iterate(rateBytesPerS: number): void {
    const windowEndS = this.windowStartS + RATE_WINDOW_S;
    const chunkStartS = this.timeS;
    let wireS = 0;
    this.chunkCpuS = 0;
    const dirty = this.dirty;
    while (dirty.size > 0 && this.timeS < windowEndS) {
      const page = this.nextDirtyPage();
      if (this.timeS - this.workloadTimeS >= WORKLOAD_STEP_S) this.advanceWorkload(this.timeS);
      const bytes = this.savePage(page);
      wireS += bytes / rateBytesPerS;
      this.timeS = chunkStartS + Math.max(wireS, this.chunkCpuS);
      this.windowBytes += bytes;
      this.pass.bytesSent += bytes;
      this.pass.pagesSent++;
    }
    if (this.timeS >= windowEndS) this.updateCounters();
  }

  /**
   * migration.c migration_update_counters(): bandwidth = bytes / time over the window;
   * threshold = bandwidth × downtime-limit; expected-downtime = remaining / bandwidth.
   */
  private updateCounters(): void {
    const spentS = this.timeS - this.windowStartS;
    this.bandwidthBytesPerS = this.windowBytes / spentS;
    this.thresholdBytes = this.bandwidthBytesPerS * this.downtimeLimitS;
    if (this.windowBytes > EXPECTED_DOWNTIME_MIN_BYTES && this.bandwidthBytesPerS > 0) {
      this.expectedDowntimeS = (this.dirty.size * PAGE_SIZE) / this.bandwidthBytesPerS;
    }
    this.observer.onWindow?.(this.timeS * 1000, this.bandwidthBytesPerS, this.thresholdBytes);
    this.windowStartS = this.timeS;
    this.windowBytes = 0;
  }

  /**
   * ram.c find_dirty_block(): the scan continues from where it stopped (last_seen_block /
   * last_page), across syncs, and wraps; the first wrap-around enables XBZRLE.
   */
  private nextDirtyPage(): number {
    let page = this.dirty.next(this.scanPage);
    if (page < 0) {
      this.deltaActive = true;
      page = this.dirty.next(0);
    }
    this.dirty.delete(page);
    this.scanPage = page + 1;
    return page;
  }

  /**
   * ram.c ram_save_target_page() → save_zero_page(), save_xbzrle_page(), save_normal_page():
   * the page's wire bytes. Adds its encode time to the chunk and the counters.
   */
  private savePage(page: number): number {
    const definition = this.codecDefinition;
    const cache = this.cache;
    // save_zero_page(): buffer_is_zero() before any codec.
    if (definition.detectsZeroPages && this.workload.isZero(page)) {
      this.zeroPages++;
      this.spend(this.costZero);
      // xbzrle_cache_zero_page(): once XBZRLE runs, a zero page refreshes its cache slot so a
      // stale copy is never used as the reference.
      if (cache !== null && this.deltaActive) {
        const slot = cache.insert(page, this.dirtySyncCount);
        if (slot >= 0) cache.view(slot).set(this.zeroPage);
      }
      return ZERO_RECORD_BYTES;
    }
    if (cache !== null) {
      if (!this.deltaActive || (this.lastStage && this.rawFinalStage)) return this.sendRaw();
      return this.saveXbzrlePage(cache, page);
    }
    // A codec without a reference page: encode every non-zero page.
    let result = this.byteIndependentResult;
    if (result === undefined) {
      this.workload.readPage(page, this.current);
      result = this.codec.encode(this.current, null, this.encoded, PAGE_SIZE);
      this.checkEncoded(page, result, -1);
    }
    if (result === OVERFLOW || definition.name === "raw") {
      this.normalPages++;
      this.spend(this.costRaw);
      return this.wireBytes(page, result);
    }
    if (result === 0) {
      this.unchangedPages++;
      this.spend(this.costUnchanged);
      return 0;
    }
    // A page compressed on its own (lz4, zstd, deflate): QEMU's multifd compression counts it
    // as a normal page (ram.normal, normal-bytes uncompressed); only transferred sees the
    // smaller record. It is not an XBZRLE page, so it never counts as a cache hit.
    this.normalPages++;
    this.spend(this.costDelta);
    return this.wireBytes(page, result);
  }

  /**
   * ram.c save_xbzrle_page(): a miss counts cache_miss, inserts the page (not in the last
   * stage) and sends it raw; a hit counts an xbzrle page, encodes against the cached copy with
   * QEMU's limit TARGET_PAGE_SIZE, updates the copy (not in the last stage, not when
   * unchanged), and sends nothing (unchanged), the page raw (overflow) or a delta record.
   * xbzrle bytes = delta + 3 per encoded page (the 8-byte header is not counted), + 4096 per
   * overflow (QEMU's xbzrle_counters in migration/ram.c).
   */
  private saveXbzrlePage(cache: PageCache, page: number): number {
    const generation = this.dirtySyncCount;
    const slot = cache.lookup(page, generation);
    if (slot < 0) {
      this.cacheMisses++;
      this.pass.misses++;
      if (!this.lastStage) {
        const inserted = cache.insert(page, generation);
        if (inserted >= 0) this.workload.readPage(page, cache.view(inserted));
        else this.refusedInserts++;
      }
      return this.sendRaw();
    }
    this.deltaPages++;
    this.pass.hits++;
    this.workload.readPage(page, this.current);
    let result: number;
    const arena = this.arenaEncode;
    if (arena !== null) {
      // Offsets, not views: no slot view object to touch (codecs/types.ts ArenaEncode).
      const previousAt = arena.work.slotAt(slot);
      result = arena.encode(arena.currentAt, previousAt, arena.outputAt, PAGE_SIZE);
      // Before the cached copy becomes this page: it is the reference the delta was made on.
      this.checkEncoded(page, result, slot);
      if (result !== 0 && !this.lastStage) {
        arena.bytes.copyWithin(previousAt, arena.currentAt, arena.currentAt + PAGE_SIZE);
      }
    } else {
      const previous = cache.view(slot);
      result = this.codec.encode(this.current, previous, this.encoded, PAGE_SIZE);
      this.checkEncoded(page, result, slot);
      if (result !== 0 && !this.lastStage) previous.set(this.current);
    }
    if (result === 0) {
      this.unchangedPages++;
      this.spend(this.costUnchanged);
      return 0;
    }
    if (result === OVERFLOW) {
      this.overflows++;
      this.pass.overflows++;
      this.deltaBytes += PAGE_SIZE;
      this.normalPages++;
      this.spend(this.costOverflow);
      return this.wireBytes(page, OVERFLOW);
    }
    const bytes = this.wireBytes(page, result);
    this.deltaBytes += bytes - PAGE_HEADER_BYTES;
    this.spend(this.costDelta);
    return bytes;
  }

  /**
   * What the codec returned for `page` must be an EncodeResult for the limit (codecs/types.ts);
   * a plug-in's NaN, fraction or length past the limit would otherwise become silently wrong
   * counters (codecs/plugin.ts isEncodeResult, inlined: one integer compare and two bounds).
   * Every verifyEvery-th page that was not an overflow is then rebuilt and compared. `slot` is
   * the cache slot of the page's reference copy, not yet updated; -1 for a codec without one.
   */
  private checkEncoded(page: number, result: number, slot: number): void {
    if ((result | 0) !== result || result < OVERFLOW || result > PAGE_SIZE) {
      throw badEncodeResult(this.codecDefinition, result, PAGE_SIZE, this.pageName(page));
    }
    if (this.verifyEvery > 0 && result !== OVERFLOW && --this.verifyCountdown === 0) {
      this.verifyCountdown = this.verifyEvery;
      this.verify(page, result, slot);
    }
  }

  /** The codec's wire bytes for a result: a whole number, at least the bytes it encoded. */
  private wireBytes(page: number, result: number): number {
    const bytes = this.codec.wireBytes(result);
    if ((bytes | 0) !== bytes || bytes < result || bytes < 0) {
      throw new PluginError(
        codecLabel(this.codecDefinition),
        `wireBytes(${result}) returned ${bytes} for ${this.pageName(page)}; wire bytes are a ` +
          "whole number, at least the encoded length",
      );
    }
    return bytes;
  }

  /**
   * Rebuild the page as the receiver would — decode the delta onto the reference copy, or keep
   * the copy when encode() said unchanged — and compare it with the page that was encoded.
   * Allocation-free: `rebuilt` and the length views are made once per cell.
   */
  private verify(page: number, result: number, slot: number): void {
    const previous = slot < 0 || this.cache === null ? null : this.cache.view(slot);
    let differsAt: number;
    if (result === UNCHANGED) {
      if (previous === null) {
        throw this.mismatch(
          page,
          "encode() returned 0 (unchanged) but the codec has no previous copy",
        );
      }
      differsAt = firstDifference(previous, this.current);
      if (differsAt >= 0) {
        throw this.mismatch(
          page,
          `encode() returned 0 (unchanged) but the page differs from its cached copy at byte ${differsAt}`,
        );
      }
      return;
    }
    let encoded = this.encodedViews[result];
    if (encoded === undefined) {
      encoded = this.encoded.subarray(0, result);
      this.encodedViews[result] = encoded;
    }
    try {
      this.codec.decode(encoded, previous, this.rebuilt);
    } catch (error) {
      if (error instanceof PluginError) throw error;
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw this.mismatch(page, `decode() rejected the ${result} bytes encode() wrote: ${reason}`);
    }
    differsAt = firstDifference(this.rebuilt, this.current);
    if (differsAt >= 0) {
      throw this.mismatch(
        page,
        `the ${result} bytes encode() wrote decode to a different page (first difference at byte ${differsAt})`,
      );
    }
  }

  private mismatch(page: number, problem: string): PluginError {
    return new PluginError(
      codecLabel(this.codecDefinition),
      `verification failed for ${this.pageName(page)}: ${problem}`,
    );
  }

  private pageName(page: number): string {
    return `page ${page} (pass ${this.passes.length + 1}${this.lastStage ? ", stop-and-copy" : ""})`;
  }

  /** ram.c save_normal_page(): header + 4096 bytes, ram_counters.normal + 1. */
  private sendRaw(): number {
    this.normalPages++;
    this.spend(this.costRaw);
    return RAW_RECORD_BYTES;
  }

  private spend(seconds: number): void {
    this.encodeCpuS += seconds;
    this.chunkCpuS += seconds / this.threads;
  }

  /**
   * migration.c migration_completion(): stop the VM, lift the rate limit, and
   * ram_save_complete(): a last migration_bitmap_sync, then every dirty page goes (XBZRLE
   * still used, rs->last_stage: no cache inserts). Downtime = this final transfer at the link's
   * speed, or its encode time when that is longer.
   */
  private complete(): void {
    this.advanceWorkload(this.timeS);
    this.vmRunning = false;
    this.sync();
    this.lastStage = true;
    const stopS = this.timeS;
    const link = this.spec.linkBytesPerS;
    let wireS = 0;
    this.chunkCpuS = 0;
    while (this.dirty.size > 0) {
      const bytes = this.savePage(this.nextDirtyPage());
      wireS += bytes / link;
      this.pass.bytesSent += bytes;
      this.pass.pagesSent++;
      this.stopAndCopyPages++;
    }
    this.timeS = stopS + Math.max(wireS, this.chunkCpuS);
    this.downtimeS = this.timeS - stopS;
    this.closePass(true);
  }

  /** Move the guest forward to `timeS`: its writes since the last step go to the dirty log. */
  private advanceWorkload(timeS: number): void {
    if (!this.vmRunning || timeS <= this.workloadTimeS) return;
    this.workload.advanceTo(timeS, this.written);
    this.workloadTimeS = timeS;
  }

  private newPass(startS: number, dirtyPages: number): PassCounters {
    // Not the bulk pass (all of RAM, mostly zero pages) and, for a delta codec, XBZRLE already on.
    const representative = this.dirtySyncCount >= 2 && (this.cache === null || this.deltaActive);
    return {
      startS,
      representative,
      dirtyPages,
      pagesSent: 0,
      bytesSent: 0,
      hits: 0,
      misses: 0,
      overflows: 0,
    };
  }

  /** Record the pass that just ended; a pass with no time and no pages (a sync right before
   * completion's own sync) is not a pass anyone would see, so it is dropped. */
  private closePass(stopAndCopy: boolean): void {
    const pass = this.pass;
    const durationS = this.timeS - pass.startS;
    this.transferredBytes += pass.bytesSent;
    if (pass.representative && pass.pagesSent > 0) {
      this.wireBytesPerPage = pass.bytesSent / pass.pagesSent;
    }
    if (!stopAndCopy && durationS === 0 && pass.pagesSent === 0) return;
    const record: PassRecord = {
      pass: this.passes.length + 1,
      startMs: pass.startS * 1000,
      durationMs: durationS * 1000,
      dirtyPages: pass.dirtyPages,
      pagesSent: pass.pagesSent,
      bytesSent: pass.bytesSent,
      cacheHits: pass.hits,
      cacheMisses: pass.misses,
      overflows: pass.overflows,
      thresholdBytes: this.thresholdBytes,
      stopAndCopy,
    };
    this.passes.push(record);
    this.observer.onPass?.(record);
  }

  private finish(status: Exclude<CellStatus, "failed">): SimulationOutcome {
    if (status !== "completed") this.closePass(false);
    const lookups = this.deltaPages + this.cacheMisses;
    const metrics: SimulationMetrics = {
      totalTimeMs: this.timeS * 1000,
      downtimeMs: status === "completed" ? this.downtimeS * 1000 : 0,
      setupTimeMs: 0,
      transferredBytes: this.transferredBytes,
      zeroPages: this.zeroPages,
      normalPages: this.normalPages,
      normalBytes: this.normalPages * PAGE_SIZE,
      deltaPages: this.deltaPages,
      deltaBytes: this.deltaBytes,
      cacheMissPages: this.cacheMisses,
      cacheMissRate: this.cache !== null && lookups > 0 ? this.cacheMisses / lookups : 0,
      overflowPages: this.overflows,
      encodingRate: this.deltaBytes > 0 ? (this.deltaPages * PAGE_SIZE) / this.deltaBytes : 0,
      dirtySyncCount: this.dirtySyncCount,
      passes: this.passes.length,
      encodeCpuMs: this.encodeCpuS * 1000,
      expectedDowntimeMs: this.expectedDowntimeS * 1000,
      unchangedPages: this.unchangedPages,
      cacheInsertRefused: this.refusedInserts,
      stopAndCopyPages: this.stopAndCopyPages,
    };
    return { status, metrics, passes: this.passes };
  }
}
