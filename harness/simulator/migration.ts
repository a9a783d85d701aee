import { PageBitmap } from "../../lib/page-bitmap.ts";
import type { CellSpec, CellStatus } from "../../results/cell.ts";
import { WorkloadEndedError, type WorkloadRun } from "../../workloads/types.ts";
import type { ConvergenceStrategy, RuleContext } from "./convergence.ts";
import type { SimulationObserver } from "./observer.ts";
import type { PageObserver } from "./page-events.ts";
import { PageSender, type PageSenderInputs, type SenderState } from "./page-sender.ts";

/** migration.c BUFFER_DELAY: the rate-limit and bandwidth-measurement window. */
export const RATE_WINDOW_S = 0.1;
/**
 * ram.c ram_save_iterate(): MAX_WAIT, the longest one iteration sends before it returns (and
 * migration_iteration_run checks pending again), read every 64 pages.
 */
const ITERATION_MAX_S = 0.05;
const ITERATION_CHECK_PAGES = 64;
/** How far the workload's cursor may lag the clock (the "content at send time" resolution). */
export const WORKLOAD_STEP_S = 0.001;

export interface MigrationInputs extends Omit<PageSenderInputs, "rawFinalStage"> {
  readonly spec: CellSpec;
  readonly rule: ConvergenceStrategy;
  /** Seconds of one sender thread's CPU per page, by PageEvent (page-events.ts). */
  readonly encodeSeconds: Float64Array;
  /** Seconds of the migration thread per page besides the codec, by PageEvent (page-events.ts). */
  readonly senderSeconds: Float64Array;
  /**
   * The same once the VM is stopped (the stop-and-copy): no vCPU competes with the sender then
   * (page-events.ts senderSecondsByEvent, host-profile.ts busyVcpuSlowdown). Absent: the same.
   */
  readonly stoppedSenderSeconds?: Float64Array;
  /** The host profile's setup time and the downtime's fixed part (host-profile.ts). */
  readonly setupS: number;
  readonly downtimeFixedS: number;
  /** Every page sent, with its event, wire bytes and encode seconds. */
  readonly pages: PageObserver;
  readonly observers: readonly SimulationObserver[];
}

/**
 * The model: QEMU 7.2's RAM migration state (ram.c RAMState, migration.c MigrationState) and
 * the clock. Time advances page by page: sending a page costs its wire bytes at the current
 * rate, and CPU time: its encode time on the sender's threads plus the migration thread's own
 * cost (the host profile); pages go in bursts, as QEMU's rate limit sends them: each 100 ms
 * window's budget of max-bandwidth × 100 ms bytes at the pace of max(the link's wire time, CPU
 * time), then a sleep to the window's end (`iterate`, `rateLimit`). The workload's cursor follows the
 * clock in ≤ 1 ms steps, so a page is read as it is when it is sent, and it stops when the VM
 * stops. The convergence rule (convergence.ts) drives it through RuleContext; observers
 * (observer.ts) see it through MigrationView.
 */
export class Migration implements RuleContext, SenderState {
  readonly maxTimeS: number;
  readonly maxPasses: number;
  readonly downtimeLimitS: number;
  readonly usesCache: boolean;
  private readonly spec: CellSpec;
  private readonly workload: WorkloadRun;
  private readonly rule: ConvergenceStrategy;
  private readonly sender: PageSender;
  private readonly encodeSeconds: Float64Array;
  /** Per PageEvent: encode seconds / threads + the migration thread's own seconds. */
  private chunkSeconds: Float64Array;
  private readonly stoppedChunkSeconds: Float64Array;
  private readonly pageObserver: PageObserver;
  private readonly observers: SimulationObserver[];
  readonly setupS: number;
  private readonly downtimeFixedS: number;
  /** The migration bitmap: pages still to send (ram.c RAMBlock.bmap). */
  private readonly dirty: PageBitmap;
  /** Pages the guest wrote since the last sync (KVM's dirty log, read by migration_bitmap_sync). */
  private readonly written: PageBitmap;

  // The clock and the workload's cursor.
  timeS = 0;
  private workloadTimeS = 0;
  private vmRunning = true;
  /** Seconds of sender CPU in the current chunk, encoding already divided over the threads. */
  private chunkCpuS = 0;
  /** The stop-and-copy's duration, once it ran. */
  downtimeS = 0;

  // ram.c RAMState.
  private scanPage = 0;
  deltaActive: boolean;
  lastStage = false;
  dirtySyncCount = 0;

