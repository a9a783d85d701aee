import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseCsv, readCsv, toRecords } from "../../results/csv.ts";

// `npm run compare` as a user runs it, on small real runs of the simulator: a uniform writer at
// two rate caps, where at 16 MiB/s raw and zero cannot converge and xbzrle can, and at 64 MiB/s
// all three complete.

const ROOT = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "migbench-compare-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const RUN_A = join(dir, "a");
const RUN_B = join(dir, "b");
const SWEEP = [
  "--workload",
  "uniform",
  "--ram",
  "64MiB",
  "--set",
  "wss=16MiB",
  "--set",
  "writes_per_s=10000",
  "--max-time",
  "8s",
  "--seed",
  "1,2",
];

/** `npm run SCRIPT -- ARGS` without npm: node, the tsx preload and the script's file. */
function node(script: string, args: readonly string[]) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const argv = ["--require", "./scripts/register-tsx.cjs", script, ...args];
    const env = { ...process.env, FORCE_COLOR: "0" };
    execFile(process.execPath, argv, { cwd: ROOT, env }, (error, stdout, stderr) => {
      resolve({
        status: error ? (typeof error.code === "number" ? error.code : null) : 0,
        stdout,
        stderr,
      });
    });
  });
}

const compare = (...args: string[]) => node("harness/cli/compare.ts", args);

before(async () => {
  const common = ["--workers", "0", "--no-report", "--quiet"];
  const [a, b] = await Promise.all([
    node("harness/cli/bench.ts", [
      ...SWEEP,
      ...["--codec", "raw,zero,xbzrle", "--cache-size", "16MiB", "--bandwidth", "16MiB/s,64MiB/s"],
      ...[...common, "--out", RUN_A],
    ]),
    // B shares only the 64 MiB/s cells of zero and xbzrle with A, and has an 8 MiB cache too.
    node("harness/cli/bench.ts", [
      ...SWEEP,
      ...["--codec", "zero,xbzrle", "--cache-size", "8MiB,16MiB", "--bandwidth", "64MiB/s"],
      ...[...common, "--out", RUN_B],
    ]),
  ]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
});

test("--baseline: outcomes first, bounds where raw was stopped, paired seeds where both ran", async () => {
  const csvFile = join(dir, "baseline.csv");
  const run = await compare(RUN_A, "--baseline", "raw", "--csv", csvFile);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, "");
  assert.match(
    run.stdout,
    /^cap 16 MiB\/s: xbzrle sent at least [\d.]+× less than raw, took at least [\d.]+× less time than raw and converged where raw did not \(max-time\)$/m,
  );
  assert.match(run.stdout, /^cap 16 MiB\/s: zero did not converge \(max-time\), nor did raw/m);
  assert.match(run.stdout, /^cap 64 MiB\/s: zero sent [\d.]+× less than raw and took/m);
  // A stopped run's numbers are never printed as measurements.
  assert.match(run.stdout, /│ outcome +│ 0\/2 completed \(max-time\) +│ 2\/2 completed +│/);
  assert.doesNotMatch(run.stdout, /0\.00 ms/);

  const rows = toRecords(readCsv(csvFile));
  assert.equal(rows.length, 4 * 3, "2 codecs × 2 rate caps × 3 metrics");
  const row = (codec: string, cap: number, metric: string) => {
    const found = rows.find(
      (r) =>
        r.codec_b === codec &&
        r.bandwidth_bytes_per_s === String(cap * 1024 ** 2) &&
        r.metric === metric,
    );
    assert.ok(found, `${codec} ${cap} ${metric}`);
    return found;
  };
  const bound = row("xbzrle", 16, "transferred_bytes");
  assert.equal(bound.basis, "bound");
  assert.equal(bound.verdict, "at least");
  assert.equal(bound.a_lower_bound, "true");
  assert.equal(bound.b_lower_bound, "false");
  assert.equal(bound.a_stopped_by, "max-time");
  assert.equal(row("xbzrle", 16, "downtime_ms").basis, "none");

  // The paired numbers are the runs' own: means of results.csv over the two seeds.
  const cells = toRecords(readCsv(join(RUN_A, "results.csv")));
  const bytes = (codec: string) =>
    cells
      .filter((c) => c.codec === codec && c.bandwidth_bytes_per_s === String(64 * 1024 ** 2))
      .map((c) => Number(c.transferred_bytes));
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const paired = row("zero", 64, "transferred_bytes");
  assert.equal(paired.basis, "paired");
  assert.equal(paired.verdict, "beyond spread");
  assert.equal(Number(paired.a_mean), mean(bytes("raw")));
  assert.equal(Number(paired.b_mean), mean(bytes("zero")));
  assert.ok(Math.abs(Number(paired.ratio) - mean(bytes("zero")) / mean(bytes("raw"))) < 1e-6);
  assert.ok(Number(paired.difference_high) < 0, "zero sends less than raw on every seed");
});

