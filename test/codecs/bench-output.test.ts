import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { benchCsv, benchJson, jsonText } from "../../codecs/bench-export.ts";
import { noiseWarning, RME_WARN_PERCENT } from "../../codecs/bench-noise.ts";
import { type BenchSettings, parseBenchArgs } from "../../codecs/bench-options.ts";
import { benchProgress } from "../../codecs/bench-progress.ts";
import {
  ENCODE_ONLY_DECIDED_RAW,
  NOTHING_TO_DECODE,
  type ResultRow,
  resultRow,
} from "../../codecs/bench-results.ts";
import { markdownTable, tableLines } from "../../codecs/bench-table.ts";
import type { MeasuredRow, PageCounts, RateStats } from "../../codecs/codec-bench.ts";
import { resolveCodecs } from "../../codecs/registry.ts";
import type { CodecDefinition } from "../../codecs/types.ts";

const dir = mkdtempSync(join(tmpdir(), "migbench-bench-output-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const codec = (name: string): CodecDefinition => resolveCodecs([name])[0];

function stats(mean: number, sd: number, min: number, max: number, rme = 1, n = 12): RateStats {
  return {
    medianGBps: mean * 1.01,
    meanGBps: mean,
    sdGBps: sd,
    minGBps: min,
    maxGBps: max,
    rmePercent: rme,
    n,
    samplesGBps: Array.from({ length: n }, (_, i) => min + ((max - min) * i) / (n - 1)),
  };
}

function measured(
  name: string,
  kind: string,
  pages: Omit<PageCounts, "total">,
  encode = stats(4.214, 0.1312, 3.912, 4.518),
  decode = stats(7.5, 0.25, 7.0, 8.0, 1, 34),
): MeasuredRow {
  const total = pages.encoded + pages.unchanged + pages.overflow;
  return {
    row: {
      codec: name,
      kind,
      encodeGBps: encode.medianGBps,
      decodeGBps: pages.unchanged === total ? null : decode.medianGBps,
      encodedPercent: (100 * pages.overflow) / total + 1.5,
      overflowPercent: (100 * pages.overflow) / total,
    },
    encode,
    // measure() does not time the decode of unchanged pages: there is nothing to decode.
    decode: pages.unchanged === total ? null : decode,
    pages: { total, ...pages },
  };
}

const ALL_ENCODED = { encoded: 8, unchanged: 0, overflow: 0 };
const ALL_UNCHANGED = { encoded: 0, unchanged: 8, overflow: 0 };
const ALL_OVERFLOW = { encoded: 0, unchanged: 0, overflow: 8 };

/** memcpy, xbzrle on identical pages, zero on random pages, lz4 on random pages. */
const rows: ResultRow[] = [
  resultRow(measured("memcpy", "sparse", ALL_ENCODED), null),
  resultRow(measured("xbzrle", "identical", ALL_UNCHANGED), codec("xbzrle")),
  resultRow(measured("zero", "sparse", ALL_OVERFLOW), codec("zero")),
  resultRow(measured("lz4", "random-full", ALL_OVERFLOW), codec("lz4")),
];

describe("bench:codecs rows: what means nothing", () => {
  it("a codec that sends every page raw has no encode speed", () => {
    const zero = rows[2];
    assert.equal(zero.encode.meaningful, false);
    assert.equal(!zero.encode.meaningful && zero.encode.why, ENCODE_ONLY_DECIDED_RAW);
    assert.equal(zero.decode.meaningful, true, "the receiver copies the raw page");
    // zero on zero pages encodes them (a full read): that speed means something.
    const onZeros = resultRow(measured("zero", "zero", ALL_ENCODED), codec("zero"));
    assert.equal(onZeros.encode.meaningful, true);
  });

  it("unchanged pages have no decode speed", () => {
    const xbzrle = rows[1];
    assert.equal(xbzrle.decode.meaningful, false);
    assert.equal(!xbzrle.decode.meaningful && xbzrle.decode.why, NOTHING_TO_DECODE);
    assert.equal(xbzrle.encode.meaningful, true);
  });

  it("overflow % only for delta codecs", () => {
    assert.equal(rows[0].overflowPercent, null, "memcpy");
    assert.equal(rows[1].overflowPercent, 0, "xbzrle");
    assert.equal(rows[2].overflowPercent, null, "zero");
    assert.equal(rows[3].overflowPercent, null, "lz4 sends an incompressible page raw, by design");
    assert.equal(rows[3].encode.meaningful, true, "lz4 did try to compress it");
  });
});

describe("bench:codecs table", () => {
  const lines = tableLines(rows);

  it("has mean ± σ, min…max and N per speed, and — where a number means nothing", () => {
    assert.match(lines[0], /^ +encode GB\/s +decode GB\/s$/);
    assert.match(
      lines[1],
      /^codec +kind +mean ± σ +min…max +mean ± σ +min…max +N enc\/dec +size % +overflow %$/,
    );
    const cells = (line: string) => line.split(/ {2,}/).map((cell) => cell.trim());
    assert.deepEqual(cells(lines[3]), [
      "memcpy",
      "sparse",
      "4.21 ± 0.13",
      "3.91…4.52",
      "7.50 ± 0.25",
      "7.00…8.00",
      "12/34",
      "1.50",
      "—",
    ]);
    assert.deepEqual(
      cells(lines[4]).slice(4, 7),
      ["—", "—", "12/—"],
      "xbzrle decode of unchanged pages",
    );
    assert.deepEqual(cells(lines[5]).slice(2, 4), ["—", "—"], "zero's encode on random pages");
    // Aligned: the ± of every row in one column.
    const at = lines.slice(3).map((line) => line.indexOf(" ± "));
    assert.equal(new Set(at.filter((i) => i > 0 && i < 30)).size, 1, lines.join("\n"));
  });

  it("as markdown, hyperfine's units in brackets", () => {
    const markdown = markdownTable(rows).trimEnd().split("\n");
    assert.equal(
      markdown[0],
      "| Codec | Kind | Encode [GB/s] | Encode min…max [GB/s] | Decode [GB/s] | Decode min…max [GB/s] | N (encode/decode) | Size [%] | Overflow [%] |",
    );
    assert.equal(markdown[1], "|:---|:---|---:|---:|---:|---:|---:|---:|---:|");
    assert.equal(markdown.length, 2 + rows.length);
    assert.equal(
      markdown[4],
      "| zero | sparse | — | — | 7.50 ± 0.25 | 7.00…8.00 | 12/34 | 102 | — |",
    );
  });
});

describe("bench:codecs exports", () => {
  const settings = {
    codecs: [codec("xbzrle"), codec("zero"), codec("lz4")],
    plugins: [],
    codecModules: [],
    kinds: ["sparse", "identical", "random-full"],
    pairs: 8,
    timeMs: 5,
    seed: 1,
    calibrationFile: null,
    exports: {},
    quiet: false,
  } satisfies BenchSettings;
  const run = {
    command: "npm run bench:codecs",
    startedAt: new Date(0),
    elapsedSeconds: 1.5,
    complete: true,
  };

  it("CSV: one row per codec and kind, units in the column names, empty where meaningless", () => {
    const [header, ...body] = benchCsv(rows).trimEnd().split("\n");
    assert.equal(
      header,
      "codec,level,kind," +
        "encode_median_gbps,encode_mean_gbps,encode_sd_gbps,encode_min_gbps,encode_max_gbps,encode_rme_percent,encode_iterations," +
        "decode_median_gbps,decode_mean_gbps,decode_sd_gbps,decode_min_gbps,decode_max_gbps,decode_rme_percent,decode_iterations," +
        "encoded_percent,overflow_percent,pages,encoded_pages,unchanged_pages,overflow_pages",
    );
    assert.equal(body.length, rows.length);
    assert.equal(
      body[1],
      "xbzrle,,identical,4.256,4.214,0.1312,3.912,4.518,1,12,,,,,,,,1.5,0,8,0,8,0",
    );
    assert.equal(body[2].split(",").slice(3, 10).join(","), ",,,,,,", "zero's encode");
  });

  it("JSON: every sample, the settings, the machine and the versions; the report's fields kept", () => {
    const document = JSON.parse(jsonText(benchJson(rows, settings, run)));
    assert.deepEqual(Object.keys(document), [
      "command",
      "startedAt",
      "elapsedSeconds",
      "complete",
      "versions",
      "machine",
      "settings",
      "results",
    ]);
    for (const key of ["migbench", "node", "v8", "tinybench", "zstd", "zlib", "lz4-napi"]) {
      assert.equal(typeof document.versions[key], "string", key);
    }
    assert.equal(typeof document.machine.cpu.model, "string");
    assert.equal(document.machine.loadAverage.length, 3);
    assert.equal(document.settings.pairsPerKind, 8);
    assert.equal(document.settings.timeMsPerTask, 5);
    assert.deepEqual(
      document.settings.codecs.map((c: { name: string }) => c.name),
      ["xbzrle", "zero", "lz4"],
    );
    const [memcpy, xbzrle, zero] = document.results;
    // What reports/data.ts reads, null where a number means nothing.
    assert.equal(memcpy.encodeGBps, 4.256);
    assert.equal(xbzrle.decodeGBps, null);
    assert.equal(zero.encodeGBps, null);
    assert.equal(zero.overflowPercent, null);
    assert.equal(xbzrle.overflowPercent, 0);
    assert.equal(zero.encode.meaningless, ENCODE_ONLY_DECIDED_RAW);
    assert.equal(zero.encode.n, 12, "timed all the same: --calibrate takes it");
    assert.deepEqual(xbzrle.decode, { meaningless: NOTHING_TO_DECODE }, "not timed");
    assert.equal(memcpy.encode.samplesGBps.length, memcpy.encode.n);
    assert.equal(memcpy.decode.samplesGBps.length, 34);
    assert.deepEqual(
      { ...memcpy.encode, samplesGBps: undefined },
      {
        medianGBps: 4.256,
        meanGBps: 4.214,
        sdGBps: 0.1312,
        minGBps: 3.912,
        maxGBps: 4.518,
        rmePercent: 1,
        n: 12,
        samplesGBps: undefined,
      },
    );
  });

  it("JSON text: indented, each samples array on one line", () => {
    const text = jsonText(benchJson(rows, settings, run));
    const sampleLines = text.split("\n").filter((line) => line.includes('"samplesGBps"'));
    assert.equal(sampleLines.length, 2 * rows.length - 1, "xbzrle's decode was not timed");
    for (const line of sampleLines) assert.match(line, /^ +"samplesGBps": \[[\d.,e-]+\],?$/);
  });
});

/** The shell words of `command` after `npm run bench:codecs --`, split by sh itself. */
function suggestedArgs(command: string): string[] {
  const prefix = "npm run bench:codecs -- ";
  assert.ok(command.startsWith(prefix), command);
  const words = execFileSync("sh", ["-c", `printf '%s\\0' ${command.slice(prefix.length)}`], {
    encoding: "utf8",
  });
  return words.split("\0").slice(0, -1);
}

describe("bench:codecs noise warning", () => {
  const noisy = (name: string, kind: string, rme: number, traits: CodecDefinition | null) =>
    resultRow(measured(name, kind, ALL_ENCODED, stats(1, 0.5, 0.1, 2, rme)), traits);
  const context = { pairs: 16384, seed: 1, timeMs: 500, plugins: [], loadAverage: 0.5, cores: 2 };

  it("is silent when every speed is within the margin", () => {
    assert.deepEqual(noiseWarning(rows, context), []);
  });

  it("is three lines: the count, the worst rows by name, and a command that parses", async () => {
    const many = [
      noisy("memcpy", "sparse", 12, null),
      noisy("xbzrle", "sparse", 40, codec("xbzrle")),
      ...["lz4", "zstd", "deflate", "raw"].map((name, i) =>
        noisy(name, "medium", 20 + i, codec(name)),
      ),
      resultRow(measured("zero", "medium", ALL_OVERFLOW, stats(1, 0.5, 0.1, 2, 90)), codec("zero")),
    ];
    const lines = noiseWarning(many, context);
    assert.equal(lines.length, 3);
    assert.ok(
      lines.every((line) => line.length < 300),
      lines.join("\n"),
    );
    assert.match(
      lines[0],
      new RegExp(
        `^warning: 6 of 13 speeds have a margin of error above ±${RME_WARN_PERCENT} % \\(95 % CI of the mean\\): ` +
          "xbzrle/sparse encode ±40 %, raw/medium encode ±23 %, deflate/medium encode ±22 %, zstd/medium encode ±21 % and 2 more\\.$",
      ),
      "zero's encode means nothing: neither counted nor named",
    );
    const args = suggestedArgs(lines[2].trim());
    assert.deepEqual(args, [
      "--codec",
      "xbzrle,lz4,zstd,deflate,raw",
      "--kind",
      "sparse,medium",
      "--time",
      "2000",
    ]);
    const settings = await parseBenchArgs(args);
    assert.deepEqual(
      settings.codecs.map((c) => c.name),
      ["xbzrle", "lz4", "zstd", "deflate", "raw"],
    );
    assert.deepEqual(settings.kinds, ["sparse", "medium"]);
    assert.equal(settings.timeMs, 2000);
  });

  it("keeps --pairs, --seed, levels and plug-ins, quoted for the shell", async () => {
    const module = join(dir, "my codec.mts");
    writeFileSync(
      module,
      `export default { name: "mine", usesPrevious: false, create() { return { name: "mine",
        encode(page, _p, out) { out.set(page); return 4096; },
        decode(encoded, _p, page) { page.set(encoded); }, wireBytes: () => 4104 }; } };`,
    );
    const leveled = (await parseBenchArgs(["--codec", "zstd:3"])).codecs[0];
    const mine = (await parseBenchArgs(["--codec-module", module, "--codec", "mine"])).codecs[0];
    const lines = noiseWarning(
      [noisy("zstd:3", "zero", 50, leveled), noisy("mine", "zero", 50, mine)],
      {
        pairs: 64,
        seed: 7,
        timeMs: 1000,
        plugins: [{ path: module, codec: "mine" }],
        loadAverage: 0.5,
        cores: 2,
      },
    );
    const args = suggestedArgs(lines[2].trim());
    const settings = await parseBenchArgs(args);
    assert.deepEqual(
      settings.codecs.map((c) => c.name),
      ["zstd:3", "mine"],
    );
    assert.equal(settings.pairs, 64);
    assert.equal(settings.seed, 7);
    assert.equal(settings.timeMs, 4000);
    assert.deepEqual(settings.codecModules, [module]);
  });

  it("names a busy machine", () => {
    const busy = { ...context, loadAverage: 27.43 };
    const lines = noiseWarning([noisy("memcpy", "zero", 30, null)], busy);
    assert.equal(
      lines[1],
      "  Close other programs (the load average is 27.4 on 2 CPUs), or measure those rows again with a longer budget:",
    );
    assert.equal(
      noiseWarning([noisy("memcpy", "zero", 30, null)], context)[1],
      "  Close other programs, or measure those rows again with a longer budget:",
    );
  });

  it("memcpy alone: any codec brings memcpy along, raw is the quickest", () => {
    const lines = noiseWarning([noisy("memcpy", "zero", 30, null)], context);
    assert.deepEqual(suggestedArgs(lines[2].trim()).slice(0, 4), [
      "--codec",
      "raw",
      "--kind",
      "zero",
    ]);
  });
});

it("--json is --export-json (older commands and the report's hint use it)", async () => {
  assert.equal((await parseBenchArgs(["--json", "x.json"])).exports.json, "x.json");
});

describe("bench:codecs progress", () => {
  it("a line per row in a pipe, with the elapsed time and an ETA", () => {
    const lines: string[] = [];
    let now = 0;
    const progress = benchProgress(
      "lines",
      2,
      1,
      (line) => lines.push(line),
      undefined,
      () => now,
    );
    now = 1000;
    progress.rowDone("memcpy", "sparse");
    now = 3000;
    progress.rowDone("xbzrle", "sparse");
    progress.stop();
    assert.deepEqual(lines, [
      "bench:codecs: 3 rows: 2 codecs and memcpy on 1 page kinds",
      "[1/3] memcpy on sparse (1.0 s elapsed; ETA 2.0 s)",
      "[2/3] xbzrle on sparse (3.0 s elapsed; ETA 1.5 s)",
    ]);
  });

  it("one line redrawn on a terminal, cleared at the end; nothing with none", () => {
    const status: string[] = [];
    const lines: string[] = [];
    const bar = benchProgress(
      "bar",
      1,
      1,
      (line) => lines.push(line),
      (text) => status.push(text),
    );
    bar.rowDone("memcpy", "zero");
    bar.stop();
    assert.equal(lines.length, 0);
    assert.ok(status[0].startsWith("\r\x1b[K[1/2] memcpy on zero ("), status[0]);
    assert.equal(status[1], "\r\x1b[K");
    const none = benchProgress(
      "none",
      1,
      1,
      (line) => lines.push(line),
      (text) => status.push(text),
    );
    none.rowDone("memcpy", "zero");
    none.stop();
    assert.equal(lines.length + status.length, 2);
  });
});
