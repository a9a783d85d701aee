import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { builtinCalibration, loadCalibration } from "../../codecs/calibration.ts";
import { type HostProfile, NO_HOST_OVERHEAD } from "../../harness/simulator/host-profile.ts";
import { buildCells, SWEEP_DEFAULTS, type SweepAxes } from "../../harness/sweep/plan.ts";
import { poolThreads, runCells } from "../../harness/sweep/pool.ts";
import { estimatedCellSeconds, WORKER_STARTUP_SECONDS } from "../../harness/sweep/shard.ts";
import type { CellResult } from "../../results/cell.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { uniform } from "../../workloads/uniform.ts";
import { ranCells } from "../fixtures/stub-run-cell.ts";
import { ranInMain } from "../fixtures/stub-run-cell-crash.ts";

const MIB = 1024 ** 2;
const STUB = new URL("../fixtures/stub-run-cell.ts", import.meta.url).href;
const MARKS = new URL("../fixtures/stub-run-cell-marks.ts", import.meta.url).href;
const CRASH = new URL("../fixtures/stub-run-cell-crash.ts", import.meta.url).href;

const axes: SweepAxes = {
  ...SWEEP_DEFAULTS,
  workloads: [{ name: "toy", ramBytes: [64 * MIB], paramSets: [{ rate: 1 }] }],
  codecs: [
    { name: "raw", module: null },
    { name: "xbzrle", module: null },
  ],
  cacheModel: ["direct", "lru"],
  cacheSizeBytes: [16 * MIB, 64 * MIB, 256 * MIB],
  seed: [1, 2],
};

