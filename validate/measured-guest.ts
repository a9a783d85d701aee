import { formatRuns, type PageRun } from "../workloads/buffer-runs.ts";
import { TraceReader } from "../workloads/trace-reader.ts";
import { hotPageRuns } from "./buffer-layout.ts";
import type { MeasuredGuest } from "./compare.ts";
import {
  imageNonZeroPages,
  measuredOsBytes,
  osTopPages,
  TOP_WINDOW_PAGES,
} from "./guest-os-base.ts";
import type { LabRun } from "./migration-run.ts";
import type { LoadMode, TraceAvailability } from "./trace-recording.ts";

/**
 * What each load's recorded trace says about the guest under it, read once per load (one open
 * of its trace) before any configuration is compared: the OS's non-zero bytes, when the trace
 * knows its start on the load's clock (guest-os-base.ts), its pages at the top of RAM, and
 * for `stride` where its buffer lies (buffer-layout.ts).
 */
export function measuredGuestsByLoad(
  runs: readonly LabRun[],
  traces: ReadonlyMap<LoadMode, TraceAvailability> | null,
): Map<LoadMode, MeasuredGuest> {
  const out = new Map<LoadMode, MeasuredGuest>();
  for (const [mode, trace] of traces ?? []) {
    const load = runs.find((run) => run.config.load.mode === mode)?.config.load;
    if (!load || trace.state !== "recorded") continue;
    const reader = TraceReader.open(trace.path);
    try {
      const image = imageNonZeroPages(reader);
      const osBytes =
        trace.startsAtLoadS === null
          ? null
          : measuredOsBytes(image, load, runs, trace.startsAtLoadS);
      const buffer = mode === "stride" ? hotPageRuns(reader) : null;
      const bufferAtTop =
        buffer === null ? 0 : pagesFrom(buffer, reader.pageCount - TOP_WINDOW_PAGES);
      out.set(mode, {
        osBytes,
        bufferRuns: buffer === null ? null : formatRuns(buffer),
        topPages: osTopPages(image, bufferAtTop),
      });
    } finally {
      reader.close();
    }
  }
  return out;
}

/** How many pages of `runs` lie at or above page `from`. */
function pagesFrom(runs: readonly PageRun[], from: number): number {
  let pages = 0;
  for (const { start, pages: length } of runs)
    pages += Math.max(0, start + length - Math.max(start, from));
  return pages;
}
