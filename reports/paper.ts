import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/atomic-file.ts";
import type { ChartInput } from "./charts/common.ts";
import { type Layout, PAPER_SIZES, type PaperSize, paperLayout } from "./charts/layout.ts";
import { CHARTS, type ChartPlan, chartInput } from "./charts/registry.ts";
import { loadRun } from "./data.ts";
import { openPdfPrinter, type PdfPrinter } from "./pdf.ts";
import { renderChart } from "./render.ts";

/**
 * `npm run report -- RUN --paper`: every chart the run can make as a print figure, in two
 * widths — a column (3.3 in) and the page (7 in) of a two-column paper — as SVG and PDF in
 * RUN/paper/, with its caption beside it (NAME.caption.txt). A figure is laid out in points
 * with 8 pt text (reports/charts/layout.ts) and no title, so it drops into a paper at 100 %.
 */

export const PAPER_DIR = "paper";

export interface PaperFigure {
  readonly name: string;
  readonly size: PaperSize;
  readonly svg: string;
  readonly pdf: string | null;
  readonly widthPt: number;
  readonly heightPt: number;
  /** The figure is wider than its size even at its narrowest layout. */
  readonly tooWide: boolean;
}

export interface PaperResult {
  readonly dir: string;
  readonly figures: readonly PaperFigure[];
}

const SIZE_OF_SVG = /^<svg [^>]*?width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/;

export function svgSize(svg: string): { width: number; height: number } {
  const match = SIZE_OF_SVG.exec(svg);
  if (!match) throw new Error("vega's SVG has no width and height");
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** The SVG's user units are points: say so, so that it prints at its size. */
export function inPoints(svg: string, width: number, height: number): string {
  return svg.replace(SIZE_OF_SVG, (head) =>
    head
      .replace(`width="${width}"`, `width="${width}pt"`)
      .replace(`height="${height}"`, `height="${height}pt"`),
  );
}

type DrawnPlan = Extract<ChartPlan, { spec: unknown }>;

/**
 * Draw a figure for `size`: panel widths follow the layout's width, but axis labels and
 * legends take what they need, so narrow the layout by the overshoot until it fits (five
 * tries); `tooWide` when it still does not. `draw` returns null for a figure not drawn.
 */
export async function fitToWidth<T extends { readonly svg: string }>(
  size: PaperSize,
  draw: (layout: Layout) => Promise<T | null>,
): Promise<(T & { readonly tooWide: boolean }) | null> {
  const target = Math.floor(PAPER_SIZES[size] * 72);
  let layout: Layout = paperLayout(size);
  for (let attempt = 0; ; attempt++) {
    const drawn = await draw(layout);
    if (drawn === null) return null;
    const { width } = svgSize(drawn.svg);
    if (width <= target || attempt === 4) return { ...drawn, tooWide: width > target };
    layout = { ...layout, width: layout.width - (width - target) - 1 };
  }
}

/** Chart `index` laid out for `size`, or null when the run cannot draw it. */
function fitted(index: number, input: ChartInput, size: PaperSize) {
  return fitToWidth(size, async (layout): Promise<{ plan: DrawnPlan; svg: string } | null> => {
    const plan = CHARTS[index].plan({ ...input, layout });
    if ("skipped" in plan) return null;
    return { plan, svg: await renderChart(plan.name, plan.spec) };
  });
}

export async function buildPaperFigures(
  runDir: string,
  options: { codecBench?: string; cell?: number; pdf?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<PaperResult> {
  const input = chartInput(loadRun(runDir, options.codecBench), { cell: options.cell });
  const dir = join(runDir, PAPER_DIR);
  mkdirSync(dir, { recursive: true });
  const printer: PdfPrinter | null =
    options.pdf === false ? null : await openPdfPrinter(options.env);
  const figures: PaperFigure[] = [];
  try {
    for (let index = 0; index < CHARTS.length; index++)
      for (const size of Object.keys(PAPER_SIZES) as PaperSize[]) {
        const figure = await fitted(index, input, size);
        if (!figure) continue;
        const { width, height } = svgSize(figure.svg);
        const base = join(dir, `${figure.plan.name}.${size}`);
        writeFileAtomic(`${base}.svg`, inPoints(figure.svg, width, height));
        writeFileAtomic(
          join(dir, `${figure.plan.name}.caption.txt`),
          `${String(figure.plan.spec.description ?? "")}\n`,
        );
        if (printer) writeFileAtomic(`${base}.pdf`, await printer.print(figure.svg, width, height));
        figures.push({
          name: figure.plan.name,
          size,
          svg: `${base}.svg`,
          pdf: printer ? `${base}.pdf` : null,
          widthPt: width,
          heightPt: height,
          tooWide: figure.tooWide,
        });
      }
  } finally {
    await printer?.close();
  }
  return { dir, figures };
}
