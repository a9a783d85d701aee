import {
  type FailedCell,
  rowHasTrouble,
  type SummaryTable,
  summaryCells,
  summaryHead,
  summaryNotes,
} from "./summary.ts";

/**
 * report.html: one self-contained, offline page (no script, no stylesheet or font to fetch):
 * what was run and on what (the manifest), the summary tables, every chart as inline SVG, the
 * reason for each chart that could not be made, and relative links to the run's files.
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
  readonly skipped?: string;
  readonly files: readonly ReportLink[];
}

export interface ReportInput {
  readonly runName: string;
  readonly manifest: Readonly<Record<string, unknown>> | null;
  readonly tables: readonly SummaryTable[];
  readonly failed: readonly FailedCell[];
  readonly charts: readonly ReportChart[];
  readonly dataFiles: readonly ReportLink[];
  readonly cellCount: number;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
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

function manifestValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return `<code>${escapeHtml(JSON.stringify(value))}</code>`;
  return escapeHtml(String(value));
}

function manifestSection(manifest: ReportInput["manifest"]): string {
  if (!manifest) return "<p>This run has no manifest.json.</p>";
  const rows = Object.entries(manifest).map(([key, value]) => {
    const shown =
      /command/i.test(key) && typeof value === "string"
        ? `<code class="command">${escapeHtml(value)}</code>`
        : manifestValue(value);
    return `<tr><th scope="row">${escapeHtml(key)}</th><td>${shown}</td></tr>`;
  });
  return `<table class="manifest"><tbody>${rows.join("")}</tbody></table>`;
}

function summarySection(tables: readonly SummaryTable[]): string {
  if (tables.length === 0) return "<p>results.csv has no cells.</p>";
  return tables
    .map((table) => {
      const head = summaryHead(table)
        .map((c) => `<th scope="col">${escapeHtml(c)}</th>`)
        .join("");
      const body = table.rows
        .map((row) => {
          const cls = rowHasTrouble(row) ? ' class="warn"' : "";
          const cells = summaryCells(row).map((v, i) =>
            i === 0 ? `<th scope="row">${escapeHtml(v)}</th>` : `<td>${escapeHtml(v)}</td>`,
          );
          return `<tr${cls}>${cells.join("")}</tr>`;
        })
        .join("");
      return `<h3>${escapeHtml(table.workload)}</h3><table class="summary"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
    })
    .concat(summaryNotes(tables).map((note) => `<p class="note">${escapeHtml(note)}</p>`))
    .join("");
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

function chartSection(chart: ReportChart): string {
  const id = `chart-${chart.name}`;
  if (chart.svg === undefined)
    return `<section class="chart-missing" id="${id}"><h3>${escapeHtml(chart.title)}</h3><p class="why">Not drawn: ${escapeHtml(chart.skipped ?? "no data")}.</p></section>`;
  return `<figure class="chart" id="${id}" data-chart="${escapeHtml(chart.name)}"><div class="svg">${chart.svg}</div><figcaption>${escapeHtml(chart.title)} — ${links(chart.files)}</figcaption></figure>`;
}

const STYLE = `
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:0;color:#222;background:#fafafa;font-size:14px;line-height:1.45}
main{max-width:1600px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
nav a{margin-right:12px}
table{border-collapse:collapse;background:white;margin:6px 0 12px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.summary td{text-align:right;white-space:nowrap}table.summary thead th{background:#f0f0f0}
tr.warn{background:#fff5e6}
table.manifest th{background:#f5f5f5;font-weight:normal;color:#555}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
figure.chart{margin:18px 0;background:white;border:1px solid #e3e3e3;padding:8px;overflow-x:auto}
figure.chart svg{max-width:100%;height:auto}
figcaption{font-size:12px;color:#555;margin-top:4px}
.chart-missing{border:1px dashed #c99;background:#fff;padding:4px 12px;margin:12px 0}
.why{color:#8a3b12}
`;

export function reportHtml(input: ReportInput): string {
  const drawn = input.charts.filter((c) => c.svg !== undefined).length;
  const missing = input.charts.length - drawn;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>migbench report — ${escapeHtml(input.runName)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>migbench report — ${escapeHtml(input.runName)}</h1>
<p>${input.cellCount} cells · ${drawn} charts${missing > 0 ? ` · ${missing} not drawn (reasons below)` : ""}${input.failed.length > 0 ? ` · <a href="#failed">${input.failed.length} failed cell(s)</a>` : ""}. Data: ${links(input.dataFiles)}.</p>
<nav>${input.charts.map((c) => `<a href="#chart-${c.name}">${escapeHtml(c.title.replace(/:.*/, ""))}</a>`).join("")}</nav>
<section id="manifest"><h2>What was run, on what</h2>${manifestSection(input.manifest)}</section>
<section id="summary"><h2>Summary</h2><p>One row per codec and setting; values are means over the seeds that ran (downtime: over the seeds that completed). Hit rate = cache hits / (hits + misses).</p>${summarySection(input.tables)}</section>
${failedSection(input.failed)}
<section id="charts"><h2>Charts</h2>
${input.charts.map(chartSection).join("\n")}
</section>
</main>
</body>
</html>
`;
}
