import type { NotDrawn } from "./charts/common.ts";
import {
  type CodecHeadline,
  downtimeText,
  rawComparisonText,
  type WorkloadHeadline,
} from "./headline.ts";
import { escapeHtml, manifestCommand, manifestHtml } from "./manifest-view.ts";
import {
  type FailedCell,
  rowHasTrouble,
  type SummaryTable,
  summaryCells,
  summaryHead,
  summaryNotes,
} from "./summary.ts";

/**
 * report.html: one self-contained, offline page (no script, no stylesheet or font to fetch).
 * In the order a reader asks: the result (reports/headline.ts), the charts, every setting's
 * numbers, the failed cells, and last, folded, what was run on what (manifest.json).
 */

export interface ReportLink {
  readonly label: string;
  readonly href: string;
}

export interface ReportChart {
  readonly name: string;
  readonly title: string;
  /** The rendered chart, ids already made unique (render.ts prefixSvgIds); absent if skipped. */
  readonly svg?: string;
  readonly skipped?: NotDrawn;
  readonly files: readonly ReportLink[];
}

export interface ReportInput {
  readonly runName: string;
  readonly manifest: Readonly<Record<string, unknown>> | null;
  readonly headlines: readonly WorkloadHeadline[];
  readonly tables: readonly SummaryTable[];
  readonly failed: readonly FailedCell[];
  readonly charts: readonly ReportChart[];
  readonly dataFiles: readonly ReportLink[];
  readonly cellCount: number;
}

