import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  describeParams,
  parseRamSizes,
  type ScaleRow,
  scaleBenchMain,
  scaleCells,
  scaleTable,
  TABLE_HEAD,
  tableRow,
} from "../../harness/benchmarks/scale-bench.ts";
import {
  measurementOf,
  type ScaleMeasurement,
} from "../../harness/benchmarks/scale-bench-child.ts";
import { benchMain } from "../../harness/cli/bench.ts";
import { axisOptionsRecord } from "../../harness/sweep/axis-options.ts";
import { SWEEP_DEFAULTS } from "../../harness/sweep/plan.ts";
import { UsageError } from "../../lib/errors.ts";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import { catalogue } from "../fixtures/stub-workloads.ts";

// The pure parts of `npm run bench:scale` and its shell with a stub child; nothing here spawns
// a process or times anything.

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const root = mkdtempSync(join(tmpdir(), "migbench-scale-"));
after(() => rmSync(root, { recursive: true, force: true }));

function sink() {
  const chunks: string[] = [];
  return { text: () => chunks.join(""), write: (text: string) => chunks.push(text) };
}

const CHOICE = {
  workload: "toy",
  params: { rate: 100, mode: "a" },
  codec: "xbzrle",
  ramBytes: [1 * GIB, 4 * GIB],
  cacheSizeBytes: 64 * MIB,
  seed: 1,
};

test("scaleCells: one cell per RAM size, in order, with the bench's defaults", () => {
  const cells = scaleCells(CHOICE);
  assert.deepEqual(
    cells.map((c) => [c.index, c.ramBytes]),
    [
      [0, GIB],
      [1, 4 * GIB],
    ],
  );
  for (const cell of cells) {
    assert.equal(cell.codec, "xbzrle");
    assert.equal(cell.codecModule, null);
    assert.equal(cell.cacheSizeBytes, 64 * MIB);
    assert.equal(cell.cacheModel, "direct");
    assert.equal(cell.linkBytesPerS, 1.25e9);
    // The qemu rule's defaults (sweep.ts RULE_DEFAULTS).
    assert.equal(cell.bandwidthBytesPerS, 128 * MIB);
    assert.equal(cell.downtimeLimitMs, 300);
    assert.deepEqual(cell.params, CHOICE.params);
  }
});

