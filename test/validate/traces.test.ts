import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { agreements, summaryLines } from "../../validate/agreement.ts";
import { emptyFigures, type Figures } from "../../validate/compare.ts";
import type { ComparedConfig } from "../../validate/compared.ts";
import { fullMatrix, quickMatrix } from "../../validate/matrix.ts";
import type { LabConfig, LabRun } from "../../validate/migration-run.ts";
import { COMPARISON_HEADER, comparisonRows, markdownTable } from "../../validate/table.ts";
import { replaceAtFirstSnapshot } from "../../validate/trace-rebase.ts";
import {
  loopRefusal,
  MAX_TRACE_S,
  migrationStarts,
  type Recorded,
  type RecordLoad,
  readRecordings,
  recordTraces,
  type TracePlan,
  type TraceRecording,
  tracePlans,
  tracesFor,
} from "../../validate/trace-recording.ts";
import { RECORD_PAGE_MASK } from "../../workloads/trace-format.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";
import { TraceWriter } from "../../workloads/trace-writer.ts";
import { pageContent, type TraceModel, writeModel } from "../traces/trace-model.ts";

// Trace replay beside the synthetic workload in validate:qemu: which traces a run records, the
// recording step with a fake recorder (no QEMU), and the rows of two sources.

const tmp = () => mkdtempSync(join(tmpdir(), "mb-vtrace-"));

function figures(status: string, totalTimeMs: number | null, transferredBytes: number): Figures {
  return { ...emptyFigures(), status, totalTimeMs, transferredBytes };
}

test("tracePlans: one trace per load, as long as its longest time limit, at most 30 s", () => {
  const quick = tracePlans(quickMatrix());
  assert.deepEqual(
    quick.map((p) => p.load.mode),
    ["idle", "sparse", "stride", "zipf"],
  );
  // The quick matrix's limits are 45 s: capped. Without the migrations' start heartbeats the
  // trace starts the 3 s warm-up after the first heartbeat, as those migrations did.
  assert.ok(
    quick.every(
      (p) =>
        p.durationS === MAX_TRACE_S &&
        p.start.kind === "after-first-heartbeat" &&
        p.start.warmupS === 3,
    ),
  );
  // With them, where they started on the load's clock (their mean).
  const started = tracePlans(quickMatrix(), new Map([["sparse", 3.54]]));
  assert.deepEqual(started[1].start, { kind: "load-time", loadS: 3.54 });
  assert.equal(started[0].start.kind, "after-first-heartbeat");
  const short = quickMatrix().map((c) => ({ ...c, timeoutS: c.load.mode === "idle" ? 8 : 12 }));
  assert.deepEqual(
    tracePlans(short).map((p) => [p.load.mode, p.durationS]),
    [
      ["idle", 8],
      ["sparse", 12],
      ["stride", 12],
      ["zipf", 12],
    ],
  );
  assert.equal(tracePlans(fullMatrix()).length, 4);
  const [a, b] = quickMatrix().filter((c) => c.load.mode === "sparse");
  assert.throws(
    () => tracePlans([a, { ...b, guestRamKiB: 1024 * 1024 }]),
    /one trace per load needs one guest RAM/,
  );
  // The trace's guest is booted as its migrations' were: one preallocation for all of them.
  assert.throws(
    () => tracePlans([a, { ...b, preallocated: !a.preallocated }]),
    /one trace per load needs one guest RAM, preallocation, KASLR setting and warm-up/,
  );
  // ... and one kernel placement: with KASLR on, its RAM layout would be another boot's.
  assert.throws(
    () => tracePlans([a, { ...b, kaslr: !a.kaslr }]),
    /one trace per load needs one guest RAM, preallocation, KASLR setting and warm-up/,
  );
  assert.equal(tracePlans([a, b])[0].preallocated, true);
  assert.equal(tracePlans([a, b])[0].kaslr, false);
});

const summary: Recorded = {
  durationS: 29.8,
  snapshots: 150,
  skippedSlots: 2,
  bytes: 123_456,
  captureMethod: "content diff every 200 ms; hot pages re-read every 5 ms",
  fineReads: 3000,
  recordingStartLoadS: 0.5,
};

/** A real run of `config` whose migration started on the load's heartbeat at `tMs`. */
function startedAt(config: LabConfig, tMs: number | null): LabRun {
  const loadAtStart = tMs === null ? null : { tMs, passes: 0, writes: 12_000, checks: 3, bad: 0 };
  return { config, loadAtStart } as LabRun;
}

