import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Table from "cli-table3";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkWritableFile, writeFileAtomic } from "../../lib/atomic-file.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import { flagList, joinNegativeValues, singleValued } from "../../lib/flag-list.ts";
import { machineInfo, migbenchVersion } from "../../lib/machine.ts";
import { runMain } from "../../lib/main.ts";
import { parseInteger } from "../../lib/units.ts";
import { PRELOAD_FILE } from "../../lib/workers.ts";

/**
 * `npm run bench:sweep`: what running a sweep costs beyond simulating its cells, and what more
 * workers buy. It runs `npm run bench` as a user would, in child processes, and reads back the
 * run directories it wrote:
 *
 * - **Overhead per cell** at growing sweep sizes: a sweep of N tiny cells (an idle 64 MiB VM,
 *   the raw codec, N seeds) takes wall time W; its cells' own simulation time S is the sum of
 *   timings.csv's machine_wall_ms, and a one-cell run's wall time is the start-up T. Overhead
 *   per cell = (W − T − S) / N: planning, the journal, the CSV appends, progress, the summary.
 *   It must stay flat as N grows (each finished cell costs the same, results/run-dir.ts).
 * - **Speedup** of one sweep at 1, 2, ... workers: short cells (where worker start-up weighs
 *   most) and long ones (sap-like, 16 seeds). Results are byte-identical whatever --workers is;
 *   only the wall time may change.
 */

const BENCH_FILE = fileURLToPath(new URL("../cli/bench.ts", import.meta.url));
const DEFAULT_CELLS = "1000,10000,100000";
/** No colours: the tables are read in logs and pasted into notes. */
const PLAIN = { style: { head: [], border: [] } };

/** The two sweeps the speedup table times; each is `npm run bench` arguments. */
const SPEEDUP_SWEEPS: readonly { readonly name: string; readonly args: readonly string[] }[] = [
  {
    name: "16 short cells (idle 64 MiB, xbzrle)",
    args: ["--workload", "idle", "--ram", "64MiB", "--codec", "xbzrle", "--cache-size", "16MiB"],
  },
  {
    name: "16 long cells (sap-like 2 GiB, xbzrle)",
    args: ["--workload", "sap-like", "--ram", "2GiB", "--codec", "xbzrle", "--cache-size", "64MiB"],
  },
];

interface Run {
  readonly wallMs: number;
  readonly cells: number;
  /** Σ machine_wall_ms of timings.csv: the cells' own simulation time. */
  readonly simulationMs: number;
}

