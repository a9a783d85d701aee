import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { UsageError } from "../../lib/errors.ts";
import { joinNegativeValues } from "../../lib/flag-list.ts";
import { shellQuote } from "../../lib/machine.ts";
import { runMain } from "../../lib/main.ts";
import { summaryTables } from "../../reports/terminal-summary.ts";
import type { Manifest } from "../../results/manifest.ts";
import {
  checkMergeTarget,
  mergedPart,
  type Part,
  readEntries,
  readParts,
  writeMergedRun,
} from "../../results/merge.ts";
import { readResults } from "../../results/records.ts";
import { RESULTS_FILE } from "../../results/schema.ts";
import { buildReportFor } from "../sweep/run.ts";

/**
 * `npm run merge -- OUT PART_DIR...`: join the run directories of a sweep's parts
 * (`bench --shard K/N`, docs/CLUSTERS.md) into one run directory OUT whose results.csv and
 * passes.csv are byte-identical to running the whole sweep on one machine, with a manifest that
 * records the parts and their machines, and the report. The checks and the writing are
 * results/merge.ts's; this is the command line, the manifest and the report.
 */

export interface MergeDeps {
  readonly cwd?: string;
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: NodeJS.WriteStream;
  /** The full command line for the manifest (default: this process's argv). */
  readonly commandLine?: string;
}

function parse(args: readonly string[]) {
  const parser = yargs(joinNegativeValues(args, ["report", "help"]))
    .scriptName("npm run merge --")
    .usage(
      "$0 OUT PART_DIR... [--no-report]\n\n" +
        "Join the parts of a sweep run with `npm run bench -- ... --shard K/N` into one run\n" +
        "directory OUT (which must not exist, or be empty). Every part must be given once, be\n" +
        "finished (--resume an unfinished one first) and hold no failed cell. See docs/CLUSTERS.md.",
    )
    .option("report", {
      type: "boolean",
      default: true,
      describe: "draw the charts and report.html (--no-report skips it)",
    })
    .strictOptions()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  const argv = parser.parseSync();
  const positional = argv._.map(String);
  if (positional.length < 2)
    throw new UsageError(
      positional.length === 0
        ? "give OUT and the parts' run directories (npm run merge -- OUT PART_DIR...)"
        : "give the parts' run directories after OUT",
    );
  return { out: positional[0], parts: positional.slice(1), report: argv.report };
}

/** The sweep's own arguments: a merged run is the whole sweep, not a part, wherever it is. */
function sweepArgv(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--(shard|out)(=|$)/.exec(argv[i]);
    if (name === null) kept.push(argv[i]);
    else if (name[2] === "") i++; // its value is the next word
  }
  return kept;
}

/**
 * The merged run's manifest: the sweep as the parts recorded it (options, seeds, calibration,
 * plug-ins, the code and machine of part 1), complete, with every part and its machine.
 */
function mergedManifest(parts: readonly Part[], commandLine: string): Manifest {
  // The fields after `cells` are this run's own; the part's are in `parts`.
  const {
    shard: _shard,
    workers: _workers,
    startedAt: _startedAt,
    endedAt: _endedAt,
    status: _status,
    cellsDone: _cellsDone,
    resumes: _resumes,
    machine: _machine,
    ...sweep
  } = parts[0].manifest;
  const ended = parts.map((part) => part.manifest.endedAt ?? "").sort();
  return {
    ...sweep,
    commandLine,
    argv: sweepArgv(sweep.argv),
    parts: parts.map(mergedPart),
    workers: parts.reduce((sum, part) => sum + part.manifest.workers, 0),
    startedAt: parts.map((part) => part.manifest.startedAt).sort()[0],
    endedAt: ended[ended.length - 1] || null,
    status: "completed",
    cellsDone: sweep.cells,
    resumes: [],
    machine: null,
  };
}

export async function mergeMain(args: readonly string[], deps: MergeDeps = {}): Promise<number> {
  const cwd = deps.cwd ?? process.cwd();
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const options = parse(args);
  const out = resolve(cwd, options.out);
  checkMergeTarget(out);
  const { parts, warnings } = readParts(options.parts.map((dir) => resolve(cwd, dir)));
  for (const warning of warnings) stderr.write(`merge: warning: ${warning}\n`);
  const entries = readEntries(parts);
  const commandLine = deps.commandLine ?? process.argv.map(shellQuote).join(" ");
  writeMergedRun(out, entries, mergedManifest(parts, commandLine));

  for (const table of summaryTables(readResults(join(out, RESULTS_FILE))))
    stdout.write(`${table}\n`);
  let reportFailed = false;
  if (options.report) {
    if (await buildReportFor(out, stderr, "merge"))
      stdout.write(`report: ${join(out, "report.html")}\n`);
    else reportFailed = true;
  }
  stdout.write(`merged: ${out} (${entries.length} cells from ${parts.length} parts)\n`);
  return reportFailed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("merge", () => mergeMain(hideBin(process.argv)));
}
