import type { PageRun } from "../workloads/buffer-runs.ts";
import type { TraceReader } from "../workloads/trace-reader.ts";

/**
 * Where the `stride` guest's buffer lies in guest-physical memory, read from the load's trace:
 * the pages its recorder saw written in at least half of its touch epochs (the buffer, which
 * every pass rewrites, and the loop's own few stack and data pages), as runs in page order
 * (workloads/buffer-runs.ts). The synthetic `stride` lays its buffer there instead of in one
 * block at page 0, so its pages collide in QEMU's direct-mapped XBZRLE cache as the real ones
 * do (docs/VALIDATION.md, fourth session: the lab's guests put the 16 MiB buffer in a few runs
 * between ~40 MiB and the top of RAM, which share ~720 slots of a 16 MiB cache and ~10 of a
 * 64 MiB one). One boot's layout: each migration boots its own guest, whose runs differ a
 * little (real misses per sync with a 16 MiB cache: 386, 386 and 796 in run J).
 */

/** Touch epochs that say which pages are hot; fewer leave the layout unknown. */
const MIN_TOUCH_EPOCHS = 20;

/** The hot pages of a trace's touch epochs as runs, or null with too few epochs or none hot. */
export function hotPageRuns(reader: TraceReader): PageRun[] | null {
  const counts = new Map<number, number>();
  let epochs = 0;
  for (let e = 0; e < reader.epochs.length; e++) {
    if (!reader.epochs[e].touch) continue;
    epochs++;
    const [first, end] = reader.epochRecordRange(e);
    for (let i = first; i < end; i++) {
      const page = reader.records[i] & 0x7fffffff;
      counts.set(page, (counts.get(page) ?? 0) + 1);
    }
  }
  if (epochs < MIN_TOUCH_EPOCHS) return null;
  const hot = [...counts]
    .filter(([, n]) => 2 * n >= epochs)
    .map(([page]) => page)
    .sort((a, b) => a - b);
  const runs: PageRun[] = [];
  for (let i = 0; i < hot.length; ) {
    let j = i + 1;
    while (j < hot.length && hot[j] === hot[j - 1] + 1) j++;
    runs.push({ start: hot[i], pages: j - i });
    i = j;
  }
  return runs.length === 0 ? null : runs;
}
