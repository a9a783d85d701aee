import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseArgs } from "../../harness/cli/bench-options.ts";
import { planSweep } from "../../harness/sweep/options.ts";
import { splitCells } from "../../harness/sweep/shard.ts";
import { builtinCatalogue } from "../../workloads/catalogue.ts";

// A sweep on several machines as a user runs it: `npm run bench -- ... --shard K/3` three
// times (one part interrupted by SIGTERM and finished with --resume), `npm run merge`, and the
// same sweep on one machine; merge's refusals; `bench --dry-run`. Spawned CLIs, the real
// simulator, 16 cells of small VMs (two workloads with different parameters, so a part's
// param columns must be the whole sweep's; raw's cells are cache-independent copies).

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const PRELOAD = join(REPO, "scripts", "register-tsx.cjs");
const root = mkdtempSync(join(tmpdir(), "migbench-cluster-"));
after(() => rmSync(root, { recursive: true, force: true }));

const SWEEP = [
  ...["--workload", "uniform,idle", "--ram", "64MiB,128MiB", "--set", "wss=64MiB"],
  ...["--codec", "raw,xbzrle", "--cache-size", "16MiB,32MiB", "--no-report"],
];

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CI: "", ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  return spawn(process.execPath, ["--require", PRELOAD, join(REPO, script), ...args], {
    cwd: root,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function finish(child: ChildProcess): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const bench = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  finish(start("harness/cli/bench.ts", args, env));
const merge = (args: readonly string[]) => finish(start("harness/cli/merge.ts", args));
const dir = (name: string) => join(root, name);
const read = (name: string, file: string) => readFileSync(join(dir(name), file), "utf8");
const manifestOf = (name: string) => JSON.parse(read(name, "manifest.json"));

/** One line on stderr naming the problem, the exit status, no stack trace. */
function assertRefused(outcome: Outcome, code: number, pattern: RegExp) {
  const lines = outcome.stderr.trimEnd().split("\n");
  assert.equal(outcome.code, code, outcome.stderr);
  assert.equal(lines.length, 1, `one line expected:\n${outcome.stderr}`);
  assert.match(lines[0], pattern);
}

async function waitUntil(what: string, ready: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const journalLines = (name: string) =>
  existsSync(join(dir(name), "cells.journal"))
    ? read(name, "cells.journal").split("\n").length - 1
    : 0;

/**
 * The part to interrupt: the one that holds the sweep's slowest cell (cell 7, xbzrle on the
 * 128 MiB uniform VM, about a second) after its first cell, so a SIGTERM sent once the first
 * cell is journaled lands while cells are still to run.
 */
async function partToInterrupt(): Promise<number> {
  const plan = await planSweep(parseArgs(SWEEP).argv, root, builtinCatalogue, false);
  const parts = splitCells(plan.cells, 3);
  const index = parts.findIndex((part) => part.includes(7) && part[0] !== 7);
  assert.ok(index >= 0, `the split changed (${JSON.stringify(parts)}): pick another cell`);
  return index + 1;
}

let interrupted = 0;

/** A sweep of its own, as one part, whose plug-in codec fails a cell (a contract violation). */
const FAILING = [
  ...["--workload", "uniform", "--ram", "32MiB", "--set", "wss=16MiB", "--bandwidth", "8MiB/s"],
  ...["--cache-size", "16MiB", "--max-time", "20s", "--codec", "raw,bad-fraction"],
  ...["--codec-module", join(REPO, "test/fixtures/plugins/encode-fraction.ts")],
  ...["--shard", "1/1", "--no-report", "--quiet", "--out", dir("failing")],
];

/**
 * The interrupted part: SIGTERM once its first cell is journaled, a copy kept as it was left
 * (for merge's refusal), then --resume as a resubmitted task would.
 */
async function interruptAndResume(k: number): Promise<void> {
  const part = `part-${k}`;
  const child = start("harness/cli/bench.ts", [
    ...[...SWEEP, "--workers", "0", "--shard", `${k}/3`, "--out", dir(part)],
  ]);
  const stopped = finish(child);
  await waitUntil("the first journaled cell", () => journalLines(part) >= 1);
  child.kill("SIGTERM");
  const outcome = await stopped;
  assert.equal(outcome.code, 143, outcome.stderr);
  assert.equal(manifestOf(part).status, "interrupted");
  cpSync(dir(part), dir("unfinished"), { recursive: true });
  const resumed = await bench(["--resume", dir(part), "--quiet"]);
  assert.equal(resumed.code, 0, resumed.stderr);
}

before(async () => {
  interrupted = await partToInterrupt();
  const others = [1, 2, 3].filter((k) => k !== interrupted);
  const [failing, ...runs] = await Promise.all([
    bench(FAILING),
    bench([...SWEEP, "--quiet", "--out", dir("local")]),
    ...others.map((k) =>
      bench([...SWEEP, "--quiet", "--shard", `${k}/3`, "--out", dir(`part-${k}`)]),
    ),
    interruptAndResume(interrupted).then(() => ({ code: 0, stderr: "" })),
  ]);
  for (const run of runs) assert.equal(run.code, 0, run.stderr);
  assert.equal(failing.code, 1, failing.stderr);
});

test("three parts, one interrupted and resumed, merge into the one-machine run byte for byte", async () => {
  const run = await merge([
    dir("merged"),
    ...[1, 2, 3].map((k) => dir(`part-${k}`)),
    "--no-report",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /merged: .*merged \(16 cells from 3 parts\)/);
  for (const file of ["results.csv", "passes.csv"])
    assert.equal(read("merged", file), read("local", file), file);
  // timings.csv: the same cells in the same order (the wall times are this machine's).
  const cellsOf = (name: string) =>
    read(name, "timings.csv")
      .split("\n")
      .map((line) => line.split(",").slice(0, 3).join(","));
  assert.deepEqual(cellsOf("merged"), cellsOf("local"));

  const part = manifestOf(`part-${interrupted}`);
  assert.equal(part.resumes.length, 1);
  assert.deepEqual(Object.keys(part.shard), ["index", "count", "cells", "host"]);
  assert.equal(part.cells, 16);
  assert.deepEqual(part.options, manifestOf("local").options);
  const merged = manifestOf("merged");
  assert.equal(merged.status, "completed");
  assert.equal(merged.cellsDone, 16);
  assert.equal(merged.shard, undefined);
  assert.deepEqual(
    merged.parts.map((p: { shard: number; cells: number }) => p.shard),
    [1, 2, 3],
  );
  assert.equal(
    merged.parts.reduce((sum: number, p: { cells: number }) => sum + p.cells, 0),
    16,
  );
  assert.ok(merged.parts.every((p: { host: string }) => p.host.length > 0));
  assert.ok(!merged.argv.includes("--shard") && !merged.argv.includes("--out"));
});

test("merge refuses a missing, a duplicated, an unfinished part, another sweep's and a failed cell", async () => {
  cpSync(dir("part-2"), dir("part-2-copy"), { recursive: true });
  const parts = (...names: string[]) => names.map(dir);
  const [missing, duplicated, unfinished, otherSweep, failed, usage, notEmpty] = await Promise.all([
    merge([dir("m1"), ...parts("part-1", "part-3")]),
    merge([dir("m2"), ...parts("part-1", "part-2", "part-2-copy", "part-3")]),
    merge([
      dir("m3"),
      ...[1, 2, 3].map((k) => dir(k === interrupted ? "unfinished" : `part-${k}`)),
    ]),
    merge([dir("m4"), ...parts("part-1", "failing")]),
    merge([dir("m5"), dir("failing")]),
    merge([dir("m6")]),
    merge([dir("part-1"), dir("part-2")]),
  ]);
  assertRefused(missing, 1, /^merge: part 2\/3: missing \(the parts given are 1, 3\)/);
  assertRefused(duplicated, 1, /^merge: .*part-2-copy: part 2\/3 again \(also .*part-2\)/);
  assertRefused(
    unfinished,
    1,
    /\/unfinished: unfinished \(interrupted, \d+ of \d+ cells done\); finish it with npm run bench -- --resume /,
  );
  assertRefused(otherSweep, 1, /failing: a part of another sweep than .*part-1 \(.*differ\)/);
  assertRefused(
    failed,
    1,
    /failing: cell 1 failed \(plug-in "bad-fraction".*\); run it again with npm run bench -- --resume /,
  );
  assertRefused(usage, 2, /^merge: give the parts' run directories after OUT/);
  assertRefused(notEmpty, 1, /part-1: already exists and is not empty/);
  for (const name of ["m1", "m2", "m3", "m4", "m5", "m6"])
    assert.equal(existsSync(dir(name)), false);
});

test("--dry-run: the sweep's and the part's cells, an estimate, warnings; nothing written", async () => {
  const [part, warned, noTask] = await Promise.all([
    bench([...SWEEP, "--shard", "slurm/3", "--dry-run", "--out", dir("dry")], {
      SLURM_ARRAY_TASK_ID: "2",
    }),
    bench([
      ...["--workload", "uniform", "--ram", "64MiB", "--set", "wss=32MiB", "--codec", "raw"],
      ...["--cache-size", "16MiB,64MiB", "--threads", "1,4", "--dry-run"],
    ]),
    bench([...SWEEP, "--shard", "slurm/4", "--dry-run"], { SLURM_ARRAY_TASK_ID: "" }),
  ]);
  assert.equal(part.code, 0, part.stderr);
  assert.match(
    part.stdout,
    /^sweep: 16 cells\nshard 2\/3: \d+ cells, \d+ % of the sweep's estimated work\nestimated time: .+\ndry run: nothing was run or written\n$/,
  );
  assert.equal(part.stderr, "");
  assert.equal(existsSync(dir("dry")), false);

  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stdout, /^sweep: 4 cells\n/);
  const warnings = warned.stderr.trimEnd().split("\n");
  assert.equal(warnings.length, 2, warned.stderr);
  assert.match(
    warnings[0],
    /^bench: warning: --cache-size changes no result: no codec of the sweep \(raw\) uses the page cache .*; its 2 values only repeat every cell$/,
  );
  assert.match(
    warnings[1],
    /^bench: warning: --threads changes no result: every page of raw takes less time to encode than to send/,
  );
  assert.equal(existsSync(join(root, "runs")), false);

  assertRefused(
    noTask,
    2,
    /^bench: --shard slurm\/4: SLURM_ARRAY_TASK_ID is not set \(run it as a task of a Slurm job array --array=1-4\)$/,
  );
});