  // migration.c MigrationState: the rate window and the threshold. The window opens when the
  // migration starts, before setup (migration_thread() → update_iteration_initial_status()).
  private windowStartS = 0;
  /** Bytes sent in the window: the rate limit's `rate_limit_used` and the bandwidth's bytes. */
  private windowBytes = 0;
  /** qemu-file.c rate_limit_max: max-bandwidth / XFER_LIMIT_RATIO bytes a window. */
  private readonly windowBudgetBytes: number;
  thresholdBytes = 0;

  // The wire, and the pass in progress.
  sentBytes = 0;
  sentPages = 0;
  passes = 0;
  private passStartS = 0;
  private passStartPages = 0;

  constructor(inputs: MigrationInputs) {
    const spec = inputs.spec;
    this.spec = spec;
    this.workload = inputs.workload;
    this.rule = inputs.rule;
    this.usesCache = inputs.cache !== null;
    this.sender = new PageSender({ ...inputs, rawFinalStage: inputs.rule.rawFinalStage }, this);
    this.encodeSeconds = inputs.encodeSeconds;
    const threads = Math.max(1, spec.threads);
    const stopped = inputs.stoppedSenderSeconds ?? inputs.senderSeconds;
    this.chunkSeconds = inputs.encodeSeconds.map(
      (seconds, event) => seconds / threads + inputs.senderSeconds[event],
    );
    this.stoppedChunkSeconds = inputs.encodeSeconds.map(
      (seconds, event) => seconds / threads + stopped[event],
    );
    this.pageObserver = inputs.pages;
    this.observers = [...inputs.observers];
    this.setupS = inputs.setupS;
    this.downtimeFixedS = inputs.downtimeFixedS;
    this.maxTimeS = spec.maxTimeMs / 1000;
    this.maxPasses = spec.maxPasses ?? Number.POSITIVE_INFINITY;
    this.downtimeLimitS = spec.downtimeLimitMs / 1000;
    this.windowBudgetBytes = spec.bandwidthBytesPerS * RATE_WINDOW_S;
    this.dirty = new PageBitmap(inputs.workload.pageCount);
    this.written = new PageBitmap(inputs.workload.pageCount);
    // ram.c: XBZRLE starts after the bulk pass wraps (find_dirty_block); pre-2013 from the start.
    this.deltaActive = !spec.bulkSkip;
  }

  get dirtyPages(): number {
    return this.dirty.size;
  }

  /** The whole migration under the rule; a recorded workload that runs out ends it early. */
  run(): Exclude<CellStatus, "failed"> {
    try {
      // migration.c migration_thread(): setup (qemu_savevm_state_setup → ram_save_setup →
      // ram_init_bitmaps: every page dirty, dirty logging on, the first sync) takes setup-time,
      // with the guest running; the first sync closes it, so what the guest wrote during setup
      // is already dirty. The rate window opened before setup, so a setup longer than a window
      // ends it right after the first iteration, which sends a second budget at once: the lab's
      // real migrations sent 26.8 MB (two budgets at 128 MiB/s) in their first 100 ms.
      this.timeS = this.setupS;
      this.passStartS = this.setupS;
      this.advanceWorkload(this.timeS);
      this.dirty.fill();
      this.bitmapSync();
      if (this.rule.migrate(this) === "did-not-converge") {
        this.closePass(false);
        return "did-not-converge";
      }
      this.complete();
      return "completed";
    } catch (error) {
      if (!(error instanceof WorkloadEndedError)) throw error;
      this.closePass(false);
      return "trace-ended";
    }
  }

  observe(observer: SimulationObserver): void {
    this.observers.push(observer);
  }

  /** One turn of migration_thread()'s loop: an iteration, then migration_rate_limit(). */
  sendWindow(): void {
    this.iterate();
    this.rateLimit();
  }

  sync(): void {
    this.advanceWorkload(this.timeS);
    this.bitmapSync();
  }

  /**
   * ram.c migration_bitmap_sync(): merge the guest's writes since the last sync into the
   * migration bitmap, dirty-sync-count + 1 (the cache's generation). Closes the current pass.
   */
  private bitmapSync(): void {
    this.dirty.union(this.written);
    this.written.clear();
    this.dirtySyncCount++;
    this.closePass(false);
    this.passStartS = this.timeS;
    this.passStartPages = this.sentPages;
    for (const observer of this.observers) observer.onSync?.(this);
  }

