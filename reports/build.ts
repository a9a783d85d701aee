import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import { MANIFEST_FILE, PASSES_FILE, RESULTS_FILE, TIMINGS_FILE } from "../results/schema.ts";
import { type ChartPlan, planCharts } from "./charts/registry.ts";
import { CODEC_BENCH_FILE, loadRun } from "./data.ts";
import { headlines } from "./headline.ts";
import { type ReportChart, type ReportLink, reportHtml } from "./html.ts";
import { createPngRenderer, type PngRenderer, prefixSvgIds, renderChart } from "./render.ts";
import { failedCells, summarize } from "./summary.ts";

/**
 * Build a run's report from its files alone: RUN/charts/NAME.{data.csv,vl.json,svg,png} for
 * every chart the data can make, and RUN/report.html. The bench runner calls this at the end
 * of every run; `npm run report -- RUN` calls it again later. A chart vega warns about fails
 * the build (render.ts ChartWarningError).
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
  /** Charts whose data the run lacks, with the reason (shown in their place in the report). */
  readonly skipped: { name: string; reason: string }[];
  /** Charts the run was not made for (no codec benchmark, one bandwidth): the report names them once. */
  readonly notInRun: { name: string; reason: string }[];
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

/**
 * The codec bench file the report reads: `given` copied into the run as codec-bench.json (so
 * the report links it and a later `npm run report -- RUN` rebuilds the same charts), checked
 * before it is copied; undefined when none was given.
 */
function copyCodecBench(runDir: string, given: string | undefined): string | undefined {
  if (given === undefined) return undefined;
  loadRun(runDir, given);
  const inRun = join(runDir, CODEC_BENCH_FILE);
  if (resolve(given) !== resolve(inRun)) writeFileAtomic(inRun, readFileSync(given));
  return inRun;
}

interface WrittenCharts extends Omit<BuildResult, "html"> {
  /** What report.html shows of each chart, in report order. */
  readonly report: ReportChart[];
}

/** One drawn chart's files; the PNG is rasterised on `png`'s worker (the promise in `pngs`). */
async function writeChart(
  plan: Extract<ChartPlan, { spec: unknown }>,
  chartsDir: string,
  png: PngRenderer | null,
  pngs: Promise<void>[],
  onChart: BuildOptions["onChart"],
): Promise<{ file: string; report: ReportChart }> {
  const base = join(chartsDir, plan.name);
  writeFileAtomic(`${base}.data.csv`, rowsCsv(plan.rows));
  writeFileAtomic(`${base}.vl.json`, `${JSON.stringify(plan.spec, null, 2)}\n`);
  const svg = await renderChart(plan.name, plan.spec);
  writeFileAtomic(`${base}.svg`, svg);
  if (png)
    // The worker rasterises this chart while the next one is laid out here.
    pngs.push(
      png.render(svg).then((image) => {
        writeFileAtomic(`${base}.png`, image);
        onChart?.(plan.name);
      }),
    );
  else rmSync(`${base}.png`, { force: true });
  const rel = (ext: string) => `${CHARTS_DIR}/${plan.name}${ext}`;
  return {
    file: png ? `${base}.png` : `${base}.svg`,
    report: {
      name: plan.name,
      title: plan.title,
      svg: prefixSvgIds(svg, plan.name),
      files: [
        { label: "PNG", href: rel(".png") },
        { label: "SVG", href: rel(".svg") },
        { label: "Vega-Lite spec", href: rel(".vl.json") },
        { label: "data", href: rel(".data.csv") },
      ],
    },
  };
}

/** Write every plan's files (or remove a stale chart's), rasterising PNGs on `png`'s worker. */
async function writeCharts(
  plans: readonly ChartPlan[],
  chartsDir: string,
  png: PngRenderer | null,
  onChart: BuildOptions["onChart"],
): Promise<WrittenCharts> {
  const result: WrittenCharts = { charts: [], skipped: [], notInRun: [], report: [] };
  const pngs: Promise<void>[] = [];
  try {
    for (const plan of plans) {
      if ("skipped" in plan) {
        const base = join(chartsDir, plan.name);
        for (const ext of CHART_EXTENSIONS) rmSync(base + ext, { force: true }); // no stale chart
        const entry = { name: plan.name, reason: plan.skipped.reason };
        (plan.skipped.kind === "missing" ? result.skipped : result.notInRun).push(entry);
        result.report.push({
          name: plan.name,
          title: plan.title,
          skipped: plan.skipped,
          files: [],
        });
        continue;
      }
      const drawn = await writeChart(plan, chartsDir, png, pngs, onChart);
      result.charts.push(drawn.file);
      result.report.push(drawn.report);
    }
  } finally {
    // A chart that failed stops the build; the PNGs already handed out still settle first.
    await Promise.allSettled(pngs);
  }
  await Promise.all(pngs);
  return result;
}

export async function buildReport(
  runDir: string,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const run = loadRun(runDir, copyCodecBench(runDir, options.codecBench));
  const chartsDir = join(runDir, CHARTS_DIR);
  mkdirSync(chartsDir, { recursive: true });
  const plans = planCharts(run, { cell: options.cell });
  const png = options.png === false ? null : createPngRenderer();
  let written: WrittenCharts;
  try {
    written = await writeCharts(plans, chartsDir, png, options.onChart);
  } finally {
    await png?.close();
  }
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
      headlines: headlines(run.cells),
      tables: summarize(run.cells),
      failed: failedCells(run.cells),
      charts: written.report,
      dataFiles,
      cellCount: run.cells.length,
    }),
  );
  const { charts, skipped, notInRun } = written;
  return { charts, html, skipped, notInRun };
}

/**
 * One chart outside a run report (the validation lab's, validate/chart.ts), written as report
 * charts are: NAME.data.csv, NAME.vl.json, NAME.svg and NAME.png in `dir`. A Vega warning is a
 * ChartWarningError, as in a report. Returns the files written.
 */
export async function writeStandaloneChart(
  dir: string,
  name: string,
  rows: readonly object[],
  spec: Record<string, unknown>,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, name);
  const svg = await renderChart(name, spec);
  writeFileAtomic(`${base}.data.csv`, rowsCsv(rows));
  writeFileAtomic(`${base}.vl.json`, `${JSON.stringify(spec, null, 2)}\n`);
  writeFileAtomic(`${base}.svg`, svg);
  const png = createPngRenderer();
  try {
    writeFileAtomic(`${base}.png`, await png.render(svg));
  } finally {
    await png.close();
  }
  return [".data.csv", ".vl.json", ".svg", ".png"].map((ext) => `${base}${ext}`);
}
