import { RECORD_PAGE_MASK, TRACE_PAGE_SIZE } from "./trace-format.ts";
import type { TraceReader } from "./trace-reader.ts";
import { TraceWriter, type TraceWriteSummary } from "./trace-writer.ts";

/**
 * Rewrites a trace with other block settings, page for page: the recorder compresses fast
 * (deflate level 1) to keep up with short intervals, and `npm run trace -- recompress` makes
 * the archived copy smaller afterwards. Epochs, times, page numbers and metadata are kept.
 */
export function copyTrace(
  reader: TraceReader,
  out: string,
  options: { level: number; pagesPerBlock?: number },
): TraceWriteSummary {
  const writer = TraceWriter.create(out, {
    pageCount: reader.pageCount,
    timeUnitNs: reader.timeUnitNs,
    level: options.level,
    pagesPerBlock: options.pagesPerBlock,
    metadata: reader.metadata,
  });
  const page = new Uint8Array(TRACE_PAGE_SIZE);
  try {
    for (let e = 0; e < reader.epochs.length; e++) {
      // Exact ticks survive the seconds round trip: ticks → s → ticks rounds to the same tick.
      const epoch = reader.epochs[e];
      const [from, to] = reader.epochRecordRange(e);
      if (epoch.touch) {
        writer.beginTouchEpoch(epoch.timeS);
        for (let r = from; r < to; r++) writer.addTouch(reader.records[r] & RECORD_PAGE_MASK);
        writer.endEpoch();
        continue;
      }
      if (e > 0) writer.beginEpoch(epoch.timeS);
      for (let r = from; r < to; r++) {
        reader.readRecord(r, page);
        writer.addPage(reader.records[r] & RECORD_PAGE_MASK, page);
      }
      if (e > 0) writer.endEpoch();
    }
    return writer.finish();
  } catch (error) {
    writer.abort();
    throw error;
  }
}
