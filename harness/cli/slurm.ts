import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { makeDirectory, writeFileAtomic } from "../../lib/atomic-file.ts";
import { InputError, isSystemError, UsageError } from "../../lib/errors.ts";
import { shellQuote } from "../../lib/machine.ts";
import { runMain } from "../../lib/main.ts";
import { parseInteger } from "../../lib/units.ts";
import { PRELOAD_FILE } from "../../lib/workers.ts";

/**
 * `npm run slurm -- <sweep options> --tasks N --out DIR [--partition P --time T
 * --cpus-per-task C] [--submit]`: a sweep as a Slurm job array. It writes two batch scripts:
 *
 * - DIR/slurm/array.sbatch: an array of N tasks; task K runs `bench <sweep options> --shard
 *   slurm/N --out DIR/part-K` with one worker per CPU Slurm gave it. A task started again on a
 *   part that already has a manifest resumes it (`--resume`), so `sbatch --array=K
 *   DIR/slurm/array.sbatch` re-runs one failed task alone.
 * - DIR/slurm/merge.sbatch: `merge DIR/merged DIR/part-1 ... DIR/part-N`, meant to run after
 *   every task succeeded (`--dependency=afterok:ARRAY_JOB`).
 *
 * With --submit it submits both (`sbatch --parsable`) and prints the job ids. The sweep options
 * are checked first by the bench itself (`bench ... --shard 1/N --dry-run`), so a typo is one
 * line here, not N failed tasks in a queue.
 */

const BENCH = fileURLToPath(new URL("./bench.ts", import.meta.url));
const MERGE = fileURLToPath(new URL("./merge.ts", import.meta.url));

export interface SlurmOptions {
  /** The bench's own sweep options, passed through unchanged. */
  readonly sweep: readonly string[];
  readonly tasks: number;
  /** Where the command runs: the tasks run there too, so relative paths mean the same. */
  readonly cwd: string;
  /** The directory for the parts, the scripts and merged/ (absolute). */
  readonly out: string;
  readonly partition: string | null;
  readonly time: string | null;
  readonly cpusPerTask: number;
}

/** The `#SBATCH` lines both scripts share. */
function header(options: SlurmOptions, name: string, log: string): string[] {
  const lines = ["#!/bin/bash", `#SBATCH --job-name=${name}`, `#SBATCH --output=${log}`];
  if (options.partition !== null) lines.push(`#SBATCH --partition=${options.partition}`);
  if (options.time !== null) lines.push(`#SBATCH --time=${options.time}`);
  return lines;
}

const node = (file: string) =>
  [process.execPath, "--require", PRELOAD_FILE, file].map(shellQuote).join(" ");

/** The array job's script. Pure. */
export function arrayScript(options: SlurmOptions): string {
  const { out } = options;
  const sweep = options.sweep.map(shellQuote).join(" ");
  return [
    ...header(options, "migbench", join(out, "slurm", "part-%a.log")),
    `#SBATCH --array=1-${options.tasks}`,
    `#SBATCH --cpus-per-task=${options.cpusPerTask}`,
    "set -euo pipefail",
    `cd ${shellQuote(options.cwd)}`,
    `part=${shellQuote(out)}/part-$SLURM_ARRAY_TASK_ID`,
    "# One worker thread per CPU; with one CPU the cells run in the main thread (a worker would",
    "# only add its start-up).",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion in the batch script
    'workers="${SLURM_CPUS_PER_TASK:-1}"',
    '[ "$workers" -gt 1 ] || workers=0',
    "# A part with a manifest was started before: finish it instead of starting again.",
    'if [ -f "$part/manifest.json" ]; then',
    `  exec ${node(BENCH)} --resume "$part" --workers "$workers" --no-report`,
    "fi",
    `exec ${node(BENCH)} ${sweep} --shard slurm/${options.tasks} --workers "$workers" --no-report --out "$part"`,
    "",
  ].join("\n");
}

/** The merge job's script. Pure. */
export function mergeScript(options: SlurmOptions): string {
  const { out } = options;
  const parts = Array.from({ length: options.tasks }, (_, i) =>
    shellQuote(join(out, `part-${i + 1}`)),
  );
  return [
    ...header(options, "migbench-merge", join(out, "slurm", "merge.log")),
    "#SBATCH --cpus-per-task=1",
    "set -euo pipefail",
    `cd ${shellQuote(options.cwd)}`,
    `exec ${node(MERGE)} ${shellQuote(join(out, "merged"))} ${parts.join(" ")}`,
    "",
  ].join("\n");
}

/** Options of this command; every other argument belongs to the sweep. */
const OWN = new Set(["tasks", "out", "partition", "time", "cpus-per-task", "submit", "help"]);

/** Split argv into this command's options and the sweep's, by option name. */
export function splitArgs(args: readonly string[]): { own: string[]; sweep: string[] } {
  const own: string[] = [];
  const sweep: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = /^--([^=]+)/.exec(arg)?.[1];
    const target = name !== undefined && OWN.has(name) ? own : sweep;
    target.push(arg);
    const takesValue =
      name !== undefined && !arg.includes("=") && name !== "submit" && name !== "help";
    if (takesValue && i + 1 < args.length && !args[i + 1].startsWith("--")) target.push(args[++i]);
  }
  return { own, sweep };
}

