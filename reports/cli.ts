import { existsSync, statSync } from "node:fs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkReadableFile, checkWritableDirectory } from "../lib/atomic-file.ts";
import { InputError, UsageError } from "../lib/errors.ts";
import { joinNegativeValues, singleValued } from "../lib/flag-list.ts";
import { runMain } from "../lib/main.ts";
import { parseInteger } from "../lib/units.ts";

/**
 * `npm run report -- RESULTS_DIR [--codec-bench FILE] [--cell N] [--paper]`: rebuild a run's
 * charts and report.html from its CSV files alone (no simulation is re-run), or with --paper
 * its print figures (reports/paper.ts).
 */
await runMain("report", async () => {
  const argv = await yargs(joinNegativeValues(hideBin(process.argv), ["help", "version"]))
    .scriptName("npm run report --")
    .usage(
      "$0 RESULTS_DIR [--codec-bench FILE] [--cell N] [--paper]\n\nRebuild RESULTS_DIR/charts/ and RESULTS_DIR/report.html from results.csv, passes.csv and manifest.json.",
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
    .option("paper", {
      type: "boolean",
      default: false,
      describe:
        "instead of the report, write print figures to RESULTS_DIR/paper/: each chart 3.3 in (a column) and 7 in (the page) wide, 8 pt text, no title, as SVG and PDF (PDF needs Chromium: CHROMIUM_PATH or chromium on PATH)",
    })
    .check(singleValued(["codec-bench", "cell", "paper"]))
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
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  // Imported after the arguments are checked, so a usage error does not wait for vega to load.
  const { ChartWarningError } = await import("./render.ts");
  try {
    if (argv.paper) {
      const { buildPaperFigures } = await import("./paper.ts");
      const paper = await buildPaperFigures(dir, { codecBench: argv.codecBench, cell });
      for (const f of paper.figures.filter((f) => f.tooWide))
        console.error(
          `report: ${f.name}.${f.size} is ${f.widthPt} pt wide, more than its size: use the other size`,
        );
      console.log(`${paper.dir} (${paper.figures.length} figures, SVG and PDF, in ${seconds()} s)`);
      return 0;
    }
    const quiet = !process.stderr.isTTY;
    const { buildReport } = await import("./build.ts");
    const result = await buildReport(dir, {
      codecBench: argv.codecBench,
      cell,
      onChart: quiet ? undefined : (name) => process.stderr.write(`  ${name}\n`),
    });
    for (const { name, reason } of result.skipped)
      console.error(`report: ${name} not drawn: ${reason}`);
    console.log(`${result.html} (${result.charts.length} charts in ${seconds()} s)`);
    return 0;
  } catch (error) {
    // A chart vega warned about is a bug in its spec: one line naming it, exit 1.
    if (!(error instanceof ChartWarningError)) throw error;
    console.error(`report: ${error.message}`);
    return 1;
  }
});
