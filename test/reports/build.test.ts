import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { inflateSync } from "node:zlib";
import { buildReport } from "../../reports/build.ts";
import { CHARTS } from "../../reports/charts/registry.ts";
import { ChartWarningError, prefixSvgIds, renderChart } from "../../reports/render.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FIXTURE = new URL("../fixtures/reports/sweep-run/", import.meta.url).pathname;

/** Decode a PNG (8-bit RGBA or RGB, non-interlaced, as resvg writes) to its size and how much of it is not white. */
function pngInk(png: Buffer): { width: number; height: number; inked: number; colours: number } {
  assert.equal(png.subarray(0, 8).toString("hex"), "89504e470d0a1a0a", "not a PNG");
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 4;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, "8-bit depth");
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${data[9]}`);
    }
    if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  let inked = 0;
  const colours = new Set<number>();
  for (let i = 0; i < pixels.length; i += channels) {
    const rgb = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    if (rgb !== 0xffffff) inked++;
    if (colours.size < 64) colours.add(rgb);
  }
  return { width, height, inked: inked / (width * height), colours: colours.size };
}

let runDir = "";
let result: Awaited<ReturnType<typeof buildReport>>;

before(async () => {
  runDir = mkdtempSync(join(tmpdir(), "migbench-report-build-"));
  cpSync(FIXTURE, runDir, { recursive: true });
  result = await buildReport(runDir);
});

after(() => {
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

test("every chart is saved as data, .vl.json, .svg and .png side by side", () => {
  assert.equal(result.charts.length, CHARTS.length);
  assert.deepEqual(result.skipped, []);
  for (const png of result.charts) {
    const base = png.replace(/\.png$/, "");
    for (const ext of [".data.csv", ".vl.json", ".svg", ".png"])
      assert.ok(existsSync(base + ext), base + ext);
    JSON.parse(readFileSync(`${base}.vl.json`, "utf8"));
    assert.match(readFileSync(`${base}.svg`, "utf8"), /^<svg [^>]*width="\d+" height="\d+"/);
  }
});

test("PNGs are not blank: 2× the SVG's size, ink and several colours", () => {
  for (const file of result.charts) {
    const svg = readFileSync(file.replace(/\.png$/, ".svg"), "utf8");
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    const ink = pngInk(readFileSync(file));
    assert.equal(ink.width, 2 * Number(w), file);
    assert.equal(ink.height, 2 * Number(h), file);
    assert.ok(
      ink.inked > 0.01 && ink.inked < 0.9,
      `${file}: ${(ink.inked * 100).toFixed(1)} % inked`,
    );
    assert.ok(ink.colours >= 4, `${file}: ${ink.colours} colours`);
  }
});

test("text is drawn with the shipped DejaVu font", () => {
  for (const file of result.charts) {
    const svg = readFileSync(file.replace(/\.png$/, ".svg"), "utf8");
    assert.match(svg, /font-family="DejaVu Sans"/);
    assert.doesNotMatch(svg, /font-family="(sans-serif|Arial|Helvetica)/);
  }
});

test("report.html is self-contained: no script, stylesheet, font or image to fetch", () => {
  const html = readFileSync(result.html, "utf8");
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(\s*["']?https?:/i);
  assert.doesNotMatch(html, /\s(src|href)="(https?:)?\/\//i);
  // Links are relative and point at files that exist.
  const hrefs = [...html.matchAll(/href="([^"#][^"]*)"/g)].map((m) => decodeURIComponent(m[1]));
  assert.ok(
    hrefs.includes("results.csv") &&
      hrefs.includes("passes.csv") &&
      hrefs.includes("manifest.json"),
  );
  for (const href of hrefs) assert.ok(existsSync(join(runDir, href)), `broken link ${href}`);
  // Every chart inline, ids unique across the page.
  assert.equal(html.match(/<figure class="chart"/g)?.length, CHARTS.length);
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, "duplicate ids");
  // The manifest, the summary table, the failed cell.
  assert.match(html, /npm run bench -- --workload sap-like/);
  assert.match(html, /<th scope="col">hit rate<\/th>/);
  assert.match(html, /did-not-converge ×2/);
  assert.match(html, /Failed cells \(1\)/);
});

test("prefixSvgIds keeps references pointing at their renamed ids", () => {
  const svg =
    '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
  assert.equal(
    prefixSvgIds(svg, "a"),
    '<svg><clipPath id="a-clip1"><rect/></clipPath><g clip-path="url(#a-clip1)"><use href="#a-clip1"/></g></svg>',
  );
});

/** A run with one bandwidth, one cache size, raw and zero only, no passes and no codec bench. */
function smallRun(): string {
  const dir = mkdtempSync(join(tmpdir(), "migbench-report-small-"));
  const lines = readFileSync(join(FIXTURE, "results.csv"), "utf8").trim().split("\n");
  const header = lines[0].split(",");
  const col = (name: string) => header.indexOf(name);
  const keep = lines.slice(1).filter((line) => {
    const v = line.split(",");
    return (
      (v[col("codec")] === "raw" || v[col("codec")] === "zero") &&
      v[col("cache_model")] === "direct" &&
      v[col("cache_size_bytes")] === String(64 * 1024 ** 2) &&
      v[col("bandwidth_bytes_per_s")] === "125000000"
    );
  });
  writeFileSync(join(dir, "results.csv"), `${[lines[0], ...keep].join("\n")}\n`);
  return dir;
}

test("a run without the data for a chart draws no empty chart and says why", async () => {
  const dir = smallRun();
  try {
    writeFileSync(join(dir, "charts-stale-check"), "");
    const small = await buildReport(dir);
    const names = small.charts.map((f) => f.split("/").pop());
    assert.deepEqual(names, [
      "time-and-transferred.png",
      "ratio-to-raw.png",
      "downtime-vs-bandwidth.png",
      "compression-by-workload.png",
    ]);
    // Charts the run was not made for are named once, quietly; a missing file is a problem.
    const notInRun = Object.fromEntries(small.notInRun.map((s) => [s.name, s.reason]));
    assert.deepEqual(Object.keys(notInRun), [
      "downtime-vs-cache-size",
      "cache-miss-rate",
      "codec-bandwidth",
      "compression-by-kind",
    ]);
    // The command names this run's directory, not a placeholder.
    assert.ok(
      notInRun["codec-bandwidth"].includes(
        `\`npm run bench:codecs -- --json ${dir}/codec-bench.json\`, then \`npm run report -- ${dir}\``,
      ),
      notInRun["codec-bandwidth"],
    );
    assert.doesNotMatch(notInRun["codec-bandwidth"], /RUN\//);
    assert.match(notInRun["downtime-vs-cache-size"], /one cache size \(64 MiB\)/);
    assert.match(notInRun["cache-miss-rate"], /no codec in this run looked pages up/);
    assert.deepEqual(small.skipped, [
      { name: "pass-timeline", reason: "passes.csv is missing or has no passes" },
    ]);
    const html = readFileSync(small.html, "utf8");
    assert.equal(html.match(/<figure class="chart"/g)?.length, 4);
    assert.equal(html.match(/Not drawn:/g)?.length, 1, "only the missing passes.csv, in place");
    assert.match(html, /Not drawn: passes\.csv is missing/);
    assert.match(html, /Charts this run was not made for:/);
    assert.equal(html.match(/bench:codecs/g)?.length, 1, "the codec benchmark's source, once");
    assert.match(html, /Downtime against cache size: the run has one cache size \(64 MiB\)/);
    assert.match(html, /This run has no manifest\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function cli(...args: string[]) {
  return spawnSync(
    process.execPath,
    ["--require", "./scripts/register-tsx.cjs", "reports/cli.ts", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
}

test("npm run report: a wrong flag is one line and exit 2; a missing run is one line and exit 1", () => {
  const wrong = cli("some-dir", "--colour", "red");
  assert.equal(wrong.status, 2, wrong.stderr);
  assert.equal(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
  assert.match(wrong.stderr, /^report: Unknown argument/);
  const missing = cli(join(tmpdir(), "no-such-migbench-run"));
  assert.equal(missing.status, 1, missing.stderr);
  assert.match(missing.stderr, /^report: .*no-such-migbench-run: no such results directory/);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
});

test("npm run report rebuilds from the CSV files alone, --codec-bench and --cell included", () => {
  const dir = smallRun();
  try {
    cpSync(join(FIXTURE, "passes.csv"), join(dir, "passes.csv"));
    const run = cli(dir, "--codec-bench", join(FIXTURE, "codec-bench.json"), "--cell", "6");
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /report\.html \(\d+ charts in/);
    assert.ok(existsSync(join(dir, "codec-bench.json")), "the codec bench is copied into the run");
    assert.ok(existsSync(join(dir, "charts", "codec-bandwidth.png")));
    const spec = readFileSync(join(dir, "charts", "pass-timeline.vl.json"), "utf8");
    assert.match(
      spec,
      /Passes of one cell: cell 6 \(sap-like · raw · direct 64 MiB cache · cap 1 Gbit\/s · seed 1\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a chart vega warns about fails the build: one line naming the chart", async () => {
  // A log scale whose domain holds 0: what a 0 ms downtime did to the old downtime charts.
  const spec = {
    data: { values: [{ x: 1, y: 0 }] },
    mark: "point",
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative", scale: { type: "log" } },
    },
  };
  await assert.rejects(renderChart("downtime-vs-bandwidth", spec), (error) => {
    assert.ok(error instanceof ChartWarningError);
    assert.match(error.message, /^chart downtime-vs-bandwidth: vega warned while drawing it: /);
    assert.equal(error.message.split("\n").length, 1);
    return true;
  });
});
