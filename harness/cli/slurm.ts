import { execFileSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { makeDirectory, writeFileAtomic } from "../../lib/atomic-file.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
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

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BENCH = join(ROOT, "harness/cli/bench.ts");
const MERGE = join(ROOT, "harness/cli/merge.ts");

export interface SlurmOptions {
  /** The bench's own sweep options, passed through unchanged. */
  readonly sweep: readonly string[];
  readonly tasks: number;
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
  const out = resolve(options.out);
  const sweep = options.sweep.map(shellQuote).join(" ");
  return [
    ...header(options, "migbench", join(out, "slurm", "part-%a.log")),
    `#SBATCH --array=1-${options.tasks}`,
    `#SBATCH --cpus-per-task=${options.cpusPerTask}`,
    "set -euo pipefail",
    `cd ${shellQuote(ROOT)}`,
    `part=${shellQuote(out)}/part-$SLURM_ARRAY_TASK_ID`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion in the batch script
    'workers="${SLURM_CPUS_PER_TASK:-1}"',
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
  const out = resolve(options.out);
  const parts = Array.from({ length: options.tasks }, (_, i) =>
    shellQuote(join(out, `part-${i + 1}`)),
  );
  return [
    ...header(options, "migbench-merge", join(out, "slurm", "merge.log")),
    "#SBATCH --cpus-per-task=1",
    "set -euo pipefail",
    `cd ${shellQuote(ROOT)}`,
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

function parse(args: readonly string[]) {
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
  const options: SlurmOptions = {
    sweep,
    tasks: parseInteger(argv.tasks, "--tasks", 1, 10_000),
    out: argv.out,
    partition: argv.partition ?? null,
    time: argv.time ?? null,
    cpusPerTask: parseInteger(argv["cpus-per-task"], "--cpus-per-task", 1, 1024),
  };
  return { options, submit: argv.submit === true };
}

/** Options the generated scripts set per task; given with the sweep they would clash. */
const SET_PER_TASK = ["out", "resume", "shard", "workers", "report", "no-report"];

/** Ask the bench whether the sweep options are valid (it plans and exits without running). */
function checkSweep(options: SlurmOptions): void {
  for (const arg of options.sweep) {
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name !== undefined && SET_PER_TASK.includes(name))
      throw new UsageError(`--${name}: set by the generated scripts for each task; leave it out`);
  }
  try {
    execFileSync(
      process.execPath,
      [
        "--require",
        PRELOAD_FILE,
        BENCH,
        ...options.sweep,
        "--shard",
        `1/${options.tasks}`,
        "--dry-run",
      ],
      { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" },
    );
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
    const status = (error as { status?: number }).status;
    const line =
      stderr
        .split("\n")
        .at(-1)
        ?.replace(/^bench: /, "") ?? "";
    if (status === 2) throw new UsageError(line);
    throw new InputError("the sweep", line);
  }
}

function sbatch(args: readonly string[]): string {
  try {
    return execFileSync("sbatch", ["--parsable", ...args], { encoding: "utf8" })
      .trim()
      .split(";")[0];
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    throw new InputError("sbatch", stderr.trim().split("\n")[0]);
  }
}

export async function slurmMain(args: readonly string[]): Promise<number> {
  const { options, submit } = parse(args);
  checkSweep(options);
  const dir = join(resolve(options.out), "slurm");
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
