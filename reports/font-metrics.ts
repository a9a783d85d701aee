import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as vega from "vega";

/**
 * Text widths from the DejaVu Sans font files themselves, so vega lays out axes, legends and
 * titles for the font resvg will draw with. Without a canvas package vega only estimates
 * (0.8 em per character, vega-scenegraph's estimateWidth), which leaves gaps and truncates
 * labels; vl-convert replaces `textMetrics.width` the same way.
 *
 * Only what widths need is read from the TrueType tables: `head` (unitsPerEm), `hhea`
 * (numberOfHMetrics), `hmtx` (advance widths) and a format-4 `cmap` subtable (BMP code points).
 * Kerning is ignored (a fraction of a pixel per label).
 */

export const CHART_FONT = "DejaVu Sans";

const require = createRequire(import.meta.url);

/** The font files shipped by the `dejavu-fonts-ttf` npm package (no system font is used). */
export const FONT_FILES = {
  regular: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"),
  bold: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf"),
} as const;

interface FontWidths {
  readonly unitsPerEm: number;
  /** Advance width, font units, per BMP code point (0 = not in the font). */
  readonly advance: Uint16Array;
  readonly fallback: number;
}

function tableOffsets(view: DataView): Map<string, number> {
  const tables = new Map<string, number>();
  const count = view.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + i * 16;
    const tag = String.fromCharCode(
      view.getUint8(record),
      view.getUint8(record + 1),
      view.getUint8(record + 2),
      view.getUint8(record + 3),
    );
    tables.set(tag, view.getUint32(record + 8));
  }
  return tables;
}

/** Parse the advance width of every BMP character of a TrueType file. */
export function readFontWidths(file: string): FontWidths {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = tableOffsets(view);
  const head = tables.get("head");
  const hhea = tables.get("hhea");
  const hmtx = tables.get("hmtx");
  const cmap = tables.get("cmap");
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined)
    throw new Error(`${file}: not a TrueType font with head/hhea/hmtx/cmap tables`);
  const unitsPerEm = view.getUint16(head + 18);
  const metricCount = view.getUint16(hhea + 34);
  const glyphAdvance = (glyph: number) =>
    view.getUint16(hmtx + 4 * Math.min(glyph, metricCount - 1));

  // Find the Unicode BMP subtable (platform 3 encoding 1, or platform 0), format 4.
  let subtable = -1;
  const subtableCount = view.getUint16(cmap + 2);
  for (let i = 0; i < subtableCount; i++) {
    const platform = view.getUint16(cmap + 4 + i * 8);
    const encoding = view.getUint16(cmap + 6 + i * 8);
    const offset = cmap + view.getUint32(cmap + 8 + i * 8);
    if (view.getUint16(offset) !== 4) continue;
    if ((platform === 3 && encoding === 1) || platform === 0) subtable = offset;
  }
  if (subtable < 0) throw new Error(`${file}: no format-4 Unicode cmap subtable`);

  const advance = new Uint16Array(0x10000);
  const segCount = view.getUint16(subtable + 6) / 2;
  const ends = subtable + 14;
  const starts = ends + segCount * 2 + 2;
  const deltas = starts + segCount * 2;
  const rangeOffsets = deltas + segCount * 2;
  for (let s = 0; s < segCount; s++) {
    const end = view.getUint16(ends + s * 2);
    const start = view.getUint16(starts + s * 2);
    const delta = view.getUint16(deltas + s * 2);
    const rangeOffset = view.getUint16(rangeOffsets + s * 2);
    for (let code = start; code <= end && code !== 0xffff; code++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (code + delta) & 0xffff;
      else {
        const at = rangeOffsets + s * 2 + rangeOffset + (code - start) * 2;
        glyph = view.getUint16(at);
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      if (glyph !== 0) advance[code] = glyphAdvance(glyph);
    }
  }
  return { unitsPerEm, advance, fallback: glyphAdvance(0) };
}

let regular: FontWidths | undefined;
let bold: FontWidths | undefined;

/** Width in pixels of `text` set in DejaVu Sans at `fontSize` px. */
export function textWidth(text: string, fontSize: number, isBold = false): number {
  regular ??= readFontWidths(FONT_FILES.regular);
  bold ??= readFontWidths(FONT_FILES.bold);
  const font = isBold ? bold : regular;
  let units = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    units += font.advance[code] || font.fallback;
  }
  return (units * fontSize) / font.unitsPerEm;
}

function isBoldWeight(weight: unknown): boolean {
  return weight === "bold" || weight === "bolder" || (typeof weight === "number" && weight >= 600);
}

/**
 * Make vega measure text with DejaVu Sans metrics. `textMetrics` is vega-scenegraph's shared
 * object; vega calls `width(item, text)` for bounds and for label truncation (it must not
 * truncate itself, or truncation would recurse).
 */
export function useDejaVuTextMetrics(): void {
  // vega re-exports vega-scenegraph's textMetrics at runtime; its typings do not list it.
  const metrics = (vega as unknown as { textMetrics: unknown }).textMetrics as {
    width: (item: { fontSize?: number; fontWeight?: unknown }, text: unknown) => number;
  };
  metrics.width = (item, text) => {
    const value = text == null ? "" : String(text).trim();
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    return value ? textWidth(value, size, isBoldWeight(item.fontWeight)) : 0;
  };
}
