import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/atomic-file.ts";
import { findChromium } from "../../reports/chromium.ts";
import { fitToWidth, inPoints, svgSize } from "../../reports/paper.ts";
import { openPdfPrinter, type PdfPrinter } from "../../reports/pdf.ts";
import { ChartWarningError, renderChart } from "../../reports/render.ts";
import type { FigureData } from "./claim.ts";
import { figureSpec } from "./figure-specs.ts";

/**
 * The suite's figures, one per claim, at a paper column's width (3.3 in, 8 pt text,
 * reports/charts/layout.ts) as SVG and — through Chromium, as `npm run report -- --paper`
 * prints them (reports/pdf.ts) — PDF, with the Vega-Lite spec beside them.
 */

export const FIGURES_DIR = "figures";

export interface WrittenFigures {
  /** Paths relative to the suite's directory, by claim id. */
  readonly files: Map<string, { svg: string; pdf: string | null; svgText: string }>;
  /** Set when PDFs could not be printed or a figure not drawn: one line saying why. */
  readonly note: string | null;
}

/** The figure laid out for a paper column (reports/paper.ts fitToWidth). */
async function fitted(id: string, data: FigureData) {
  const drawn = await fitToWidth("column", async (layout) => {
    const spec = figureSpec(data, layout);
    return { spec, svg: await renderChart(id, spec) };
  });
  // draw never returns null here: every claim figure is drawn.
  if (drawn === null) throw new Error(`unreachable: figure ${id} was not drawn`);
  return drawn;
}

async function printerFor(env: NodeJS.ProcessEnv): Promise<PdfPrinter | string> {
  const chromium = findChromium(env);
  if (!chromium.found) return chromium.problem;
  try {
    return await openPdfPrinter(env);
  } catch (error) {
    // A Chromium that does not start costs the PDFs, not the verdicts.
    if (!(error instanceof Error)) throw error;
    return `${chromium.path} did not start: ${error.message.split("\n")[0]}`;
  }
}

export async function writeFigures(
  out: string,
  figures: ReadonlyMap<string, FigureData>,
  env: NodeJS.ProcessEnv,
): Promise<WrittenFigures> {
  const dir = join(out, FIGURES_DIR);
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, { svg: string; pdf: string | null; svgText: string }>();
  if (figures.size === 0) return { files, note: null };
  const printer = await printerFor(env);
  const problems: string[] = [];
  if (typeof printer === "string") problems.push(`figures are SVG only (no PDF): ${printer}`);
  try {
    for (const [id, data] of figures) {
      let drawn: Awaited<ReturnType<typeof fitted>>;
      try {
        drawn = await fitted(id, data);
      } catch (error) {
        // A chart bug must not cost the suite's verdicts: say so and go on without the figure.
        if (!(error instanceof ChartWarningError)) throw error;
        problems.push(error.message);
        continue;
      }
      const { spec, svg, tooWide } = drawn;
      const { width, height } = svgSize(svg);
      if (tooWide)
        problems.push(`figure ${id} is ${Math.round(width)} pt wide, more than a column`);
      const base = join(FIGURES_DIR, id);
      writeFileAtomic(join(out, `${base}.vl.json`), `${JSON.stringify(spec, null, 1)}\n`);
      writeFileAtomic(join(out, `${base}.caption.txt`), `${data.caption}\n`);
      const svgText = inPoints(svg, width, height);
      writeFileAtomic(join(out, `${base}.svg`), svgText);
      let pdf: string | null = null;
      if (typeof printer !== "string") {
        writeFileAtomic(join(out, `${base}.pdf`), await printer.print(svg, width, height));
        pdf = `${base}.pdf`;
      }
      files.set(id, { svg: `${base}.svg`, pdf, svgText });
    }
  } finally {
    if (typeof printer !== "string") await printer.close();
  }
  return { files, note: problems.length > 0 ? `${problems.join("; ")}.` : null };
}
