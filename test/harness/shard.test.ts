import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  autoWorkers,
  estimatedCellPages,
  estimatedSeconds,
  parseShard,
  resolveShard,
  SECONDS_PER_ESTIMATED_PAGE,
  shardCells,
  splitCells,
} from "../../harness/sweep/shard.ts";
import { UsageError } from "../../lib/errors.ts";
import type { CellSpec } from "../../results/cell.ts";

const MIB = 1024 ** 2;

function cell(index: number, ramMiB: number, maxTimeMs = 600_000): CellSpec {
  return {
    index,
    workload: "uniform",
    ramBytes: ramMiB * MIB,
    params: {},
    seed: 1,
    codec: "xbzrle",
    codecModule: null,
    cacheModel: "direct",
    cacheSizeBytes: 64 * MIB,
    cacheAge: true,
    bandwidthBytesPerS: 128 * MIB,
    linkBytesPerS: 1.25e9,
    downtimeLimitMs: 300,
    convergence: "qemu",
    bulkSkip: true,
    threads: 1,
    maxTimeMs,
    maxPasses: null,
    calibration: "builtin",
  };
}

test("parseShard: K/N with 1 ≤ K ≤ N, nothing else", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  assert.deepEqual(parseShard("1/1"), { index: 1, count: 1 });
  for (const bad of ["0/4", "5/4", "1/0", "2", "a/b", "-1/4", "1/4/2", " 1/4"])
    assert.equal(parseShard(bad), null, bad);
});

test("the estimate: RAM pages plus what the cap lets through in four bulk passes or --max-time", () => {
  // 1 GiB at 128 MiB/s: bulk 8 s, four passes 32 s < 600 s: 262 144 + 32 768 × 32 pages.
  assert.equal(estimatedCellPages(cell(0, 1024)), 262_144 + 32_768 * 32);
  // --max-time 10 s caps the time part: 32 768 × 10.
  assert.equal(estimatedCellPages(cell(0, 1024, 10_000)), 262_144 + 32_768 * 10);
});

test("splitCells: a partition of the cells, deterministic, each part in cell order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 0, maxLength: 60 }),
      fc.integer({ min: 1, max: 9 }),
      (rams, count) => {
        const cells = rams.map((ram, i) => cell(i, ram));
        const parts = splitCells(cells, count);
        assert.equal(parts.length, count);
        const all = parts.flat().sort((a, b) => a - b);
        assert.deepEqual(
          all,
          cells.map((c) => c.index),
        );
        for (const part of parts)
          assert.deepEqual(
            part,
            [...part].sort((a, b) => a - b),
          );
        assert.deepEqual(splitCells([...cells].reverse(), count), parts);
      },
    ),
  );
});

test("splitCells balances cost, not count: one huge cell gets a part to itself", () => {
  const cells = [cell(0, 16 * 1024), ...Array.from({ length: 8 }, (_, i) => cell(i + 1, 256))];
  const [first, second] = splitCells(cells, 2);
  assert.deepEqual(first, [0]);
  assert.deepEqual(second, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    shardCells(cells, { index: 2, count: 2 }).map((c) => c.index),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
});

test("autoWorkers: the main thread for a little work, a worker per 2 s of estimated work up to the cores", () => {
  const small = Array.from({ length: 16 }, (_, i) => cell(i, 64));
  assert.equal(autoWorkers(small, 8), 0);
  const big = Array.from({ length: 16 }, (_, i) => cell(i, 2048));
  assert.equal(autoWorkers(big, 2), 2);
  assert.equal(autoWorkers(big, 64), Math.floor((16 * estimatedCellPages(big[0]) * 1.2e-6) / 2));
});

test("resolveShard: K/N as written, slurm/N from SLURM_ARRAY_TASK_ID, k8s/N from JOB_COMPLETION_INDEX + 1", () => {
  assert.deepEqual(resolveShard("3/8", {}), { index: 3, count: 8 });
  assert.deepEqual(resolveShard("slurm/8", { SLURM_ARRAY_TASK_ID: "8" }), { index: 8, count: 8 });
  assert.deepEqual(resolveShard("k8s/8", { JOB_COMPLETION_INDEX: "0" }), { index: 1, count: 8 });
  assert.deepEqual(resolveShard("k8s/8", { JOB_COMPLETION_INDEX: "7" }), { index: 8, count: 8 });
  const refused: [string, NodeJS.ProcessEnv, RegExp][] = [
    ["9/8", {}, /"9\/8" is not K\/N \(1 ≤ K ≤ N\), slurm\/N or k8s\/N/],
    ["slurm/0", {}, /not K\/N/],
    ["pbs/4", {}, /not K\/N/],
    [
      "slurm/4",
      {},
      /SLURM_ARRAY_TASK_ID is not set \(run it as a task of a Slurm job array --array=1-4\)/,
    ],
    ["slurm/4", { SLURM_ARRAY_TASK_ID: "0" }, /SLURM_ARRAY_TASK_ID is "0", not 1\.\.4/],
    ["slurm/4", { SLURM_ARRAY_TASK_ID: "5" }, /is "5", not 1\.\.4/],
    [
      "k8s/4",
      { JOB_COMPLETION_INDEX: "4" },
      /JOB_COMPLETION_INDEX is "4", not 0\.\.3 \(run it as a pod of a Kubernetes Indexed Job with 4 completions\)/,
    ],
    ["k8s/4", { JOB_COMPLETION_INDEX: "x" }, /is "x", not 0\.\.3/],
  ];
  for (const [text, env, message] of refused)
    assert.throws(
      () => resolveShard(text, env),
      (error: Error) => {
        assert.ok(error instanceof UsageError, text);
        assert.match(error.message, message);
        return true;
      },
    );
});

test("a cache-independent group is one cost and stays in one part; raw costs a quarter", () => {
  // raw at 4 cache sizes: simulated once (harness/sweep/pool.ts), so one unit of one cell's cost.
  const raw = [16, 32, 64, 128].map((cacheMiB, i) => ({
    ...cell(i, 1024),
    codec: "raw",
    cacheSizeBytes: cacheMiB * MIB,
  }));
  const xbzrle = [4, 5, 6].map((i) => cell(i, 1024));
  const parts = splitCells([...raw, ...xbzrle], 4);
  assert.ok(
    parts.some((part) => [0, 1, 2, 3].every((i) => part.includes(i))),
    JSON.stringify(parts),
  );
  assert.equal(estimatedCellPages(raw[0]), estimatedCellPages(xbzrle[0]) / 4);
  assert.equal(estimatedSeconds(raw), estimatedCellPages(raw[0]) * SECONDS_PER_ESTIMATED_PAGE);
  // A trace's cell (RAM 0 until it is opened) is taken to send at the cap until --max-time.
  assert.equal(estimatedCellPages({ ...cell(0, 0, 10_000) }), 32_768 * 10);
});
