import { BufferRuns, formatRuns, type PageRun } from "../workloads/buffer-runs.ts";
import { TRACE_PAGE_SIZE } from "../workloads/trace-format.ts";
import { TraceReader } from "../workloads/trace-reader.ts";
import { hotPageRuns, writtenPageRuns } from "./buffer-layout.ts";
import type { MeasuredGuest } from "./compare.ts";
import { imageNonZeroPages, loadOwnPages, measuredOsBytes, osImage } from "./guest-os-base.ts";
import type { LabRun } from "./migration-run.ts";
import type { LoadMode, TraceAvailability } from "./trace-recording.ts";
import type { GuestLoad } from "./vm.ts";

/**
 * What each load's recorded trace says about the guest under it, read once per load (one open
 * of its trace) before any configuration is compared: where the load's own pages lie
 * (buffer-layout.ts: `stride`'s buffer, the random writers' table) and, once they are known,
 * the OS's non-zero pages around them, exactly, and where they lie (guest-os-base.ts osImage);
 * for a load whose pages the trace does not place (idle), the OS's non-zero bytes estimated
 * from the image when the trace knows its start on the load's clock, and its pages at the top.
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
      const loadPages = loadOwnPages(load);
      const placed = loadRuns(reader, load, loadPages);
      if (placed !== null) {
        const os = osImage(reader, BufferRuns.of(placed, loadPages, reader.pageCount));
        out.set(mode, {
          osBytes: os.pages * TRACE_PAGE_SIZE,
          bufferRuns: formatRuns(placed),
          topPages: os.topPages,
          osLayout: os.runs.length === 0 ? null : formatRuns(os.runs),
        });
        continue;
      }
      const image = imageNonZeroPages(reader);
      out.set(mode, {
        osBytes:
          trace.startsAtLoadS === null
            ? null
            : measuredOsBytes(image, load, runs, trace.startsAtLoadS),
        bufferRuns: null,
        topPages: image.topNonZero,
        osLayout: null,
      });
    } finally {
      reader.close();
    }
  }
  return out;
}

/**
 * Where the trace saw the load's `pages` own pages, or null when it cannot say or its runs
 * hold fewer (buffer-layout.ts).
 */
function loadRuns(reader: TraceReader, load: GuestLoad, pages: number): PageRun[] | null {
  const runs = seenRuns(reader, load, pages);
  const held = (runs ?? []).reduce((sum, run) => sum + run.pages, 0);
  return runs === null || held < pages ? null : runs;
}

/** What the trace shows of each load's own pages: stride rewrites them, the writers write them. */
function seenRuns(reader: TraceReader, load: GuestLoad, pages: number): PageRun[] | null {
  switch (load.mode) {
    case "idle":
      return null;
    case "stride":
      return hotPageRuns(reader);
    case "sparse":
    case "zipf":
      return writtenPageRuns(reader, pages);
  }
}

/**
 * A summary line for loads whose synthetic guest had no trace to be laid out by (`--no-traces`,
 * a recording that failed): their buffer lies at the start of RAM and the OS's pages in
 * migbench's own runs (workloads/uniform.ts, workloads/os-base.ts), not where the guest had
 * them, and the bulk pass then meets them in another order. Without their traces the kept
 * `nokaslr` runs' sparse and zipf guests took 0.61–0.81 of the real time (docs/VALIDATION.md,
 * eleventh session); null when every load with a buffer was laid out from its trace.
 */
export function unplacedLoadsLine(
  modes: Iterable<LoadMode>,
  measured: ReadonlyMap<LoadMode, MeasuredGuest>,
): string | null {
  const unplaced = [...new Set(modes)].filter(
    (mode) => mode !== "idle" && (measured.get(mode)?.bufferRuns ?? null) === null,
  );
  if (unplaced.length === 0) return null;
  return `synthetic ${unplaced.join(", ")} without a trace to lay them out: the load's buffer at the start of RAM and the OS in migbench's own runs, not where the guest had them (their time can be far off: docs/VALIDATION.md, eleventh session)`;
}
