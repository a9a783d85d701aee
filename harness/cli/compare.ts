import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import Table from "cli-table3";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkWritableFile, writeFileAtomic } from "../../lib/atomic-file.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import { singleValued } from "../../lib/flag-list.ts";
import { runMain } from "../../lib/main.ts";
import { SCREEN } from "../../reports/charts/layout.ts";
import { comparisonRatioRows, comparisonRatioSpec } from "../../reports/charts/ratio-to-raw.ts";
import {
  type Comparison,
  compareRuns,
  compareToBaseline,
  disjointSettings,
} from "../../reports/compare.ts";
import {
  comparisonCsv,
  comparisonHeadlines,
  comparisonLegend,
  comparisonTable,
} from "../../reports/compare-text.ts";
import { renderChart } from "../../reports/render.ts";
import { settingText, settingTitle } from "../../reports/settings.ts";
import { toCsv } from "../../results/csv.ts";
import { type CellRow, readResults } from "../../results/records.ts";
import { RESULTS_FILE } from "../../results/schema.ts";

/**
 * `npm run compare -- RUN_A RUN_B` (the same codec at the same settings in two runs) and
 * `npm run compare -- RUN --baseline CODEC` (every other codec of a run against one): a table
 * of outcomes, total time, downtime and bytes with the seeds' spread, one headline per setting,
 * with --csv the same as CSV and with --chart the ratios as an SVG. The comparison itself is reports/compare.ts.
 */

const USAGE = `$0 RUN_A RUN_B [--csv FILE] [--chart FILE.svg]
$0 RUN --baseline CODEC [--csv FILE] [--chart FILE.svg]

Compare two runs setting by setting (the same codec, workload, cache, bandwidth, ...; seeds pooled, paired by seed where both runs have it), or every codec of one run against a baseline codec. A is the first run (or the baseline), B the second (or the other codec).`;

async function parse(args: readonly string[]) {
  return yargs([...args])
    .scriptName("npm run compare --")
    .usage(USAGE)
    .command("$0 <runs..>", false, (y) =>
      y.positional("runs", { type: "string", array: true, describe: "run directories" }),
    )
    .option("baseline", {
      type: "string",
      describe: "compare every other codec of RUN with this codec at the same settings",
    })
    .option("csv", { type: "string", describe: "also write the comparison to FILE as CSV" })
    .option("chart", {
      type: "string",
      describe: "also draw the ratios B ÷ A (total time, bytes) per setting as an SVG to FILE",
    })
    .check(singleValued(["baseline", "csv", "chart"]))
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
}

/** A run directory's cells; anything else is one line naming the path. */
function readRun(dir: string): CellRow[] {
  if (!existsSync(dir)) throw new InputError(dir, "no such run directory");
  if (!statSync(dir).isDirectory()) throw new InputError(dir, "is not a run directory");
  const results = join(dir, RESULTS_FILE);
  if (!existsSync(results))
    throw new InputError(dir, `is not a run directory: it has no ${RESULTS_FILE}`);
  return readResults(results);
}

function codecsOf(cells: readonly CellRow[]): string[] {
  return [...new Set(cells.map((c) => c.codec))];
}

function baselineComparison(dir: string, baseline: string): Comparison {
  const cells = readRun(dir);
  const codecs = codecsOf(cells);
  if (!codecs.includes(baseline))
    throw new UsageError(
      `--baseline: codec "${baseline}" is not in ${dir} (its codecs: ${codecs.join(", ")})`,
    );
  if (codecs.length === 1)
    throw new UsageError(`--baseline: ${dir} has no codec but ${baseline} to compare with it`);
  const comparison = compareToBaseline(cells, baseline);
  if (comparison.rows.length === 0)
    throw new InputError(dir, `no other codec ran at a setting where ${baseline} ran`);
  return comparison;
}

