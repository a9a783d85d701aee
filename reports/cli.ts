import { existsSync, statSync } from "node:fs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkReadableFile, checkWritableDirectory } from "../lib/atomic-file.ts";
import { InputError, UsageError } from "../lib/errors.ts";
import { joinNegativeValues, singleValued } from "../lib/flag-list.ts";
import { runMain } from "../lib/main.ts";
import { parseInteger } from "../lib/units.ts";

/**
 * `npm run report -- RESULTS_DIR [--codec-bench FILE] [--cell N]`: rebuild a run's charts and
 * report.html from its CSV files alone (no simulation is re-run).
 */
await runMain("report", async () => {
  const argv = await yargs(joinNegativeValues(hideBin(process.argv), ["help", "version"]))
    .scriptName("npm run report --")
    .usage(
      "$0 RESULTS_DIR [--codec-bench FILE] [--cell N]\n\nRebuild RESULTS_DIR/charts/ and RESULTS_DIR/report.html from results.csv, passes.csv and manifest.json.",
    )
    .command("$0 <dir>", false, (y) =>
      y.positional("dir", { type: "string", demandOption: true, describe: "a results directory" }),
    )
    .option("codec-bench", {
      type: "string",
      describe:
        "a `npm run bench:codecs -- --json FILE` file (copied into the run as codec-bench.json); default RESULTS_DIR/codec-bench.json when present",
    })
    .option("cell", {
      type: "string",
      describe: "the cell (results.csv `cell` column) whose passes the timeline chart shows",
    })
    .check(singleValued(["codec-bench", "cell"]))
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
  const cell =
    argv.cell === undefined
      ? undefined
      : parseInteger(argv.cell, "--cell", 0, undefined, "a cell index");
  const dir = argv.dir as string;
  if (!existsSync(dir)) throw new InputError(dir, "no such results directory");
  if (!statSync(dir).isDirectory())
    throw new InputError(dir, "is not a directory (give a results directory)");
  if (argv.codecBench !== undefined) checkReadableFile(argv.codecBench, "codec benchmark");
  // charts/ and report.html go into the directory: a read-only one fails here, not mid-report.
  checkWritableDirectory(dir);
  const quiet = !process.stderr.isTTY;
  const started = performance.now();
  // Imported after the arguments are checked, so a usage error does not wait for vega to load.
  const { buildReport } = await import("./build.ts");
  const result = await buildReport(dir, {
    codecBench: argv.codecBench,
    cell,
    onChart: quiet ? undefined : (name) => process.stderr.write(`  ${name}\n`),
  });
  for (const { name, warning } of result.warnings) console.error(`report: ${name}: ${warning}`);
  for (const { name, reason } of result.skipped)
    console.error(`report: ${name} not drawn: ${reason}`);
  console.log(
    `${result.html} (${result.charts.length} charts in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  return 0;
});
