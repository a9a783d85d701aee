import { release } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { InputError } from "../lib/errors.ts";
import { FineCapture } from "./fine-capture.ts";
import {
  cannotRecord,
  type MemoryRegion,
  mappingSizes,
  mappingsOfSize,
  readWritableMappings,
} from "./process-info.ts";
import { ProcessMemory } from "./process-memory.ts";
import { type SnapshotCounts, SnapshotDiff } from "./snapshot-diff.ts";
import { DEFAULT_TIME_UNIT_NS } from "./trace-format.ts";
import { TraceWriter, type TraceWriteSummary } from "./trace-writer.ts";

/**
 * Records a live Linux process's memory as a trace (docs/TRACE_FORMAT.md, "Recorder").
 *
 * Every interval it reads /proc/PID/maps, takes the writable private mappings (`rw?p`: heap,
 * stacks, anonymous memory, the data segments of the program and its libraries;
 * process-info.ts), reads their contents through /proc/PID/mem (process-memory.ts) and stores
 * the pages whose content differs from the previous snapshot (snapshot-diff.ts, which also
 * numbers the pages). This file keeps the clock: when each snapshot is taken, which slots a slow
 * one skipped, and why the recording ended. With `fineMs`, the time between snapshots is spent
 * re-reading the pages the last snapshot found changed (fine-capture.ts), so a page rewritten
 * every few milliseconds shows as written every few milliseconds, not once per interval.
 *
 * Snapshots are not atomic: the process keeps running while it is read (as QEMU's pre-copy reads
 * a running guest). Reading another process's /proc/PID/mem needs ptrace permission (root, or
 * the process's parent under yama ptrace_scope 1).
 *
 * A recording that could not read one page of the first snapshot is not a trace: it fails with
 * one line saying why (no such process, a zombie, a kernel thread, ptrace permission, or reads
 * the kernel refused), and so does one whose process exited before a second snapshot.
 */

export interface RecordOptions {
  readonly pid: number;
  readonly out: string;
  readonly intervalMs: number;
  /** Stop after this long (the last snapshot is at or before it); null: until exit or abort. */
  readonly durationMs: number | null;
  /** Deflate level; default 1: the fastest, so snapshots keep up with short intervals (level 6
   * makes program memory ~15 % smaller at a third of the speed). */
  readonly level?: number;
  readonly signal?: AbortSignal;
  /** Told after each snapshot. */
  readonly onSnapshot?: (progress: RecordProgress) => void;
  /** Extra metadata (e.g. the command that was spawned). */
  readonly metadata?: Record<string, unknown>;
  /** Resolves when the process has exited (spawn mode), so the recorder stops at once. */
  readonly exited?: () => boolean;
  /** How errors name the process, e.g. "the command `sort` (pid 42)"; default "pid N (NAME)". */
  readonly label?: string;
  /**
   * Fine capture: between two snapshots, re-read the pages the previous snapshot found changed
   * (the hot set) as often as every `fineMs` and write the ones that differ from their last read
   * as a touch epoch (docs/TRACE_FORMAT.md, "Recorder"). null or absent: snapshots only.
   */
  readonly fineMs?: number | null;
  /**
   * Record only the writable private mapping of exactly this many bytes (adjacent entries of
   * /proc/PID/maps joined), so trace page n is that mapping's page n: a QEMU guest's RAM block
   * (util/mmap-alloc.c qemu_ram_mmap maps it as one anonymous mapping of the RAM size). null or
   * absent: every writable private mapping.
   */
  readonly mappingBytes?: number | null;
}

export interface RecordProgress {
  /** 0 for the initial image. */
  readonly epoch: number;
  readonly timeS: number;
  readonly changedPages: number;
  readonly readPages: number;
  readonly virtualPages: number;
  readonly unreadablePages: number;
  readonly bytesWritten: number;
  readonly snapshotMs: number;
  /** Fine re-reads and touch epochs so far (0 without fineMs). */
  readonly fineReads: number;
  readonly touchEpochs: number;
}

export type EndReason = "duration" | "exit" | "interrupt";

