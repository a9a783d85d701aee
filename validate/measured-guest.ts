import { measuredBufferRuns } from "./buffer-layout.ts";
import type { MeasuredGuest } from "./compare.ts";
import { measuredOsByLoad } from "./guest-os-base.ts";
import type { LabRun } from "./migration-run.ts";
import type { LoadMode, TraceAvailability } from "./trace-recording.ts";

/**
 * What each load's recorded trace says about the guest under it, read once per load before
 * any configuration is compared: the OS's non-zero bytes (guest-os-base.ts) and, for `stride`,
 * where its buffer lies (buffer-layout.ts).
 */
export function measuredGuestsByLoad(
  runs: readonly LabRun[],
  traces: ReadonlyMap<LoadMode, TraceAvailability> | null,
): Map<LoadMode, MeasuredGuest> {
  const os = measuredOsByLoad(runs, traces);
  const buffers = measuredBufferRuns(traces);
  const out = new Map<LoadMode, MeasuredGuest>();
  for (const mode of new Set([...os.keys(), ...buffers.keys()]))
    out.set(mode, { osBytes: os.get(mode) ?? null, bufferRuns: buffers.get(mode) ?? null });
  return out;
}