test("runCells simulates a cache-independent cell once and copies it to its twins", async () => {
  const cells = buildCells(axes);
  const results: CellResult[] = [];
  ranCells.length = 0;
  await runCells(
    cells,
    { workers: 0, runCellModule: STUB, calibration: builtinCalibration, profile: NO_HOST_OVERHEAD },
    (result) => results.push(result),
  );
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

test("stopping while workers are posting results neither crashes nor reports late cells", async () => {
  // The race a Ctrl-C under load hit: a worker posts its result while the main thread is busy,
  // the run stops (workers terminated), and the result arrives after the stop. Here the main
  // thread waits, busy, inside onResult until another worker has finished a cell and then a
  // little longer, so that result is in flight when the abort stops the pool.
  const marks = mkdtempSync(join(tmpdir(), "migbench-pool-"));
  process.env.MIGBENCH_TEST_MARK_DIR = marks;
  try {
    const cells = buildCells({ ...axes, seed: Array.from({ length: 12 }, (_, i) => i + 1) });
    for (let round = 0; round < 1; round++) {
      rmSync(marks, { recursive: true, force: true });
      mkdirSync(marks);
      const controller = new AbortController();
      const reported: number[] = [];
      await runCells(
        cells,
        {
          workers: 2,
          runCellModule: MARKS,
          signal: controller.signal,
          calibration: builtinCalibration,
          profile: NO_HOST_OVERHEAD,
        },
        (result) => {
          reported.push(result.spec.index);
          if (controller.signal.aborted || reported.length > 1) return;
          const deadline = Date.now() + 10_000;
          const other = () =>
            readdirSync(marks).some((name) => name !== `${result.spec.index}.done`);
          while (!other() && Date.now() < deadline) {}
          const settle = Date.now() + 100;
          while (Date.now() < settle) {}
          controller.abort();
        },
      );
      // Only what was reported before the abort; the copies of a cache-independent leader count.
      assert.ok(reported.length >= 1 && reported.length < cells.length, `${reported.length}`);
    }
  } finally {
    delete process.env.MIGBENCH_TEST_MARK_DIR;
    rmSync(marks, { recursive: true, force: true });
  }
});

test("cells charge the rates and the host profile read when the run was planned; no cell reads a file", async () => {
  // The main thread reads the file once (bench records its sha256 and rates in manifest.json);
  // then the file goes away. A cell that read it again would fail, or, had it been edited,
  // would charge other rates than the manifest says. Inline and on a worker thread alike.
  const dir = mkdtempSync(join(tmpdir(), "migbench-calibration-"));
  const file = join(dir, "calibration.json");
  const gbps = { zero: 1, unchanged: 1, delta: 1, overflow: 1, raw: 1 };
  writeFileSync(file, JSON.stringify({ source: "test", machine: null, encodeGBps: { raw: gbps } }));
  const calibration = await loadCalibration(file);
  rmSync(dir, { recursive: true, force: true });
  // A profile that exists only as values: a setup time no built-in profile has.
  const profile: HostProfile = { ...NO_HOST_OVERHEAD, source: "test", setupMs: 123 };
  const cells = buildCells({
    ...SWEEP_DEFAULTS,
    workloads: [
      {
        name: "uniform",
        ramBytes: [8 * MIB],
        paramSets: [resolveParams(uniform, ["wss=2MiB", "writes_per_s=2000"])],
      },
    ],
    codecs: [{ name: "raw", module: null }],
    cacheSizeBytes: [MIB],
    seed: [1],
    calibration: file,
  });
  for (const workers of [0, 1]) {
    const results: CellResult[] = [];
    await runCells(cells, { workers, calibration, profile }, (result) => results.push(result));
    assert.equal(results.length, 1);
    const [result] = results;
    assert.ok(result.status !== "failed", result.status === "failed" ? result.error : "");
    assert.equal(result.metrics.setupTimeMs, 123, `workers ${workers}: the profile's setup time`);
    // raw sends every page raw at 1 GB/s: 4096 / 10^9 s of CPU per page sent.
    const pagesSent = result.passes.reduce((sum, pass) => sum + pass.pagesSent, 0);
    const expectedMs = (pagesSent * 4096) / 1e6;
    assert.ok(
      Math.abs(result.metrics.encodeCpuMs - expectedMs) < 1e-6 * expectedMs,
      `workers ${workers}: ${result.metrics.encodeCpuMs} ms of CPU, expected ${expectedMs}`,
    );
  }
});

test("the main thread runs cells while the workers start; each cell is reported once", async () => {
  const cells = buildCells({ ...axes, cacheSizeBytes: [16 * MIB] });
  const reported: number[] = [];
  ranCells.length = 0;
  await runCells(
    cells,
    { workers: 2, runCellModule: STUB, calibration: builtinCalibration, profile: NO_HOST_OVERHEAD },
    (r) => reported.push(r.spec.index),
  );
  assert.deepEqual(
    reported.sort((a, b) => a - b),
    cells.map((cell) => cell.index),
  );
  // ranCells is this thread's copy of the stub: the cells it ran here, before a worker was up.
  assert.ok(ranCells.length >= 1 && ranCells.length <= cells.length);
  assert.equal(ranCells[0], cells[0].index);
});

test("a worker that dies running a cell makes that cell a failed row; the others are run", async () => {
  const marks = mkdtempSync(join(tmpdir(), "migbench-pool-crash-"));
  process.env.MIGBENCH_TEST_MARK_DIR = marks;
  try {
    const cells = buildCells({
      ...axes,
      codecs: [
        { name: "xbzrle", module: null },
        { name: "crash", module: null },
      ],
      cacheModel: ["direct"],
      cacheSizeBytes: [16 * MIB],
      seed: [1, 2, 3, 4],
    });
    const results = new Map<number, CellResult>();
    await runCells(
      cells,
      {
        workers: 2,
        runCellModule: CRASH,
        calibration: builtinCalibration,
        profile: NO_HOST_OVERHEAD,
      },
      (r) => {
        assert.equal(results.has(r.spec.index), false, `cell ${r.spec.index} reported twice`);
        results.set(r.spec.index, r);
      },
    );
    assert.equal(results.size, cells.length);
    // The main thread ran the first cell while the workers started, and runs cells again while
    // the ones started in place of dead workers load (there, "crash" is a normal codec).
    assert.equal(ranInMain[0], 0);
    let died = 0;
    for (const cell of cells) {
      const result = results.get(cell.index);
      if (cell.codec === "crash" && !ranInMain.includes(cell.index)) {
        died++;
        assert.equal(result?.status, "failed");
        if (result?.status === "failed")
          assert.equal(result.error, "its worker thread exited with code 7");
      } else assert.notEqual(result?.status, "failed", `cell ${cell.index}`);
    }
    assert.ok(died >= 1, `no worker died: the main thread ran ${ranInMain}`);
  } finally {
    delete process.env.MIGBENCH_TEST_MARK_DIR;
    rmSync(marks, { recursive: true, force: true });
  }
});

test("a cell estimated to outlast a worker's start-up is left to the workers", async () => {
  // 8 GiB VMs: seconds each by the estimate (harness/sweep/shard.ts); the stub itself is quick.
  const cells = buildCells({
    ...axes,
    workloads: [{ name: "toy", ramBytes: [8 * 1024 * MIB], paramSets: [{ rate: 1 }] }],
    codecs: [{ name: "xbzrle", module: null }],
    cacheModel: ["direct"],
    cacheSizeBytes: [16 * MIB],
  });
  assert.ok(cells.every((cell) => estimatedCellSeconds(cell) > WORKER_STARTUP_SECONDS));
  ranCells.length = 0;
  const reported: number[] = [];
  // Two workers: on a machine of two cores the second starts once the first is ready.
  await runCells(
    cells,
    { workers: 2, runCellModule: STUB, calibration: builtinCalibration, profile: NO_HOST_OVERHEAD },
    (r) => reported.push(r.spec.index),
  );
  assert.deepEqual(
    reported.sort((a, b) => a - b),
    cells.map((cell) => cell.index),
  );
  assert.deepEqual(ranCells, []);
});

test("poolThreads: the workers runCells starts, which a dry run and the manifest report", () => {
  const rawOnly = buildCells({
    ...axes,
    codecs: [{ name: "raw", module: null }],
    seed: [1],
  });
  // Six cells, but raw's cache settings change nothing: one simulation, in the main thread.
  assert.equal(rawOnly.length, 6);
  assert.equal(poolThreads(rawOnly, 8), 0);
  // raw once per seed and xbzrle's 12 cells: 14 simulations, so 8 workers can all start.
  assert.equal(poolThreads(buildCells(axes), 8), 8);
  assert.equal(poolThreads(buildCells({ ...axes, seed: [1] }), 8), 7);
  assert.equal(poolThreads(buildCells(axes), 0), 0);
});
