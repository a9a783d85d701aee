import { TraceReader } from "../workloads/trace-reader.ts";
import { hotPageRuns } from "./buffer-layout.ts";
import type { MeasuredGuest } from "./compare.ts";
import { measuredOsBytes, measuredTopPages, TOP_WINDOW_PAGES } from "./guest-os-base.ts";
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
      const osBytes =
        trace.startsAtLoadS === null
          ? null
          : measuredOsBytes(reader, load, runs, trace.startsAtLoadS);
      const bufferRuns = mode === "stride" ? hotPageRuns(reader) : null;
      const topFrom = reader.pageCount - TOP_WINDOW_PAGES;
      const bufferAtTop = bufferRuns === null ? 0 : pagesFrom(bufferRuns, topFrom);
      const topPages = measuredTopPages(reader, bufferAtTop);
      out.set(mode, { osBytes, bufferRuns, topPages });
    } finally {
      reader.close();
    }
  }
  return out;
}

/** How many pages of `runs` (buffer-layout.ts: START+PAGES/…) lie at or above page `from`. */
function pagesFrom(runs: string, from: number): number {
  let pages = 0;
  for (const run of runs.split("/")) {
    const [start, length] = run.split("+").map(Number);
    pages += Math.max(0, start + length - Math.max(start, from));
  }
  return pages;
}
