import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AXIS_DEFAULTS,
  AXIS_OPTIONS,
  axisList,
  axisOptionsRecord,
  parseAxisLists,
  SETTING_NESTING,
} from "../../harness/sweep/axis-options.ts";
import { UsageError } from "../../lib/errors.ts";
import { keysOf } from "../../lib/keys.ts";
import { CONVERGENCE_RULES } from "../../results/axes.ts";

const MIB = 1024 ** 2;

test("every axis option has its own flag and manifest name", () => {
  const rows = keysOf(AXIS_OPTIONS).map((key) => AXIS_OPTIONS[key]);
  assert.equal(new Set(rows.map((r) => r.flag)).size, rows.length);
  assert.equal(new Set(rows.map((r) => r.optionsKey)).size, rows.length);
});

test("defaults: the help's text is the list; a rule's default is null until a cell's rule picks", () => {
  for (const key of keysOf(AXIS_OPTIONS)) {
    const { byRule } = AXIS_OPTIONS[key];
    if (byRule === undefined) assert.notEqual(AXIS_DEFAULTS[key], null, key);
    else {
      assert.equal(AXIS_DEFAULTS[key], null, key);
      for (const rule of CONVERGENCE_RULES)
        assert.deepEqual(axisList(AXIS_DEFAULTS, key, rule), [byRule[rule]], `${key} ${rule}`);
    }
  }
  assert.deepEqual(AXIS_DEFAULTS.cacheSizeBytes, [16 * MIB, 64 * MIB, 256 * MIB]);
  assert.deepEqual(AXIS_DEFAULTS.maxPasses, [null]);
  assert.deepEqual(axisList(AXIS_DEFAULTS, "bandwidthBytesPerS", "qemu-kvm-0.13"), [32 * MIB]);
});

test("the manifest records the lists under their first names, in --help's order", () => {
  const lists = parseAxisLists({ "cache-size": "1MiB,2MiB", seed: "3..4", "max-passes": "none,7" });
  assert.deepEqual(Object.keys(axisOptionsRecord(lists)), [
    "cacheModels",
    "cacheSizesBytes",
    "cacheAge",
    "bandwidthsBytesPerS",
    "linkBytesPerS",
    "downtimeLimitsMs",
    "convergence",
    "bulkSkip",
    "threads",
    "maxTimeMs",
    "maxPasses",
    "seeds",
  ]);
  const record = axisOptionsRecord(lists, ["seed"]);
  assert.deepEqual(record.cacheSizesBytes, [MIB, 2 * MIB]);
  assert.deepEqual(record.maxPasses, [null, 7]);
  assert.equal(record.bandwidthsBytesPerS, null);
  assert.ok(!("seeds" in record));
});

test("a bad item or a flag given twice is a usage error naming the flag", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ "bulk-skip": "yes" }, /^--bulk-skip: "yes" is not on or off$/],
    [{ threads: "256" }, /^--threads: "256" is not a whole number from 1 to 255 \(QEMU's/],
    [{ seed: "2..1" }, /^--seed: "2\.\.1" is not a range low\.\.high of at most 100001 seeds$/],
    [{ "max-time": ["1s", "2s"] }, /^--max-time: given 2 times; give one comma list/],
  ];
  for (const [texts, pattern] of cases)
    assert.throws(
      () => parseAxisLists(texts),
      (error: Error) => error instanceof UsageError && pattern.test(error.message),
      JSON.stringify(texts),
    );
});

test("every axis but the rule varies inside it, each once", () => {
  const nested = new Set<string>(SETTING_NESTING);
  assert.equal(nested.size, SETTING_NESTING.length);
  assert.deepEqual(
    keysOf(AXIS_OPTIONS).filter((key) => !nested.has(key)),
    ["convergence"],
  );
});