export interface RecordSummary extends TraceWriteSummary {
  readonly endedBy: EndReason;
  readonly snapshots: number;
  readonly durationS: number;
  readonly virtualPages: number;
  readonly unreadablePages: number;
  /** Interval slots skipped because a snapshot took longer than the interval. */
  readonly skippedSlots: number;
  /** How pages were captured, for people, e.g. "content diff every 200 ms; hot pages re-read
   * every 5 ms (mean period 7.9 ms, 2310 re-reads)". */
  readonly captureMethod: string;
  /** Fine re-reads of the hot set (0 without fineMs). */
  readonly fineReads: number;
}

/** How long the first snapshot is retried while the process keeps exec'ing, and how often. */
const FIRST_SNAPSHOT_SETTLE_MS = 2000;
const FIRST_SNAPSHOT_RETRY_MS = 20;

/** Record `options.pid` into `options.out`; every failure, opening included, is a rejection. */
export async function recordProcess(options: RecordOptions): Promise<RecordSummary> {
  return new Recorder(options).run();
}

/** One recording: the process's memory, the trace being written, and the snapshot clock. */
class Recorder {
  private readonly mapsPath: string;
  private readonly memory: ProcessMemory;
  private readonly pages: SnapshotDiff;
  private readonly writer: TraceWriter;
  private readonly fine: FineCapture | null;
  private readonly startedAt: string;
  /** performance.now() of the first snapshot: epoch times and interval slots count from it. */
  private t0 = 0;
  /** The interval slot of the last snapshot (slot k is due at t0 + k × interval). */
  private slot = 0;
  private snapshots = 0;
  private skippedSlots = 0;
  private lastTimeS = 0;
  private endedBy: EndReason = "exit";

  constructor(private readonly options: RecordOptions) {
    const { pid } = options;
    this.mapsPath = `/proc/${pid}/maps`;
    this.memory = new ProcessMemory(pid, options.label);
    this.pages = new SnapshotDiff(this.memory);
    try {
      this.writer = TraceWriter.create(options.out, {
        pageCount: 1,
        timeUnitNs: DEFAULT_TIME_UNIT_NS,
        level: options.level ?? 1,
        metadata: { source: "record", pid, ...options.metadata },
      });
    } catch (error) {
      this.memory.close();
      throw error;
    }
    this.fine =
      options.fineMs == null
        ? null
        : new FineCapture(this.memory, this.writer, options.fineMs, (began) =>
            this.nextEpochTimeS(began),
          );
    this.startedAt = new Date().toISOString();
  }

  async run(): Promise<RecordSummary> {
    try {
      await this.record();
      return this.finish();
    } catch (error) {
      this.writer.abort();
      throw error;
    } finally {
      this.memory.close();
    }
  }

  /** Take snapshots, one per interval slot, until the recording ends; sets `endedBy`. */
  private async record(): Promise<void> {
    const { pid, label } = this.options;
    const firstRegions = this.readRegions();
    if (firstRegions === null)
      throw cannotRecord(pid, label, `${this.mapsPath} lists no writable private memory to record`);
    this.t0 = performance.now();
    let regions: MemoryRegion[] | null = firstRegions;
    for (let epoch = 0; ; epoch++) {
      const began = performance.now();
      let timeS = 0;
      if (epoch > 0) {
        timeS = this.nextEpochTimeS(began);
        this.writer.beginEpoch(timeS);
      }
      this.extendPageSpace(regions);
      // Diff first (the snapshot's time is when it was read), then compress and write: the
      // changed pages' new contents are in the store until the next snapshot.
      this.pages.clearChanges();
      this.memory.beginSnapshot();
      let counts = this.pages.snapshot(regions, this.fine?.hotSet ?? null);
      if (epoch === 0) {
        const settled = await this.settleFirstSnapshot(began, counts);
        if (settled !== null) ({ counts, timeS } = settled);
      }
      this.pages.writeChanges(this.writer);
      if (epoch > 0) this.writer.endEpoch();
      // The first snapshot's "changes" are all of memory: nothing is known to be hot yet.
      if (this.fine !== null && epoch > 0) this.fine.startInterval(this.pages, began);
      this.snapshots++;
      this.lastTimeS = timeS;
      this.reportSnapshot(epoch, timeS, counts, began);
      const end = await this.waitForNextSlot();
      if (end !== null) {
        this.endedBy = end;
        break;
      }
      regions = this.readRegions();
      if (regions === null) {
        this.endedBy = "exit";
        break;
      }
    }
  }

