import { resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkReadableFile, checkWritableFile } from "../lib/atomic-file.ts";
import { outputError, UsageError } from "../lib/errors.ts";
import { joinNegativeValues, singleValued } from "../lib/flag-list.ts";
import { sizeLabel } from "../lib/format.ts";
import { runMain } from "../lib/main.ts";
import { parseDurationMs, parseInteger, parseNumber } from "../lib/units.ts";
import { copyTrace } from "./trace-copy.ts";
import { importSnapshots } from "./trace-import.ts";
import { formatTraceInfo, summarizeTrace } from "./trace-info.ts";
import { TraceReader } from "./trace-reader.ts";

/**
 * `npm run trace -- import|info`: build a trace from raw memory snapshots, or describe one.
 *   npm run trace -- import --interval 500ms --out vm.trace snap0.bin snap1.bin ...
 *   npm run trace -- info FILE [--all] [--json]
 *   npm run trace -- recompress IN OUT [--level 9]
 */

async function main(): Promise<number> {
  await yargs(joinNegativeValues(hideBin(process.argv), ["help", "version", "all", "json"]))
    .scriptName("npm run trace --")
    .usage("$0 <command>\n\nMigbench memory traces (docs/TRACE_FORMAT.md).")
    .command(
      "import <snapshots..>",
      "build a trace from equal-sized raw memory dumps (e.g. QEMU pmemsave) taken at known times",
      (y) =>
        y
          .positional("snapshots", {
            type: "string",
            array: true,
            demandOption: true,
            describe: "snapshot files, oldest first",
          })
          .option("out", { type: "string", demandOption: true, describe: "trace file to write" })
          .option("interval", {
            type: "string",
            describe: "time between consecutive snapshots (e.g. 500ms)",
          })
          .option("times", {
            type: "string",
            describe: "comma-separated snapshot times in seconds, instead of --interval",
          })
          .option("level", { type: "string", default: "6", describe: "deflate level 0-9" })
          .check(singleValued(["out", "interval", "times", "level"]))
          .example("$0 import --interval 500ms --out vm.trace snap0.bin snap1.bin snap2.bin", ""),
      (argv) =>
        importCommand({
          files: (argv.snapshots ?? []).map(String),
          out: argv.out,
          interval: argv.interval,
          times: argv.times,
          level: argv.level,
        }),
    )
    .command(
      "info <file>",
      "pages, epochs, duration, zero-page share and dirty pages per second per epoch",
      (y) =>
        y
          .positional("file", { type: "string", demandOption: true, describe: "trace file" })
          .option("all", { type: "boolean", default: false, describe: "list every epoch" })
          .option("json", { type: "boolean", default: false, describe: "print JSON instead" }),
      (argv) => infoCommand(String(argv.file), argv.all, argv.json),
    )
    .command(
      "recompress <input> <output>",
      "rewrite a trace with a higher deflate level (the recorder uses level 1 to keep up)",
      (y) =>
        y
          .positional("input", { type: "string", demandOption: true, describe: "trace to read" })
          .positional("output", { type: "string", demandOption: true, describe: "trace to write" })
          .option("level", { type: "string", default: "9", describe: "deflate level 0-9" })
          .check(singleValued(["level"])),
      (argv) => recompressCommand(String(argv.input), String(argv.output), argv.level),
    )
    .demandCommand(1, "give a command: import, info or recompress")
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parseAsync();
  return 0;
}

/** `trace import`: snapshots → trace, a line per snapshot on stderr. */
function importCommand(args: {
  files: string[];
  out: string;
  interval: string | undefined;
  times: string | undefined;
  level: string;
}): void {
  const { files, out } = args;
  const timesS = snapshotTimes(files.length, args.interval, args.times);
  const level = deflateLevel(args.level);
  for (const file of files) checkReadableFile(file, "snapshot");
  checkWritableFile(out);
  const summary = writingTo(out, () =>
    importSnapshots({
      files,
      out: resolve(out),
      timesS,
      level,
      onFile: (i, changed) =>
        process.stderr.write(
          i === 0
            ? `${files[0]}: initial image\n`
            : `${files[i]}: ${changed} pages changed since ${files[i - 1]}\n`,
        ),
    }),
  );
  process.stderr.write(
    `wrote ${out}: ${sizeLabel(summary.bytes)}, ${summary.epochs} epochs, ${summary.imagePages} non-zero pages in the image, ${summary.changedPages} page changes\n`,
  );
}

/** `trace info`: the summary as text (every epoch with `all`) or JSON, on stdout. */
function infoCommand(file: string, all: boolean, json: boolean): void {
  checkReadableFile(file, "trace");
  const reader = TraceReader.open(file);
  try {
    const summary = summarizeTrace(reader);
    process.stdout.write(
      json
        ? `${JSON.stringify({ ...summary, metadata: reader.metadata }, null, 2)}\n`
        : formatTraceInfo(file, reader, summary, all),
    );
  } finally {
    reader.close();
  }
}

/** `trace recompress`: copy a trace page for page at another deflate level. */
function recompressCommand(input: string, output: string, levelText: string): void {
  const level = deflateLevel(levelText);
  if (resolve(input) === resolve(output))
    throw new UsageError("the output must be a different file from the input");
  checkReadableFile(input, "trace");
  checkWritableFile(output);
  const reader = TraceReader.open(input);
  try {
    const summary = writingTo(output, () => copyTrace(reader, resolve(output), { level }));
    process.stderr.write(
      `wrote ${output}: ${sizeLabel(summary.bytes)} (was ${sizeLabel(reader.fileBytes)})\n`,
    );
  } finally {
    reader.close();
  }
}

/** `work()`, with a failed write(2) while it writes `out` named by `out` (ENOSPC...). */
function writingTo<T>(out: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw outputError(out, error);
  }
}

function deflateLevel(text: string): number {
  return parseInteger(text, "--level", 0, 9, "deflate levels; 0 stores");
}

function snapshotTimes(count: number, interval?: string, times?: string): number[] {
  if ((interval === undefined) === (times === undefined))
    throw new UsageError("give either --interval or --times (exactly one)");
  if (interval !== undefined) {
    const ms = parseDurationMs(interval, "--interval");
    if (!(ms > 0)) throw new UsageError(`--interval: "${interval}" must be positive`);
    return Array.from({ length: count }, (_, i) => (i * ms) / 1000);
  }
  const list = String(times)
    .split(",")
    .map((text) => parseNumber(text.trim(), "--times", { min: 0, inclusive: true, unit: "s" }));
  if (list.length !== count)
    throw new UsageError(`--times lists ${list.length} times for ${count} snapshots`);
  return list;
}

await runMain("trace", main);
