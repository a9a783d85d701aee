import { closeSync, openSync, readSync, statSync } from "node:fs";
import { basename } from "node:path";
import { InputError, UsageError } from "../lib/errors.ts";
import { DEFAULT_TIME_UNIT_NS, TRACE_PAGE_SIZE } from "./trace-format.ts";
import { TraceWriter, type TraceWriteSummary } from "./trace-writer.ts";

/**
 * Builds a trace from raw memory snapshots: equal-sized dumps of the same memory taken at known
 * times, e.g. QEMU's `pmemsave 0 SIZE file` (HMP). (`dump-guest-memory` writes an ELF core, not
 * a raw dump: its PT_LOAD segments must be extracted first; docs/TRACE_FORMAT.md.) Snapshot
 * 0 becomes the initial image; epoch i holds the pages where snapshot i differs from snapshot
 * i−1. Snapshots are streamed two at a time, 1 MiB at a time, so a 64 GiB guest needs two
 * 1 MiB buffers, not 64 GiB.
 */

export interface ImportOptions {
  readonly files: readonly string[];
  readonly out: string;
  /** Times of the snapshots in seconds; made relative to the first. */
  readonly timesS: readonly number[];
  readonly level?: number;
  readonly onFile?: (index: number, changedPages: number) => void;
}

const CHUNK_PAGES = 256;

/** Checks that every snapshot exists and has the same size, a whole number of pages. */
export function checkSnapshots(files: readonly string[]): number {
  if (files.length === 0) throw new UsageError("give at least one snapshot file");
  let size = -1;
  for (const file of files) {
    let bytes: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw new InputError(file, "is not a regular file");
      bytes = stat.size;
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(file, "no such file");
    }
    if (bytes === 0 || bytes % TRACE_PAGE_SIZE !== 0)
      throw new InputError(
        file,
        `is ${bytes} bytes, not a positive multiple of ${TRACE_PAGE_SIZE}`,
      );
    if (size >= 0 && bytes !== size)
      throw new InputError(
        file,
        `is ${bytes} bytes but ${files[0]} is ${size} bytes: all snapshots must be the same size`,
      );
    size = bytes;
  }
  return size;
}

export function importSnapshots(options: ImportOptions): TraceWriteSummary {
  const { files, timesS } = options;
  const size = checkSnapshots(files);
  if (timesS.length !== files.length)
    throw new UsageError(`${timesS.length} times given for ${files.length} snapshots`);
  for (let i = 1; i < timesS.length; i++)
    if (!(timesS[i] > timesS[i - 1]))
      throw new UsageError(`snapshot times must increase (${timesS[i - 1]} s then ${timesS[i]} s)`);
  const pageCount = size / TRACE_PAGE_SIZE;
  const writer = TraceWriter.create(options.out, {
    pageCount,
    timeUnitNs: DEFAULT_TIME_UNIT_NS,
    level: options.level ?? 6,
    metadata: {
      source: "import",
      snapshots: files.map((file, i) => ({ file: basename(file), timeS: timesS[i] })),
    },
  });
  const previous = Buffer.alloc(CHUNK_PAGES * TRACE_PAGE_SIZE);
  const current = Buffer.alloc(CHUNK_PAGES * TRACE_PAGE_SIZE);
  try {
    for (let i = 0; i < files.length; i++) {
      if (i > 0) writer.beginEpoch(timesS[i] - timesS[0]);
      const currentFd = openSync(files[i], "r");
      const previousFd = i > 0 ? openSync(files[i - 1], "r") : -1;
      let changed = 0;
      try {
        for (let page = 0; page < pageCount; page += CHUNK_PAGES) {
          const pages = Math.min(CHUNK_PAGES, pageCount - page);
          const bytes = pages * TRACE_PAGE_SIZE;
          readChunk(files[i], currentFd, current, bytes, page * TRACE_PAGE_SIZE);
          if (previousFd < 0) {
            for (let k = 0; k < pages; k++) writer.addPage(page + k, current, k * TRACE_PAGE_SIZE);
            continue;
          }
          readChunk(files[i - 1], previousFd, previous, bytes, page * TRACE_PAGE_SIZE);
          for (let k = 0; k < pages; k++) {
            const at = k * TRACE_PAGE_SIZE;
            if (
              current.compare(previous, at, at + TRACE_PAGE_SIZE, at, at + TRACE_PAGE_SIZE) !== 0
            ) {
              writer.addPage(page + k, current, at);
              changed++;
            }
          }
        }
      } finally {
        closeSync(currentFd);
        if (previousFd >= 0) closeSync(previousFd);
      }
      if (i > 0) writer.endEpoch();
      options.onFile?.(i, changed);
    }
    return writer.finish();
  } catch (error) {
    writer.abort();
    throw error;
  }
}

function readChunk(file: string, fd: number, into: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0)
      throw new InputError(file, "ended early (did it change while importing?)", position + done);
    done += n;
  }
}
