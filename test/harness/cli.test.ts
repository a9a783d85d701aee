import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type BenchDeps, benchMain } from "../../harness/cli/bench.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import { catalogue } from "../fixtures/stub-workloads.ts";

// The bench CLI in-process, with a stub simulator (test/fixtures/stub-run-cell.ts, whose cells
// finish out of order) and a stub workload registry, so these tests check the shell — sweep,
// pool, files, resume — not the simulator.

const root = mkdtempSync(join(tmpdir(), "migbench-cli-"));
after(() => rmSync(root, { recursive: true, force: true }));

const STUB = new URL("../fixtures/stub-run-cell.ts", import.meta.url).href;
const BOOM = new URL("../fixtures/boom-codec.ts", import.meta.url).pathname;

function sink() {
  const chunks: string[] = [];
  return {
    chunks,
    text: () => chunks.join(""),
    stream: {
      isTTY: false,
      write(text: string) {
        chunks.push(text);
        return true;
      },
    } as unknown as NodeJS.WriteStream,
  };
}

/** Runs the CLI; without charts unless `args` says --report (drawing them takes seconds). */
async function bench(args: string[], deps: BenchDeps = {}) {
  const out = sink();
  const err = sink();
  const withReport = args.includes("--report") ? args : [...args, "--no-report"];
  const code = await benchMain(withReport, {
    cwd: root,
    env: {},
    catalogue,
    runCellModule: STUB,
    stdout: out.stream,
    stderr: err.stream,
    ...deps,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const SWEEP = ["--workload", "toy", "--codec", "raw,zero", "--cache-size", "16MiB,64MiB"];
const SWEEP_MORE = [...SWEEP, "--seed", "1..3", "--set", "rate=1,2", "--bandwidth", "32MiB/s"];

/**
 * The files that must be byte-identical. timings.csv is this machine's wall time per cell: a
 * resumed run simulates a different cell of each cache-independent group (pool.ts), so which
 * cell shows the time and which shows 0 may differ, though the stub's times are fixed.
 */
function runFiles(dir: string) {
  return ["results.csv", "passes.csv"].map((f) => readFileSync(join(dir, f), "utf8"));
}

test("results are byte-identical for --workers 0 (inline), 1 and 2", async () => {
  const outputs = [];
  for (const workers of ["0", "1", "2"]) {
    const dir = join(root, `workers-${workers}`);
    const run = await bench([...SWEEP_MORE, "--workers", workers, "--out", dir]);
    assert.equal(run.code, 0, run.stderr);
    outputs.push(runFiles(dir));
    assert.match(run.stdout, new RegExp(`results: ${dir}`));
    assert.match(run.stdout, /toy \(means over 3 seeds\)/);
    assert.ok(readdirSync(dir).every((f) => !f.includes(".tmp-")));
  }
  assert.deepEqual(outputs[1], outputs[0]);
  assert.deepEqual(outputs[2], outputs[0]);
  const [results, passes] = outputs[0];
  assert.equal(results.trim().split("\n").length, 1 + 2 * 2 * 3 * 2);
  assert.ok(passes.split("\n").length > results.split("\n").length);
});

test("without --out a run goes to runs/<UTC stamp>-<workload>/, never into results/", async () => {
  const cwd = join(root, "default-dir");
  const now = () => new Date("2026-11-25T18:30:00.123Z");
  const first = await bench(SWEEP, { cwd, now });
  const second = await bench(SWEEP, { cwd, now });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  const runs = join(cwd, "runs");
  assert.deepEqual(readdirSync(runs).sort(), ["20261125T183000Z-toy", "20261125T183000Z-toy-2"]);
  assert.match(first.stdout, /results: .*\/runs\/20261125T183000Z-toy \(/);
  assert.ok(existsSync(join(runs, "20261125T183000Z-toy", "results.csv")));
  assert.equal(existsSync(join(cwd, "results")), false);
});

test("the manifest records what was run and ends completed", async () => {
  const dir = join(root, "manifest");
  await bench([...SWEEP, "--out", dir, "--workers", "1"], { commandLine: "npm run bench -- x" });
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  assert.equal(manifest.status, "completed");
  assert.equal(manifest.cells, 4);
  assert.equal(manifest.cellsDone, 4);
  assert.equal(manifest.commandLine, "npm run bench -- x");
  assert.deepEqual(manifest.argv, [...SWEEP, "--out", dir, "--workers", "1", "--no-report"]);
  assert.deepEqual(manifest.seeds, [1]);
  assert.equal(manifest.calibration.source, "builtin");
  assert.ok(manifest.calibration.rates.encodeGBps);
  assert.match(manifest.node, /^v\d+/);
  assert.ok(manifest.gitCommit === null || /^[0-9a-f]{40}$/.test(manifest.gitCommit));
  assert.ok(manifest.endedAt >= manifest.startedAt);
  assert.deepEqual(manifest.options.cacheSizesBytes, [16 * 1024 ** 2, 64 * 1024 ** 2]);
});

test("a run ends with its report: charts and report.html in the run directory", async () => {
  const dir = join(root, "with-report");
  const run = await bench([...SWEEP, "--out", dir, "--report"]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(existsSync(join(dir, "report.html")), run.stderr);
  assert.ok(readdirSync(join(dir, "charts")).some((name) => name.endsWith(".png")));
  assert.match(run.stdout, /report: .*report\.html/);
});

test("an interrupted run, resumed, equals an uninterrupted one byte for byte", async () => {
  const whole = join(root, "uninterrupted");
  assert.equal((await bench([...SWEEP_MORE, "--out", whole])).code, 0);

  const dir = join(root, "interrupted");
  const controller = new AbortController();
  // Interrupt (as Ctrl-C would) once three cells have been reported on stderr. The stub finishes
  // later cells first, so these may not include cell 0: they are kept all the same.
  const err = sink();
  const stderr = {
    isTTY: false,
    write(text: string) {
      err.chunks.push(text);
      if (err.chunks.filter((c) => c.startsWith("[")).length >= 3) controller.abort();
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  const first = await bench([...SWEEP_MORE, "--out", dir], { stderr, signal: controller.signal });
  assert.equal(first.code, 130);
  assert.match(
    err.text(),
    /interrupted \(SIGINT\) with \d+ of 24 cells finished and kept; finish with: .*--resume/,
  );
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  assert.equal(manifest.status, "interrupted");
  assert.ok(manifest.cellsDone >= 3 && manifest.cellsDone < 24, `cellsDone ${manifest.cellsDone}`);

  const resumed = await bench(["--resume", dir, "--workers", "1"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(runFiles(dir), runFiles(whole));
  const after = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  assert.equal(after.status, "completed");
  assert.equal(after.resumes.length, 1);
  assert.equal(after.resumes[0].cellsAlreadyDone, manifest.cellsDone);

  // Resuming a finished run changes nothing; different options are refused.
  assert.equal((await bench(["--resume", dir, ...SWEEP_MORE])).code, 0);
  assert.deepEqual(runFiles(dir), runFiles(whole));
  await assert.rejects(bench(["--resume", dir, ...SWEEP]), (error: Error) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /differ.*seeds/);
    return true;
  });
  await assert.rejects(bench(["--resume", join(root, "nowhere")]), InputError);
});

test("Ctrl-C after the last cell has finished is not an interruption", async () => {
  const dir = join(root, "late-ctrl-c");
  const controller = new AbortController();
  // The abort comes as the last cell is reported, before the pool has returned.
  const stderr = {
    isTTY: false,
    write(text: string) {
      if (text.startsWith("[4/4]")) controller.abort();
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  const run = await bench([...SWEEP, "--out", dir, "--workers", "0"], {
    stderr,
    signal: controller.signal,
  });
  assert.ok(controller.signal.aborted);
  assert.equal(run.code, 0);
  assert.equal(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).status, "completed");
});

test("a cell that throws is a failed row with its error, and the run exits 1", async () => {
  const dir = join(root, "failed");
  const run = await bench([
    "--workload",
    "toy",
    "--codec-module",
    BOOM,
    "--codec",
    "raw,boom",
    "--cache-size",
    "64MiB",
    "--out",
    dir,
  ]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /1 of 2 cells failed \(first, cell 1: stub: codec boom blew up\)/);
  const [results] = runFiles(dir);
  const row = results.trim().split("\n")[2];
  assert.match(row, /^1,toy,boom,.*,failed,,,/);
  assert.match(row, /,stub: codec boom blew up$/);
  assert.match(row, new RegExp(BOOM.replace(/[/.]/g, "\\$&")));
});

test("--help lists every option with its unit; --help-workload describes the workload", async () => {
  const help = await bench(["--help"]);
  assert.equal(help.code, 0);
  for (const flag of [
    "--workload",
    "--ram",
    "--set",
    "--help-workload",
    "--codec",
    "--codec-module",
    "--cache",
    "--cache-size",
    "--cache-age",
    "--bandwidth",
    "--link-speed",
    "--downtime-limit",
    "--convergence",
    "--bulk-skip",
    "--threads",
    "--max-time",
    "--max-passes",
    "--seed",
    "--calibration",
    "--workers",
    "--out",
    "--resume",
  ])
    assert.match(help.stdout, new RegExp(`${flag}\\b`), flag);
  assert.match(help.stdout, /10Gbit\/s/);
  assert.match(help.stdout, /128MiB\/s/);
  assert.match(help.stdout, /runs\/<UTC timestamp>-<workload>\//);
  const described = await bench(["--workload", "toy", "--help-workload"]);
  assert.equal(described.code, 0);
  assert.equal(described.stdout, "toy: a stub workload for tests\n");
});

test("bad values are usage errors naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--cache-size", "12XB"], /--cache-size: "12XB" has an unknown or ambiguous unit "XB"/],
    [["--cache", "arc2"], /--cache: "arc2" is not one of direct, 2way, lru, arc/],
    [["--cache-age", "maybe"], /--cache-age: "maybe" is not on or off/],
    [["--bandwidth", "100MiB"], /needs a per-second unit/],
    [["--seed", "1,1"], /--seed: "1" is listed twice/],
    [["--set", "nope=1"], /has no parameter "nope" \(known: rate, mode\)/],
    [["--set", "rate"], /"rate" is not key=value/],
    [["--ram", "1000"], /not a positive multiple of 4096/],
    [["--workers", "-1"], /./],
    [["--max-passes", "0"], /--max-passes: "0" is not a whole number ≥ 1/],
    [["--convergence", "qemu-9"], /is not one of qemu, qemu-kvm-0.13, codec-aware/],
    [["--frobnicate"], /Unknown argument/],
    [["stray"], /stray/],
  ];
  for (const [args, pattern] of cases)
    await assert.rejects(bench(["--workload", "toy", ...args]), (error: Error) => {
      assert.ok(error instanceof UsageError, `${args.join(" ")}: ${error}`);
      assert.match(error.message, pattern, args.join(" "));
      return true;
    });
});

test("a missing calibration file is an input error naming it", async () => {
  const missing = join(root, "no-such-calibration.json");
  await assert.rejects(
    bench(["--workload", "toy", "--calibration", missing, "--out", join(root, "cal")]),
    (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, new RegExp(`${missing}: no such calibration file`));
      return true;
    },
  );
});
