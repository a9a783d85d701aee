import { readFileSync } from "node:fs";
import { InputError } from "../lib/errors.ts";
import { findChromium, HEADLESS_ARGS } from "./chromium.ts";
import { CHART_FONT, FONT_FILES } from "./font-metrics.ts";

/**
 * SVG → PDF through headless Chromium (playwright-core's page.pdf), the browser the report's
 * browser test already needs: one page per figure, the page the figure's own size, the DejaVu
 * files from npm embedded (no system font, no network), so text stays text in the PDF.
 */

export interface PdfPrinter {
  /** A PDF of `svg`, whose root is `widthPt` × `heightPt` points. */
  print(svg: string, widthPt: number, heightPt: number): Promise<Buffer>;
  close(): Promise<void>;
}

function fontFace(file: string, weight: string): string {
  const data = readFileSync(file).toString("base64");
  return `@font-face{font-family:"${CHART_FONT}";font-weight:${weight};src:url(data:font/ttf;base64,${data}) format("truetype")}`;
}

export async function openPdfPrinter(env: NodeJS.ProcessEnv = process.env): Promise<PdfPrinter> {
  const chromium = findChromium(env);
  if (!chromium.found) throw new InputError("PDF figures", chromium.problem);
  // Loaded only here: drawing screen charts needs no browser.
  const { chromium: launcher } = await import("playwright-core");
  const browser = await launcher.launch({ executablePath: chromium.path, args: HEADLESS_ARGS });
  const fonts = fontFace(FONT_FILES.regular, "normal") + fontFace(FONT_FILES.bold, "bold");
  const page = await browser.newPage();
  // Offline by construction: a figure that asked for anything over the network fails here.
  await page.route(/^(?!data:|about:)/, (route) => route.abort());
  // The fonts are decoded once; each figure then replaces the page's size and body.
  await page.setContent(
    `<!DOCTYPE html><html><head><meta charset="utf-8"><style>${fonts}html,body{margin:0;padding:0}svg{display:block}</style><style id="page"></style></head><body></body></html>`,
    { waitUntil: "load" },
  );
  return {
    async print(svg, widthPt, heightPt) {
      const css = `@page{size:${widthPt}pt ${heightPt}pt;margin:0}svg{width:${widthPt}pt;height:${heightPt}pt}`;
      await page.evaluate(
        `document.getElementById("page").textContent = ${JSON.stringify(css)};
         document.body.innerHTML = ${JSON.stringify(svg)};
         document.fonts.ready.then(() => true)`,
      );
      return page.pdf({ preferCSSPageSize: true, printBackground: true, pageRanges: "1" });
    },
    async close() {
      await browser.close();
    },
  };
}
