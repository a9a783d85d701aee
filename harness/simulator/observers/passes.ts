import type { PassRecord } from "../../../results/cell.ts";
import type { MigrationView, SimulationObserver } from "../observer.ts";
import type { MigrationCounters } from "./counters.ts";

/**
 * One PassRecord per pass (a passes.csv row): a pass's figures are the wire totals and the
 * counters at its end less those at the sync that started it. Every figure is a whole number, so
 * the differences are exact.
 */
export class PassRecorder implements SimulationObserver {
  readonly passes: PassRecord[] = [];
  private startS = 0;
  private dirtyPages = 0;
  private sentPages = 0;
  private sentBytes = 0;
  private hits = 0;
  private misses = 0;
  private overflows = 0;

  constructor(private readonly counters: MigrationCounters) {}

  onSync(view: MigrationView): void {
    this.startS = view.timeS;
    this.dirtyPages = view.dirtyPages;
    this.sentPages = view.sentPages;
    this.sentBytes = view.sentBytes;
    this.hits = this.counters.deltaPages;
    this.misses = this.counters.cacheMissPages;
    this.overflows = this.counters.overflowPages;
  }

  onPassEnd(view: MigrationView, stopAndCopy: boolean): void {
    const counters = this.counters;
    const durationS = view.timeS - this.startS;
    this.passes.push({
      pass: this.passes.length + 1,
      startMs: this.startS * 1000,
      durationMs: durationS * 1000,
      dirtyPages: this.dirtyPages,
      pagesSent: view.sentPages - this.sentPages,
      bytesSent: view.sentBytes - this.sentBytes,
      cacheHits: counters.deltaPages - this.hits,
      cacheMisses: counters.cacheMissPages - this.misses,
      overflows: counters.overflowPages - this.overflows,
      thresholdBytes: view.thresholdBytes,
      stopAndCopy,
    });
  }
}