test("two runs: only shared settings are compared; the same sweep compares equal", async () => {
  const csvFile = join(dir, "runs.csv");
  const chartFile = join(dir, "runs.svg");
  const run = await compare(RUN_A, RUN_B, "--csv", csvFile, "--chart", chartFile);
  assert.equal(run.status, 0, run.stderr);
  // Equal runs: every ratio is a measured 1×, drawn with the runs' names.
  const svg = readFileSync(chartFile, "utf8");
  assert.match(svg, /^<svg /);
  assert.match(svg, /b against a/);
  assert.match(svg, /measured \(both completed\)/);
  assert.doesNotMatch(svg, /NaN/);
  assert.match(run.stdout, /^A = a, B = b, the same codec at the same settings/m);
  assert.match(run.stdout, /^not compared: 4 setting\(s\) only in A, 2 only in B$/m);
  assert.match(
    run.stdout,
    /^zero: b sent as much as a \(the difference is within the seeds' spread\)/m,
  );
  const { header, rows } = parseCsv(readFileSync(csvFile, "utf8"), csvFile);
  assert.deepEqual(header.slice(0, 4), ["a", "b", "codec_a", "codec_b"]);
  assert.equal(rows.length, 2 * 3);
  const at = (row: readonly string[], column: string) => row[header.indexOf(column)];
  for (const row of rows) {
    // The simulator is deterministic: the same cells give the same numbers.
    assert.equal(at(row, "basis"), "paired");
    assert.equal(Number(at(row, "difference_mean")), 0);
    assert.equal(at(row, "verdict"), "within spread");
  }
});

test("refusals are one line: a codec not in the run, not a run, nothing in common", async () => {
  const cases: [string[], number, RegExp][] = [
    [[RUN_A, "--baseline", "lz4"], 2, /codec "lz4" is not in .*\(its codecs: raw, zero, xbzrle\)/],
    [[RUN_B, "--baseline", "raw"], 2, /codec "raw" is not in/],
    [[dir, RUN_A], 1, /is not a run directory: it has no results\.csv/],
    [[join(dir, "nowhere"), RUN_A], 1, /no such run directory/],
    [[RUN_A], 2, /give two runs/],
    [[RUN_A, RUN_B, "--baseline", "raw"], 2, /give one RUN/],
  ];
  const other = join(dir, "other");
  const made = await node("harness/cli/bench.ts", [
    ...["--workload", "uniform", "--ram", "32MiB", "--set", "wss=8MiB", "--codec", "zero"],
    ...["--cache-size", "16MiB", "--max-time", "2s", "--workers", "0", "--no-report"],
    ...["--quiet", "--out", other],
  ]);
  assert.equal(made.status, 0, made.stderr);
  cases.push([
    [RUN_A, other],
    1,
    /nothing to compare: no setting in common \(.*RAM 64 MiB vs 32 MiB/,
  ]);
  const notRun = join(dir, "file");
  writeFileSync(notRun, "x");
  cases.push([[notRun, RUN_A], 1, /is not a run directory/]);
  const runs = await Promise.all(cases.map(([args]) => compare(...args)));
  for (const [i, [args, status, message]] of cases.entries()) {
    const run = runs[i];
    assert.equal(run.status, status, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^compare: /);
    assert.match(lines[0], message);
  }
});
