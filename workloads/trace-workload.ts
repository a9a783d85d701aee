import { statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../lib/errors.ts";
import type { PageBitmap } from "../lib/page-bitmap.ts";
import {
  NO_VERSION,
  PageVersions,
  REWRITE_CYCLE,
  RUNS_TOO_MANY,
  RUNS_UNKNOWN,
  rewrittenPage,
} from "./page-versions.ts";
import { RECORD_PAGE_MASK, RECORD_ZERO_FLAG, TRACE_PAGE_SIZE } from "./trace-format.ts";
import { loopPlan, TraceLaps } from "./trace-loop.ts";
import { TraceReader } from "./trace-reader.ts";
import {
  type WorkloadDefinition,
  WorkloadEndedError,
  type WorkloadOptions,
  type WorkloadRun,
} from "./types.ts";

/**
 * Replays a recorded trace (docs/TRACE_FORMAT.md) as a WorkloadRun.
 *
 * - Pages dirtied in (a, b] are the pages in the epochs, content or touch, whose time lies in
 *   (a, b]; a page's content at the cursor's time is its latest *stored* version at or before
 *   it, with the bytes its last recorded change changed given new values by each rewrite since
 *   (a touch, or a step through a gap the recorder did not see): a touch says a page was written
 *   again, not what it holds (docs/TRACE_FORMAT.md, "Replay"; page-versions.ts).
 * - RAM is the trace's: `pageCount` comes from the file and `--ram` is ignored for this
 *   workload (a recorded process or VM has the size it had; padding it with zero pages or
 *   cutting it would invent data). The simulator sizes everything from `run.pageCount`.
 * - Memory: the reader keeps 4 bytes per page record of the whole trace (the records, not the
 *   contents) and an LRU of decompressed blocks (32 MiB); a run adds, per page a content epoch
 *   has written so far, a map entry and 53 bytes (its latest version and the one before, its
 *   rewrites since, and where the two differ: page-versions.ts). Contents are inflated from the
 *   file on demand. Nothing grows with the RAM the trace describes.
 */

export type OnEndPolicy = "stop" | "loop" | "hold";

/**
 * What happens when the simulation outlasts the recording. The default is `stop`: the cell
 * ends with WorkloadEndedError and the simulator reports it as `trace-ended`. A result that
 * silently continued with invented behaviour — `hold` (the program goes idle, which makes any
 * migration converge) or `loop` (the recording repeats) — would be reported as if it were the
 * recorded program; with `stop` the user picks one of those knowingly.
 * - `loop`: the epochs repeat with period endS (epoch e of lap k at k·endS + t_e), as recorded
 *   or on other pages, or not at all where that would invent the program's dirtying
 *   (trace-loop.ts states the rule). The image is not restored at a lap boundary: a real
 *   program does not reset its memory, so each page keeps its content until rewritten.
 * - `hold`: past the end no page is written; contents stay as at the last epoch.
 */
export const DEFAULT_ON_END: OnEndPolicy = "stop";

/** Readers are immutable after validation, so the runs of one process share one per file. */
const openReaders = new Map<string, TraceReader>();

export function openSharedReader(file: string): TraceReader {
  const path = resolve(file);
  let key = path;
  try {
    const stat = statSync(path);
    key = `${path}\0${stat.size}\0${stat.mtimeMs}`;
  } catch {
    // TraceReader.open reports the missing file.
  }
  let reader = openReaders.get(key);
  if (reader === undefined) {
    reader = TraceReader.open(file);
    openReaders.set(key, reader);
  }
  return reader;
}

/** Tolerance for "t is past the end": half a microsecond, below any recorder's time unit. */
const END_EPSILON_S = 5e-7;

export class TraceRun implements WorkloadRun {
  readonly pageCount: number;
  readonly endS: number;
  private time = 0;
  /** Next epoch to apply (1-based; the image is epoch 0) and the current lap (loop). */
  private nextEpoch = 1;
  private lap = 0;
  private readonly epochTimes: Float64Array;
  /**
   * Per page the content epochs wrote: the index into reader.records of its latest version (−1:
   * zero, a looped page back at an image it did not have), the non-zero one before it whose
   * difference rewrites repeat, and its rewrites since.
   */
  private readonly versions = new PageVersions();
  /** Where laps write and what (on-end=loop only). */
  private readonly laps: TraceLaps | null;
  /** The gap writeThroughGap() last found: before epoch gapNext of lap gapLap. */
  private gapLap = -1;
  private gapNext = -1;
  private gapCount = 0;
  private gapPages = new Uint32Array(0);
  private gapSlots = new Int32Array(0);

  /** `file` names the trace in messages; `seed` draws a looped trace's laps. */
  constructor(
    readonly reader: TraceReader,
    readonly onEnd: OnEndPolicy,
    { file = reader.path, seed = 1 }: { file?: string; seed?: number } = {},
  ) {
    this.pageCount = reader.pageCount;
    this.endS = reader.durationS;
    this.epochTimes = Float64Array.from(reader.epochs, (epoch) => epoch.timeS);
    const loops = onEnd === "loop" && this.epochTimes.length > 1;
    this.laps = loops ? new TraceLaps(loopPlan(reader, file), seed) : null;
  }

  get timeS(): number {
    return this.time;
  }

  /** Pages the epochs have touched so far (what a run keeps per page). */
  get touchedPages(): number {
    return this.versions.size;
  }

  advanceTo(timeS: number, dirty: PageBitmap): void {
    if (!(timeS >= this.time))
      throw new RangeError(`advanceTo(${timeS}): time only moves forward (now ${this.time})`);
    const epochCount = this.epochTimes.length - 1;
    const loops = this.onEnd === "loop" && epochCount > 0;
    if (this.onEnd === "stop" && timeS > this.endS + END_EPSILON_S)
      throw new WorkloadEndedError("trace", this.endS);
    const records = this.reader.records;
    const first = this.reader.blockFirstRecord;
    const epochs = this.reader.epochs;
    const laps = this.laps;
    let stepped = false;
    for (;;) {
      if (this.nextEpoch > epochCount) {
        if (!loops) break;
        this.lap++;
        this.nextEpoch = 1;
        laps?.startLap(this.lap);
      }
      const at = this.lap * this.endS + this.epochTimes[this.nextEpoch];
      if (at > timeS) break;
      const epoch = epochs[this.nextEpoch];
      const end = first[epoch.firstBlock + epoch.blockCount];
      if (epoch.touch)
        // Dirtied and rewritten; in a lap, on the page its content records map to.
        for (let r = first[epoch.firstBlock]; r < end; r++) {
          const record = records[r] & RECORD_PAGE_MASK;
          const page = laps === null ? record : laps.target(record);
          this.versions.rewrite(page);
          dirty.add(page);
        }
      else
        for (let r = first[epoch.firstBlock]; r < end; r++) {
          let page = records[r] & RECORD_PAGE_MASK;
          let version = r;
          if (laps !== null) {
            page = laps.target(page);
            version = laps.write(page, r);
          }
          // A page's first data is not a change a rewrite repeats: one that was zero keeps its
          // latest version when touched (a rewrite would give every byte it wrote new values).
          const before = this.versions.latestOf(page) ?? this.reader.findImageRecord(page);
          const zero = before < 0 || (records[before] & RECORD_ZERO_FLAG) !== 0;
          this.versions.write(page, version, zero ? NO_VERSION : before);
          dirty.add(page);
        }
      this.nextEpoch++;
      stepped = true;
    }
    if (!stepped && timeS > this.time) this.writeThroughGap(dirty, loops);
    this.time = timeS;
  }

  /**
   * A step that falls between two epochs, at least one of them a touch epoch (fine capture):
   * the pages both list were being rewritten faster than the recorder re-read them, so they are
   * dirty, and rewritten, here too (docs/TRACE_FORMAT.md, "Replay"). Without it a sync shorter
   * than the fine period — a stalled guest's, say — would find stride's buffer clean although
   * it is rewritten every 0.4 ms. In a loop the gap between a lap's last epoch and the next
   * lap's first counts too (looped stride converged at every lap boundary without it). Epochs
   * list their pages in ascending order.
   */
  private writeThroughGap(dirty: PageBitmap, loops: boolean): void {
    if (this.gapLap !== this.lap || this.gapNext !== this.nextEpoch) this.findGap(loops);
    const { gapPages, gapSlots } = this;
    for (let k = 0; k < this.gapCount; k++) {
      if (gapSlots[k] >= 0) this.versions.rewriteSlot(gapSlots[k]);
      dirty.add(gapPages[k]);
    }
  }

  /**
   * The pages (and their slots) the gap before epoch nextEpoch of this lap rewrites: found once
   * per gap, as the simulator steps through a gap every millisecond (the lab's `stride` trace
   * has a ~100 ms gap after each content snapshot, and merging its two 4 100-page lists at every
   * step cost a quarter of a 45 s replay). No content epoch lies inside a gap, so a page's slot
   * cannot change in it.
   */
  private findGap(loops: boolean): void {
    this.gapLap = this.lap;
    this.gapNext = this.nextEpoch;
    this.gapCount = 0;
    const epochs = this.reader.epochs;
    const last = epochs.length - 1;
    let before = this.nextEpoch - 1;
    if (before < 1 && loops && this.lap > 0) before = last;
    if (before < 1 || this.nextEpoch > last) return;
    const [a, b] = [epochs[before], epochs[this.nextEpoch]];
    if (!a.touch && !b.touch) return;
    const records = this.reader.records;
    const first = this.reader.blockFirstRecord;
    let i = first[a.firstBlock];
    let j = first[b.firstBlock];
    const endA = first[a.firstBlock + a.blockCount];
    const endB = first[b.firstBlock + b.blockCount];
    while (i < endA && j < endB) {
      const p = records[i] & RECORD_PAGE_MASK;
      const q = records[j] & RECORD_PAGE_MASK;
      if (p < q) i++;
      else if (q < p) j++;
      else {
        const page = this.laps === null ? p : this.laps.target(p);
        if (this.gapCount === this.gapPages.length) this.growGap();
        this.gapPages[this.gapCount] = page;
        this.gapSlots[this.gapCount] = this.versions.slotOf(page);
        this.gapCount++;
        i++;
        j++;
      }
    }
  }

  private growGap(): void {
    const pages = new Uint32Array(Math.max(1024, this.gapPages.length * 2));
    pages.set(this.gapPages);
    const slots = new Int32Array(pages.length);
    slots.set(this.gapSlots);
    [this.gapPages, this.gapSlots] = [pages, slots];
  }

  isZero(page: number): boolean {
    const slot = this.versions.slotOf(page);
    if (slot >= 0 && this.rewritten(slot)) return false; // rewrittenPage() zeroes no byte
    const r = slot >= 0 ? this.versions.latestAt(slot) : this.reader.findImageRecord(page);
    return r < 0 || (this.reader.records[r] & RECORD_ZERO_FLAG) !== 0;
  }

  readPage(page: number, out: Uint8Array): void {
    const slot = this.versions.slotOf(page);
    if (slot < 0) {
      this.readRecord(this.reader.findImageRecord(page), out);
      return;
    }
    const versions = this.versions;
    if (!this.rewritten(slot)) {
      this.readRecord(versions.latestAt(slot), out);
      return;
    }
    const runs = versions.runCountAt(slot);
    if (runs === RUNS_UNKNOWN || runs === RUNS_TOO_MANY) {
      this.readRecord(versions.latestAt(slot), versions.latestPage);
      this.readRecord(versions.previousAt(slot), versions.previousPage);
      out.set(versions.latestPage);
      if (runs === RUNS_TOO_MANY || versions.findRuns(slot) === RUNS_TOO_MANY) {
        rewrittenPage(out, versions.previousPage, versions.rewritesAt(slot));
        return;
      }
    } else this.readRecord(versions.latestAt(slot), out);
    versions.stepRuns(slot, out);
  }

  /** Whether rewrites have changed the page in `slot` from its latest stored version. */
  private rewritten(slot: number): boolean {
    return (
      this.versions.previousAt(slot) !== NO_VERSION &&
      this.versions.rewritesAt(slot) % REWRITE_CYCLE !== 0
    );
  }

  /** Record r's content (r < 0: a zero page). */
  private readRecord(r: number, out: Uint8Array): void {
    if (r < 0) out.fill(0, 0, TRACE_PAGE_SIZE);
    else this.reader.readRecord(r, out);
  }
}

export const traceWorkload: WorkloadDefinition = {
  name: "trace",
  description:
    "Replays a recorded trace of real memory (npm run record, npm run trace -- import): pages dirtied per interval and their contents, as recorded",
  source:
    "recorded traces (docs/TRACE_FORMAT.md); recorder reads /proc/PID/mem, importer reads raw dumps such as QEMU pmemsave",
  // The trace sets the RAM size (its page count); --ram is ignored for this workload.
  defaultRamBytes: 0,
  params: [
    {
      name: "file",
      unit: "path",
      defaultValue: "",
      description: "the trace file to replay (required)",
    },
    {
      name: "on-end",
      unit: "policy",
      defaultValue: DEFAULT_ON_END,
      choices: ["stop", "loop", "hold"],
      description:
        "when the simulation outlasts the trace: stop (report trace-ended; default, so no invented data is passed off as recorded), loop (repeat the epochs; refused where that would invent the dirtying: docs/TRACE_FORMAT.md), hold (no more writes)",
    },
  ],
  // A recording replays as recorded; only a loop's laps are drawn from the seed (trace-loop.ts).
  usesSeed: (params) => (params["on-end"] ?? DEFAULT_ON_END) === "loop",
  create(options: WorkloadOptions): WorkloadRun {
    const file = options.params.file;
    if (typeof file !== "string" || file === "")
      throw new UsageError(
        "workload trace needs --set file=PATH (a trace from npm run record or npm run trace -- import)",
      );
    const onEnd = options.params["on-end"] ?? DEFAULT_ON_END;
    if (onEnd !== "stop" && onEnd !== "loop" && onEnd !== "hold")
      throw new UsageError(
        `workload trace: on-end must be stop, loop or hold (got ${String(onEnd)})`,
      );
    return new TraceRun(openSharedReader(file), onEnd, { file, seed: options.seed });
  },
};
