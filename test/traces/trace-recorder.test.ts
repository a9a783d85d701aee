import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { test } from "node:test";
import { InputError } from "../../lib/errors.ts";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { parseWritablePrivateMappings } from "../../workloads/process-info.ts";
import { recordProcess } from "../../workloads/recorder.ts";
import { RECORD_PAGE_MASK } from "../../workloads/trace-format.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { TraceRun } from "../../workloads/trace-workload.ts";
import { tempDir } from "./trace-model.ts";

/**
 * A child that writes a known pattern over time: every 40 ms it fills page (step mod 64) of a
 * 64-page buffer with "MIGBENCH-PATTERN-<step>;" repeated.
 */
const CHILD = `
const buffer = Buffer.alloc(64 * 4096);
let step = 0;
setInterval(() => {
  const text = "MIGBENCH-PATTERN-" + step + ";";
  buffer.fill(text, (step % 64) * 4096, (step % 64 + 1) * 4096);
  step++;
}, 40);
process.stdout.write("ready\\n");
`;

const PATTERN = /MIGBENCH-PATTERN-(\d+);/g;

function stepsIn(bytes: Uint8Array): number[] {
  const text = Buffer.from(bytes).toString("latin1");
  return [...text.matchAll(PATTERN)].map((m) => Number(m[1]));
}

test("maps parsing keeps writable private mappings only", () => {
  const maps = [
    "55d0c0000000-55d0c0001000 r--p 00000000 fe:00 1 /usr/bin/node",
    "55d0c0001000-55d0c0003000 rw-p 00001000 fe:00 1 /usr/bin/node",
    "7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ",
    "7f0000100000-7f0000200000 rw-s 00000000 00:05 3 /dev/shm/x",
    "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]",
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
  ].join("\n");
  const regions = parseWritablePrivateMappings(maps);
  assert.deepEqual(
    regions.map((r) => [r.start.toString(16), (r.end - r.start) / 4096, r.path]),
    [
      ["55d0c0001000", 2, "/usr/bin/node"],
      ["7f0000000000", 256, ""],
      ["7ffd00000000", 33, "[stack]"],
    ],
  );
});

test("records a child process: several epochs, changed pages carry its pattern in order", async (t) => {
  const dir = tempDir(t);
  const child = spawn(process.execPath, ["-e", CHILD], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  const [first] = (await once(child.stdout, "data")) as [Buffer];
  assert.equal(first.toString().trim(), "ready");

  const out = join(dir, "child.trace");
  // Stop after 6 epochs rather than after a duration: on a loaded machine a snapshot may take
  // longer than the interval (slots are then skipped), and the test must not depend on speed.
  const controller = new AbortController();
  const snapshots: number[] = [];
  const summary = await recordProcess({
    pid: child.pid as number,
    out,
    intervalMs: 100,
    durationMs: null,
    signal: controller.signal,
    onSnapshot: (p) => {
      snapshots.push(p.epoch);
      if (p.epoch === 6) controller.abort();
    },
  });
  assert.equal(summary.endedBy, "interrupt");
  assert.equal(summary.epochs, 6);
  assert.deepEqual(snapshots, [0, 1, 2, 3, 4, 5, 6]);

  const reader = TraceReader.open(out);
  t.after(() => reader.close());
  assert.equal(reader.metadata.source, "record");
  assert.equal(reader.epochCount, summary.epochs);
  const page = new Uint8Array(4096);
  // Per epoch: the highest step found in its changed pages. It must grow over time, and the
  // pattern must show up in most epochs (the child writes ~2.5 pages per 100 ms).
  const run = new TraceRun(reader, "stop");
  const latestStep: number[] = [];
  const seen = new Set<number>();
  for (let e = 1; e <= reader.epochCount; e++) {
    const dirty = new PageBitmap(reader.pageCount);
    run.advanceTo(reader.epochs[e].timeS, dirty);
    const [from, to] = reader.epochRecordRange(e);
    assert.equal(dirty.size, to - from);
    let best = -1;
    for (let r = from; r < to; r++) {
      run.readPage(reader.records[r] & RECORD_PAGE_MASK, page);
      for (const step of stepsIn(page)) {
        seen.add(step);
        best = Math.max(best, step);
      }
    }
    if (best >= 0) latestStep.push(best);
  }
  assert.ok(latestStep.length >= 5, `pattern found in ${latestStep.length} epochs of 6`);
  for (let i = 1; i < latestStep.length; i++) assert.ok(latestStep[i] >= latestStep[i - 1]);
  assert.ok(seen.size >= 8, `${seen.size} distinct steps recorded`);
});

test("recording a process that does not exist is an InputError", async (t) => {
  const out = join(tempDir(t), "none.trace");
  await assert.rejects(
    recordProcess({ pid: 2 ** 22 + 12345, out, intervalMs: 100, durationMs: 100 }),
    (error: unknown) => error instanceof InputError && /no such process/.test(error.message),
  );
});

test("`npm run record -- --out F -- CMD`: Ctrl-C finishes a complete trace", async (t) => {
  const dir = tempDir(t);
  const out = join(dir, "cli.trace");
  const recorder = spawn(
    process.execPath,
    [
      "--require",
      "./scripts/register-tsx.cjs",
      "workloads/record-cli.ts",
      "--out",
      out,
      "--interval",
      "100ms",
      "--",
      process.execPath,
      "-e",
      CHILD,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  t.after(() => recorder.kill("SIGKILL"));
  let stderr = "";
  recorder.stderr.setEncoding("utf8");
  // Interrupt once the progress shows epoch 2 or later (plain lines, since stderr is not a
  // TTY: epoch 0, then one every 2 s). A fixed delay after epoch 0 raced with slow snapshots on
  // a loaded machine (the child's first snapshots can take longer than the interval). Exactly
  // one SIGINT: a second one, sent on a later chunk of stderr, abandons the trace by design.
  let sent = false;
  const interrupted = new Promise<void>((resolve) => {
    recorder.stderr.on("data", (chunk: string) => {
      stderr += chunk;
      const epochs = [...stderr.matchAll(/^epoch (\d+) /gm)].map((m) => Number(m[1]));
      if (!sent && epochs.some((epoch) => epoch >= 2)) {
        sent = true;
        recorder.kill("SIGINT");
        resolve();
      }
    });
  });
  await interrupted;
  const [code] = (await once(recorder, "exit")) as [number];
  assert.equal(code, 0, stderr);
  assert.match(stderr, /interrupted: finishing the trace/);
  assert.match(stderr, /ended by interrupt/);
  const reader = TraceReader.open(out);
  t.after(() => reader.close());
  assert.ok(reader.epochCount >= 2, `${reader.epochCount} epochs`);
  assert.equal(reader.metadata.endedBy, "interrupt");
  assert.equal(reader.metadata.spawned, true);
});