function runsComparison(dirA: string, dirB: string): Comparison {
  const [cellsA, cellsB] = [readRun(dirA), readRun(dirB)];
  // Two runs of one sweep often share a basename pattern; fall back to the paths as given.
  const [a, b] = [basename(resolve(dirA)), basename(resolve(dirB))];
  const labels = a === b ? { a: dirA, b: dirB } : { a, b };
  const comparison = compareRuns(cellsA, cellsB, labels);
  if (comparison.rows.length === 0) {
    const shared = codecsOf(cellsA).filter((c) => codecsOf(cellsB).includes(c));
    const values = (column: string, list: readonly string[]) =>
      list.map((v) => settingText(column, v) || "none").join(", ");
    const differ = disjointSettings(cellsA, cellsB).map(
      ({ column, a, b }) => `${settingTitle(column)} ${values(column, a)} vs ${values(column, b)}`,
    );
    // The first few say enough; a workload's parameters would otherwise fill the line.
    if (differ.length > 4) differ.splice(4, differ.length, `${differ.length - 4} more`);
    const why =
      shared.length === 0
        ? `no codec in common (${codecsOf(cellsA).join(", ")} vs ${codecsOf(cellsB).join(", ")})`
        : `no setting in common (${differ.join("; ") || "no combination of their values is in both"})`;
    throw new InputError(`${dirA} and ${dirB}`, `nothing to compare: ${why}`);
  }
  return comparison;
}

/** The comparison's ratios drawn as the report's ratio-to-raw chart is (reports/charts/ratio-to-raw.ts). */
async function comparisonChart(comparison: Comparison): Promise<string> {
  const sides =
    comparison.baseline !== null
      ? { a: comparison.baseline, b: "the codec" }
      : { a: comparison.labelA, b: comparison.labelB };
  const rows = comparisonRatioRows(comparison, sides);
  if (rows.length === 0)
    throw new InputError(
      "--chart",
      "nothing to draw: no setting where either side completed (see the table)",
    );
  const [title, axis, lead] =
    comparison.baseline !== null
      ? [
          `Each codec against ${comparison.baseline} at the same setting`,
          `codec ÷ ${comparison.baseline} (log scale)`,
          `Ratio of the means over seeds, codec ÷ ${comparison.baseline}: left of the line the codec took less time or sent less.`,
        ]
      : [
          `${comparison.labelB} against ${comparison.labelA}`,
          "B ÷ A (log scale)",
          `Ratio of the means over seeds, B ÷ A (A: ${comparison.labelA}; B: ${comparison.labelB}), the same codec at the same setting: left of the line B took less time or sent less.`,
        ];
  return renderChart("compare", comparisonRatioSpec(rows, SCREEN, sides, { title, axis, lead }));
}

function tableText(comparison: Comparison): string {
  const { head, rows } = comparisonTable(comparison);
  const table = new Table({
    head,
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    style: { head: [], border: [] },
  });
  for (const row of rows) table.push(row);
  return table.toString();
}

export async function compareMain(args: readonly string[]): Promise<number> {
  const argv = await parse(args);
  const runs = ((argv.runs as string[] | undefined) ?? []).map(String);
  if (argv.baseline !== undefined && runs.length !== 1)
    throw new UsageError("--baseline compares the codecs of one run: give one RUN");
  if (argv.baseline === undefined && runs.length !== 2)
    throw new UsageError("give two runs (RUN_A RUN_B), or one run and --baseline CODEC");
  if (argv.csv !== undefined) checkWritableFile(argv.csv);
  if (argv.chart !== undefined) checkWritableFile(argv.chart);
  const comparison =
    argv.baseline !== undefined
      ? baselineComparison(runs[0], argv.baseline)
      : runsComparison(runs[0], runs[1]);
  const lines = [comparisonLegend(comparison), tableText(comparison)];
  lines.push(...comparisonHeadlines(comparison));
  const { onlyA, onlyB } = comparison;
  if (onlyA + onlyB > 0)
    lines.push(`not compared: ${onlyA} setting(s) only in A, ${onlyB} only in B`);
  if (argv.csv !== undefined) {
    writeFileAtomic(argv.csv, toCsv(comparisonCsv(comparison)));
    lines.push(`csv: ${argv.csv}`);
  }
  if (argv.chart !== undefined) {
    writeFileAtomic(argv.chart, await comparisonChart(comparison));
    lines.push(`chart: ${argv.chart}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

await runMain("compare", () => compareMain(hideBin(process.argv)));
