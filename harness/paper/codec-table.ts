import { NO_VALUE } from "../../lib/format.ts";
import { judgeCodecTable } from "./codec-table-checks.ts";
import { codecTableInferences } from "./codec-table-inferences.ts";
import { type MeasureSettings, measureRows, zeroOldSizePct } from "./codec-table-measure.ts";
import { PUBLISHED_SOURCE, type TableScenario } from "./codec-table-published.ts";
import type { CodecTableOptions, CodecTableResult, CodecTableRow } from "./codec-table-types.ts";

/**
 * The Aug 2011 codec table reproduced: migbench's codecs measured on real SPARSE and MEDIUM
 * pages (codec-table-measure.ts), the 2011 setup inferred from the numbers
 * (codec-table-inferences.ts), the published claims judged (codec-table-checks.ts), and the
 * result as Markdown and LaTeX. The paper suite (npm run paper) calls it.
 */

// The API's types live in codec-table-types.ts so the modules above can share them without an
// import cycle; callers import everything from here.
export type {
  CodecTableCheck,
  CodecTableOptions,
  CodecTableResult,
  CodecTableRow,
} from "./codec-table-types.ts";

/** quick: 128 pages and 25 ms per timed task (the whole table in a few seconds). */
function settingsFor(options: CodecTableOptions): MeasureSettings {
  return options.quick
    ? { pages: 128, timing: { timeMs: 25, batch: 32 }, seed: 2011 }
    : { pages: 1024, timing: { timeMs: 250, batch: 64 }, seed: 2011 };
}

export async function runCodecTable(options: CodecTableOptions): Promise<CodecTableResult> {
  const settings = settingsFor(options);
  const rows = measureRows(settings);
  const deflate6ZeroOldPct = {
    sparse: zeroOldSizePct("deflate:6", "sparse", settings),
    medium: zeroOldSizePct("deflate:6", "medium", settings),
  };
  const judgement = judgeCodecTable(rows);
  return {
    rows,
    inferences: codecTableInferences(rows, { deflate6ZeroOldPct }),
    ...judgement,
    pages: settings.pages,
  };
}

/** A number for the tables: sizes with 2 decimals, speeds whole MB/s, no value as NO_VALUE. */
function cell(value: number | null, decimals: number, none = NO_VALUE): string {
  return value === null || !Number.isFinite(value) ? none : value.toFixed(decimals);
}

/** The codec's name in the table and the figure: `lz4 (for lzo)` where it stands for another. */
export const codecLabel = (row: CodecTableRow): string =>
  row.standsFor !== null && row.standsFor !== row.codec
    ? `${row.codec} (for ${row.standsFor})`
    : row.codec;

/** The row's cells after the codec's name, in column order. */
function numberCells(row: CodecTableRow, none?: string): string[] {
  return [
    cell(row.sizePct, 2, none),
    cell(row.sizePctZeroOld, 2, none),
    cell(row.publishedSizePct, 2, none),
    cell(row.encodeMBps, 0, none),
    cell(row.encodeMBpsZeroOld, 0, none),
    cell(row.decodeMBps, 0, none),
    cell(row.decodeMBpsZeroOld, 0, none),
    cell(row.publishedEncodeMBps, 0, none),
  ];
}

const HEADERS = [
  "Size % random old",
  "Size % zero old",
  "Size % 2011",
  "Enc MB/s random old",
  "Enc MB/s zero old",
  "Dec MB/s random old",
  "Dec MB/s zero old",
  "Enc MB/s 2011",
];

export const SCENARIO_TITLES: Record<TableScenario, string> = {
  sparse: "SPARSE (12 bytes changed every 1111)",
  medium: "MEDIUM (33 bytes changed every 701)",
};

const scenariosOf = (result: CodecTableResult): TableScenario[] => [
  ...new Set(result.rows.map((row) => row.scenario)),
];

const mdEscape = (text: string): string => text.replaceAll("|", "\\|");
const mdRow = (cells: readonly string[]): string => `| ${cells.map(mdEscape).join(" | ")} |`;

export function codecTableMarkdown(result: CodecTableResult): string {
  const lines = [
    "## The Aug 2011 codec table",
    "",
    `Source: ${PUBLISHED_SOURCE}. ${result.pages} pages per scenario and setup. Size: encoded ` +
      "bytes / 4096, an overflowed page counting 100 %. Speeds: MB/s of page input on this " +
      "machine; an overflowed page's decode is the receiver's 4096-byte copy.",
    "",
    `**Verdict: ${result.verdict}** — ${result.reason}.`,
  ];
  for (const scenario of scenariosOf(result)) {
    lines.push("", `### ${SCENARIO_TITLES[scenario]}`, "");
    lines.push(mdRow(["Codec", ...HEADERS]), `|---|${"---:|".repeat(HEADERS.length)}`);
    for (const row of result.rows.filter((candidate) => candidate.scenario === scenario)) {
      lines.push(mdRow([codecLabel(row), ...numberCells(row)]));
    }
  }
  lines.push("", "### Checks", "", mdRow(["Claim", "2011", "Ours", "Verdict", "Why"]));
  lines.push("|---|---|---|---|---|");
  for (const check of result.checks) {
    lines.push(mdRow([check.claim, check.published, check.ours, check.verdict, check.reason]));
  }
  lines.push("", "### What the numbers say about the 2011 setup", "");
  for (const inference of result.inferences) lines.push(`- ${inference}`);
  return `${lines.join("\n")}\n`;
}

const LATEX_SPECIALS: Record<string, string> = {
  "\\": "\\textbackslash{}",
  "{": "\\{",
  "}": "\\}",
  $: "\\$",
  "&": "\\&",
  "#": "\\#",
  "%": "\\%",
  _: "\\_",
  "^": "\\textasciicircum{}",
  "~": "\\textasciitilde{}",
};

export function latexEscape(text: string): string {
  return text.replace(/[\\{}$&#%_^~]/g, (char) => LATEX_SPECIALS[char]);
}

/** booktabs: one tabular, a \midrule and a spanning title before each scenario. */
export function codecTableLatex(result: CodecTableResult): string {
  const columns = HEADERS.length + 1;
  const lines = [
    "\\begin{table}",
    "\\centering",
    `\\caption{${latexEscape(`The Aug 2011 codec table (${PUBLISHED_SOURCE}) and migbench's codecs on the same pages: size as % of the 4096-byte page, speeds in MB/s. Verdict: ${result.verdict}.`)}}`,
    "\\label{tab:codec-table-2011}",
    `\\begin{tabular}{l${"r".repeat(HEADERS.length)}}`,
    "\\toprule",
    `Codec & ${HEADERS.map(latexEscape).join(" & ")} \\\\`,
  ];
  for (const scenario of scenariosOf(result)) {
    lines.push(
      "\\midrule",
      `\\multicolumn{${columns}}{l}{${latexEscape(SCENARIO_TITLES[scenario])}} \\\\`,
    );
    for (const row of result.rows.filter((candidate) => candidate.scenario === scenario)) {
      lines.push(
        `${[codecLabel(row), ...numberCells(row, "--")].map(latexEscape).join(" & ")} \\\\`,
      );
    }
  }
  lines.push("\\bottomrule", "\\end{tabular}", "\\end{table}");
  return `${lines.join("\n")}\n`;
}
