import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { benchCodecsCommand } from "../../codecs/bench-command.ts";
import { validateCalibration } from "../../codecs/calibration.ts";
import { UsageError } from "../../lib/errors.ts";

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "migbench-bench-codecs-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function bench(...args: string[]) {
  const run = spawnSync(
    process.execPath,
    ["--require", "./scripts/register-tsx.cjs", "codecs/bench.ts", ...args],
    { cwd: root, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" } },
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
    progress: false,
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
  it("writes the JSON rows, with a memcpy row per kind", () => {
    const json = join(dir, "rows.json");
    const run = bench(...tiny, "--codec", "xbrle,xor+lz4", "--kind", "sparse,zero", "--json", json);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^migbench \S+ bench:codecs · Node v\d+/);
    assert.match(run.stdout, /settings: 8 pairs per kind/);
    const rows = JSON.parse(readFileSync(json, "utf8"));
    assert.equal(rows.length, 6);
    assert.deepEqual(
      rows.map((r: { codec: string; kind: string }) => `${r.codec}/${r.kind}`),
      [
        "memcpy/sparse",
        "xbrle/sparse",
        "xor+lz4/sparse",
        "memcpy/zero",
        "xbrle/zero",
        "xor+lz4/zero",
      ],
    );
    for (const row of rows) {
      assert.deepEqual(Object.keys(row), [
        "codec",
        "kind",
        "encodeGBps",
        "decodeGBps",
        "encodedPercent",
        "overflowPercent",
      ]);
      assert.ok(row.encodeGBps > 0 && row.decodeGBps > 0);
    }
    const xbrleZero = rows.find(
      (r: { codec: string; kind: string }) => r.codec === "xbrle" && r.kind === "zero",
    );
    assert.equal(xbrleZero.encodedPercent, 0); // unchanged pages count 0 bytes
    assert.equal(xbrleZero.overflowPercent, 0);
    assert.ok(!existsSync(`${json}.tmp-${process.pid}`));
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
      rows.map((line) => line.split("|")[1].trim()),
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
    for (const args of [
      ["--codec", "nope"],
      ["--pairs", "0"],
      ["--bogus"],
      ["--time", "x"],
      ["--kind", "zero,"],
      ["--kind", "zero", "--kind", "zero"],
    ]) {
      await assert.rejects(benchInProcess(...tiny, ...args), UsageError, args.join(" "));
    }
  });
});
