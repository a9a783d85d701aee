import { join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-file.ts";
import type { FigureData, SuiteMode } from "./claim.ts";
import {
  type CodecTableResult,
  codecLabel,
  codecTableLatex,
  codecTableMarkdown,
  runCodecTable,
  SCENARIO_TITLES,
} from "./codec-table.ts";
import type { ReportedClaim } from "./reported.ts";

/**
 * Claim 1 of the suite, the Aug 2011 codec table (harness/paper/codec-table.ts), as the report
 * shows it: codec-table.md and codec-table.tex (booktabs) in OUT, and the table with its checks
 * and inferences inside REPRODUCTION.md's section. It is measured, not simulated, so it has no
 * bench experiment.
 */

export const CODEC_TABLE_FILES = { markdown: "codec-table.md", latex: "codec-table.tex" } as const;

const BASE = {
  number: "1",
  id: "codec-table",
  title: "The Aug 2011 codec table: encoded size and speed on SPARSE and MEDIUM pages",
  source: { anchor: "patches", text: "qemu-devel codec comparison, Aug 2011" },
  published:
    "SPARSE size %: xbzrle 3.55, xbrle 3.08, lzo 2.82, snappy 6.14, zlib 2.36, xor+lzo 2.82, xor+snappy 6.14, xor+zlib 2.62; MEDIUM: zlib 5.68, xor+zlib 6.08; and the encode speeds' order",
  experiments: [],
} as const;

/** The table's Markdown without its title and verdict (the claim's section states both). */
export function nestedMarkdown(markdown: string): string {
  return (
    markdown
      .split("\n")
      // The section states the title and the verdict already.
      .filter((line, i) => !(i === 0 && line.startsWith("## ")) && !line.startsWith("**Verdict:"))
      .join("\n")
      .trim()
  );
}

/**
 * The claim's figure: every measured row that has a published size, the published size beside
 * ours on zero old pages (the setup the published sizes fit: the table's inferences). Pure.
 */
export function codecTableFigure(result: CodecTableResult): FigureData | null {
  const rows = result.rows.flatMap((row) => {
    if (row.publishedSizePct === null) return [];
    const codec = codecLabel(row);
    const scenario = SCENARIO_TITLES[row.scenario];
    return [
      { scenario, codec, source: "published", size_pct: row.publishedSizePct },
      { scenario, codec, source: "ours", size_pct: row.sizePctZeroOld },
    ];
  });
  if (rows.length === 0) return null;
  return {
    kind: "codec-sizes",
    caption:
      "Encoded size of one 4096-byte page, % of the input: the Aug 2011 post's figure (grey squares) beside migbench's codec on zero old pages with random changed areas, the setup the published sizes fit (blue dots). lz4 and zstd stand in for lzo and snappy.",
    xTitle: "encoded size (% of the page)",
    rows,
  };
}

export interface CodecTableOutcome {
  readonly reported: ReportedClaim;
  readonly figure: FigureData | null;
}

export async function codecTableClaim(out: string, mode: SuiteMode): Promise<CodecTableOutcome> {
  try {
    const result = await runCodecTable({ quick: mode === "quick" });
    const markdown = codecTableMarkdown(result);
    writeFileAtomic(join(out, CODEC_TABLE_FILES.markdown), markdown);
    writeFileAtomic(join(out, CODEC_TABLE_FILES.latex), codecTableLatex(result));
    const held = result.checks.filter((c) => c.verdict === "reproduced").length;
    const reported: ReportedClaim = {
      ...BASE,
      verdict: result.verdict,
      ours: `${held} of ${result.checks.length} checks reproduced (the table below; also \`${CODEC_TABLE_FILES.markdown}\`, \`${CODEC_TABLE_FILES.latex}\`)`,
      reason: result.reason,
      extra: nestedMarkdown(markdown),
    };
    return { reported, figure: codecTableFigure(result) };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const reported: ReportedClaim = {
      ...BASE,
      verdict: "not run",
      ours: "—",
      reason: error.message.split("\n")[0],
      extra: "",
    };
    return { reported, figure: null };
  }
}
