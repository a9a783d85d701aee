import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  PAPER_FONT_PT,
  PAPER_SIZES,
  type PaperSize,
  paperLayout,
} from "../../reports/charts/layout.ts";
import { planCharts } from "../../reports/charts/registry.ts";
import { loadRun } from "../../reports/data.ts";

/**
 * `npm run report -- RUN --paper`: figures that fit a column (3.3 in) and a page (7 in) at
 * 100 %, text of at least 8 pt, no title, one codec one colour in every figure, SVG and PDF.
 * Drawn from the fixture run: every chart (the codec benchmark's too), six panels, two seeds,
 * cells that did not converge and a failed one.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const FIXTURE = new URL("../fixtures/reports/sweep-run/", import.meta.url).pathname;

let root = "";
/** The runs drawn for paper, with each figure as read back from RUN/paper/. */
const built: { name: string; dir: string; figures: Figure[]; titles: string[] }[] = [];
let cli: ReturnType<typeof spawnSync> | null = null;

interface Figure {
  readonly name: string;
  readonly size: PaperSize;
  readonly svg: string;
  readonly widthPt: number;
  readonly heightPt: number;
}

function figuresOf(dir: string): Figure[] {
  const paper = join(dir, "paper");
  return readdirSync(paper)
    .filter((f) => f.endsWith(".svg"))
    .map((file) => {
      const [, name, size] = /^(.+)\.(column|wide)\.svg$/.exec(file) ?? [];
      const svg = readFileSync(join(paper, file), "utf8");
      const [, w, h] = /^<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt"/.exec(svg) ?? [];
      assert.ok(name && w && h, `${file}: not a figure sized in points`);
      return { name, size: size as PaperSize, svg, widthPt: Number(w), heightPt: Number(h) };
    });
}

before(() => {
  root = mkdtempSync(join(tmpdir(), "migbench-paper-"));
  const fixture = join(root, "fixture");
  cpSync(FIXTURE, fixture, { recursive: true });
  // Through the command, as a user makes them.
  cli = spawnSync(
    process.execPath,
    ["--require", "./scripts/register-tsx.cjs", "reports/cli.ts", fixture, "--paper"],
    { cwd: ROOT, encoding: "utf8" },
  );
  const titles = planCharts(loadRun(fixture)).map((p) => p.title);
  const figures = existsSync(join(fixture, "paper")) ? figuresOf(fixture) : [];
  built.push({ name: "fixture", dir: fixture, figures, titles });
});

after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

test("npm run report -- RUN --paper writes the figures and says where, nothing else", () => {
  assert.ok(cli);
  assert.equal(cli.status, 0, String(cli.stderr));
  assert.equal(cli.stderr, "", "a figure wider than its size is reported on stderr");
  assert.match(String(cli.stdout), /paper \(\d+ figures, SVG and PDF, in [\d.]+ s\)\n$/);
});

test("every chart, in both sizes, fits its width at 8 pt or more, with no title", () => {
  for (const { name, dir, figures, titles } of built) {
    const charts = new Set(figures.map((f) => f.name));
    assert.equal(charts.size, 9, `${name}: ${charts.size} charts`);
    assert.equal(figures.length, charts.size * 2, `${name}: both sizes of each`);
    for (const figure of figures) {
      const at = `${name}/${figure.name}.${figure.size}`;
      const limit = Math.floor(PAPER_SIZES[figure.size] * 72);
      assert.ok(figure.widthPt <= limit, `${at}: ${figure.widthPt} pt wide`);
      const sizes = [...figure.svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1]));
      assert.ok(sizes.length > 0, `${at}: no text`);
      assert.ok(Math.min(...sizes) >= PAPER_FONT_PT, `${at}: ${Math.min(...sizes)} pt text`);
      for (const title of titles)
        assert.ok(!figure.svg.includes(`>${title}<`), `${at}: the title "${title}" is baked in`);
      assert.ok(!figure.svg.includes("NaN"), `${at}: NaN`);
      const caption = readFileSync(join(dir, "paper", `${figure.name}.caption.txt`), "utf8");
      assert.ok(caption.trim().length > 20, `${at}: no caption`);
    }
  }
});

test("the PDFs are one page of the figure's size, with the font embedded", () => {
  const { dir, figures } = built[0];
  for (const figure of figures) {
    const file = join(dir, "paper", `${figure.name}.${figure.size}.pdf`);
    assert.ok(existsSync(file), `${figure.name}.${figure.size}: no PDF`);
    const pdf = readFileSync(join(dir, "paper", `${figure.name}.${figure.size}.pdf`)).toString(
      "latin1",
    );
    assert.ok(pdf.startsWith("%PDF-"));
    const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(pdf);
    assert.ok(box, "no MediaBox");
    assert.ok(Math.abs(Number(box[1]) - figure.widthPt) < 1, `width ${box[1]} ≠ ${figure.widthPt}`);
    assert.ok(
      Math.abs(Number(box[2]) - figure.heightPt) < 1,
      `height ${box[2]} ≠ ${figure.heightPt}`,
    );
    assert.equal(pdf.match(/\/Type \/Page\b/g)?.length, 1, "one page");
    assert.match(pdf, /\/FontFile2/, "the font is embedded");
    assert.match(pdf, /DejaVuSans/);
  }
});

/** Every codec → colour pair a spec's codec colour scales give. */
function codecColours(spec: unknown, into: Map<string, Set<string>>): void {
  if (Array.isArray(spec)) for (const item of spec) codecColours(item, into);
  else if (spec !== null && typeof spec === "object") {
    const node = spec as Record<string, unknown>;
    const scale = node.scale as { domain?: unknown; range?: unknown } | undefined;
    if (node.field === "codec" && Array.isArray(scale?.domain) && Array.isArray(scale?.range))
      scale.domain.forEach((codec, i) => {
        const colour = String((scale.range as unknown[])[i]);
        if (colour.startsWith("#")) into.set(codec, (into.get(codec) ?? new Set()).add(colour));
      });
    for (const value of Object.values(node)) codecColours(value, into);
  }
}

test("one codec, one colour: across charts, sizes and the screen report", () => {
  const colours = new Map<string, Set<string>>();
  for (const { dir } of built) {
    const run = loadRun(dir);
    for (const layout of [undefined, paperLayout("column"), paperLayout("wide")])
      for (const plan of planCharts(run, { layout }))
        if ("spec" in plan) codecColours(plan.spec, colours);
  }
  assert.ok(colours.size >= 4, [...colours.keys()].join(", "));
  for (const [codec, set] of colours) assert.equal(set.size, 1, `${codec}: ${[...set].join(", ")}`);
});
