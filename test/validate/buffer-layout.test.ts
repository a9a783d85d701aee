import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { hotPageRuns } from "../../validate/buffer-layout.ts";
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
