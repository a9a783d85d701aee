import assert from "node:assert/strict";
import { test } from "node:test";
import type { CellResult } from "../../harness/cell.ts";
import { cacheIndependentKey, runCells } from "../../harness/pool.ts";
import { buildCells, SWEEP_DEFAULTS, type SweepAxes } from "../../harness/sweep.ts";
import { ranCells } from "../fixtures/stub-run-cell.ts";

const MIB = 1024 ** 2;
const STUB = new URL("../fixtures/stub-run-cell.ts", import.meta.url).href;

const axes: SweepAxes = {
  ...SWEEP_DEFAULTS,
  workloads: [{ name: "toy", ramBytes: [64 * MIB], paramSets: [{ rate: 1 }] }],
  codecs: [
    { name: "raw", module: null },
    { name: "xbzrle", module: null },
  ],
  cacheModels: ["direct", "lru"],
  cacheSizesBytes: [16 * MIB, 64 * MIB, 256 * MIB],
  seeds: [1, 2],
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

test("runCells simulates a cache-independent cell once and copies it to its twins", async () => {
  const cells = buildCells(axes);
  const results: CellResult[] = [];
  ranCells.length = 0;
  await runCells(cells, { workers: 0, runCellModule: STUB }, (result) => results.push(result));
  assert.equal(results.length, cells.length);
  assert.deepEqual(
    results.map((r) => r.spec.index).sort((a, b) => a - b),
    cells.map((c) => c.index),
  );
  // 12 xbzrle cells (2 models × 3 sizes × 2 seeds), all simulated; 12 raw cells, 2 simulated.
  assert.equal(results.filter((r) => r.spec.codec === "xbzrle").length, 12);
  const copies = results.filter((r) => r.spec.codec === "raw");
  assert.equal(copies.length, 12);
  for (const copy of copies) {
    const twin = copies.find((r) => r.spec.seed === copy.spec.seed && r !== copy)!;
    assert.equal(copy.status, twin.status);
    if (copy.status !== "failed" && twin.status !== "failed") {
      assert.deepEqual(copy.metrics, twin.metrics);
    }
  }
  assert.equal(copies.filter((r) => r.wallMs === 0).length, 12 - 2);
  const ran = cells.filter((cell) => ranCells.includes(cell.index));
  assert.equal(ran.filter((cell) => cell.codec === "raw").length, 2);
  assert.equal(ran.filter((cell) => cell.codec === "xbzrle").length, 12);
});
