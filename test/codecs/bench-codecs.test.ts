import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { benchCodecsCommand } from "../../codecs/bench-command.ts";
import { NOTHING_TO_DECODE } from "../../codecs/bench-results.ts";
import { validateCalibration } from "../../codecs/calibration.ts";
import { UsageError } from "../../lib/errors.ts";

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "migbench-bench-codecs-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The command in a child process, its stdout and stderr pipes (CI unset: progress shows). */
function bench(...args: string[]) {
  const { CI: _ci, ...env } = process.env;
  const run = spawnSync(
    process.execPath,
    ["--require", "./scripts/register-tsx.cjs", "codecs/bench.ts", ...args],
    { cwd: root, encoding: "utf8", env: { ...env, FORCE_COLOR: "0" } },
  );
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const tiny = ["--pairs", "8", "--time", "1"];

/** The same command in this process (no tsx start-up per case): exit code and output lines. */
async function benchInProcess(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await benchCodecsCommand(args, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    stderrIsTTY: false,
    env: { CI: "true" },
  });
  return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

// A plug-in whose decoder flips one byte: the benchmark must catch it and exit 1.
const brokenCodec = `
export default {
  name: "broken",
  usesPrevious: false,
  create() {
    return {
      name: "broken",
      encode(page, _previous, out) { out.set(page); return 4096; },
      decode(encoded, _previous, page) { page.set(encoded); page[7] ^= 1; },
      wireBytes: () => 4104,
    };
  },
};
`;

// xbzrle with an arena entry point that claims every page unchanged: encode() disagrees.
const lyingArenaCodec = `
import { xbzrle } from ${JSON.stringify(join(root, "codecs", "xbzrle.ts"))};
export default {
  ...xbzrle,
  name: "lying-arena",
  create() {
    const codec = xbzrle.create();
    return { ...codec, name: "lying-arena", arenaEncoder: () => () => 0 };
  },
};
`;

describe("npm run bench:codecs (smoke)", () => {
  it("prints a table and progress lines in a pipe; exports JSON, CSV and markdown", () => {
    const [json, csv, markdown] = ["run.json", "run.csv", "run.md"].map((name) => join(dir, name));
    const run = bench(
      ...tiny,
      ...["--codec", "xbrle,xor+lz4", "--kind", "sparse,zero"],
      ...["--export-json", json, "--export-csv", csv, "--export-markdown", markdown],
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^migbench \S+ bench:codecs · Node v\d+/);
    assert.match(run.stdout, /^settings: 8 pairs per kind/m);
    // Progress: a line per row, on stderr, although stderr is a pipe.
    const progress = run.stderr.split("\n").filter((line) => /^\[\d+\/6\] /.test(line));
    assert.deepEqual(
      progress.map((line) => line.replace(/ \(.*\)$/, "")),
      [
        "[1/6] memcpy on sparse",
        "[2/6] xbrle on sparse",
        "[3/6] xor+lz4 on sparse",
        "[4/6] memcpy on zero",
        "[5/6] xbrle on zero",
        "[6/6] xor+lz4 on zero",
      ],
    );
    const document = JSON.parse(readFileSync(json, "utf8"));
    assert.equal(document.complete, true);
    assert.match(
      document.command,
      /^npm run bench:codecs -- --pairs 8 --time 1 --codec xbrle,xor\+lz4 /,
    );
    assert.equal(document.versions.zstd.split(".").length, 3);
    assert.equal(document.settings.pairsPerKind, 8);
    const results = document.results;
    assert.deepEqual(
      results.map((r: { codec: string; kind: string }) => `${r.codec}/${r.kind}`),
      [
        "memcpy/sparse",
        "xbrle/sparse",
        "xor+lz4/sparse",
        "memcpy/zero",
        "xbrle/zero",
        "xor+lz4/zero",
      ],
    );
    for (const row of results) {
      for (const speed of [row.encode, row.decode]) {
        // Every timed speed has all its samples; an untimed one says why.
        if (speed.n === undefined) {
          assert.equal(speed.meaningless, NOTHING_TO_DECODE, JSON.stringify(row));
          continue;
        }
        assert.ok(speed.n >= 1 && speed.samplesGBps.length === speed.n);
        assert.ok(speed.minGBps <= speed.medianGBps && speed.medianGBps <= speed.maxGBps);
      }
    }
    assert.equal(
      results.filter((r: { decode: { n?: number } }) => r.decode.n === undefined).length,
      2,
      "xbrle and xor+lz4 on zero pages: all unchanged",
    );
    const xbrleZero = results.find(
      (r: { codec: string; kind: string }) => r.codec === "xbrle" && r.kind === "zero",
    );
    assert.equal(xbrleZero.encodedPercent, 0); // unchanged pages count 0 bytes
    assert.equal(xbrleZero.overflowPercent, 0);
    assert.equal(xbrleZero.decodeGBps, null, "no page to decode");
    assert.ok(xbrleZero.encodeGBps > 0);
    assert.ok(!existsSync(`${json}.tmp-${process.pid}`));
    const csvLines = readFileSync(csv, "utf8").trimEnd().split("\n");
    assert.equal(csvLines.length, 7);
    assert.match(csvLines[0], /^codec,level,kind,encode_median_gbps,/);
    const markdownLines = readFileSync(markdown, "utf8").trimEnd().split("\n");
    assert.equal(markdownLines.length, 8);
    assert.match(markdownLines[7], /^\| xor\+lz4 \| zero \| /);
  });

  it("prints — where a speed means nothing, and runs a codec at the level named", async () => {
    const run = await benchInProcess(
      ...tiny,
      "--codec",
      "zero,xbzrle,zstd:3",
      "--kind",
      "identical",
    );
    assert.equal(run.status, 0, run.stderr);
    const cells = (codec: string) => {
      const line = run.stdout.split("\n").find((l) => l.startsWith(`${codec} `));
      assert.ok(line, `${codec}: ${run.stdout}`);
      return line.split(/ {2,}/).map((cell) => cell.trim());
    };
    assert.deepEqual(cells("zero").slice(2, 4), ["—", "—"], "zero only checked for zeros");
    assert.deepEqual(cells("xbzrle").slice(4, 6), ["—", "—"], "nothing to decode");
    assert.equal(cells("xbzrle")[8], "0.00", "overflow % of a delta codec");
    assert.equal(cells("zstd:3")[8], "—", "overflow % of a codec without a delta");
    assert.match(cells("zstd:3")[2], /^\d+\.?\d* ± \d/);
    assert.doesNotMatch(run.stdout, /levels: zstd/, "no codec at its default level");
  });

  it("no progress with --quiet or under CI", () => {
    const run = bench(...tiny, "--codec", "raw", "--kind", "zero", "--quiet");
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /^\[\d|rows:/m);
  });

  /** Bench one plug-in codec (module source, registered `name`) on the sparse kind. */
  async function benchPlugin(source: string, name: string) {
    // .mts: outside the project there is no package.json saying "type": "module".
    const module = join(dir, `${name}-codec.mts`);
    writeFileSync(module, source);
    return benchInProcess(...tiny, "--codec-module", module, "--codec", name, "--kind", "sparse");
  }

  it("fails loudly (exit 1) when a plug-in's decode does not give back the page", async () => {
    const run = await benchPlugin(brokenCodec, "broken");
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /verification failed: broken on sparse, pair 0: .* byte 7/);
  });

  it("fails loudly (exit 1) when a codec's arena entry point and encode() disagree", async () => {
    const run = await benchPlugin(lyingArenaCodec, "lying-arena");
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /lying-arena on sparse, pair 0: the arena entry point gives 0 where/);
  });

  it("writes a calibration the loader accepts", async () => {
    const path = join(dir, "calibration.json");
    const run = await benchInProcess(...tiny, "--codec", "xbrle", "--calibrate", path);
    assert.equal(run.status, 0, run.stderr);
    const calibration = validateCalibration(JSON.parse(readFileSync(path, "utf8")), path);
    assert.deepEqual(Object.keys(calibration.encodeGBps), ["raw", "zero", "xbrle"]);
  });

  it("takes a list flag once, as one comma list, like npm run bench", async () => {
    const run = await benchInProcess(...tiny, "--codec", "raw", "--kind", "zero,sparse");
    assert.equal(run.status, 0, run.stderr);
    const rows = run.stdout.split("\n").filter((line) => line.startsWith("raw "));
    assert.deepEqual(
      rows.map((line) => line.split(/ +/)[1]),
      ["zero", "sparse"],
    );
    await assert.rejects(
      benchInProcess(...tiny, "--codec", "raw", "--kind", "zero", "--kind", "sparse"),
      /--kind: given 2 times; give one comma list, e\.g\. --kind zero,sparse/,
    );
  });

  it("rejects an unknown kind, codec or flag as a usage error (one line, exit 2)", async () => {
    const run = bench(...tiny, "--kind", "sparse,nope");
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /unknown page kind "nope"/);
    const level = bench(...tiny, "--codec", "xbzrle,deflate:12");
    assert.equal(level.status, 2, level.stderr);
    assert.equal(
      level.stderr,
      "bench:codecs: --codec deflate:12: deflate's levels are whole numbers 0 to 9\n",
    );
    for (const args of [
      ["--codec", "nope"],
      ["--pairs", "0"],
      ["--bogus"],
      ["--time", "x"],
      ["--kind", "zero,"],
      ["--kind", "zero", "--kind", "zero"],
      ["--codec", "zstd:0"],
      ["--codec", "lz4:1"],
      ["--codec", "zstd:3", "--calibrate", join(dir, "never.json")],
      ["--export-csv", ""],
    ]) {
      await assert.rejects(benchInProcess(...tiny, ...args), UsageError, args.join(" "));
    }
  });
});
