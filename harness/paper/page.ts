import { REPORT_STYLE } from "../../reports/html.ts";
import { escapeHtml } from "../../reports/manifest-view.ts";
import type { SuiteMode } from "./claim.ts";
import type { ReportedClaim } from "./reported.ts";

/**
 * paper.html: the suite's verdict table and, per claim, the published figure beside ours, the
 * verdict and its figure — one offline page in report.html's style (reports/html.ts), linking
 * REPRODUCTION.md for the parameters and each experiment's own run directory.
 */

export interface PageInput {
  readonly mode: SuiteMode;
  readonly startedAt: string;
  readonly claims: readonly ReportedClaim[];
  /** Inline SVG and file links by claim id. */
  readonly figures: ReadonlyMap<
    string,
    { readonly svgText: string; readonly files: readonly string[] }
  >;
  readonly figureNote: string | null;
}

const PAGE_STYLE = `${REPORT_STYLE}
td.verdict-reproduced{background:#e8f5e9}td.verdict-partly{background:#fff8e1}td.verdict-not-reproduced{background:#fdecea}td.verdict-not-run{background:#eee}
`;

function verdictCell(verdict: ReportedClaim["verdict"]): string {
  return `<td class="verdict-${verdict.replace(/ /g, "-")}"><strong>${escapeHtml(verdict)}</strong></td>`;
}

function claimSection(claim: ReportedClaim, input: PageInput): string {
  const figure = input.figures.get(claim.id);
  const reason = claim.reason
    ? `<p><strong>${claim.verdict === "not run" ? "Why" : "Where we differ"}:</strong> ${escapeHtml(claim.reason)}</p>`
    : "";
  const runs = claim.experiments
    .map((e) => `<a href="${escapeHtml(e.dir)}/">${escapeHtml(e.id)}</a>`)
    .join(" · ");
  const fig = figure
    ? `<figure class="chart" id="figure-${escapeHtml(claim.id)}"><div class="svg">${figure.svgText}</div><figcaption>${figure.files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(" · ")}</figcaption></figure>`
    : "";
  return `<section id="claim-${escapeHtml(claim.id)}"><h2>${escapeHtml(claim.number)}. ${escapeHtml(claim.title)}</h2>
<table><tbody><tr><th scope="row">source</th><td>${escapeHtml(claim.source.text)}</td></tr><tr><th scope="row">published</th><td>${escapeHtml(claim.published)}</td></tr><tr><th scope="row">ours</th><td>${escapeHtml(claim.ours)}</td></tr><tr><th scope="row">verdict</th>${verdictCell(claim.verdict)}</tr></tbody></table>
${reason}${fig}${runs ? `<p class="note">run directories: ${runs}</p>` : ""}</section>`;
}

export function paperHtml(input: PageInput): string {
  const rows = input.claims
    .map(
      (c) =>
        `<tr><td><a href="#claim-${escapeHtml(c.id)}">${escapeHtml(c.number)}</a></td><td>${escapeHtml(c.title)}</td><td>${escapeHtml(c.published)}</td>${verdictCell(c.verdict)}</tr>`,
    )
    .join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>migbench — reproducing VEE 2011</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>migbench — reproducing VEE 2011 and the published XBZRLE numbers</h1>
<p>The ${input.mode === "quick" ? "quick" : "full"} suite, started ${escapeHtml(input.startedAt)}. Parameters and the reason for each: <a href="REPRODUCTION.md">REPRODUCTION.md</a>.</p>
<table class="summary"><thead><tr><th scope="col">#</th><th scope="col">claim</th><th scope="col">published</th><th scope="col">verdict</th></tr></thead><tbody>${rows}</tbody></table>
${input.figureNote ? `<p class="note">${escapeHtml(input.figureNote)}</p>` : ""}
${input.claims.map((c) => claimSection(c, input)).join("\n")}
</main>
</body>
</html>
`;
}
