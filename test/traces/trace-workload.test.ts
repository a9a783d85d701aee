import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { InputError, UsageError } from "../../lib/errors.ts";
import { findWorkload, resolveParams } from "../../workloads/registry.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { TraceRun, traceWorkload } from "../../workloads/trace-workload.ts";
import { WorkloadEndedError } from "../../workloads/types.ts";
import { dirtyPages, pageContent, type TraceModel, tempDir, writeModel } from "./trace-model.ts";

// Image: page 0 = v1. Epoch 1 at 0.1 s writes page 1 (v1); epoch 2 at 0.25 s writes page 2 (v1)
// and page 1 (v2).
const model: TraceModel = {
  pageCount: 4,
  image: new Map([[0, 1]]),
  epochs: [
    { timeS: 0.1, pages: new Map([[1, 1]]) },
    {
      timeS: 0.25,
      pages: new Map([
        [1, 2],
        [2, 1],
      ]),
    },
  ],
};

function open(t: { after(fn: () => void): void }): TraceReader {
  const file = join(tempDir(t), "policies.trace");
  writeModel(file, model);
  const reader = TraceReader.open(file);
  t.after(() => reader.close());
  return reader;
}

function content(run: TraceRun, page: number): Uint8Array {
  const out = new Uint8Array(4096);
  run.readPage(page, out);
  return out;
}

test("stop: replay up to the end, then WorkloadEndedError", (t) => {
  const run = new TraceRun(open(t), "stop");
  assert.equal(run.endS, 0.25);
  assert.deepEqual(dirtyPages(run, 0.05), []);
  assert.deepEqual(dirtyPages(run, 0.1), [1]);
  assert.deepEqual(dirtyPages(run, 0.25), [1, 2]);
  assert.throws(
    () => dirtyPages(run, 0.3),
    (error: unknown) => error instanceof WorkloadEndedError && error.endS === 0.25,
  );
});

test("hold: past the end nothing is written and contents stay", (t) => {
  const run = new TraceRun(open(t), "hold");
  assert.deepEqual(dirtyPages(run, 10), [1, 2]);
  assert.deepEqual(dirtyPages(run, 20), []);
  assert.deepEqual(content(run, 1), pageContent(1, 2));
  assert.equal(run.timeS, 20);
});

test("loop: a trace too short to say how its writes recur is refused, with the reason", (t) => {
  // Two epochs that share one page: nothing tells a hot set from random writes
  // (test/traces/trace-loop.test.ts has the traces that loop).
  assert.throws(
    () => new TraceRun(open(t), "loop"),
    (error: unknown) =>
      error instanceof UsageError &&
      /on-end=loop would invent this program's dirtying: its consecutive epochs rewrote only 1 of the same pages/.test(
        error.message,
      ),
  );
});

test("time only moves forward", (t) => {
  const run = new TraceRun(open(t), "hold");
  dirtyPages(run, 0.2);
  assert.throws(() => dirtyPages(run, 0.1), RangeError);
});

test("the registry row: defaults, usage errors, and RAM from the trace", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "registry.trace");
  writeModel(file, model);
  // The registry's row is the trace workload with the guest-stall parameters after its own.
  const row = findWorkload("trace");
  assert.equal(row.name, "trace");
  assert.deepEqual(row.params.slice(0, traceWorkload.params.length), traceWorkload.params);
  const params = resolveParams(traceWorkload, [`file=${file}`]);
  assert.equal(params["on-end"], "stop");
  const run = traceWorkload.create({ ramBytes: 1 << 30, seed: 1, params }) as TraceRun;
  assert.equal(run.pageCount, 4); // the trace's size wins over --ram
  assert.throws(() => resolveParams(traceWorkload, ["on-end=forever"]), UsageError);
  assert.throws(
    () => traceWorkload.create({ ramBytes: 0, seed: 1, params: resolveParams(traceWorkload, []) }),
    (error: unknown) => error instanceof UsageError && /--set file=PATH/.test(error.message),
  );
  const missing = join(dir, "missing.trace");
  assert.throws(
    () =>
      traceWorkload.create({ ramBytes: 0, seed: 1, params: { file: missing, "on-end": "stop" } }),
    (error: unknown) => error instanceof InputError && error.message === `${missing}: no such file`,
  );
});
