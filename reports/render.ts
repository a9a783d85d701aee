import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { ResvgRenderOptions } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { VegaLiteSpec } from "./charts/common.ts";
import { CHART_FONT, FONT_FILES, useDejaVuTextMetrics } from "./font-metrics.ts";

/**
 * Vega-Lite spec → SVG (vega's headless View, no DOM) → PNG (resvg, with the DejaVu files from
 * npm and no system fonts, so a chart renders the same on every machine).
 */

useDejaVuTextMetrics();

export interface RenderedChart {
  readonly svg: string;
  /** What vega-lite and vega warned about while compiling and rendering. */
  readonly warnings: readonly string[];
}

function collectingLogger(warnings: string[]) {
  const logger = {
    level(_?: number) {
      return logger;
    },
    error(...args: readonly unknown[]) {
      warnings.push(`error: ${args.join(" ")}`);
      return logger;
    },
    warn(...args: readonly unknown[]) {
      warnings.push(args.join(" "));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/**
 * A chart vega-lite or vega warned about while drawing is wrong, not merely noisy (a log
 * domain with 0 in it draws every point at NaN; a dropped channel draws marks on top of each
 * other), so it fails the report: one line naming the chart and the first warning.
 */
export class ChartWarningError extends Error {
  override readonly name = "ChartWarningError";
  constructor(
    readonly chart: string,
    readonly warnings: readonly string[],
  ) {
    const more = warnings.length > 1 ? ` (and ${warnings.length - 1} more)` : "";
    super(`chart ${chart}: vega warned while drawing it: ${warnings[0]}${more}`);
  }
}

/** Render chart `name` to SVG; any vega-lite or vega warning is a ChartWarningError. */
export async function renderChart(name: string, spec: VegaLiteSpec): Promise<string> {
  const { svg, warnings } = await renderSvg(spec);
  if (warnings.length > 0) throw new ChartWarningError(name, warnings);
  return svg;
}

/** Render a Vega-Lite spec to an SVG string, with what vega-lite and vega warned about. */
export async function renderSvg(spec: VegaLiteSpec): Promise<RenderedChart> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = compile(spec as unknown as TopLevelSpec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logger } as never);
  try {
    const svg = await view.toSVG();
    return { svg, warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Give every id of one SVG a prefix (and its url(#...) / href="#..." references), so several
 * vega SVGs can be inlined in one HTML page: vega restarts clip ids at "clip1" for each render.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id) => `href="#${prefix}-${id}"`);
}

function pngOptions(scale: number): ResvgRenderOptions {
  return {
    font: {
      fontFiles: [FONT_FILES.regular, FONT_FILES.bold],
      loadSystemFonts: false,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    shapeRendering: 2,
    textRendering: 1,
  };
}

/**
 * resvg renders on its own threads but encodes the PNG (the larger part of the work for a big
 * chart) on the calling thread, so a report build hands whole SVG → PNG jobs to one worker and
 * lays out the next chart meanwhile. Plain JS via `eval`, so the worker needs no TS loader.
 */
const PNG_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { Resvg } = require(workerData.resvg);
parentPort.on("message", ({ id, svg, options }) => {
  try {
    const png = new Resvg(svg, options).render().asPng();
    parentPort.postMessage({ id, png });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

export interface PngRenderer {
  render(svg: string, scale?: number): Promise<Buffer>;
  close(): Promise<void>;
}

export function createPngRenderer(): PngRenderer {
  const require = createRequire(import.meta.url);
  const worker = new Worker(PNG_WORKER, {
    eval: true,
    workerData: { resvg: require.resolve("@resvg/resvg-js") },
  });
  const pending = new Map<number, { resolve: (png: Buffer) => void; reject: (e: Error) => void }>();
  let next = 0;
  const failAll = (error: Error) => {
    for (const job of pending.values()) job.reject(error);
    pending.clear();
  };
  worker.on("message", (message: { id: number; png?: Uint8Array; error?: string }) => {
    const job = pending.get(message.id);
    if (!job) return;
    pending.delete(message.id);
    if (message.png)
      job.resolve(Buffer.from(message.png.buffer, message.png.byteOffset, message.png.byteLength));
    else job.reject(new Error(`resvg: ${message.error}`));
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the PNG worker exited (code ${code})`)));
  return {
    render(svg, scale = 2) {
      const id = next++;
      return new Promise<Buffer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, svg, options: pngOptions(scale) });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
