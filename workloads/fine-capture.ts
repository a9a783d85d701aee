import { HotPages } from "./hot-pages.ts";
import type { ProcessMemory } from "./process-memory.ts";
import type { SnapshotDiff } from "./snapshot-diff.ts";
import type { TraceWriter } from "./trace-writer.ts";

/**
 * `record --fine MS` (docs/TRACE_FORMAT.md, "Recorder"): between two snapshots, re-read the
 * pages the last snapshot found changed as often as every MS, and write those that differ from
 * their last read as a touch epoch at the time the re-read began.
 *
 * Why: a snapshot every 200 ms sees a page once per interval however often it was written.
 * QEMU's `stride` guest rewrites its 16 MiB buffer every 0.5–10 ms, so between two dirty-bitmap
 * syncs every buffer page is dirty again; a trace without the rewrites made such migrations
 * "complete" on replay in 0.9–5 s where the guest did not converge in 120 s.
 *
 * A re-read that takes longer than MS is followed by the next at once, not by a burst that
 * catches up (the snapshot clock in recorder.ts skips slots for the same reason). The snapshot
 * itself diffs against the previous snapshot and, for a hot page that reads unchanged, against
 * its last re-read (snapshot-diff.ts): a page rewritten back to its old bytes is still written.
 */
export class FineCapture {
  private readonly hot: HotPages;
  /** Re-reads so far, touch epochs written, pages in them. */
  reads = 0;
  touchEpochs = 0;
  touches = 0;
  /** Sum and count of the gaps between consecutive reads of a hot set (snapshot → re-read …). */
  private gapsMs = 0;
  private gaps = 0;
  private lastReadBegan = 0;

  /** `epochTimeS(began)` is the recorder's clock: an epoch time after every earlier one. */
  constructor(
    memory: ProcessMemory,
    private readonly writer: TraceWriter,
    private readonly fineMs: number,
    private readonly epochTimeS: (began: number) => number,
  ) {
    this.hot = new HotPages(memory);
  }

  /** The pages being re-read, with their last read content: the next snapshot consults it. */
  get hotSet(): HotPages {
    return this.hot;
  }

  /** A snapshot that began at `began` (performance.now()) was written: its changes are hot. */
  startInterval(pages: SnapshotDiff, began: number): void {
    pages.loadHotSet(this.hot);
    this.lastReadBegan = began;
  }

  /**
   * Re-read the hot set every fineMs until `deadline` (the next snapshot's slot), sleeping with
   * `wait` (true: the recording must stop). Returns true when it must stop.
   */
  async readUntil(deadline: number, wait: (until: number) => Promise<boolean>): Promise<boolean> {
    if (this.hot.size === 0) return wait(deadline);
    for (let due = this.lastReadBegan + this.fineMs; due < deadline; ) {
      if (await wait(due)) return true;
      const began = performance.now();
      this.reread(began);
      due = began + this.fineMs;
    }
    return wait(deadline);
  }

  /** "hot pages re-read every 5 ms (mean period 7.9 ms, 2310 re-reads)". */
  describe(): string {
    const mean = this.gaps === 0 ? "" : `mean period ${(this.gapsMs / this.gaps).toFixed(1)} ms, `;
    return `hot pages re-read every ${this.fineMs} ms (${mean}${this.reads} re-reads)`;
  }

  /** What the trace's metadata says about fine capture. */
  metadata(): Record<string, number> {
    return {
      fineMs: this.fineMs,
      fineReads: this.reads,
      fineMeanPeriodMs: this.gaps === 0 ? 0 : Number((this.gapsMs / this.gaps).toFixed(3)),
      touchEpochs: this.touchEpochs,
      touches: this.touches,
    };
  }

  private reread(began: number): void {
    const touched = this.hot.reread();
    this.reads++;
    this.gapsMs += began - this.lastReadBegan;
    this.gaps++;
    this.lastReadBegan = began;
    if (touched === 0) return; // an empty re-read writes nothing
    const { writer } = this;
    writer.beginTouchEpoch(this.epochTimeS(began));
    const pages = this.hot.touched;
    for (let k = 0; k < touched; k++) writer.addTouch(pages[k]);
    writer.endEpoch();
    this.touchEpochs++;
    this.touches += touched;
  }
}
