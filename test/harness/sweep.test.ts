import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AXIS_OPTIONS } from "../../harness/sweep/axis-options.ts";
import {
  buildCells,
  crossProduct,
  expandParamSets,
  SWEEP_DEFAULTS,
  type SweepAxes,
} from "../../harness/sweep/plan.ts";

const MIB = 1024 ** 2;

function axes(overrides: Partial<SweepAxes> = {}): SweepAxes {
  return {
    ...SWEEP_DEFAULTS,
    workloads: [{ name: "toy", ramBytes: [64 * MIB], paramSets: [{ rate: 1 }] }],
    codecs: [
      { name: "raw", module: null },
      { name: "xbzrle", module: null },
    ],
    cacheSizeBytes: [16 * MIB, 64 * MIB],
    seed: [1, 2, 3],
    ...overrides,
  };
}

test("crossProduct: first list outermost, size is the product of the lengths", () => {
  assert.deepEqual(
    crossProduct<number | string>([
      [1, 2],
      ["a", "b"],
    ]),
    [
      [1, "a"],
      [1, "b"],
      [2, "a"],
      [2, "b"],
    ],
  );
  assert.deepEqual(crossProduct([[1, 2], []]), []);
  assert.deepEqual(crossProduct([]), [[]]);
  fc.assert(
    fc.property(fc.array(fc.array(fc.integer(), { maxLength: 4 }), { maxLength: 4 }), (lists) => {
      const combos = crossProduct(lists);
      assert.equal(
        combos.length,
        lists.reduce((n, l) => n * l.length, 1),
      );
      for (const combo of combos) {
        combo.forEach((v, i) => {
          assert.ok(lists[i].includes(v));
        });
      }
      // The last list varies fastest.
      if (combos.length > 1 && lists.length > 0 && lists[lists.length - 1].length > 1)
        assert.equal(combos[1][lists.length - 1], lists[lists.length - 1][1]);
    }),
  );
});

test("buildCells: indices 0..n-1, codec fastest, then seed, then cache size", () => {
  const cells = buildCells(axes());
  assert.equal(cells.length, 2 * 3 * 2);
  assert.deepEqual(
    cells.map((c) => c.index),
    cells.map((_, i) => i),
  );
  assert.deepEqual(
    cells.slice(0, 4).map((c) => [c.codec, c.seed, c.cacheSizeBytes]),
    [
      ["raw", 1, 16 * MIB],
      ["xbzrle", 1, 16 * MIB],
      ["raw", 2, 16 * MIB],
      ["xbzrle", 2, 16 * MIB],
    ],
  );
  assert.equal(cells[6].cacheSizeBytes, 64 * MIB);
  assert.deepEqual(cells[0].params, { rate: 1 });
  assert.equal(cells[0].calibration, "builtin");
});

test("buildCells: the same axes give the same cells (the sweep is pure)", () => {
  assert.deepEqual(buildCells(axes()), buildCells(axes()));
});

test("buildCells: qemu-kvm-0.13 brings 32 MiB/s and 30 ms unless they are given", () => {
  const cells = buildCells(axes({ convergence: ["qemu", "qemu-kvm-0.13"], seed: [1] }));
  const qemu = cells.find((c) => c.convergence === "qemu")!;
  const old = cells.find((c) => c.convergence === "qemu-kvm-0.13")!;
  assert.equal(qemu.bandwidthBytesPerS, 128 * MIB);
  assert.equal(qemu.downtimeLimitMs, 300);
  assert.equal(old.bandwidthBytesPerS, 32 * MIB);
  assert.equal(old.downtimeLimitMs, 30);
  assert.equal(AXIS_OPTIONS.downtimeLimitMs.byRule?.["qemu-kvm-0.13"], 30);
  const given = buildCells(
    axes({
      convergence: ["qemu-kvm-0.13"],
      bandwidthBytesPerS: [64 * MIB],
      downtimeLimitMs: [100],
      seed: [1],
    }),
  );
  assert.ok(given.every((c) => c.bandwidthBytesPerS === 64 * MIB && c.downtimeLimitMs === 100));
});

test("buildCells: every axis multiplies the cell count", () => {
  const cells = buildCells(
    axes({
      workloads: [
        { name: "a", ramBytes: [64 * MIB, 128 * MIB], paramSets: [{ r: 1 }, { r: 2 }] },
        { name: "b", ramBytes: [64 * MIB], paramSets: [{}] },
      ],
      cacheModel: ["direct", "2way", "lru"],
      bandwidthBytesPerS: [32 * MIB, 128 * MIB],
      maxPasses: [null, 5],
      seed: [1],
    }),
  );
  // workload a: 2 RAM × 2 params; b: 1 — times 3 models × 2 sizes × 2 bandwidths × 2 × 2 codecs.
  assert.equal(cells.length, (4 + 1) * 3 * 2 * 2 * 2 * 2);
  assert.equal(cells.at(-1)!.workload, "b");
  assert.equal(new Set(cells.map((c) => JSON.stringify({ ...c, index: 0 }))).size, cells.length);
});

test("expandParamSets: the first key varies slowest, defaults kept", () => {
  const sets = expandParamSets(
    { a: 0, b: "x", c: 9 },
    new Map<string, (number | string)[]>([
      ["a", [1, 2]],
      ["b", ["y", "z"]],
    ]),
  );
  assert.deepEqual(sets, [
    { a: 1, b: "y", c: 9 },
    { a: 1, b: "z", c: 9 },
    { a: 2, b: "y", c: 9 },
    { a: 2, b: "z", c: 9 },
  ]);
  assert.deepEqual(expandParamSets({ a: 0 }, new Map()), [{ a: 0 }]);
});