/** One `npm run bench` in a child process, timed from spawn to exit; its run directory read back. */
async function runBench(args: readonly string[], workers: number): Promise<Run> {
  const out = mkdtempSync(join(tmpdir(), "migbench-sweep-bench-"));
  try {
    const argv = ["--require", PRELOAD_FILE, BENCH_FILE, ...args];
    argv.push("--workers", String(workers), "--no-report", "--quiet", "--out", join(out, "run"));
    const started = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>(
      (done, fail) => {
        const child = spawn(process.execPath, argv, { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr.on("data", (chunk: Buffer) => {
          err += chunk.toString();
        });
        child.on("error", fail);
        child.on("close", (exit) => done({ code: exit, stderr: err }));
      },
    );
    const wallMs = performance.now() - started;
    if (code !== 0)
      throw new InputError(
        `bench ${args.join(" ")}`,
        `exit ${code}: ${stderr.trim().split("\n")[0]}`,
      );
    const rows = readFileSync(join(out, "run", "timings.csv"), "utf8")
      .trim()
      .split("\n")
      .slice(1);
    const simulationMs = rows.reduce((sum, row) => sum + Number(row.split(",").at(-1)), 0);
    return { wallMs, cells: rows.length, simulationMs };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function tinySweep(cells: number): string[] {
  const args = ["--workload", "idle", "--ram", "64MiB", "--codec", "raw"];
  return [...args, "--cache-size", "16MiB", "--seed", cells === 1 ? "1" : `1..${cells}`];
}

export interface OverheadRow {
  readonly cells: number;
  readonly wallMs: number;
  readonly simulationMs: number;
  readonly startupMs: number;
  readonly overheadMsPerCell: number;
}

export interface SpeedupRow {
  readonly sweep: string;
  readonly workers: number;
  readonly wallMs: number;
  readonly speedup: number;
}

function parse(args: readonly string[]) {
  const parser = yargs([...args])
    .scriptName("npm run bench:sweep --")
    .usage(
      "$0 [--cells LIST] [--workers LIST] [--json FILE]\n\n" +
        "Time `npm run bench` itself: the overhead per cell of sweeps of growing size, and the\n" +
        "speedup of two 16-cell sweeps (short and long cells) at each worker count.",
    )
    .option("cells", {
      type: "string",
      describe: "[list] sweep sizes for the overhead table (1..100000)",
      default: DEFAULT_CELLS,
    })
    .option("workers", {
      type: "string",
      describe: "[list] worker counts for the speedup table",
      defaultDescription: "1,2 and the core count when it is larger",
    })
    .option("json", { type: "string", describe: "also write every figure to this JSON file" })
    .option("skip-speedup", { type: "boolean", describe: "only the overhead table" })
    .check(singleValued(["cells", "workers", "json"]))
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  const argv = parser.parseSync();
  if (argv._.length > 0) throw new UsageError(`unexpected argument "${String(argv._[0])}"`);
  const cells = (flagList(argv.cells, "cells") ?? []).map((text) =>
    parseInteger(text, "--cells", 1, 100_000, "--seed takes at most 100001 seeds"),
  );
  const cores = availableParallelism();
  const workers = (
    flagList(argv.workers, "workers") ?? ["1", "2", ...(cores > 2 ? [String(cores)] : [])]
  ).map((text) => parseInteger(text, "--workers", 1, 1024));
  if (argv.json !== undefined) checkWritableFile(argv.json);
  return { cells, workers, json: argv.json, skipSpeedup: argv["skip-speedup"] === true };
}

async function overheadRows(sizes: readonly number[], log: (line: string) => void) {
  // The start-up (loader, planning, writing the run directory) varies by tens of ms from one
  // process to the next; the median of three keeps that noise out of the small sweeps' figure.
  log("start-up: three one-cell sweeps");
  const startups: number[] = [];
  for (let i = 0; i < 3; i++) startups.push((await runBench(tinySweep(1), 0)).wallMs);
  const startup = { wallMs: startups.sort((a, b) => a - b)[1] };
  const rows: OverheadRow[] = [];
  for (const size of sizes) {
    log(`overhead: ${size} cells`);
    const run = await runBench(tinySweep(size), 0);
    const overhead = (run.wallMs - startup.wallMs - run.simulationMs) / run.cells;
    rows.push({
      cells: run.cells,
      wallMs: run.wallMs,
      simulationMs: run.simulationMs,
      startupMs: startup.wallMs,
      overheadMsPerCell: overhead,
    });
  }
  return rows;
}

async function speedupRows(workers: readonly number[], log: (line: string) => void) {
  const rows: SpeedupRow[] = [];
  for (const sweep of SPEEDUP_SWEEPS) {
    let oneWorkerMs = Number.NaN;
    for (const count of workers) {
      log(`speedup: ${sweep.name}, ${count} worker${count === 1 ? "" : "s"}`);
      const run = await runBench([...sweep.args, "--seed", "1..16"], count);
      if (count === workers[0]) oneWorkerMs = run.wallMs;
      rows.push({
        sweep: sweep.name,
        workers: count,
        wallMs: run.wallMs,
        speedup: oneWorkerMs / run.wallMs,
      });
    }
  }
  return rows;
}

export async function sweepBenchMain(args: readonly string[]): Promise<number> {
  const options = parse(joinNegativeValues(args, ["skip-speedup"]));
  const log = (line: string) => process.stderr.write(`bench:sweep: ${line}\n`);
  const machine = machineInfo();
  process.stdout.write(
    `migbench ${migbenchVersion()} bench:sweep · Node ${machine.node} · ${machine.cpu.model} (${machine.cpu.cores} cores)\n\n`,
  );
  const overhead = await overheadRows(options.cells, log);
  const table = new Table({
    ...PLAIN,
    head: ["cells", "wall s", "simulation s", "start-up s", "overhead ms/cell"],
  });
  for (const row of overhead)
    table.push([
      row.cells.toLocaleString("en-US"),
      (row.wallMs / 1000).toFixed(2),
      (row.simulationMs / 1000).toFixed(2),
      (row.startupMs / 1000).toFixed(2),
      row.overheadMsPerCell.toFixed(3),
    ]);
  process.stdout.write(`${table.toString()}\n`);
  const speedup = options.skipSpeedup ? [] : await speedupRows(options.workers, log);
  if (speedup.length > 0) {
    const table2 = new Table({
      ...PLAIN,
      head: ["sweep", "workers", "wall s", `speedup vs ${options.workers[0]}`],
    });
    for (const row of speedup)
      table2.push([
        row.sweep,
        row.workers,
        (row.wallMs / 1000).toFixed(2),
        `${row.speedup.toFixed(2)}×`,
      ]);
    process.stdout.write(`\n${table2.toString()}\n`);
  }
  if (options.json !== undefined)
    writeFileAtomic(
      options.json,
      `${JSON.stringify({ migbenchVersion: migbenchVersion(), ...machine, overhead, speedup }, null, 2)}\n`,
    );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("bench:sweep", () => sweepBenchMain(hideBin(process.argv)));
}