  /**
   * A process still exec'ing (a pyenv shim: bash, then pyenv, then python) can replace its
   * image between the maps and the reads more than once in one snapshot, so nothing of it is
   * read. Take the first snapshot again, briefly, while that is what happens; then fail if it
   * still read nothing. Returns the retaken snapshot (at time 0) or null when none was retaken.
   */
  private async settleFirstSnapshot(
    began: number,
    first: SnapshotCounts,
  ): Promise<{ counts: SnapshotCounts; timeS: number } | null> {
    const { pid, label } = this.options;
    let retaken: { counts: SnapshotCounts; timeS: number } | null = null;
    let counts = first;
    const giveUpAt = began + FIRST_SNAPSHOT_SETTLE_MS;
    while (
      this.pages.nothingRead(counts) &&
      this.memory.imageReplaced &&
      performance.now() < giveUpAt
    ) {
      await sleep(FIRST_SNAPSHOT_RETRY_MS);
      const again = readWritableMappings(this.mapsPath);
      if (again === null) break;
      this.extendPageSpace(again);
      this.pages.forgetUnreadable();
      this.memory.beginSnapshot();
      this.t0 = performance.now();
      counts = this.pages.snapshot(again);
      retaken = { counts, timeS: 0 };
    }
    if (this.pages.nothingRead(counts))
      throw cannotRecord(
        pid,
        label,
        this.memory.imageReplaced
          ? `replaced its memory image (exec) on every try for ${FIRST_SNAPSHOT_SETTLE_MS / 1000} s: nothing recorded`
          : `none of its ${this.pages.unreadablePages} mapped pages could be read through ${this.memory.memPath} (the kernel refused every read): nothing recorded`,
      );
    return retaken;
  }

  /**
   * The time of an epoch whose read began at `began` (performance.now()): seconds since the
   * first snapshot, strictly after the previous epoch at the writer's microsecond resolution.
   */
  private nextEpochTimeS(began: number): number {
    const timeS = Math.max((began - this.t0) / 1000, this.lastTimeS + 2e-6);
    this.lastTimeS = timeS;
    return timeS;
  }

  /**
   * The mappings to read now: every writable private one, or with `mappingBytes` the one of
   * that size (always the same: page n of the trace is page n of it). null: the process is gone.
   */
  private readRegions(): MemoryRegion[] | null {
    const regions = readWritableMappings(this.mapsPath);
    const bytes = this.options.mappingBytes;
    if (regions === null || bytes == null) return regions;
    const found = mappingsOfSize(regions, bytes);
    const { pid, label } = this.options;
    const who = label ?? `pid ${pid}`;
    const kib = (n: number): string => `${n / 1024}k`;
    if (found.length !== 1)
      throw new InputError(
        who,
        `${found.length === 0 ? "no" : found.length} writable private mapping${found.length === 1 ? "" : "s"} of exactly ${kib(bytes)} (${bytes} bytes)${found.length > 1 ? ` (at ${found.map((r) => `0x${r.start.toString(16)}`).join(", ")})` : ""}, expected one; the sizes ${this.mapsPath} lists: ${mappingSizes(regions).map(kib).join(", ")}`,
      );
    const [mapping] = found;
    const first = this.pages.virtualPages === 0 ? null : this.pages.describeSegments()[0];
    if (first !== null && first.address !== `0x${mapping.start.toString(16)}`)
      throw new InputError(
        who,
        `the ${kib(bytes)} mapping moved from ${first.address} to 0x${mapping.start.toString(16)}; its pages cannot keep their numbers`,
      );
    return found;
  }