  /**
   * migration_iteration_run → ram_save_iterate: send dirty pages (ram_find_and_save_block) while
   * the window's budget is not exceeded (qemu_file_rate_limit: used > max), for at most MAX_WAIT
   * (read every 64 pages), or until nothing is dirty. Sending is a pipeline of the wire, at the
   * link's speed, and the sender's threads, so the chunk's time is max(wire time, CPU time).
   */
  private iterate(): void {
    const link = this.spec.linkBytesPerS;
    const chunkStartS = this.timeS;
    let wireS = 0;
    this.chunkCpuS = 0;
    const dirty = this.dirty;
    for (let i = 0; dirty.size > 0 && this.windowBytes <= this.windowBudgetBytes; i++) {
      const page = this.nextDirtyPage();
      if (this.timeS - this.workloadTimeS >= WORKLOAD_STEP_S) this.advanceWorkload(this.timeS);
      const bytes = this.sendPage(page);
      wireS += bytes / link;
      this.timeS = chunkStartS + Math.max(wireS, this.chunkCpuS);
      this.windowBytes += bytes;
      if (i % ITERATION_CHECK_PAGES === 0 && this.timeS - chunkStartS > ITERATION_MAX_S) break;
    }
  }

  /**
   * migration.c migration_rate_limit(): measure the window once it has lasted 100 ms; if its
   * budget is used, sleep to its end — the next turn finds the limit still hit, skips the
   * iteration and measures the window, which re-opens it.
   */
  private rateLimit(): void {
    if (this.timeS >= this.windowStartS + RATE_WINDOW_S) this.updateCounters();
    if (this.windowBytes > this.windowBudgetBytes) {
      this.timeS = this.windowStartS + RATE_WINDOW_S;
      this.updateCounters();
    }
  }

  /** Send one page: its wire bytes; its encode time goes to the chunk, the page to the counters. */
  private sendPage(page: number): number {
    const sender = this.sender;
    const event = sender.send(page);
    const bytes = sender.wireBytes;
    const seconds = this.encodeSeconds[event];
    this.chunkCpuS += this.chunkSeconds[event];
    this.sentBytes += bytes;
    this.sentPages++;
    this.pageObserver.onPage(event, bytes, seconds);
    return bytes;
  }

  /**
   * migration.c migration_update_counters(): bandwidth = bytes / time over the window;
   * threshold = bandwidth × downtime-limit; the rate limit's budget is reset.
   */
  private updateCounters(): void {
    const spentS = this.timeS - this.windowStartS;
    const bandwidthBytesPerS = this.windowBytes / spentS;
    this.thresholdBytes = bandwidthBytesPerS * this.downtimeLimitS;
    const window = { bytes: this.windowBytes, bandwidthBytesPerS };
    for (const observer of this.observers) observer.onWindow?.(this, window);
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
   * migration.c migration_completion(): stop the VM, lift the rate limit, and
   * ram_save_complete(): a last migration_bitmap_sync, then every dirty page goes (XBZRLE
   * still used, rs->last_stage: no cache inserts). Downtime = the host's fixed part (stopping
   * the VM, device state, resuming at the destination) + this final transfer at the link's
   * speed, or its CPU time when that is longer.
   */
  private complete(): void {
    this.advanceWorkload(this.timeS);
    this.vmRunning = false;
    this.chunkSeconds = this.stoppedChunkSeconds;
    this.bitmapSync();
    this.lastStage = true;
    const stopS = this.timeS;
    const link = this.spec.linkBytesPerS;
    let wireS = 0;
    this.chunkCpuS = 0;
    while (this.dirty.size > 0) wireS += this.sendPage(this.nextDirtyPage()) / link;
    this.timeS = stopS + this.downtimeFixedS + Math.max(wireS, this.chunkCpuS);
    this.downtimeS = this.timeS - stopS;
    this.closePass(true);
  }

  /** Move the guest forward to `timeS`: its writes since the last step go to the dirty log. */
  private advanceWorkload(timeS: number): void {
    if (!this.vmRunning || timeS <= this.workloadTimeS) return;
    this.workload.advanceTo(timeS, this.written);
    this.workloadTimeS = timeS;
  }

  /** End the pass in progress; one with no time and no pages is not a pass anyone would see. */
  private closePass(stopAndCopy: boolean): void {
    const durationS = this.timeS - this.passStartS;
    if (!stopAndCopy && durationS === 0 && this.sentPages === this.passStartPages) return;
    for (const observer of this.observers) observer.onPassEnd?.(this, stopAndCopy);
    this.passes++;
  }
}
