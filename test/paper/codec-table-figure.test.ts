import assert from "node:assert/strict";
import { test } from "node:test";
import type { CodecTableResult, CodecTableRow } from "../../harness/paper/codec-table.ts";
import { codecTableFigure } from "../../harness/paper/codec-table-claim.ts";
import { figureSpec } from "../../harness/paper/figure-specs.ts";
import { PAPER_SIZES, paperLayout } from "../../reports/charts/layout.ts";
import { svgSize } from "../../reports/paper.ts";
import { renderSvg } from "../../reports/render.ts";

// Claim 1's figure: published sizes beside ours, only for codecs the 2011 post measured.

function row(values: Partial<CodecTableRow>): CodecTableRow {
  return {
    scenario: "sparse",
    codec: "xbzrle",
    standsFor: "xbzrle",
    sizePct: 1.44,
    sizePctZeroOld: 1.44,
    encodeMBps: 30_000,
    decodeMBps: 20_000,
    encodeMBpsZeroOld: 30_000,
    decodeMBpsZeroOld: 20_000,
    publishedSizePct: 3.55,
    publishedEncodeMBps: 2286,
    ...values,
  };
}

const result: CodecTableResult = {
  rows: [
    row({}),
    row({
      codec: "lz4",
      standsFor: "lzo",
      sizePct: 100,
      sizePctZeroOld: 2.12,
      publishedSizePct: 2.82,
    }),
    // No published counterpart: not drawn.
    row({
      codec: "xbrle-2010",
      standsFor: null,
      publishedSizePct: null,
      publishedEncodeMBps: null,
    }),
    row({
      scenario: "medium",
      codec: "deflate",
      standsFor: "zlib",
      sizePctZeroOld: 6.37,
      publishedSizePct: 5.68,
    }),
  ],
  inferences: [],
  verdict: "partly",
  reason: "",
  checks: [],
  pages: 16,
};

test("the figure holds each published size beside ours on zero old pages, and nothing unpublished", () => {
  const figure = codecTableFigure(result);
  assert.ok(figure);
  assert.equal(figure.kind, "codec-sizes");
  const view = figure.rows.map((r) => [r.scenario, r.codec, r.source, r.size_pct]);
  assert.deepEqual(view, [
    ["SPARSE (12 bytes changed every 1111)", "xbzrle", "published", 3.55],
    ["SPARSE (12 bytes changed every 1111)", "xbzrle", "ours", 1.44],
    ["SPARSE (12 bytes changed every 1111)", "lz4 (for lzo)", "published", 2.82],
    // Zero old pages, not the random-old 100 %: the setup the published sizes fit.
    ["SPARSE (12 bytes changed every 1111)", "lz4 (for lzo)", "ours", 2.12],
    ["MEDIUM (33 bytes changed every 701)", "deflate (for zlib)", "published", 5.68],
    ["MEDIUM (33 bytes changed every 701)", "deflate (for zlib)", "ours", 6.37],
  ]);
  assert.equal(codecTableFigure({ ...result, rows: [result.rows[2]] }), null);
});

test("it draws at a paper column's width without a vega warning", async () => {
  const figure = codecTableFigure(result);
  assert.ok(figure);
  const { svg, warnings } = await renderSvg(figureSpec(figure, paperLayout("column")));
  assert.deepEqual(warnings, []);
  assert.ok(svgSize(svg).width <= Math.floor(PAPER_SIZES.column * 72), `${svgSize(svg).width} pt`);
  assert.match(svg, /lz4 \(for lzo\)/);
  assert.doesNotMatch(svg, /NaN/);
});
