import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { UsageError } from "../harness/errors.ts";
import { runMain } from "../harness/main.ts";

/**
 * `npm run report -- RESULTS_DIR [--codec-bench FILE] [--cell N]`: rebuild a run's charts and
 * report.html from its CSV files alone (no simulation is re-run).
 */
await runMain("report", async () => {
  const argv = await yargs(hideBin(process.argv))
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
      type: "number",
      describe: "the cell (results.csv `cell` column) whose passes the timeline chart shows",
    })
    .strict()
    .help()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
  const cell = argv.cell;
  if (cell !== undefined && (!Number.isInteger(cell) || cell < 0))
    throw new UsageError(`--cell ${cell}: expected a cell index (a whole number ≥ 0)`);
  const quiet = !process.stderr.isTTY;
  const started = performance.now();
  // Imported after the arguments are checked, so a usage error does not wait for vega to load.
  const { buildReport } = await import("./build.ts");
  const result = await buildReport(argv.dir as string, {
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
