import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

// The run lifecycle as a user meets it: `npm run bench` spawned as its own process with the real
// simulator, stopped by real signals, run twice on one directory, resumed after edits, and
// pointed at real read-only and full file systems (tmpfs mounts, when running as root). Each
// case checks the exit status, that stderr is one line naming the input without a stack trace,
// and that no finished result was lost or altered (byte-identical to an uninterrupted run).

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "harness", "cli", "bench.ts");
const PRELOAD = join(REPO, "scripts", "register-tsx.cjs");

const root = mkdtempSync(join(tmpdir(), "migbench-lifecycle-"));
const mounts: string[] = [];
after(() => {
  for (const mount of mounts) spawnSync("umount", [mount]);
  rmSync(root, { recursive: true, force: true });
});

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  uid?: number,
  cwd = root,
): ChildProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CI: "", ...env };
  delete childEnv.NODE_TEST_CONTEXT; // the test runner's, not for the CLI
  const command = [process.execPath, "--require", PRELOAD, CLI, ...args];
  const [file, ...argv] =
    uid === undefined
      ? command
      : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", ...command];
  return spawn(file, argv, { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
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
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

function bench(args: readonly string[], env: NodeJS.ProcessEnv = {}, uid?: number, cwd = root) {
  return finish(start(args, env, uid, cwd));
}

/** The run failed the way a user should see it: `code`, one stderr line, no stack trace. */
function assertOneLine(outcome: Outcome, code: number, pattern: RegExp) {
  const lines = outcome.stderr.trimEnd().split("\n");
  assert.equal(outcome.code, code, outcome.stderr);
  assert.equal(lines.length, 1, `one line expected:\n${outcome.stderr}`);
  assert.match(lines[0], /^bench: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(outcome.stderr, /\n\s+at /);
}

async function waitUntil(what: string, ready: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Cells the journal holds (finished in any order), or 0 before it exists. */
function journalCells(dir: string): number {
  const path = join(dir, "cells.journal");
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, "utf8").split("\n").slice(0, -1);
  return new Set(lines.map((line) => JSON.parse(line.slice(65)).cell)).size;
}

function manifestOf(dir: string) {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
}

/** results.csv and passes.csv: what must be byte-identical to an uninterrupted run. */
function runFiles(dir: string) {
  return ["results.csv", "passes.csv"].map((file) => readFileSync(join(dir, file), "utf8"));
}

// Cells of ~0.1 s each (a 512 MiB stride VM): slow enough to stop in the middle.
const SLOW = [
  "--workload",
  "stride",
  "--ram",
  "512MiB",
  "--codec",
  "xbzrle",
  "--cache-size",
  "1MiB,2MiB",
  "--seed",
  "1..6",
  "--quiet",
  "--no-report",
];
// 120 quick cells, ~220 KB of run files: enough to fill a small tmpfs.
const MANY = [
  "--workload",
  "stride",
  "--ram",
  "16MiB",
  "--codec",
  "xbzrle",
  "--cache-size",
  "1MiB,2MiB",
  "--seed",
  "1..60",
  "--quiet",
  "--no-report",
];

const isRoot = process.getuid?.() === 0;
let reference: string[];
let referenceMany: string[];

before(async () => {
  const slow = await bench([...SLOW, "--workers", "2", "--out", join(root, "reference")]);
  assert.equal(slow.code, 0, slow.stderr);
  reference = runFiles(join(root, "reference"));
  const many = await bench([...MANY, "--workers", "2", "--out", join(root, "reference-many")]);
  assert.equal(many.code, 0, many.stderr);
  referenceMany = runFiles(join(root, "reference-many"));
});

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  for (const workers of ["0", "2"]) {
    test(`${signal} with --workers ${workers}: exit ${code}, every finished cell kept (--resume completes it)`, async () => {
      const dir = join(root, `${signal}-${workers}`);
      const child = start([...SLOW, "--workers", workers, "--out", dir]);
      const done = finish(child);
      await waitUntil("three finished cells", () => journalCells(dir) >= 3);
      child.kill(signal);
      const stopped = await done;
      const kept = journalCells(dir);
      const rowsWhenStopped =
        readFileSync(join(dir, "results.csv"), "utf8").trimEnd().split("\n").length - 1;
      assertOneLine(
        stopped,
        code,
        new RegExp(
          `interrupted \\(${signal}\\) with ${kept} of 12 cells finished and kept; finish with: npm run bench -- --resume ${dir}$`,
        ),
      );
      assert.ok(kept >= 3 && kept < 12, `kept ${kept}`);
      const manifest = manifestOf(dir);
      assert.equal(manifest.status, "interrupted");
      assert.equal(manifest.cellsDone, kept);
      assert.ok(!existsSync(join(dir, ".lock")), "the lock is released");

      // SIGINT's resume is checked in full below; for SIGTERM the state left is what matters.
      if (signal === "SIGTERM") return;
      // The resume runs only the cells not kept: its progress (no --quiet) says so.
      const resumed = await bench(["--resume", dir, "--workers", workers === "0" ? "2" : "0"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, new RegExp(`12 cells \\(${kept} already done\\)`));
      const ran = resumed.stderr.split("\n").filter((line) => line.startsWith("["));
      assert.equal(ran.length, 12 - kept);
      assert.deepEqual(runFiles(dir), reference);
      const after = manifestOf(dir);
      assert.equal(after.status, "completed");
      assert.equal(after.resumes[0].cellsAlreadyDone, kept);
      if (workers === "2") {
        // Cells are kept beyond the in-order prefix: results.csv held at most what the journal did.
        assert.ok(rowsWhenStopped <= kept, `${rowsWhenStopped} rows, ${kept} kept`);
      }
    });
  }
}

test("one writer per run directory: a second run and a --resume of a live run are refused", async () => {
  const dir = join(root, "locked");
  const first = start([...SLOW, "--workers", "1", "--out", dir]);
  const firstDone = finish(first);
  await waitUntil("the first run's first cell", () => journalCells(dir) >= 1);
  // Paused, so it is surely still running while the others try (it holds the lock, as a live
  // run does); continued afterwards.
  first.kill("SIGSTOP");
  const lockPath = join(dir, ".lock");
  const second = await bench([...SLOW, "--workers", "1", "--out", dir]);
  assertOneLine(second, 1, new RegExp(`${lockPath}: migbench PID ${first.pid} on ${hostname()}`));
  const resume = await bench(["--resume", dir]);
  assertOneLine(resume, 1, new RegExp(`${lockPath}: migbench PID ${first.pid}`));
  first.kill("SIGCONT");
  const outcome = await firstDone;
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.deepEqual(runFiles(dir), reference, "no duplicated or lost rows");

  // Two fresh runs started together: one runs, the other gets one line.
  const together = join(root, "together");
  const both = await Promise.all([1, 2].map(() => bench([...SLOW, "--out", together])));
  const codes = both.map((o) => o.code).sort();
  assert.deepEqual(codes, [0, 1], both.map((o) => o.stderr).join("\n"));
  const loser = both.find((o) => o.code === 1) as Outcome;
  assertOneLine(loser, 1, new RegExp(`${together}/(\\.lock|results\\.csv|cells\\.journal): `));
  assert.deepEqual(runFiles(together), reference);
});

test("a lock left by a process that is gone is taken over", async () => {
  const dir = join(root, "stale");
  mkdirSync(dir);
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number;
  writeFileSync(
    join(dir, ".lock"),
    JSON.stringify({ pid: dead, hostname: hostname(), startedAt: "then", processStart: null }),
  );
  const run = await bench([...SLOW, "--workers", "2", "--out", dir]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(runFiles(dir), reference);
  assert.ok(!existsSync(join(dir, ".lock")));
});

test("a trace run can be resumed (its rows carry the trace's RAM, not the planned 0)", async () => {
  const trace = join(REPO, "workloads", "traces", "sqlite-kv.trace");
  const args = [
    "--workload",
    "trace",
    "--set",
    `file=${trace}`,
    "--codec",
    "raw,xbzrle",
    "--cache-size",
    "1MiB,2MiB",
    "--quiet",
    "--no-report",
  ];
  const whole = join(root, "trace-whole");
  assert.equal((await bench([...args, "--out", whole])).code, 0);
  // A run killed (SIGKILL: no handler runs) after its third cell: only the journal's first
  // three lines reached the disk, and the CSV files hold none of it.
  const dir = join(root, "trace-killed");
  cpSync(whole, dir, { recursive: true });
  const journal = readFileSync(join(dir, "cells.journal"), "utf8").split("\n");
  writeFileSync(join(dir, "cells.journal"), `${journal.slice(0, 3).join("\n")}\n`);
  for (const file of ["results.csv", "passes.csv", "timings.csv"]) rmSync(join(dir, file));
  const resumed = await bench(["--resume", dir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(runFiles(dir), runFiles(whole));
  assert.match(
    readFileSync(join(dir, "results.csv"), "utf8"),
    /\n0,trace,raw,direct,1048576,.*,[1-9]\d*,completed,/,
  );
});

/**
 * A plug-in codec (raw under another name) whose encode() throws while an env variable is set:
 * its cells fail as they run (a create() that throws is refused before any cell runs).
 */
function writePlugin(path: string, comment = "") {
  writeFileSync(
    path,
    `import { raw } from ${JSON.stringify(join(REPO, "codecs", "raw.ts"))};
export default {
  ...raw,
  name: "mine",
  aliases: [],
  description: "test plug-in",
  create() {
    const codec = raw.create();
    if (!process.env.MIGBENCH_TEST_PLUGIN_FAIL) return codec;
    return {
      ...codec,
      encode() {
        throw new Error("plug-in told to fail");
      },
    };
  },
};
${comment}`,
  );
}

test("failed cells run again on resume; a changed plug-in or calibration refuses the resume", async () => {
  // In a folder of its own marked as ES modules, as a user's plug-in project would be.
  const pluginDir = join(root, "plugin");
  mkdirSync(pluginDir);
  writeFileSync(join(pluginDir, "package.json"), '{ "type": "module" }\n');
  const plugin = join(pluginDir, "mine-codec.ts");
  writePlugin(plugin);
  const args = ["--workload", "stride", "--ram", "16MiB", "--codec-module", plugin];
  const sweep = [...args, "--codec", "xbzrle,mine", "--cache-size", "1MiB", "--seed", "1..3"];
  const quiet = ["--quiet", "--no-report"];
  const whole = join(root, "plugin-whole");
  assert.equal((await bench([...sweep, ...quiet, "--out", whole])).code, 0);

  const dir = join(root, "plugin-failed");
  const failing = await bench([...sweep, ...quiet, "--out", dir], {
    MIGBENCH_TEST_PLUGIN_FAIL: "1",
  });
  assertOneLine(
    failing,
    1,
    /3 of 6 cells failed \(first, cell 1: .*plug-in told to fail\).*--resume runs them again/,
  );
  const resumed = await bench(["--resume", dir]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(runFiles(dir), runFiles(whole));

  // The plug-in's file changes (one comment): its results would no longer be comparable.
  const changed = join(root, "plugin-changed");
  cpSync(whole, changed, { recursive: true });
  writePlugin(plugin, "// edited\n");
  const refused = await bench(["--resume", changed]);
  assertOneLine(
    refused,
    1,
    new RegExp(`${plugin}: this codec plug-in changed since the run started`),
  );
  writePlugin(plugin);
  assert.equal((await bench(["--resume", changed])).code, 0);

  // The same for a calibration file whose bytes change (even if the rates did not).
  const calibration = join(root, "calibration.json");
  // The built-in rates, as the reference run's manifest recorded them, saved as a file.
  const builtin = JSON.stringify(manifestOf(join(root, "reference")).calibration.rates);
  writeFileSync(calibration, builtin);
  const calibrated = join(root, "calibrated");
  const withCalibration = [
    "--workload",
    "stride",
    "--ram",
    "16MiB",
    "--codec",
    "raw",
    "--calibration",
    calibration,
  ];
  const calibratedRun = await bench([...withCalibration, ...quiet, "--out", calibrated]);
  assert.equal(calibratedRun.code, 0, calibratedRun.stderr);
  writeFileSync(calibration, `${builtin}\n`);
  const refusedCalibration = await bench(["--resume", calibrated]);
  assertOneLine(
    refusedCalibration,
    1,
    new RegExp(`${calibration}: this calibration file changed since the run started`),
  );
});

test("a damaged run directory is one line naming the file, not a TypeError", async () => {
  const whole = join(root, "reference");
  const copy = (name: string) => {
    const dir = join(root, name);
    cpSync(whole, dir, { recursive: true });
    return dir;
  };
  const editJson = (dir: string, change: (m: Record<string, unknown>) => void) => {
    const manifest = manifestOf(dir);
    change(manifest);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  };

  const nullCwd = copy("null-cwd");
  editJson(nullCwd, (m) => {
    m.cwd = null;
  });
  assertOneLine(
    await bench(["--resume", nullCwd]),
    1,
    new RegExp(`${nullCwd}/manifest.json: field "cwd" is null, not a string`),
  );
  const noArgv = copy("no-argv");
  editJson(noArgv, (m) => {
    delete m.argv;
  });
  assertOneLine(
    await bench(["--resume", noArgv]),
    1,
    new RegExp(`${noArgv}/manifest.json: field "argv" is missing`),
  );

  const resultsDir = copy("results-is-a-dir");
  rmSync(join(resultsDir, "results.csv"));
  mkdirSync(join(resultsDir, "results.csv"));
  assertOneLine(
    await bench(["--resume", resultsDir]),
    1,
    new RegExp(`${resultsDir}/results.csv: is a directory`),
  );

  // An edited metric value in a finished row (cell 4's downtime_ms).
  const edited = copy("edited-metric");
  const results = readFileSync(join(edited, "results.csv"), "utf8").split("\n");
  const row = results[5].split(",");
  row[12] = "0.001";
  results[5] = row.join(",");
  writeFileSync(join(edited, "results.csv"), results.join("\n"));
  assertOneLine(
    await bench(["--resume", edited]),
    1,
    new RegExp(`${edited}/results.csv: row 5 \\(cell 4\\) differs from what the run recorded`),
  );

  // A deleted passes.csv row, and an edited one.
  const deleted = copy("deleted-pass");
  const passes = readFileSync(join(deleted, "passes.csv"), "utf8").split("\n");
  writeFileSync(
    join(deleted, "passes.csv"),
    [...passes.slice(0, 3), ...passes.slice(4)].join("\n"),
  );
  assertOneLine(
    await bench(["--resume", deleted]),
    1,
    new RegExp(`${deleted}/passes.csv: row 3 \\(cell \\d+\\) differs`),
  );
  const editedPass = copy("edited-pass");
  writeFileSync(
    join(editedPass, "passes.csv"),
    readFileSync(join(editedPass, "passes.csv"), "utf8").replace(/,false\n/, ",true\n"),
  );
  assertOneLine(
    await bench(["--resume", editedPass]),
    1,
    new RegExp(`${editedPass}/passes.csv: row \\d+ \\(cell \\d+\\) differs`),
  );
  // None of the refusals changed a file.
  assert.deepEqual(runFiles(join(root, "reference")), reference);
});

test("--out on a path that cannot be a directory: one line naming it, exit 1", async () => {
  const file = join(root, "a-file");
  writeFileSync(file, "");
  assertOneLine(
    await bench([...SLOW, "--out", join(file, "run")]),
    1,
    new RegExp(`${file}/run: a part of the path is not a directory`),
  );
  assertOneLine(
    await bench([...SLOW, "--out", file]),
    1,
    new RegExp(`${file}: is a file, not a directory`),
  );
});

test("--out not writable (EACCES): one line naming it", async (t) => {
  if (!isRoot) return t.skip("needs root to run the CLI as another user (setpriv)");
  if (spawnSync("setpriv", ["--version"]).status !== 0) return t.skip("setpriv not installed");
  const parent = mkdtempSync(join(tmpdir(), "migbench-eacces-"));
  chmodSync(parent, 0o755);
  try {
    const out = join(parent, "run");
    // The child's working directory must be one it may enter (tsx spawns esbuild there).
    const run = await bench([...SLOW, "--out", out], { HOME: parent }, 65534, parent);
    assertOneLine(run, 1, new RegExp(`${out}: (cannot write there: )?permission denied`));
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

/** A tmpfs mounted at a new directory under root (unmounted by the `after` hook). */
function tmpfs(name: string, options: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], {
    encoding: "utf8",
  });
  if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr.trim()}`);
  mounts.push(dir);
  return dir;
}

function canMount(): string | null {
  if (!isRoot) return "needs root to mount a tmpfs";
  const probe = join(root, "probe");
  mkdirSync(probe, { recursive: true });
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], {
    encoding: "utf8",
  });
  if (mounted.status !== 0) return `cannot mount a tmpfs: ${mounted.stderr.trim()}`;
  spawnSync("umount", [probe]);
  return null;
}

test("a read-only file system (EROFS) under --out: one line naming the path", async (t) => {
  const why = canMount();
  if (why) return t.skip(why);
  const mount = tmpfs("readonly", "ro,size=64k");
  const out = join(mount, "run");
  assertOneLine(
    await bench([...SLOW, "--out", out]),
    1,
    new RegExp(`${out}: (cannot write there: )?read-only file system`),
  );
  // The directory exists, read-only: refused before anything is written in it.
  assertOneLine(
    await bench([...SLOW, "--out", mount]),
    1,
    new RegExp(`${mount}: cannot write there: read-only file system`),
  );
});

test("a disk that fills up mid-run (ENOSPC): one line, the finished cells kept and resumable", async (t) => {
  const why = canMount();
  if (why) return t.skip(why);
  const mount = tmpfs("full", "size=128k");
  const out = join(mount, "run");
  const run = await bench([...MANY, "--workers", "2", "--out", out]);
  assertOneLine(
    run,
    1,
    new RegExp(
      `${out}/[a-z.]+: no space left on the device; the \\d+ finished cells are kept: fix that, then finish with npm run bench -- --resume ${out}$`,
    ),
  );
  // Room again (the directory moved to a bigger disk): the resume finishes the run, and the
  // result equals a run that never hit the full disk.
  const moved = join(root, "moved-from-full");
  cpSync(out, moved, { recursive: true });
  const resumed = await bench(["--resume", moved, "--workers", "2"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(runFiles(moved), referenceMany);
});

test("a report that cannot be drawn after every cell finished: results intact, one line, exit 1", async () => {
  const dir = join(root, "report-fails");
  mkdirSync(dir);
  writeFileSync(join(dir, "charts"), "a file where the charts directory goes");
  const args = ["--workload", "stride", "--ram", "16MiB", "--codec", "raw", "--quiet"];
  const run = await bench([...args, "--report", "--out", dir]);
  assertOneLine(
    run,
    1,
    /report not built \(.*charts.*\); results are intact; retry with npm run report -- /,
  );
  assert.equal(manifestOf(dir).status, "completed");
  assert.match(readFileSync(join(dir, "results.csv"), "utf8"), /\n0,stride,raw,.*,completed,/);
});

test("a disk that fills up while the charts are drawn: results intact, one line, exit 1", async (t) => {
  const why = canMount();
  if (why) return t.skip(why);
  // Room for the run files (~15 KB) but not for the charts' PNGs.
  const mount = tmpfs("full-report", "size=160k");
  const dir = join(mount, "run");
  const run = await bench([
    ...["--workload", "stride", "--ram", "16MiB", "--codec", "raw,xbzrle", "--quiet"],
    ...["--report", "--out", dir],
  ]);
  assertOneLine(
    run,
    1,
    new RegExp(
      `report not built \\(.*no space left on the device\\); results are intact; retry with npm run report -- ${dir}$`,
    ),
  );
  assert.equal(manifestOf(dir).status, "completed");
  const rows = readFileSync(join(dir, "results.csv"), "utf8").trimEnd().split("\n");
  assert.equal(rows.length, 1 + 6);
});
