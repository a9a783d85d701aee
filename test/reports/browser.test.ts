import assert from "node:assert/strict";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { buildReport } from "../../reports/build.ts";
import { findChromium, HEADLESS_ARGS } from "../../reports/chromium.ts";
import { makeRealRun, REAL_RUNS } from "./real-runs.ts";

/**
 * Opens report.html of real runs in headless Chromium, as a reader would: the runs charts used
 * to break on (a 0 ms downtime, a 95 % interval below 0, a trace, many bandwidths, nothing
 * converged; test/reports/real-runs.ts) and the fixture run (codec benchmark, a failed cell).
 * Building a report fails on any vega warning; here no console error, nothing but file://
 * requested, and per chart: marks drawn, axes with ticks and labels, tick labels that do not
 * overlap, no label cut off, no NaN in any attribute, a figure of sane height.
 */

const FIXTURE = new URL("../fixtures/reports/sweep-run/", import.meta.url).pathname;
/** A copy of the fixture's screenshot to look at, outside git (tmp/ is ignored). */
const OUT = new URL("../../tmp/reports/", import.meta.url).pathname;

let root = "";
const runs: { name: string; html: string }[] = [];
let browser: Browser | null = null;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "migbench-report-browser-"));
  const fixture = join(root, "fixture");
  cpSync(FIXTURE, fixture, { recursive: true });
  const dirs = [{ name: "fixture", dir: fixture }];
  for (const run of REAL_RUNS) dirs.push({ name: run.name, dir: await makeRealRun(root, run) });
  for (const { name, dir } of dirs)
    runs.push({ name, html: (await buildReport(dir, { png: false })).html }); // SVGs suffice
  const found = findChromium();
  if (found.found)
    browser = await chromium.launch({ executablePath: found.path, args: HEADLESS_ARGS });
});

after(async () => {
  await browser?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

interface ChartCheck {
  name: string | null;
  marks: number;
  drawn: number;
  axes: { ticks: number; labels: number }[];
  overlaps: string[];
  cut: string[];
  nan: string[];
  height: number;
}

/** Runs in the page: what each chart figure drew (DOM types are not in this project's lib). */
const INSPECT = `[...document.querySelectorAll("figure.chart")].map((figure) => {
  const boxOf = (el) => el.getBoundingClientRect();
  const marks = [...figure.querySelectorAll("svg g.role-mark")];
  const drawn = marks
    .flatMap((g) => [...g.querySelectorAll("path, rect, line, text")])
    .filter((el) => { const b = el.getBBox(); return b.width > 0 || b.height > 0; });
  const axes = [...figure.querySelectorAll("svg g.role-axis")]
    .filter((axis) => axis.querySelector("g.role-axis-label"))
    .map((axis) => ({
      ticks: axis.querySelectorAll("g.role-axis-tick line").length,
      labels: [...axis.querySelectorAll("g.role-axis-label text")].filter((t) => t.textContent !== "").length,
      boxes: [...axis.querySelectorAll("g.role-axis-label text")]
        .filter((t) => t.textContent !== "" && t.getAttribute("opacity") !== "0")
        .map((t) => ({ text: t.textContent, box: boxOf(t) })),
    }));
  const overlaps = [];
  for (const axis of axes)
    for (let i = 0; i < axis.boxes.length; i++)
      for (let j = i + 1; j < axis.boxes.length; j++) {
        const a = axis.boxes[i].box, b = axis.boxes[j].box;
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
          overlaps.push(axis.boxes[i].text + " / " + axis.boxes[j].text);
      }
  const cut = [...figure.querySelectorAll("svg text")].map((t) => t.textContent).filter((t) => t.endsWith("…"));
  const nan = [...figure.querySelectorAll("svg *")].flatMap((el) =>
    [...el.attributes].filter((a) => /NaN|Infinity/.test(a.value)).map((a) => el.tagName + " " + a.name + '="' + a.value + '"'));
  return {
    name: figure.getAttribute("data-chart"),
    marks: marks.length,
    drawn: drawn.length,
    axes: axes.map(({ ticks, labels }) => ({ ticks, labels })),
    overlaps, cut, nan,
    height: figure.querySelector("svg").getBoundingClientRect().height,
  };
})`;

test("Chromium is found as playwright-core users find it", () => {
  const found = findChromium();
  assert.ok(found.found, found.found ? "" : found.problem);
});

test("every report renders in headless Chromium with every chart drawn whole", async (t) => {
  assert.ok(browser, "no browser (see the test above)");
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleErrors: string[] = [];
  const requested: string[] = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  page.on("requestfailed", (r) => consoleErrors.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("request", (r) => requested.push(r.url()));
  for (const run of runs)
    await t.test(run.name, async () => {
      consoleErrors.length = 0;
      await page.goto(pathToFileURL(run.html).href, { waitUntil: "load" });
      assert.deepEqual(consoleErrors, [], "console errors");
      const charts = (await page.evaluate(INSPECT)) as ChartCheck[];
      const figures = readFileSync(run.html, "utf8").match(/<figure class="chart"/g)?.length ?? 0;
      assert.ok(charts.length >= 3 && charts.length === figures, `${charts.length} charts`);
      for (const chart of charts) {
        const at = `${run.name}/${chart.name}`;
        assert.ok(chart.marks > 0 && chart.drawn > 0, `${at}: no marks drawn`);
        assert.ok(chart.axes.length >= 2, `${at}: ${chart.axes.length} labelled axes`);
        for (const axis of chart.axes)
          assert.ok(axis.ticks > 0 && axis.labels > 0, `${at}: an axis without ticks`);
        assert.ok(
          chart.axes.some((a) => a.labels >= 2),
          `${at}: no axis with two labels`,
        );
        assert.deepEqual(chart.overlaps, [], `${at}: overlapping tick labels`);
        assert.deepEqual(chart.cut, [], `${at}: labels cut off`);
        assert.deepEqual(chart.nan, [], `${at}: NaN in the SVG`);
        assert.ok(chart.height < 1400, `${at}: ${chart.height} px tall`);
      }
    });
  assert.deepEqual(
    requested.filter((url) => !url.startsWith("file://")),
    [],
    "requests other than file://",
  );
  await page.close();
});

test("the fixture's page: result first, failed cell, manifest folded; a screenshot", async () => {
  assert.ok(browser, "no browser");
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    const fixture = runs.find((r) => r.name === "fixture");
    assert.ok(fixture);
    await page.goto(pathToFileURL(fixture.html).href, { waitUntil: "load" });
    const order = (await page.evaluate(
      `[...document.querySelectorAll("main > section, main > details")].map((s) => s.id)`,
    )) as string[];
    assert.deepEqual(order, ["result", "charts", "summary", "failed", "manifest"]);
    assert.equal(await page.evaluate(`document.querySelector("details#manifest").open`), false);
    const text = (await page.textContent("body")) ?? "";
    assert.match(text, /Failed cells \(1\)/);
    assert.match(text, /Array buffer allocation failed/);
    assert.match(text, /did-not-converge/);
    const screenshot = join(root, "report-screenshot.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(readFileSync(screenshot).length > 50_000, "screenshot is blank?");
    mkdirSync(OUT, { recursive: true });
    copyFileSync(screenshot, join(OUT, "report-screenshot.png"));
  } finally {
    await page.close();
  }
});
