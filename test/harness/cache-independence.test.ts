import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinCodecs } from "../../codecs/registry.ts";
import { cacheIndependentKey, usesPageCache } from "../../harness/simulator/cache-independence.ts";
import { simulate } from "../../harness/simulator/precopy.ts";
import { buildCells, SWEEP_DEFAULTS, type SweepAxes } from "../../harness/sweep/plan.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { uniform } from "../../workloads/uniform.ts";
import { baseSpec, FREE_CPU, MiB } from "./precopy-fixtures.ts";

const axes: SweepAxes = {
  ...SWEEP_DEFAULTS,
  workloads: [{ name: "toy", ramBytes: [64 * MiB], paramSets: [{ rate: 1 }] }],
  codecs: [
    { name: "raw", module: null },
    { name: "xbzrle", module: null },
  ],
  cacheModel: ["direct", "lru"],
  cacheSizeBytes: [16 * MiB, 64 * MiB, 256 * MiB],
  seed: [1, 2],
};

test("cacheIndependentKey: only codecs without a previous copy ignore the cache settings", () => {
  const cells = buildCells(axes);
  const raw = cells.filter((cell) => cell.codec === "raw");
  const keys = new Set(raw.map(cacheIndependentKey));
  assert.equal(keys.size, 2, "one key per seed: cache model and size do not matter to raw");
  for (const cell of cells.filter((c) => c.codec === "xbzrle")) {
    assert.equal(cacheIndependentKey(cell), null);
  }
  assert.equal(cacheIndependentKey({ ...raw[0], codecModule: "./mine.ts" }), null);
});

test("cacheIndependentKey follows the codec's declared usesPrevious, for every built-in", () => {
  const cell = buildCells(axes)[0];
  for (const codec of builtinCodecs) {
    const key = cacheIndependentKey({ ...cell, codec: codec.name });
    assert.equal(key === null, usesPageCache(codec), codec.name);
  }
});

test("a codec without a page cache gives the same migration under any cache settings", () => {
  const run = (codecName: string, cacheModel: "direct" | "lru", cacheSizeBytes: number) => {
    const codec = builtinCodecs.find((definition) => definition.name === codecName)!;
    const spec = baseSpec({ ramBytes: 16 * MiB, codec: codecName, cacheModel, cacheSizeBytes });
    const workload = uniform.create({
      ramBytes: spec.ramBytes,
      seed: 1,
      params: resolveParams(uniform, ["wss=4MiB", "writes_per_s=5000"]),
    });
    assert.ok(!(workload instanceof Promise));
    return simulate({ spec, workload, codec, encodeSecondsPerPage: FREE_CPU });
  };
  for (const codec of ["raw", "zero", "lz4"]) {
    assert.deepEqual(run(codec, "lru", 1 * MiB), run(codec, "direct", 8 * MiB), codec);
  }
});
