import type { SuiteMode } from "./claim.ts";
import type { ReportedClaim } from "./reported.ts";

/**
 * REPRODUCTION.md: the verdict table first, then one section per claim — its source, the
 * published figure, ours, the verdict with the reason where they differ, its figure and every
 * experiment's parameters with the reason for each value. Pure: text from data.
 */

export interface ReproductionInput {
  readonly mode: SuiteMode;
  readonly startedAt: string;
  readonly wallSeconds: number;
  /** Experiments this invocation took from an earlier one with the same --out, of all. */
  readonly reused: { readonly count: number; readonly of: number };
  readonly claims: readonly ReportedClaim[];
  /** Figure files by claim id, relative to the suite's directory (SVG, and PDF when printed). */
  readonly figures: ReadonlyMap<string, { readonly svg: string; readonly pdf: string | null }>;
  /** One line when the figures are SVG only (no Chromium), else null. */
  readonly figureNote: string | null;
}

/** A table cell: pipes escaped, newlines folded. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

const SOURCES_DOC = "docs/SOURCES.md";

export function sourceLink(claim: ReportedClaim): string {
  return `${claim.source.text} (${SOURCES_DOC}#${claim.source.anchor})`;
}

function verdictTable(claims: readonly ReportedClaim[]): string[] {
  return [
    "| # | claim | source | published | verdict |",
    "| --- | --- | --- | --- | --- |",
    ...claims.map(
      (c) =>
        `| ${c.number} | ${cell(c.title)} | ${cell(c.source.text)} | ${cell(c.published)} | **${c.verdict}** |`,
    ),
  ];
}

function experimentSection(experiment: ReportedClaim["experiments"][number]): string[] {
  return [
    `#### \`${experiment.id}\`: ${experiment.title}`,
    "",
    `Run directory \`${experiment.dir}/\`; by hand: \`${experiment.command}\``,
    "",
    "| option | value | why |",
    "| --- | --- | --- |",
    ...experiment.parameters.map(
      (p) => `| \`--${p.flag}\` | \`${cell(p.value)}\` | ${cell(p.reason)} |`,
    ),
    "",
  ];
}

function claimSection(claim: ReportedClaim, input: ReproductionInput): string[] {
  const figure = input.figures.get(claim.id);
  const verdictLine =
    claim.reason === ""
      ? `**Verdict: ${claim.verdict}.**`
      : `**Verdict: ${claim.verdict}.** ${claim.verdict === "not run" ? "Why" : "Where we differ"}: ${claim.reason}`;
  return [
    `## ${claim.number}. ${claim.title}`,
    "",
    `- **Source:** ${sourceLink(claim)}`,
    `- **Published:** ${claim.published}`,
    `- **Ours:** ${claim.ours}`,
    "",
    verdictLine,
    "",
    ...(figure
      ? [
          `![${claim.title}](${figure.svg})`,
          "",
          `Figure: \`${figure.svg}\`${figure.pdf ? `, \`${figure.pdf}\`` : ""}`,
          "",
        ]
      : []),
    ...(claim.extra ? [claim.extra, ""] : []),
    ...(claim.experiments.length > 0 ? ["### Experiments", ""] : []),
    ...claim.experiments.flatMap(experimentSection),
  ];
}

function reusedText({ count, of }: ReproductionInput["reused"]): string {
  if (count === 0) return "";
  return ` (${count} of ${of} experiments reused from an earlier run in this directory, not counted)`;
}

export function reproductionMarkdown(input: ReproductionInput): string {
  const suite = input.mode === "quick" ? "the quick suite (`--quick`)" : "the full suite";
  const lines = [
    "# Reproducing VEE 2011 and the published XBZRLE numbers",
    "",
    `Made by \`npm run paper\`: ${suite}, started ${input.startedAt}, ${Math.round(input.wallSeconds)} s${reusedText(input.reused)}.`,
    "Each claim sets the published figure beside migbench's and gives a verdict:",
    "**reproduced** (the figure holds within the stated tolerance), **partly** (its direction",
    "holds but not its size, or only at other settings), **not reproduced** (with the reason), or",
    "**not run** (the experiment failed or was interrupted; run again with the same `--out` to resume).",
    "A migration that did not converge is never shown as a number. docs/PAPER.md explains the suite.",
    ...(input.mode === "quick"
      ? [
          "The quick suite sweeps fewer points with one seed: a claim that holds only between its",
          "points can read **not reproduced** here; the full suite's verdicts (`npm run paper`) are the ones to cite.",
        ]
      : []),
    "",
    ...verdictTable(input.claims),
    "",
    ...(input.figureNote ? [input.figureNote, ""] : []),
    ...input.claims.flatMap((c) => claimSection(c, input)),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}

/** The verdict table for the terminal: one line per claim. */
export function verdictLines(claims: readonly ReportedClaim[]): string[] {
  const width = Math.max(...claims.map((c) => c.title.length), 5);
  const shown = Math.min(width, 72);
  return claims.map((c) => {
    const title = c.title.length > shown ? `${c.title.slice(0, shown - 1)}…` : c.title;
    return `${c.number.padEnd(3)} ${title.padEnd(shown)}  ${c.verdict}`;
  });
}