/** Relative links only (a path inside the run directory), each part URL-encoded. */
function href(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function links(items: readonly ReportLink[]): string {
  return items
    .map((l) => `<a href="${escapeHtml(href(l.href))}">${escapeHtml(l.label)}</a>`)
    .join(" · ");
}

/** `text` with `code spans` in backquotes set as code. */
function withCode(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function headlineRow(codec: CodecHeadline): string {
  const converged = `${codec.converged} of ${codec.settings}${codec.partly > 0 ? ` (${codec.partly} in some seeds)` : ""}`;
  const vsRaw =
    codec.codec === "raw" ? "baseline" : codec.vsRaw ? rawComparisonText(codec.vsRaw) : "—";
  const downtime = codec.downtime ? downtimeText(codec.downtime) : "— (none completed)";
  const over =
    codec.downtime && codec.downtime.over > 0
      ? ` <strong>over the limit in ${codec.downtime.over} of ${codec.downtime.migrations}</strong>`
      : "";
  const cls = codec.converged < codec.settings || over ? ' class="warn"' : "";
  return `<tr${cls}><th scope="row">${escapeHtml(codec.codec)}</th><td>${escapeHtml(converged)}</td><td>${escapeHtml(vsRaw)}</td><td>${escapeHtml(downtime)}${over}</td></tr>`;
}

function headlineSection(headlines: readonly WorkloadHeadline[], failed: number): string {
  if (headlines.length === 0) return "<p>results.csv has no cells.</p>";
  const parts = headlines.map((h) => {
    const rows = h.codecs.map(headlineRow).join("");
    const head = headlines.length > 1 ? `<h3>${escapeHtml(h.workload)}</h3>` : "";
    return `${head}<p class="lead">${escapeHtml(h.lead)}</p><table class="headline"><thead><tr><th scope="col">codec</th><th scope="col">converged (settings)</th><th scope="col">sent, against raw at the same settings</th><th scope="col">downtime when converged</th></tr></thead><tbody>${rows}</tbody></table>`;
  });
  const failedNote =
    failed > 0
      ? `<p class="why"><a href="#failed">${failed} cell(s) failed</a> and are left out of everything above and below.</p>`
      : "";
  return `<section id="result"><h2>Result</h2>${parts.join("")}${failedNote}<p class="note">Converged: the VM was moved before --max-time. "≥": raw was stopped without converging, so it would have sent more than it had.</p></section>`;
}

function summarySection(tables: readonly SummaryTable[]): string {
  if (tables.length === 0) return "";
  const body = tables
    .map((table) => {
      const head = summaryHead(table)
        .map((c) => `<th scope="col">${escapeHtml(c)}</th>`)
        .join("");
      const rows = table.rows
        .map((row) => {
          const cls = rowHasTrouble(row) ? ' class="warn"' : "";
          const cells = summaryCells(row).map((v, i) =>
            i === 0 ? `<th scope="row">${escapeHtml(v)}</th>` : `<td>${escapeHtml(v)}</td>`,
          );
          return `<tr${cls}>${cells.join("")}</tr>`;
        })
        .join("");
      return `<h3>${escapeHtml(table.workload)}</h3><table class="summary"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
    })
    .concat(summaryNotes(tables).map((note) => `<p class="note">${escapeHtml(note)}</p>`))
    .join("");
  return `<section id="summary"><h2>Every setting</h2><p>One row per codec and setting; values are means over the seeds that ran (downtime: over the seeds that completed). Hit rate = cache hits / (hits + misses).</p>${body}</section>`;
}

function failedSection(failed: readonly FailedCell[]): string {
  if (failed.length === 0) return "";
  const rows = failed
    .map(
      (f) =>
        `<tr><td>${f.cell}</td><td>${escapeHtml(f.description)}</td><td><code>${escapeHtml(f.error)}</code></td></tr>`,
    )
    .join("");
  return `<section id="failed"><h2>Failed cells (${failed.length})</h2><p>These cells stopped with an error; they are left out of the charts.</p><table class="failed"><thead><tr><th>cell</th><th>settings</th><th>error</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function chartFigure(chart: ReportChart): string {
  const id = `chart-${chart.name}`;
  if (chart.svg === undefined)
    return `<section class="chart-missing" id="${id}"><h3>${escapeHtml(chart.title)}</h3><p class="why">Not drawn: ${withCode(chart.skipped?.reason ?? "no data")}.</p></section>`;
  return `<figure class="chart" id="${id}" data-chart="${escapeHtml(chart.name)}"><div class="svg">${chart.svg}</div><figcaption>${escapeHtml(chart.title)} — ${links(chart.files)}</figcaption></figure>`;
}

/** The charts this run was not made for, once, grouped by why (and where they come from). */
function notInRunNote(charts: readonly ReportChart[]): string {
  const byReason = new Map<string, string[]>();
  for (const c of charts)
    if (c.skipped?.kind === "not-in-run")
      byReason.set(c.skipped.reason, [...(byReason.get(c.skipped.reason) ?? []), c.title]);
  if (byReason.size === 0) return "";
  const items = [...byReason].map(
    ([reason, titles]) => `<li>${escapeHtml(titles.join(", "))}: ${withCode(reason)}.</li>`,
  );
  return `<div class="not-in-run"><p>Charts this run was not made for:</p><ul>${items.join("")}</ul></div>`;
}

function chartsSection(charts: readonly ReportChart[]): string {
  const shown = charts.filter((c) => c.skipped?.kind !== "not-in-run");
  const nav = shown
    .filter((c) => c.svg !== undefined)
    .map((c) => `<a href="#chart-${c.name}">${escapeHtml(c.title.replace(/:.*/, ""))}</a>`)
    .join("");
  return `<section id="charts"><h2>Charts</h2><nav>${nav}</nav>
${shown.map(chartFigure).join("\n")}
${notInRunNote(charts)}</section>`;
}

function manifestSection(manifest: ReportInput["manifest"]): string {
  const body = manifest ? manifestHtml(manifest) : "<p>This run has no manifest.json.</p>";
  return `<details id="manifest"><summary>What was run, on what (manifest.json)</summary>${body}</details>`;
}

/** The page style, shared with the paper suite's page (harness/paper/page.ts). */
export const REPORT_STYLE = `
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:0;color:#222;background:#fafafa;font-size:14px;line-height:1.45}
main{max-width:1600px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
nav a{margin-right:12px}
table{border-collapse:collapse;background:white;margin:6px 0 12px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.summary td{text-align:right;white-space:nowrap}table.summary thead th,table.headline thead th{background:#f0f0f0}
tr.warn{background:#fff5e6}
p.lead{font-size:16px;margin:6px 0}
.note{color:#555;font-size:13px}
table.manifest{margin:2px 0}table.manifest th{background:#f5f5f5;font-weight:normal;color:#555}
details#manifest{margin:28px 0}details#manifest summary{font-size:18px;font-weight:bold;cursor:pointer}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
figure.chart{margin:18px 0;background:white;border:1px solid #e3e3e3;padding:8px;overflow-x:auto}
figure.chart svg{max-width:100%;height:auto}
figcaption{font-size:12px;color:#555;margin-top:4px}
.chart-missing{border:1px dashed #c99;background:#fff;padding:4px 12px;margin:12px 0}
.why{color:#8a3b12}
.not-in-run{color:#555;font-size:13px;margin:18px 0}
`;

export function reportHtml(input: ReportInput): string {
  const command = manifestCommand(input.manifest);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>migbench report — ${escapeHtml(input.runName)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<main>
<h1>migbench report — ${escapeHtml(input.runName)}</h1>
<p>${input.cellCount} cells${command ? ` · <code class="command">${escapeHtml(command)}</code>` : ""} · data: ${links(input.dataFiles)}</p>
${headlineSection(input.headlines, input.failed.length)}
${chartsSection(input.charts)}
${summarySection(input.tables)}
${failedSection(input.failed)}
${manifestSection(input.manifest)}
</main>
</body>
</html>
`;
}
