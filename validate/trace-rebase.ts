import { rmSync } from "node:fs";
import { RECORD_PAGE_MASK, TRACE_PAGE_SIZE } from "../workloads/trace-format.ts";
import { TraceReader } from "../workloads/trace-reader.ts";
import { TraceWriter } from "../workloads/trace-writer.ts";

/**
 * Starts a recorded trace at the recorder's first full snapshot after the image and at or after
 * a given time (where the lab's migrations started on the load's clock: trace-recording.ts).
 *
 * The recorder's image is a read of all guest RAM (512 MiB) while the guest runs: it took
 * 10.8 s on the lab's loaded 2 cores, and nothing finer is recorded meanwhile — the fine
 * re-reads need the hot set that the next snapshot's diff finds (workloads/recorder.ts). A
 * replay from the image would see no page written for those seconds (a migration in them would
 * find an idle guest), and `on-end=loop` repeats the trace with period endS from time 0
 * (workloads/trace-loop.ts), so every lap would begin with the same silence. From the first
 * snapshot on the recording is dense, so the trace the lab replays starts there: its image is
 * every page's content as of that snapshot, and the later epochs keep their spacing, shifted.
 * What is lost are the touch epochs before it (there are none: no hot set yet) and the
 * ordering of writes inside the image read, which no replay could use.
 */

export interface Rebased {
  /** Seconds cut from the start: the first snapshot's time in the recorded trace. */
  readonly cutS: number;
  readonly durationS: number;
  readonly bytes: number;
}

/** The first content epoch after the image at or after `notBeforeS`, or null when there is none. */
function firstSnapshot(reader: TraceReader, notBeforeS: number): number | null {
  for (let e = 1; e < reader.epochs.length; e++)
    if (!reader.epochs[e].touch && reader.epochs[e].timeS >= notBeforeS) return e;
  return null;
}

/**
 * Writes `reader`'s trace into `out` starting at its first snapshot after the image and at or
 * after `notBeforeS` (0: the first after the image).
 */
export function rebaseAtFirstSnapshot(reader: TraceReader, out: string, notBeforeS = 0): Rebased {
  const start = firstSnapshot(reader, notBeforeS);
  if (start === null)
    throw new Error(
      `${reader.path}: no snapshot after the image${notBeforeS > 0 ? ` and ${notBeforeS.toFixed(1)} s in` : ""}, so no time to start the replay at`,
    );
  const cutS = reader.epochs[start].timeS;
  const writer = TraceWriter.create(out, {
    pageCount: reader.pageCount,
    timeUnitNs: reader.timeUnitNs,
    level: 1,
    metadata: { ...reader.metadata, startsAtRecordedS: cutS },
  });
  const page = new Uint8Array(TRACE_PAGE_SIZE);
  try {
    // Each page's latest stored version up to the first snapshot: the new image.
    const latest = new Map<number, number>();
    for (let e = 0; e <= start; e++) {
      if (reader.epochs[e].touch) continue;
      const [from, to] = reader.epochRecordRange(e);
      for (let r = from; r < to; r++) latest.set(reader.records[r] & RECORD_PAGE_MASK, r);
    }
    for (const [p, r] of [...latest].sort((a, b) => a[0] - b[0])) {
      reader.readRecord(r, page);
      writer.addPage(p, page);
    }
    for (let e = start + 1; e < reader.epochs.length; e++) {
      const epoch = reader.epochs[e];
      const [from, to] = reader.epochRecordRange(e);
      if (epoch.touch) {
        writer.beginTouchEpoch(epoch.timeS - cutS);
        for (let r = from; r < to; r++) writer.addTouch(reader.records[r] & RECORD_PAGE_MASK);
      } else {
        writer.beginEpoch(epoch.timeS - cutS);
        for (let r = from; r < to; r++) {
          reader.readRecord(r, page);
          writer.addPage(reader.records[r] & RECORD_PAGE_MASK, page);
        }
      }
      writer.endEpoch();
    }
    const summary = writer.finish();
    return { cutS, durationS: reader.durationS - cutS, bytes: summary.bytes };
  } catch (error) {
    writer.abort();
    throw error;
  }
}

/** Rebases the trace `recorded` into `out` and deletes `recorded`, whether or not it worked. */
export function replaceAtFirstSnapshot(recorded: string, out: string, notBeforeS = 0): Rebased {
  try {
    const reader = TraceReader.open(recorded);
    try {
      return rebaseAtFirstSnapshot(reader, out, notBeforeS);
    } finally {
      reader.close();
    }
  } finally {
    rmSync(recorded, { force: true });
  }
}