test("migrationStarts: the mean start heartbeat per load, from runs that kept one", () => {
  const [idle, sparse] = quickMatrix();
  const starts = migrationStarts([
    startedAt(sparse, 3500),
    startedAt(sparse, 3600),
    startedAt(idle, null),
  ]);
  assert.deepEqual([...starts], [["sparse", 3.55]]);
});

test("recordTraces: each load in turn, recordings.json after each, a failure kept with its reason", async () => {
  const dir = tmp();
  const asked: [string, string][] = [];
  const fake: RecordLoad = async (plan: TracePlan, file: string) => {
    asked.push([plan.load.mode, file]);
    if (plan.load.mode === "zipf") throw new Error("no mapping of 536862720 bytes\nsecond line");
    writeTrace(file, 10, () => [7, 8]);
    return summary;
  };
  const lines: string[] = [];
  // The recordings start at the load's 0.5 s; its migrations started at 0.65 s.
  const starts = new Map(quickMatrix().map((c) => [c.load.mode, 0.65]));
  const plans = tracePlans(quickMatrix(), starts);
  const recordings = await recordTraces(plans, dir, fake, (l) => lines.push(l));
  assert.deepEqual(asked, [
    ["idle", join(dir, "idle.recorded.trace")],
    ["sparse", join(dir, "sparse.recorded.trace")],
    ["stride", join(dir, "stride.recorded.trace")],
    ["zipf", join(dir, "zipf.recorded.trace")],
  ]);
  // Kept from its first snapshot at or after 0.15 s in (0.2 s) on: 0.8 s of the 1 s recorded;
  // the recording is gone.
  const { bytes, ...kept } = recordings[0] as Extract<TraceRecording, { state: "recorded" }>;
  assert.ok(bytes > 0);
  assert.deepEqual(kept, {
    load: "idle",
    state: "recorded",
    file: "idle.trace",
    guestRamKiB: 524280,
    preallocated: true,
    kaslr: false,
    requestedDurationS: 30,
    intervalMs: 200,
    fineMs: 5,
    recordingStartLoadS: 0.5,
    startsAtLoadS: 0.7,
    migrationsStartAtLoadS: 0.65,
    startsAtRecordedS: 0.2,
    recordedDurationS: 29.8,
    durationS: 0.8,
    snapshots: 150,
    skippedSlots: 2,
    captureMethod: summary.captureMethod,
    fineReads: 3000,
  });
  assert.ok(existsSync(join(dir, "idle.trace")) && !existsSync(join(dir, "idle.recorded.trace")));
  assert.deepEqual(recordings[3], {
    load: "zipf",
    state: "failed",
    error: "no mapping of 536862720 bytes",
  });
  assert.deepEqual(readRecordings(dir), recordings);
  assert.ok(lines.some((l) => l.includes("zipf: recording failed: no mapping")));
  assert.ok(
    lines.some((l) =>
      l.includes(
        "idle: content diff every 200 ms; hot pages re-read every 5 ms; replay starts 0.2 s in, at the load's 0.70 s (its migrations started at 0.65 s), and lasts 0.8 s",
      ),
    ),
    lines.join("\n"),
  );
  assert.equal(readRecordings(tmp()), null);
});

test("tracesFor: a --from run's traces are used; without them they are recorded, and only then is the lab asked", async () => {
  const [idle] = quickMatrix();
  const runDir = tmp();
  const looping: RecordLoad = async (_plan, file) => {
    writeTrace(file, 10, () => Array.from({ length: 160 }, (_, i) => i));
    return summary;
  };
  // Its migration started at the load's 0.6 s: 0.1 s into the recording.
  const runs = [startedAt(idle, 600)];
  await recordTraces(tracePlans([idle], migrationStarts(runs)), runDir, looping, () => {});
  let asked = 0;
  const recorder = () => {
    asked++;
    return looping;
  };
  const out = join(tmp(), "traces");
  const kept = await tracesFor([idle], runs, runDir, out, recorder, () => {});
  assert.deepEqual(kept.get("idle"), {
    state: "recorded",
    path: join(runDir, "idle.trace"),
    startsAtLoadS: 0.6,
  });
  assert.equal(asked, 0);
  const lines: string[] = [];
  const recorded = await tracesFor([idle], runs, tmp(), out, recorder, (l) => lines.push(l));
  assert.equal(asked, 1);
  assert.deepEqual(recorded.get("idle"), {
    state: "recorded",
    path: join(out, "idle.trace"),
    startsAtLoadS: 0.6,
  });
  assert.ok(existsSync(join(out, "recordings.json")));
  assert.match(lines[0], /has no traces: recording one per load now .*needs the lab/);
  // A trace whose loop is refused is unavailable with the reason, for every configuration.
  const refusing = await tracesFor(
    [idle],
    runs,
    tmp(),
    join(tmp(), "t"),
    () => async (_p, file) => {
      writeTrace(file, 4, (e) => Array.from({ length: 50 }, (_, i) => e * 50 + i));
      return summary;
    },
    () => {},
  );
  const refused = refusing.get("idle");
  assert.match(refused?.state === "unavailable" ? refused.reason : "", /^loop refused: /);
  // A run that never had a lab: the recorder's refusal is the command's error.
  await assert.rejects(
    tracesFor(
      [idle],
      runs,
      tmp(),
      join(tmp(), "t"),
      () => {
        throw new Error("no guest");
      },
      () => {},
    ),
    /no guest/,
  );
});

