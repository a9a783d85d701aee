import assert from "node:assert/strict";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { buildReport } from "../../reports/build.ts";

/**
 * Opens the fixture run's report.html in Debian's headless Chromium, as a reader would: no
 * console error, no failed request, nothing but file:// requested, every chart drew marks.
 * The screenshot is saved to the run dir and copied to tmp/reports/ to look at.
 */

const CHROMIUM = "/usr/bin/chromium";
const FIXTURE = new URL("../fixtures/reports/sweep-run/", import.meta.url).pathname;
/** A copy to look at, outside git (tmp/ is ignored). */
const OUT = new URL("../../tmp/reports/", import.meta.url).pathname;

let runDir = "";
let html = "";

before(async () => {
  runDir = mkdtempSync(join(tmpdir(), "migbench-report-browser-"));
  cpSync(FIXTURE, runDir, { recursive: true });
  html = (await buildReport(runDir, { png: false })).html; // the page needs only the SVGs
});

after(() => {
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

test("report.html renders in headless Chromium from file:// with no network and no errors", async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's Chromium with \`apt-get update && apt-get install -y chromium\` (never a downloaded browser build)`,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleErrors: string[] = [];
    const failed: string[] = [];
    const requested: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(String(error)));
    page.on("requestfailed", (request) =>
      failed.push(`${request.url()}: ${request.failure()?.errorText}`),
    );
    page.on("request", (request) => requested.push(request.url()));
    const response = await page.goto(pathToFileURL(html).href, { waitUntil: "load" });
    assert.ok(response === null || response.ok(), "report.html did not load");

    assert.deepEqual(consoleErrors, [], "console errors");
    assert.deepEqual(failed, [], "failed requests");
    const offFile = requested.filter((url) => !url.startsWith("file://"));
    assert.deepEqual(offFile, [], "requests other than file://");

    // Every chart figure: an SVG whose data marks (vega's role-mark groups, not axes or legends)
    // contain drawn paths, rects or symbols with a non-zero box.
    const charts = await page.$$eval("figure.chart", (figures) =>
      figures.map((figure) => {
        const marks = [...figure.querySelectorAll("svg g.role-mark")];
        const shapes = marks.flatMap((g) => [...g.querySelectorAll("path, rect, line, text")]);
        const drawn = shapes.filter((shape) => {
          const box = (
            shape as unknown as { getBBox(): { width: number; height: number } }
          ).getBBox();
          return box.width > 0 || box.height > 0;
        });
        const svg = figure.querySelector("svg");
        const rect = svg?.getBoundingClientRect();
        return {
          name: figure.getAttribute("data-chart"),
          marks: marks.length,
          drawn: drawn.length,
          width: rect?.width ?? 0,
          height: rect?.height ?? 0,
        };
      }),
    );
    const expected = readFileSync(html, "utf8").match(/<figure class="chart"/g)?.length ?? 0;
    assert.ok(expected >= 8, `expected the fixture to draw every chart, got ${expected}`);
    assert.equal(charts.length, expected);
    for (const chart of charts) {
      assert.ok(chart.marks > 0, `${chart.name}: no mark groups in its SVG`);
      assert.ok(chart.drawn > 0, `${chart.name}: its marks drew nothing`);
      assert.ok(
        chart.width > 100 && chart.height > 100,
        `${chart.name}: laid out ${chart.width}×${chart.height}`,
      );
    }
    // The tables and the failed cell are on the page.
    const text = await page.textContent("body");
    assert.match(text ?? "", /Failed cells \(1\)/);
    assert.match(text ?? "", /Array buffer allocation failed/);
    assert.match(text ?? "", /did-not-converge/);

    const screenshot = join(runDir, "report-screenshot.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    const png = readFileSync(screenshot);
    assert.ok(png.length > 50_000, `screenshot is ${png.length} bytes: blank?`);
    mkdirSync(OUT, { recursive: true });
    copyFileSync(screenshot, join(OUT, "report-screenshot.png"));
  } finally {
    await browser.close();
  }
});