  /** Number the pages of memory first seen in `regions`; the header's page count follows. */
  private extendPageSpace(regions: readonly MemoryRegion[]): void {
    this.pages.extend(regions);
    this.writer.growPageCount(Math.max(1, this.pages.virtualPages));
  }

  private reportSnapshot(
    epoch: number,
    timeS: number,
    counts: SnapshotCounts,
    began: number,
  ): void {
    this.options.onSnapshot?.({
      epoch,
      timeS,
      changedPages: counts.changed,
      readPages: counts.read,
      virtualPages: this.pages.virtualPages,
      unreadablePages: this.pages.unreadablePages,
      bytesWritten: this.writer.bytesWritten,
      snapshotMs: performance.now() - began,
      fineReads: this.fine?.reads ?? 0,
      touchEpochs: this.fine?.touchEpochs ?? 0,
    });
  }

  /**
   * Wait for the next multiple of the interval that has not passed yet; why the recording ends
   * instead, or null. Slots a slow snapshot overran are skipped (and counted), not caught up in
   * a burst: a burst would record a run of very short epochs that say nothing about the program.
   */
  private async waitForNextSlot(): Promise<EndReason | null> {
    const { options } = this;
    const elapsedMs = performance.now() - this.t0;
    this.slot++;
    while (this.slot * options.intervalMs <= elapsedMs) {
      this.slot++;
      this.skippedSlots++;
    }
    const nextMs = this.slot * options.intervalMs;
    if (options.durationMs !== null && nextMs > options.durationMs + 1e-6) return "duration";
    const interrupted =
      this.fine === null
        ? await waitUntil(this.t0 + nextMs, options)
        : await this.fine.readUntil(this.t0 + nextMs, (deadline) => waitUntil(deadline, options));
    if (interrupted) return options.signal?.aborted ? "interrupt" : "exit";
    return null;
  }

  /** Write the metadata and finish the file; a process that exited after one snapshot fails. */
  private finish(): RecordSummary {
    const { pid, label, intervalMs, mappingBytes } = this.options;
    const { endedBy, snapshots, skippedSlots, fine } = this;
    if (endedBy === "exit" && snapshots === 1) {
      const who = label ?? `pid ${pid}`;
      throw new InputError(
        who,
        `exited after the first snapshot, before a second could show what it writes: nothing recorded (record a program that runs for longer than --interval, ${intervalMs} ms)`,
      );
    }
    const { virtualPages, unreadablePages } = this.pages;
    const captureMethod = `content diff every ${intervalMs} ms${fine === null ? "" : `; ${fine.describe()}`}`;
    this.writer.setMetadata({
      captureMethod,
      ...(fine === null ? {} : fine.metadata()),
      ...(mappingBytes == null ? {} : { mappingBytes }),
      startedAt: this.startedAt,
      kernel: release(),
      intervalMs,
      endedBy,
      snapshots,
      unreadablePages,
      skippedSlots,
      memReopened: this.memory.reopened,
      pageNumbering:
        mappingBytes == null
          ? "writable private mappings of the first snapshot concatenated in address order; later mappings appended when first seen"
          : `page n is page n of the one writable private mapping of ${mappingBytes} bytes (a QEMU guest: guest RAM page n, ramblock offset n × 4096)`,
      segments: this.pages.describeSegments(),
    });
    const summary = this.writer.finish();
    return {
      ...summary,
      endedBy,
      snapshots,
      durationS: this.lastTimeS,
      virtualPages,
      unreadablePages,
      skippedSlots,
      captureMethod,
      fineReads: fine?.reads ?? 0,
    };
  }
}

/** Sleep until `deadline` (performance.now() ms); true when recording must stop instead. */
async function waitUntil(deadline: number, options: RecordOptions): Promise<boolean> {
  for (;;) {
    if (options.signal?.aborted || options.exited?.()) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    // Wake at least every 50 ms to notice an exit or Ctrl-C promptly.
    try {
      await sleep(Math.min(left, 50), undefined, { signal: options.signal });
    } catch {
      return true; // aborted
    }
  }
}