/** `epochs` epochs 0.1 s apart, epoch e writing pages `pages(e)`, into `file`. */
function writeTrace(file: string, epochs: number, pages: (e: number) => number[]): void {
  const model: TraceModel = {
    pageCount: 256,
    image: new Map([[1, 1]]),
    epochs: Array.from({ length: epochs }, (_, e) => ({
      timeS: (e + 1) / 10,
      pages: new Map(pages(e).map((p) => [p, e + 2])),
    })),
  };
  writeModel(file, model, 32);
}

function traceFile(name: string, epochs: number, pages: (e: number) => number[]): string {
  const file = join(tmp(), `${name}.trace`);
  writeTrace(file, epochs, pages);
  return file;
}

test("loopRefusal: a trace that loops, one whose loop would invent writes, one unreadable", () => {
  // The same 160 pages every epoch: a hot set, replayed lap after lap.
  const hot = traceFile("hot", 10, () => Array.from({ length: 160 }, (_, i) => i));
  assert.equal(loopRefusal(hot), null);
  // Epochs on disjoint pages: nothing says how its writes recur.
  const spread = traceFile("spread", 4, (e) => Array.from({ length: 50 }, (_, i) => e * 50 + i));
  assert.match(loopRefusal(spread) ?? "", /^loop refused: its consecutive epochs rewrote only 0/);
  const broken = join(tmp(), "broken.trace");
  writeFileSync(broken, "not a trace");
  assert.match(loopRefusal(broken) ?? "", /^trace unreadable: /);
});

/** Two repetitions of stride at 32 MiB/s, simulated from both sources; the replay's loop refused for zipf. */
function twoSources(): ComparedConfig[] {
  const matrix = quickMatrix();
  const stride = matrix.find((c) => c.name === "stride-xbzrle-64MiB-128MiBps-300ms")!;
  const zipf = matrix.find((c) => c.load.mode === "zipf")!;
  const run = { repetition: 0, accelerator: "tcg", guestRatePerS: null } as LabRun;
  const real = [run, { ...run, repetition: 1 }];
  const realFigures = [figures("completed", 2000, 100), figures("completed", 2200, 110)];
  return [
    {
      config: stride,
      real,
      realFigures,
      sources: [
        {
          source: "synthetic",
          state: "simulated",
          runs: [
            { repetition: 0, figures: figures("completed", 2000, 100) },
            { repetition: 1, figures: figures("completed", 2200, 110) },
          ],
          seeds: null,
        },
        {
          source: "trace",
          state: "simulated",
          runs: [{ repetition: null, figures: figures("did-not-converge", null, 900) }],
          seeds: null,
        },
      ],
    },
    {
      config: zipf,
      real,
      realFigures,
      sources: [
        {
          source: "synthetic",
          state: "simulated",
          runs: [{ repetition: 0, figures: figures("completed", 1500, 100) }],
          seeds: null,
        },
        { source: "trace", state: "unavailable", reason: "loop refused: too few repeats" },
      ],
    },
  ];
}

