import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { InputError } from "../../lib/errors.ts";
import { missRateRows } from "../../reports/charts/cache-miss-rate.ts";
import { representativeCell } from "../../reports/charts/pass-timeline.ts";
import { chartInput } from "../../reports/charts/registry.ts";
import { SOME_SEEDS, totalsRows } from "../../reports/charts/time-and-transferred.ts";
import { loadRun, parseCodecBench } from "../../reports/data.ts";
import { seedCount } from "../../reports/seed-groups.ts";
import { meanInterval, tCritical95 } from "../../reports/stats.ts";
import { readResults } from "../../results/records.ts";

const FIXTURE = new URL("../fixtures/reports/sweep-run/", import.meta.url).pathname;

test("95 % t-interval: exact numbers", () => {
  // mean 2, s = 1, n = 3: half-width = t(0.975, 2) · 1/√3 = 4.3027/1.7320508 = 2.48417
  const m = meanInterval([1, 2, 3]);
  assert.ok(m);
  assert.equal(m.n, 3);
  assert.equal(m.mean, 2);
  assert.ok(Math.abs(m.high - 2 - 4.3027 / Math.sqrt(3)) < 1e-12);
  assert.ok(Math.abs(m.low - (2 - 4.3027 / Math.sqrt(3))) < 1e-12);
  // n = 2: s = √2·|a−b|/2; 10 and 14 → s = 2.828427, half = 12.7062 · 2.828427/√2 = 25.4124
  const two = meanInterval([10, 14]);
  assert.ok(two && Math.abs(two.high - 12 - 25.4124) < 1e-9);
  assert.deepEqual(meanInterval([5]), { n: 1, mean: 5, low: 5, high: 5 });
  assert.equal(meanInterval([]), null);
  assert.equal(tCritical95(1), 12.7062);
  assert.equal(tCritical95(30), 2.0423);
  assert.equal(tCritical95(35), 2.0423); // conservative: next lower tabulated df
  assert.equal(tCritical95(1000), 1.9799);
  assert.throws(() => tCritical95(0), RangeError);
});

test("the interval contains the mean and narrows as the t value falls (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 40 }),
      (xs) => {
        const m = meanInterval(xs);
        assert.ok(m);
        assert.ok(m.low <= m.mean + 1e-6 && m.mean <= m.high + 1e-6);
        assert.ok(
          Math.abs(m.mean - m.low - (m.high - m.mean)) <= 1e-6 * (1 + Math.abs(m.high - m.low)),
        );
      },
    ),
  );
  for (let df = 2; df < 200; df++) assert.ok(tCritical95(df) <= tCritical95(df - 1));
});

test("the fixture run loads: cells, passes, manifest, codec bench", () => {
  const run = loadRun(FIXTURE);
  assert.equal(run.cells.length, 96);
  assert.equal(run.cells.filter((c) => c.status === "failed").length, 1);
  assert.ok(run.cells.some((c) => c.status === "did-not-converge"));
  const failed = run.cells.find((c) => c.status === "failed");
  assert.equal(failed?.totalTimeMs, null);
  assert.match(failed?.error ?? "", /RangeError/);
  assert.ok(run.passes.length > 1000);
  assert.equal(run.manifest?.migbench, "0.1.0");
  assert.ok(run.codecBench && run.codecBench.length > 0);
  assert.equal(seedCount(run.cells), 2);
});

