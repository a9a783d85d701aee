import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { MANIFEST_FILE, PASSES_FILE, RESULTS_FILE, TIMINGS_FILE } from "../results/schema.ts";
import { planCharts } from "./charts.ts";
import { CODEC_BENCH_FILE, loadRun } from "./data.ts";
import { type ReportChart, type ReportLink, reportHtml } from "./html.ts";
import { createPngRenderer, prefixSvgIds, renderSvg } from "./render.ts";
import { failedCells, summaryTables } from "./summary.ts";

/**
 * Build a run's report from its files alone: RUN/charts/NAME.{data.csv,vl.json,svg,png} for
 * every chart the data can make, and RUN/report.html. The bench runner calls this at the end
 * of every run; `npm run report -- RUN` calls it again later.
 */

export const CHARTS_DIR = "charts";
export const REPORT_FILE = "report.html";
const CHART_EXTENSIONS = [".data.csv", ".vl.json", ".svg", ".png"];

export interface BuildOptions {
  /** A `bench:codecs --json` file; copied into the run as codec-bench.json. */
  readonly codecBench?: string;
  /** The cell whose passes the timeline shows (default: the one closest to QEMU's defaults). */
  readonly cell?: number;
  /** Also rasterise each chart to PNG (default true; the browser test only needs the HTML). */
  readonly png?: boolean;
  /** Called with each chart's name as it is written (progress). */
  readonly onChart?: (name: string) => void;
}

export interface BuildResult {
  /** The PNG (with png: false, the SVG) of every chart drawn, in report order; the other files sit beside it. */
  readonly charts: string[];
  /** The report.html path. */
  readonly html: string;
  /** Charts that could not be made, with the reason (also printed in the report). */
  readonly skipped: { name: string; reason: string }[];
  /** Vega-Lite / vega warnings, per chart (empty when all is well). */
  readonly warnings: { name: string; warning: string }[];
}

function rowsCsv(rows: readonly object[]): string {
  if (rows.length === 0) return "";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return stringify(rows as Record<string, unknown>[], {
    header: true,
    columns,
    cast: { boolean: String },
  });
}

export async function buildReport(
  runDir: string,
  options: BuildOptions = {},
): Promise<BuildResult> {
  let codecBench = options.codecBench;
  if (codecBench !== undefined) {
    loadRun(runDir, codecBench); // check the file before it is copied into the run
    const inRun = join(runDir, CODEC_BENCH_FILE);
    if (resolve(codecBench) !== resolve(inRun)) {
      // Copied so the report links it and a later `npm run report -- RUN` rebuilds the same charts.
      writeFileAtomic(inRun, readFileSync(codecBench));
    }
    codecBench = inRun;
  }
  const run = loadRun(runDir, codecBench);
  const chartsDir = join(runDir, CHARTS_DIR);
  mkdirSync(chartsDir, { recursive: true });

  const plans = planCharts(run, { cell: options.cell });
  const pngRenderer = options.png === false ? null : createPngRenderer();
  try {
    return await writeCharts();
  } finally {
    await pngRenderer?.close();
  }

  async function writeCharts(): Promise<BuildResult> {
    const charts: ReportChart[] = [];
    const pngs: Promise<void>[] = [];
    const written: string[] = [];
    const skipped: BuildResult["skipped"] = [];
    const warnings: BuildResult["warnings"] = [];
    for (const plan of plans) {
      const base = join(chartsDir, plan.name);
      if ("skipped" in plan) {
        for (const ext of CHART_EXTENSIONS) rmSync(base + ext, { force: true }); // no stale chart
        skipped.push({ name: plan.name, reason: plan.skipped });
        charts.push({ name: plan.name, title: plan.title, skipped: plan.skipped, files: [] });
        continue;
      }
      writeFileAtomic(`${base}.data.csv`, rowsCsv(plan.rows));
      writeFileAtomic(`${base}.vl.json`, `${JSON.stringify(plan.spec, null, 2)}\n`);
      const rendered = await renderSvg(plan.spec);
      for (const warning of rendered.warnings) warnings.push({ name: plan.name, warning });
      writeFileAtomic(`${base}.svg`, rendered.svg);
      if (pngRenderer) {
        // The worker rasterises this chart while the next one is laid out here.
        pngs.push(
          pngRenderer.render(rendered.svg).then((png) => {
            writeFileAtomic(`${base}.png`, png);
            options.onChart?.(plan.name);
          }),
        );
        written.push(`${base}.png`);
      } else {
        rmSync(`${base}.png`, { force: true });
        written.push(`${base}.svg`);
      }
      const rel = (ext: string) => `${CHARTS_DIR}/${plan.name}${ext}`;
      charts.push({
        name: plan.name,
        title: plan.title,
        svg: prefixSvgIds(rendered.svg, plan.name),
        files: [
          { label: "PNG", href: rel(".png") },
          { label: "SVG", href: rel(".svg") },
          { label: "Vega-Lite spec", href: rel(".vl.json") },
          { label: "data", href: rel(".data.csv") },
        ],
      });
    }
    await Promise.all(pngs);

    const dataFiles: ReportLink[] = [
      RESULTS_FILE,
      PASSES_FILE,
      MANIFEST_FILE,
      TIMINGS_FILE,
      CODEC_BENCH_FILE,
    ]
      .filter((file) => existsSync(join(runDir, file)))
      .map((file) => ({ label: file, href: file }));
    const html = join(runDir, REPORT_FILE);
    writeFileAtomic(
      html,
      reportHtml({
        runName: basename(resolve(runDir)),
        manifest: run.manifest,
        tables: summaryTables(run.cells),
        failed: failedCells(run.cells),
        charts,
        dataFiles,
        cellCount: run.cells.length,
      }),
    );
    return { charts: written, html, skipped, warnings };
  }
}
