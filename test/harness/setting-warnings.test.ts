import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinCalibration } from "../../codecs/calibration.ts";
import { parseArgs } from "../../harness/cli/bench-options.ts";
import { dryRunReport } from "../../harness/sweep/dry-run.ts";
import { planSweep } from "../../harness/sweep/options.ts";
import { settingWarnings } from "../../harness/sweep/setting-warnings.ts";
import { estimatedSeconds, shardCells } from "../../harness/sweep/shard.ts";
import { builtinCatalogue } from "../../workloads/catalogue.ts";

// bench --dry-run's report and its warnings about settings that change no result, from a plan
// made as bench makes it.

async function planOf(args: string[]) {
  const { argv } = parseArgs(args);
  const plan = await planSweep(argv, process.cwd(), builtinCatalogue, false);
  return { plan, given: (flag: string) => argv[flag] !== undefined };
}

const VM = ["--workload", "uniform", "--ram", "64MiB", "--set", "wss=32MiB"];

async function warningsOf(args: string[]) {
  const { plan, given } = await planOf([...VM, ...args]);
  return settingWarnings({
    cells: plan.cells,
    codecs: plan.codecs,
    calibration: plan.calibration.rates,
    given,
  });
}

test("cache settings without a codec that uses the cache: given, or a default list", async () => {
  assert.deepEqual(await warningsOf(["--codec", "raw,zero", "--cache-size", "16MiB"]), [
    "--cache-size changes no result: no codec of the sweep (raw, zero) uses the page cache (a delta codec such as xbzrle does)",
  ]);
  const defaults = await warningsOf(["--codec", "lz4", "--cache", "direct,lru"]);
  assert.deepEqual(defaults, [
    "--cache changes no result: no codec of the sweep (lz4) uses the page cache (a delta codec such as xbzrle does); its 2 values only repeat every cell",
    "the default --cache-size 16MiB,64MiB,256MiB repeats every cell 3 times with the same result: no codec of the sweep (lz4) uses the page cache (a delta codec such as xbzrle does); give one --cache-size",
  ]);
  assert.deepEqual(await warningsOf(["--codec", "raw,xbzrle", "--cache", "direct,lru"]), []);
});

test("--threads when every page is sent faster than encoded: raw on any link up to its copy rate", async () => {
  assert.equal(
    (await warningsOf(["--codec", "raw", "--cache-size", "1MiB", "--threads", "4"])).length,
    2,
  );
  assert.deepEqual(
    await warningsOf(["--codec", "raw", "--threads", "1,4", "--cache-size", "1MiB"]),
    [
      "--cache-size changes no result: no codec of the sweep (raw) uses the page cache (a delta codec such as xbzrle does)",
      "--threads changes no result: every page of raw takes less time to encode than to send at the link's speed, so the wire, not the encoder, sets every chunk's time",
    ],
  );
  // zero's 9-byte ZERO record goes out faster than its zero check runs; xbzrle's deltas are
  // small: the encoder can set the pace, so threads matter.
  for (const codec of ["zero", "xbzrle", "lz4"])
    assert.ok(
      (await warningsOf(["--codec", codec, "--threads", "1,4", "--cache-size", "1MiB"])).every(
        (line) => !line.startsWith("--threads"),
      ),
      codec,
    );
  // raw copies a page at 24 GB/s (the built-in rate): a faster link than that is not wire-bound.
  assert.equal(builtinCalibration.encodeGBps.raw.raw, 24);
  const fast = await warningsOf([
    ...["--codec", "raw", "--threads", "1,4", "--cache-size", "1MiB", "--link-speed", "40GB/s"],
  ]);
  assert.ok(fast.every((line) => !line.startsWith("--threads")));
});

test("the report: the sweep's cells, the part's share of the estimated work, the time on the workers", async () => {
  const { plan, given } = await planOf([...VM, "--codec", "xbzrle", "--seed", "1..8"]);
  const shard = { index: 2, count: 4 };
  const cells = shardCells(plan.cells, shard);
  const report = dryRunReport({ plan, cells, shard, workers: 2, given });
  assert.deepEqual(report.warnings, []);
  const seconds = estimatedSeconds(cells) / 2;
  assert.deepEqual(report.lines.slice(0, 2), [
    "sweep: 24 cells",
    "shard 2/4: 6 cells, 25 % of the sweep's estimated work",
  ]);
  assert.match(
    report.lines[2],
    new RegExp(`^estimated time: ${seconds.toFixed(1)} s on 2 workers`),
  );
});