test("two sources: a summary line each; a refused replay is a row saying why, never figures", () => {
  const compared = twoSources();
  const list = agreements(compared);
  assert.deepEqual(
    list.map((a) => [a.config.split("-")[0], a.source, a.outcomeMismatch, a.within10]),
    [
      ["stride", "synthetic", false, true],
      ["stride", "trace", true, false],
      ["zipf", "synthetic", false, false],
    ],
  );
  assert.deepEqual(summaryLines(compared), [
    "synthetic: 1 of 2 converged deterministic configurations within ±10 % on time and bytes; 0 of the 1 others within ±10 % on time after setup; 0 outcome mismatches in 2 configurations",
    `trace replay: 0 of 0 converged deterministic configurations within ±10 % on time and bytes; 1 outcome mismatches in 1 configurations; not simulated: ${compared[1].config.name}`,
    "real repetitions: in 2 of 2 deterministic configurations every repetition is within ±10 % of their mean on time and bytes (largest distance from the mean: time 5 %, bytes 5 %)",
    // These runs were recorded before the host's CPU was kept.
    "other processes or steal took more than 0.2 cores: not recorded in any of the 4 real migrations",
  ]);
  const table = markdownTable(compared);
  assert.match(table, /\| +\| simulated \(synthetic\) #2 \| completed \| 2\.20 \|/);
  assert.match(table, /\| +\| simulated \(trace\) \| did-not-converge \| — \|/);
  assert.match(table, /\| +\| sim\/real \(trace replay\) \| \*\*outcome differs\*\* \| — \|/);
  assert.match(
    table,
    /\| +\| simulated \(trace\) \| not simulated: loop refused: too few repeats \|/,
  );
  // Every table row has the header's 13 cells.
  for (const line of table.trim().split("\n")) assert.equal(line.split("|").length, 15, line);
  const rows = comparisonRows(compared);
  for (const row of rows) assert.equal(row.length, COMPARISON_HEADER.length, row.join(","));
  const trace = rows.filter((r) => r[1] === "simulated-trace");
  // The replay stands for every repetition: no repetition number; no time where it did not converge.
  assert.deepEqual(trace[0].slice(0, 6), [
    compared[0].config.name,
    "simulated-trace",
    "",
    "",
    "did-not-converge",
    "",
  ]);
  assert.equal(trace[1][4], "not simulated: loop refused: too few repeats");
  assert.ok(trace[1].slice(5).every((c) => c === ""));
  assert.equal(rows.filter((r) => r[1] === "simulated-synthetic").length, 3);
});

test("readRecordings: a recordings.json that is not one fails with its path", () => {
  const dir = tmp();
  writeFileSync(join(dir, "recordings.json"), '[{"load":"idle"}]');
  assert.throws(() => readRecordings(dir), /recordings\.json: entry 0 is not a recording/);
  assert.equal(readFileSync(join(dir, "recordings.json"), "utf8").length > 0, true);
});

test("rebaseAtFirstSnapshot: the trace starts at its first snapshot; the image is every page as of then", (t) => {
  const dir = tmp();
  const recorded = join(dir, "recorded.trace");
  const content = (page: number, version: number) => pageContent(page, version);
  const writer = TraceWriter.create(recorded, { pageCount: 8 });
  writer.addPage(1, content(1, 1));
  writer.addPage(2, content(2, 1));
  // The image read took 10.8 s; then a snapshot, fine re-reads, a snapshot.
  writer.beginEpoch(10.8);
  writer.addPage(2, content(2, 2));
  writer.addPage(3, content(3, 1));
  writer.endEpoch();
  writer.beginTouchEpoch(10.85);
  writer.addTouch(2);
  writer.addTouch(3);
  writer.endEpoch();
  writer.beginEpoch(11);
  writer.addPage(1, new Uint8Array(4096));
  writer.addPage(3, content(3, 2));
  writer.endEpoch();
  writer.finish();
  const out = join(dir, "kept.trace");
  const rebased = replaceAtFirstSnapshot(recorded, out);
  assert.ok(Math.abs(rebased.cutS - 10.8) < 1e-9 && Math.abs(rebased.durationS - 0.2) < 1e-6);
  assert.equal(existsSync(recorded), false);
  const reader = TraceReader.open(out);
  t.after(() => reader.close());
  assert.deepEqual(
    reader.epochs.map((e) => [Math.round(e.timeS * 1000), e.touch]),
    [
      [0, false],
      [50, true],
      [200, false],
    ],
  );
  const pagesOf = (e: number) => {
    const [from, to] = reader.epochRecordRange(e);
    return Array.from(reader.records.subarray(from, to), (r) => r & RECORD_PAGE_MASK);
  };
  assert.deepEqual(pagesOf(0), [1, 2, 3]);
  assert.deepEqual(pagesOf(1), [2, 3]);
  const page = new Uint8Array(4096);
  const [imageStart] = reader.epochRecordRange(0);
  reader.readRecord(imageStart + 1, page);
  assert.deepEqual(page, content(2, 2));
  assert.equal(reader.metadata.startsAtRecordedS, 10.8);
  // Nothing after the image to start at: no trace.
  const imageOnly = join(dir, "image-only.trace");
  const w = TraceWriter.create(imageOnly, { pageCount: 8 });
  w.addPage(1, content(1, 1));
  w.finish();
  assert.throws(
    () => replaceAtFirstSnapshot(imageOnly, join(dir, "x.trace")),
    /no snapshot after the image/,
  );
});