function parse(args: readonly string[], cwd: string) {
  const { own, sweep } = splitArgs(args);
  const parser = yargs(own)
    .scriptName("npm run slurm --")
    .usage(
      "$0 <sweep options> --tasks N --out DIR [--partition P] [--time T] [--cpus-per-task C] [--submit]\n\n" +
        "Write a Slurm job array that runs the sweep in N balanced parts (bench --shard), and a\n" +
        "merge job that joins them into DIR/merged once every task has succeeded. The sweep options\n" +
        "are `npm run bench`'s (see npm run bench -- --help).",
    )
    .option("tasks", {
      type: "string",
      describe: "array tasks (= shards), 1..10000",
      demandOption: true,
    })
    .option("out", {
      type: "string",
      describe: "directory for the parts, the scripts and merged/",
      demandOption: true,
    })
    .option("partition", { type: "string", describe: "Slurm partition (default: the cluster's)" })
    .option("time", { type: "string", describe: "Slurm time limit per task, e.g. 2:00:00" })
    .option("cpus-per-task", {
      type: "string",
      describe: "CPUs per task (= bench workers)",
      default: "1",
    })
    .option("submit", {
      type: "boolean",
      describe: "submit both jobs with sbatch and print their ids",
    })
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  const argv = parser.parseSync();
  // The log paths go on #SBATCH lines, which sbatch splits at white space.
  if (/[\s"'\\]/.test(resolve(cwd, argv.out)))
    throw new UsageError(
      `--out: "${argv.out}" has a space or quote, which an #SBATCH line cannot hold; choose another directory`,
    );
  const options: SlurmOptions = {
    sweep,
    tasks: parseInteger(argv.tasks, "--tasks", 1, 10_000),
    cwd,
    out: resolve(cwd, argv.out),
    partition: argv.partition ?? null,
    time: argv.time ?? null,
    cpusPerTask: parseInteger(argv["cpus-per-task"], "--cpus-per-task", 1, 1024),
  };
  return { options, submit: argv.submit === true };
}

/** Options the generated scripts set per task; given with the sweep they would clash. */
const SET_PER_TASK = ["out", "resume", "shard", "workers", "report", "no-report", "dry-run"];

/**
 * Ask the bench whether the sweep options are valid: it plans part 1 as a task would and exits
 * without running (`--dry-run`). Returns what it printed: the cells, a task's estimated time
 * and the settings that change nothing.
 */
function checkSweep(options: SlurmOptions): { stdout: string; stderr: string } {
  for (const arg of options.sweep) {
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name !== undefined && SET_PER_TASK.includes(name))
      throw new UsageError(`--${name}: set by the generated scripts for each task; leave it out`);
  }
  const workers = options.cpusPerTask > 1 ? options.cpusPerTask : 0;
  const args = [...options.sweep, "--shard", `1/${options.tasks}`, "--workers", String(workers)];
  const result = spawnSync(
    process.execPath,
    ["--require", PRELOAD_FILE, BENCH, ...args, "--dry-run"],
    { cwd: options.cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (result.error) throw result.error;
  if (result.status === 0) return { stdout: result.stdout, stderr: result.stderr };
  const line =
    result.stderr
      .trim()
      .split("\n")
      .at(-1)
      ?.replace(/^bench: /, "") ?? "";
  if (result.status === 2) throw new UsageError(line);
  throw new InputError("the sweep", line);
}

/**
 * A task finds its part by directory and resumes one that has a manifest: in a directory that
 * holds another sweep's parts, it would finish that sweep instead.
 */
function checkNoParts(out: string): void {
  if (!existsSync(out)) return;
  const part = readdirSync(out).find((name) => /^part-\d+$/.test(name));
  if (part !== undefined)
    throw new InputError(
      out,
      `already holds ${part} of a sweep; to run a failed task again: sbatch --array=K ${join(out, "slurm", "array.sbatch")}; for a new sweep choose another --out`,
    );
}

function sbatch(args: readonly string[]): string {
  const result = spawnSync("sbatch", ["--parsable", ...args], { encoding: "utf8" });
  if (result.error !== undefined) {
    const missing = isSystemError(result.error) && result.error.code === "ENOENT";
    throw new InputError(
      "sbatch",
      missing
        ? "not found (run this where Slurm's commands are, e.g. a login node)"
        : result.error.message,
    );
  }
  if (result.status !== 0)
    throw new InputError("sbatch", result.stderr.trim().split("\n")[0] ?? `exit ${result.status}`);
  // --parsable prints "jobid" or "jobid;cluster".
  return result.stdout.trim().split(";")[0];
}

export async function slurmMain(args: readonly string[], cwd = process.cwd()): Promise<number> {
  const { options, submit } = parse(args, cwd);
  checkNoParts(options.out);
  const check = checkSweep(options);
  process.stdout.write(check.stdout);
  process.stderr.write(check.stderr);
  const dir = join(options.out, "slurm");
  makeDirectory(dir);
  const array = join(dir, "array.sbatch");
  const merge = join(dir, "merge.sbatch");
  writeFileAtomic(array, arrayScript(options));
  writeFileAtomic(merge, mergeScript(options));
  chmodSync(array, 0o755);
  chmodSync(merge, 0o755);
  process.stdout.write(`wrote ${array}\nwrote ${merge}\n`);
  if (!submit) {
    process.stdout.write(
      `submit with:\n  job=$(sbatch --parsable ${shellQuote(array)})\n  sbatch --dependency=afterok:$job ${shellQuote(merge)}\n`,
    );
    return 0;
  }
  const arrayJob = sbatch([array]);
  const mergeJob = sbatch([`--dependency=afterok:${arrayJob}`, merge]);
  process.stdout.write(`array job ${arrayJob} (${options.tasks} tasks), merge job ${mergeJob}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("slurm", () => slurmMain(hideBin(process.argv)));
}
