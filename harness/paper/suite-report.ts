import { join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-file.ts";
import type { FigureData, SuiteMode } from "./claim.ts";
import { writeFigures } from "./figures.ts";
import { paperHtml } from "./page.ts";
import { type ReportedClaim, reportedClaim } from "./reported.ts";
import { reproductionMarkdown, verdictLines } from "./reproduction.ts";
import type { ClaimResult } from "./suite.ts";

/**
 * The suite's output in OUT: the figures (harness/paper/figures.ts), REPRODUCTION.md
 * (harness/paper/reproduction.ts) and paper.html (harness/paper/page.ts), from the claims'
 * results and the claims reported without a bench sweep (the codec table).
 */

export const REPRODUCTION_FILE = "REPRODUCTION.md";
export const PAGE_FILE = "paper.html";

export interface SuiteReportInput {
  readonly mode: SuiteMode;
  readonly results: readonly ClaimResult[];
  /** Claims reported first, made without a bench sweep (claim 1: the codec table), with their figures. */
  readonly before?: readonly {
    readonly reported: ReportedClaim;
    readonly figure: FigureData | null;
  }[];
  readonly startedAt: string;
  readonly wallStart: number;
  readonly env: NodeJS.ProcessEnv;
  readonly warn: (line: string) => void;
}

export interface SuiteReport {
  readonly markdownPath: string;
  readonly verdictLines: readonly string[];
}

export async function writeSuiteReport(out: string, input: SuiteReportInput): Promise<SuiteReport> {
  const before = input.before ?? [];
  const claims = [
    ...before.map((b) => b.reported),
    ...input.results.map((r) => reportedClaim(r, input.mode)),
  ];
  const outcomes = input.results.flatMap((r) => r.outcomes);
  const figureData = new Map<string, FigureData>();
  for (const b of before) if (b.figure !== null) figureData.set(b.reported.id, b.figure);
  for (const r of input.results)
    if (r.status === "judged" && r.figure !== null) figureData.set(r.claim.id, r.figure);
  const written = await writeFigures(out, figureData, input.env);
  if (written.note) input.warn(written.note);
  const markdownPath = join(out, REPRODUCTION_FILE);
  writeFileAtomic(
    markdownPath,
    reproductionMarkdown({
      mode: input.mode,
      startedAt: input.startedAt,
      wallSeconds: (performance.now() - input.wallStart) / 1000,
      reused: {
        count: outcomes.filter((o) => o.state === "reused").length,
        of: outcomes.length,
      },
      claims,
      figures: written.files,
      figureNote: written.note,
    }),
  );
  const inline = new Map(
    [...written.files].map(([id, f]) => [
      id,
      {
        svgText: f.svgText,
        files: f.pdf ? [f.svg, f.pdf] : [f.svg],
      },
    ]),
  );
  writeFileAtomic(
    join(out, PAGE_FILE),
    paperHtml({
      mode: input.mode,
      startedAt: input.startedAt,
      claims,
      figures: inline,
      figureNote: written.note,
    }),
  );
  return { markdownPath, verdictLines: verdictLines(claims) };
}
