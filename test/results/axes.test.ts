import assert from "node:assert/strict";
import { test } from "node:test";
import { AXES, AXIS_KEYS, axisColumns, axisTexts } from "../../results/axes.ts";
import type { CellSpec } from "../../results/cell.ts";

const spec: CellSpec = {
  index: 3,
  workload: "sap-like",
  ramBytes: 512 * 1024 ** 2,
  params: {},
  seed: 4294967295,
  codec: "mine",
  codecModule: "/plugins/mine.ts",
  cacheModel: "2way",
  cacheSizeBytes: 64 * 1024 ** 2,
  cacheAge: false,
  bandwidthBytesPerS: 0.125,
  linkBytesPerS: 1.25e9,
  downtimeLimitMs: 1 / 3,
  convergence: "qemu-kvm-0.13",
  bulkSkip: true,
  threads: 4,
  maxTimeMs: 600_000,
  maxPasses: 30,
  calibration: "builtin",
};

test("the axes' columns keep results.csv's order: the cell's key, then the settings", () => {
  // These orders are in every results.csv and passes.csv written so far (test/golden/).
  assert.deepEqual(axisColumns("key"), [
    "workload",
    "codec",
    "cache_model",
    "cache_size_bytes",
    "bandwidth_bytes_per_s",
    "downtime_limit_ms",
    "convergence_rule",
    "seed",
    "ram_bytes",
  ]);
  assert.deepEqual(axisColumns("setting"), [
    "link_bytes_per_s",
    "cache_age",
    "bulk_skip",
    "threads",
    "max_time_ms",
    "max_passes",
    "codec_module",
  ]);
  const columns = AXIS_KEYS.map((key) => AXES[key].column);
  assert.equal(new Set(columns).size, columns.length, "one column per axis");
  for (const key of AXIS_KEYS) assert.ok(AXES[key].title, key);
});

test("each kind of value is written as the CSV files always wrote it", () => {
  assert.deepEqual(axisTexts(spec), {
    workload: "sap-like",
    codec: "mine",
    cache_model: "2way",
    cache_size_bytes: "67108864",
    bandwidth_bytes_per_s: "0.125",
    downtime_limit_ms: "0.333",
    convergence_rule: "qemu-kvm-0.13",
    seed: "4294967295",
    ram_bytes: "536870912",
    link_bytes_per_s: "1250000000",
    cache_age: "off",
    bulk_skip: "on",
    threads: "4",
    max_time_ms: "600000.000",
    max_passes: "30",
    codec_module: "/plugins/mine.ts",
  });
  const none = axisTexts({ ...spec, maxPasses: null, codecModule: null });
  assert.equal(none.max_passes, "");
  assert.equal(none.codec_module, "");
});

test("a value of one axis does not fit another (checked by npm run typecheck)", () => {
  // Each line below must fail to compile: @ts-expect-error fails the typecheck if it does not.
  const swapped: Partial<CellSpec>[] = [
    // @ts-expect-error a cache size is not a RAM size, though both are bytes
    { ramBytes: spec.cacheSizeBytes },
    // @ts-expect-error a link speed is not a bandwidth cap, though both are bytes/s
    { bandwidthBytesPerS: spec.linkBytesPerS },
    // @ts-expect-error a rate is not a size
    { cacheSizeBytes: spec.bandwidthBytesPerS },
    // @ts-expect-error the downtime limit is not the time limit, though both are ms
    { maxTimeMs: spec.downtimeLimitMs },
    // @ts-expect-error a seed is not a thread count
    { threads: spec.seed },
    // @ts-expect-error one switch is not another
    { bulkSkip: spec.cacheAge },
  ];
  // A plain number has no unit or axis to get wrong, so tests and literals stay plain.
  const plain: Partial<CellSpec> = { ramBytes: 4096, threads: 2, bulkSkip: false };
  assert.equal(swapped.length, 6);
  assert.equal(plain.threads, 2);
});