test("tidy rows: pooled over seeds, failed cells left out, mixed outcomes kept apart", () => {
  const run = loadRun(FIXTURE);
  const totals = totalsRows(chartInput(run));
  // 96 cells = 48 settings × 2 seeds; the failed cell's setting keeps its other seed.
  assert.equal(totals.length, 48 * 2);
  const mixed = totals.filter((r) => r.outcome === SOME_SEEDS);
  assert.ok(mixed.length > 0);
  for (const row of mixed)
    assert.equal(row.seeds, 1, "a mixed setting is the mean of the completed seeds");
  // A setting where no seed completed has no value: it is no bar, it says what it spent.
  const stopped = totals.filter((r) => r.value === null);
  assert.ok(stopped.length > 0);
  for (const row of stopped) assert.match(row.stopped, /: did not converge \((stopped at|.* sent)/);
  const misses = missRateRows(chartInput(run));
  assert.ok(misses.every((r) => r.codec === "xbrle" || r.codec === "xbzrle"));
  const cell = representativeCell(run.cells, run.passes);
  assert.equal(cell?.codec, "xbzrle");
  assert.equal(cell?.cacheSizeBytes, 64 * 1024 ** 2);
  assert.equal(cell?.status, "completed");
});

test("bad input is an InputError naming the file and what is wrong", () => {
  const dir = mkdtempSync(join(tmpdir(), "migbench-report-data-"));
  try {
    const results = join(dir, "results.csv");
    assert.throws(
      () => loadRun(dir),
      (e) => e instanceof InputError && /results\.csv: no such file/.test(e.message),
    );
    writeFileSync(results, "workload,codec\nsap-like,raw\n");
    assert.throws(
      () => readResults(results),
      (e) => e instanceof InputError && /missing column\(s\) cache_model/.test(e.message),
    );
    const good = readFileSync(join(FIXTURE, "results.csv"), "utf8").split("\n");
    writeFileSync(results, [good[0], good[1].replace("did-not-converge", "exploded")].join("\n"));
    assert.throws(
      () => readResults(results),
      (e) => e instanceof InputError && /row 2: unknown status "exploded"/.test(e.message),
    );
    writeFileSync(results, [good[0], good[1].replace(",16777216,", ",lots,")].join("\n"));
    assert.throws(
      () => readResults(results),
      (e) => e instanceof InputError && /cache_size_bytes is "lots"/.test(e.message),
    );
    const bench = join(dir, "bench.json");
    writeFileSync(bench, '{"codec": "raw"}');
    assert.throws(
      () => parseCodecBench(bench),
      (e) =>
        e instanceof InputError && /expected bench:codecs --export-json output/.test(e.message),
    );
    // Today's export (rows under "results", with settings and samples) and the bare array of
    // older files read alike.
    const row = {
      codec: "zstd:3",
      kind: "sparse",
      encodeGBps: 0.8,
      decodeGBps: 19.7,
      encodedPercent: 100,
      overflowPercent: null,
    };
    writeFileSync(bench, JSON.stringify({ results: [row], settings: { timeMs: 1000 } }));
    const exported = parseCodecBench(bench);
    writeFileSync(bench, JSON.stringify([row]));
    assert.deepEqual(parseCodecBench(bench), exported);
    assert.equal(exported[0].codec, "zstd:3");
    writeFileSync(bench, '[{"codec": "raw", "kind": 3}]');
    assert.throws(
      () => parseCodecBench(bench),
      (e) => e instanceof InputError && /entry 0/.test(e.message),
    );
    writeFileSync(bench, "[{");
    assert.throws(
      () => parseCodecBench(bench),
      (e) => e instanceof InputError && /not valid JSON/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the committed report fixtures are what test/fixtures/reports/generate.ts writes", async () => {
  // The fixtures must carry every column the runner writes; a schema change that forgot to
  // regenerate them left results.csv two columns short once.
  const { FIXTURE_RUN_DIR, writeFixtures } = await import("../fixtures/reports/generate.ts");
  const dir = mkdtempSync(join(tmpdir(), "migbench-fixtures-"));
  try {
    writeFixtures(dir);
    for (const file of ["results.csv", "passes.csv", "manifest.json", "codec-bench.json"]) {
      assert.equal(
        readFileSync(join(dir, file), "utf8"),
        readFileSync(join(FIXTURE_RUN_DIR, file), "utf8"),
        `${file} is stale: rerun test/fixtures/reports/generate.ts`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