test("SWEEP_DEFAULTS are what npm run bench records when the options are not given", async () => {
  const dir = join(root, "bench-run");
  const code = await benchMain(
    ["--workload", "toy", "--codec", "raw", "--ram", "1GiB", "--workers", "0", "--out", dir],
    {
      cwd: root,
      env: {},
      catalogue,
      runCellModule: new URL("../fixtures/stub-run-cell.ts", import.meta.url).href,
      stdout: sink(),
      stderr: { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream,
    },
  );
  assert.equal(code, 0);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const defaults = {
    ...axisOptionsRecord(SWEEP_DEFAULTS),
    calibration: SWEEP_DEFAULTS.calibration,
  };
  for (const [key, value] of Object.entries(defaults))
    assert.deepEqual(manifest.options[key], value, key);
  assert.deepEqual(manifest.seeds, [1]);
});

test("parseRamSizes: sizes in bytes; bad, duplicate and unaligned sizes are usage errors", () => {
  assert.deepEqual(parseRamSizes("1GiB, 4GiB,64GiB"), [GIB, 4 * GIB, 64 * GIB]);
  assert.throws(() => parseRamSizes("1GiB,,4GiB"), UsageError);
  assert.throws(() => parseRamSizes("1GiB,1024MiB"), /listed twice/);
  assert.throws(() => parseRamSizes("1000"), /multiple of 4096/);
  assert.throws(() => parseRamSizes("lots"), UsageError);
});

test("describeParams: bytes as sizes, fractions of RAM, other units as given", () => {
  const definition = {
    params: [
      { name: "active_bytes", unit: "bytes", defaultValue: GIB, description: "" },
      { name: "writes_per_s", unit: "writes/s", defaultValue: 100_000, description: "" },
      { name: "zero_share", unit: "fraction", defaultValue: 0.1, description: "" },
      { name: "skew", unit: "", defaultValue: 1, description: "" },
      { name: "mode", unit: "", defaultValue: "a", description: "" },
    ],
  };
  assert.equal(
    describeParams(definition, { active_bytes: GIB, writes_per_s: 100_000, zero_share: 0 }),
    "active_bytes 1 GiB, writes_per_s 100000 writes/s, zero_share 0 of RAM, skew 1, mode a",
  );
  assert.equal(describeParams({ params: [] }, {}), "none");
});

function completed(overrides: Partial<CellResult & { status: "completed" }> = {}): CellResult {
  const spec = scaleCells(CHOICE)[0];
  const pass = {
    startMs: 0,
    durationMs: 1,
    dirtyPages: 0,
    bytesSent: 0,
    cacheHits: 0,
    cacheMisses: 0,
    overflows: 0,
    thresholdBytes: 0,
    stopAndCopy: false,
  };
  return {
    spec,
    status: "completed",
    metrics: {
      totalTimeMs: 12_345,
      downtimeMs: 10,
      setupTimeMs: 0,
      transferredBytes: 0,
      zeroPages: 100,
      normalPages: 700,
      normalBytes: 700 * 4096,
      deltaPages: 250,
      deltaBytes: 0,
      cacheMissPages: 0,
      cacheMissRate: 0,
      overflowPages: 50,
      encodingRate: 0,
      dirtySyncCount: 3,
      passes: 2,
      encodeCpuMs: 0,
    },
    passes: [
      { ...pass, pass: 1, pagesSent: 900 },
      { ...pass, pass: 2, pagesSent: 100, stopAndCopy: true },
    ],
    wallMs: 2_000,
    ...overrides,
  } as CellResult;
}

test("measurementOf: pages sent summed over passes; an overflow counts once among non-zero", () => {
  const m = measurementOf(completed(), 204_800);
  assert.equal(m.status, "completed");
  assert.equal(m.ramBytes, GIB);
  assert.equal(m.pagesSent, 1000);
  assert.equal(m.nonZeroPages, 700 + 250 - 50);
  assert.equal(m.nonZeroPages, m.pagesSent - m.zeroPages);
  assert.equal(m.totalTimeMs, 12_345);
  assert.equal(m.maxRssKiB, 204_800);

  const failed = measurementOf(
    { spec: scaleCells(CHOICE)[1], status: "failed", error: "no room", wallMs: 3 },
    80_000,
  );
  assert.equal(failed.status, "failed");
  assert.equal(failed.error, "no room");
  assert.equal(failed.totalTimeMs, null);
  assert.equal(failed.pagesSent, 0);
  assert.equal(failed.ramBytes, 4 * GIB);
});

test("tableRow and scaleTable: one line per size; a failed size shows dashes", () => {
  const row: ScaleRow = { ...measurementOf(completed(), 204_800), processWallMs: 2_500 };
  assert.deepEqual(tableRow(row), [
    "1 GiB",
    "completed",
    "12.3 s",
    "1,000",
    "900",
    "250",
    "2.00",
    "2000.000",
    "200",
  ]);
  const failed: ScaleRow = {
    ...measurementOf(
      { spec: scaleCells(CHOICE)[1], status: "failed", error: "x", wallMs: 30 },
      80_000,
    ),
    processWallMs: 400,
  };
  assert.deepEqual(tableRow(failed), ["4 GiB", "failed", "-", "-", "-", "-", "0.03", "-", "78"]);
  const lines = scaleTable([row, failed]).split("\n");
  assert.equal(lines.length, 2 + 1 + 2);
  for (const title of TABLE_HEAD) assert.ok(lines[1].includes(title), title);
});

/** A child that runs nothing: what runCell would report, made up from the spec. */
async function stubChild(spec: CellSpec): Promise<ScaleMeasurement> {
  if (spec.ramBytes > 8 * GIB)
    return measurementOf({ spec, status: "failed", error: "stub: too big", wallMs: 1 }, 1024);
  return measurementOf({ ...completed(), spec } as CellResult, 100 * 1024);
}

test("scaleBenchMain: a header, progress per size on stderr, the table, JSON rows", async () => {
  const out = sink();
  const err = sink();
  const json = join(root, "out", "scale.json");
  const code = await scaleBenchMain(
    ["--workload", "toy", "--ram", "1GiB,4GiB", "--set", "rate=7", "--json", json],
    { stdout: out, stderr: err, catalogue, runChild: stubChild, cwd: root },
  );
  assert.equal(code, 0, err.text());
  assert.match(out.text(), /^migbench .* bench:scale · Node v\d+/);
  assert.match(out.text(), /held fixed at every size: rate 7 pages\/s, mode a/);
  assert.match(out.text(), /│ +4 GiB │ completed │/);
  assert.equal(err.text().match(/\[\d\/2\] .*: completed/g)?.length, 2);
  const written = JSON.parse(readFileSync(json, "utf8"));
  assert.equal(written.workload, "toy");
  assert.equal(written.codec, "xbzrle");
  assert.deepEqual(
    written.rows.map((r: ScaleRow & { spec: CellSpec }) => [r.ramBytes, r.spec.ramBytes]),
    [
      [GIB, GIB],
      [4 * GIB, 4 * GIB],
    ],
  );
  assert.ok(readdirSync(join(root, "out")).every((f) => !f.includes(".tmp-")));
});

test("scaleBenchMain: a failed size is a row and exit status 1", async () => {
  const err = sink();
  const code = await scaleBenchMain(["--workload", "toy", "--ram", "1GiB,16GiB"], {
    stdout: sink(),
    stderr: err,
    catalogue,
    runChild: stubChild,
  });
  assert.equal(code, 1);
  assert.match(err.text(), /1 of 2 sizes failed \(first, 16 GiB: stub: too big\)/);
});

test("scaleBenchMain: bad options are usage errors; --help prints the options", async () => {
  const run = (args: string[]) =>
    scaleBenchMain(args, { stdout: sink(), stderr: sink(), catalogue, runChild: stubChild });
  await assert.rejects(run(["--workload", "toy", "--codec", "paper"]), /runs one codec/);
  await assert.rejects(run(["--workload", "toy", "--bogus"]), UsageError);
  await assert.rejects(run(["--workload", "nope"]), /unknown workload/);
  await assert.rejects(run(["--workload", "toy", "--ram", "1GiB,1GiB"]), /listed twice/);
  // --cache-size and --seed are parsed as npm run bench parses them, one value each.
  await assert.rejects(run(["--workload", "toy", "--seed", "1..3"]), /--seed: .*takes one value/);
  await assert.rejects(
    run(["--workload", "toy", "--cache-size", "8GiB"]),
    /--cache-size: "8GiB" is more than 4GiB, the largest cache the simulator holds \(its slots/,
  );
  const out = sink();
  assert.equal(await scaleBenchMain(["--help"], { stdout: out, catalogue }), 0);
  assert.match(out.text(), /--ram/);
  assert.match(out.text(), /--json/);
});

test("SCALE_SETS: sap-like runs with no free pages at every size unless --set says otherwise", async () => {
  const run = async (args: string[]) => {
    const out = sink();
    const ram = args.includes("--ram") ? [] : ["--ram", "1GiB"];
    const code = await scaleBenchMain([...ram, ...args], {
      stdout: out,
      stderr: sink(),
      runChild: stubChild,
    });
    return { code, text: out.text() };
  };
  const ours = await run([]);
  assert.equal(ours.code, 0);
  assert.match(ours.text, /active_bytes 1 GiB, .*zero_share 0 of RAM/);
  assert.match(ours.text, /bench:scale sets zero_share=0 \(not sap-like's default\)/);
  // sap-like's default 10 % of free pages fits beside its 1 GiB active set in 2 GiB...
  const theirs = await run(["--ram", "2GiB", "--set", "zero_share=0.1"]);
  assert.equal(theirs.code, 0);
  assert.match(theirs.text, /zero_share 0\.1 of RAM/);
  assert.doesNotMatch(theirs.text, /bench:scale sets/);
  // ...not in 1 GiB: a usage error before any size runs, not a failed row.
  await assert.rejects(run(["--set", "zero_share=0.1"]), (error: Error) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, /zero_share 0\.1 does not fit outside the active set/);
    return true;
  });
});
