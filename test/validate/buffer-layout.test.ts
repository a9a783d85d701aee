import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { hotPageRuns, writtenPageRuns } from "../../validate/buffer-layout.ts";
import { formatRuns } from "../../workloads/buffer-runs.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { type TraceModel, tempDir, writeModel } from "../traces/trace-model.ts";

// The stride buffer's runs from a recorded trace's touch epochs (validate/buffer-layout.ts).

const BUFFER = [10, 11, 12, 40, 41, 50];

/** `epochs` touch epochs writing BUFFER (and page 60 in every fourth), content epochs between. */
function model(epochs: number): TraceModel {
  return {
    pageCount: 64,
    image: new Map([[5, 1]]),
    epochs: Array.from({ length: epochs }, (_, i) => ({
      timeS: 0.01 * (i + 1),
      touch: i % 7 !== 3,
      pages: new Map(
        [...BUFFER, ...(i % 4 === 0 ? [60] : [])].map((p) => [p, i % 7 === 3 ? i + 1 : 0]),
      ),
    })),
  };
}

function runsOf(t: { after(fn: () => void): void }, epochs: number): string | null {
  const path = join(tempDir(t), "stride.trace");
  writeModel(path, model(epochs));
  const reader = TraceReader.open(path);
  try {
    const runs = hotPageRuns(reader);
    return runs === null ? null : formatRuns(runs);
  } finally {
    reader.close();
  }
}

test("hotPageRuns: the pages written in at least half the touch epochs, as runs in page order", (t) => {
  // Page 60, in a quarter of them, is not the buffer's.
  assert.equal(runsOf(t, 40), "10+3/40+2/50+1");
});

test("hotPageRuns: too few touch epochs say nothing", (t) => {
  assert.equal(runsOf(t, 12), null);
});

/**
 * A random writer's trace over 400 pages: its table at 100 … 299 written in 30 content epochs,
 * each page in a fifth of them (never 100, 101, 298 or 299), its counters at page 350 and the
 * OS's page 20 in every epoch, and OS page 30 in a few.
 */
function writerModel(): TraceModel {
  const table = Array.from({ length: 196 }, (_, k) => 102 + k);
  return {
    pageCount: 400,
    image: new Map([[5, 1]]),
    epochs: Array.from({ length: 30 }, (_, i) => ({
      timeS: 0.2 * (i + 1),
      pages: new Map(
        [...table.filter((p) => (p * 7 + i) % 5 === 0), 350, 20, ...(i % 10 === 0 ? [30] : [])].map(
          (p) => [p, i + 1],
        ),
      ),
    })),
  };
}

test("writtenPageRuns: a random writer's table as runs, its counters and the OS's pages left out", (t) => {
  const path = join(tempDir(t), "sparse.trace");
  writeModel(path, writerModel());
  const reader = TraceReader.open(path);
  try {
    // The 196 pages seen, from 102: a table of 196 is exactly them; one of 197 has a page the
    // trace missed, and the run grows at its end to hold it.
    assert.equal(formatRuns(writtenPageRuns(reader, 196) ?? []), "102+196");
    assert.equal(formatRuns(writtenPageRuns(reader, 197) ?? []), "102+197");
    // More than 1 % unseen (4 of 200): the trace did not reach the table.
    assert.equal(writtenPageRuns(reader, 200), null);
  } finally {
    reader.close();
  }
});
