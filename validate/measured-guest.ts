import { TraceReader } from "../workloads/trace-reader.ts";
import { hotPageRuns } from "./buffer-layout.ts";
import type { MeasuredGuest } from "./compare.ts";
import { measuredOsBytes } from "./guest-os-base.ts";
import type { LabRun } from "./migration-run.ts";
import type { LoadMode, TraceAvailability } from "./trace-recording.ts";

/**
 * What each load's recorded trace says about the guest under it, read once per load (one open
 * of its trace) before any configuration is compared: the OS's non-zero bytes, when the trace
 * knows its start on the load's clock (guest-os-base.ts), and for `stride` where its buffer
 * lies (buffer-layout.ts).
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
      if (osBytes !== null || bufferRuns !== null) out.set(mode, { osBytes, bufferRuns });
    } finally {
      reader.close();
    }
  }
  return out;
}
