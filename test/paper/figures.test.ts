import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { FigureData } from "../../harness/paper/claim.ts";
import { writeFigures } from "../../harness/paper/figures.ts";

// A claim figure that cannot fit a paper column even at its narrowest is written, and said.

const out = mkdtempSync(join(tmpdir(), "mb-paper-fig-"));
after(() => rmSync(out, { recursive: true, force: true }));

const label = "a codec whose name alone is wider than a paper column at eight points ".repeat(2);

const wide: FigureData = {
  kind: "codec-sizes",
  caption: "test",
  xTitle: "encoded size (% of the page)",
  rows: [
    { scenario: "SPARSE", codec: label, source: "published", size_pct: 3.55 },
    { scenario: "SPARSE", codec: label, source: "ours", size_pct: 1.44 },
  ],
};

test("a figure too wide for a column is written and named in the note", async () => {
  const env = { ...process.env, CHROMIUM_PATH: join(out, "no-chromium"), PATH: "" };
  const written = await writeFigures(out, new Map([["wide", wide]]), env);
  assert.ok(existsSync(join(out, "figures", "wide.svg")));
  assert.match(written.note ?? "", /figure wide is \d+ pt wide, more than a column/);
});
