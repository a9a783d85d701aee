import assert from "node:assert/strict";
import { test } from "node:test";
import { QEMU_72_TCG, validateHostProfile } from "../../harness/simulator/host-profile.ts";
import { fitTable } from "../../validate/fit-table.ts";
import { quickMatrix } from "../../validate/matrix.ts";
import type { LabRun } from "../../validate/migration-run.ts";
import {
  codecMicros,
  finalTransferBytes,
  fitHostProfile,
  fitSenderWithSlowdown,
  fitSetup,
  pagesByOutcome,
  type SenderSample,
  senderSample,
  setupFields,
} from "../../validate/profile-fit.ts";
import { fixture, idle, MiB, run, TRUE_MICROS } from "./lab-fixture.ts";

test("pagesByOutcome: misses and overflows leave ram.normal, hits exclude overflows", () => {
  const pages = pagesByOutcome(
    {
      status: "active",
      ram: { duplicate: 9, normal: 100 },
      "xbzrle-cache": { pages: 30, "cache-miss": 20, overflow: 5 },
    },
    true,
  );
  assert.deepEqual(pages, { zero: 9, normal: 75, hit: 25, miss: 20, overflow: 5 });
});

test("finalTransferBytes: growth after the last active poll less the live stream before the stop", () => {
  const r = run(idle, { zero: 1, normal: 1, hit: 0, miss: 0 }, 0, 4);
  assert.equal(finalTransferBytes(r), 4 * MiB);
  // Stop 50 ms after the last poll at 10 000 bytes/ms (1 MB per 100 ms): 500 000 bytes were live.
  const later = {
    ...r,
    final: { ...r.final, "total-time": 2050 + (r.final?.downtime ?? 0) },
  } as LabRun;
  assert.equal(finalTransferBytes(later), 4 * MiB - 500_000);
  assert.equal(finalTransferBytes({ ...r, outcome: "did-not-converge" }), null);
  // QEMU's own count of what went while the VM was stopped wins over the estimate.
  const counted = {
    ...later,
    final: { ...later.final, ram: { ...later.final?.ram, "downtime-bytes": 1234567 } },
  } as LabRun;
  assert.equal(finalTransferBytes(counted), 1234567);
});

test("fitHostProfile recovers known setup, downtime and per-outcome sender costs", () => {
  // ±0.2 % deterministic noise on the CPU times.
  const fit = fitHostProfile(
    [{ dir: "runs/a", runs: fixture((i) => (i % 2 ? 0.002 : -0.002)) }],
    QEMU_72_TCG,
  );
  const { profile } = fit;
  assert.equal(profile.setupMs, 165);
  assert.ok(Math.abs(profile.downtimeFixedMs - 8) < 1e-6);
  assert.ok(Math.abs((fit.downtime?.slope ?? 0) - 0.5) < 1e-6);
  for (const o of ["zero", "normal", "hit", "miss"] as const)
    assert.ok(
      Math.abs(profile.senderMicrosPerPage[o] - TRUE_MICROS[o]) / TRUE_MICROS[o] < 0.05,
      `${o}: ${profile.senderMicrosPerPage[o]} vs ${TRUE_MICROS[o]}`,
    );
  // No run overflowed: the built-in value stays, and the file says so.
  assert.equal(profile.senderMicrosPerPage.overflow, QEMU_72_TCG.senderMicrosPerPage.overflow);
  assert.deepEqual(profile.fittedFrom?.builtinOutcomes, ["overflow"]);
  assert.deepEqual(profile.fittedFrom?.loadAverage1m, { min: 1, max: 5 });
  assert.equal(profile.fittedFrom?.migrations, 8);
  assert.ok(fit.sender.rSquared > 0.99);
  // What --fit writes is what --profile FILE reads.
  assert.deepEqual(validateHostProfile(JSON.parse(JSON.stringify(profile)), "fit.json"), profile);
  assert.match(
    fitTable(fit),
    /\| sender µs\/page: overflow \| 4\.300 \(built-in: not identifiable\)/,
  );
});

test("fitHostProfile on degenerate runs: collinear outcomes and too few runs keep the built-in values", () => {
  // Every run has zero and normal pages in the same 4:1 ratio and no cache: nothing separates them.
  const same = [0, 1, 2].map((i) =>
    run(idle, { zero: 40_000 * (i + 1), normal: 10_000 * (i + 1), hit: 0, miss: 0 }, i, 2),
  );
  const fit = fitHostProfile([{ dir: "runs/b", runs: same }], QEMU_72_TCG);
  assert.deepEqual(fit.profile.senderMicrosPerPage, QEMU_72_TCG.senderMicrosPerPage);
  assert.deepEqual(fit.profile.fittedFrom?.builtinOutcomes, [
    "zero",
    "normal",
    "hit",
    "miss",
    "overflow",
  ]);
  // One final-transfer size only: the slope is not determined, but the line is still ≥ 0.
  assert.ok((fit.downtime?.fixed ?? -1) >= 0 && (fit.downtime?.slope ?? -1) >= 0);
  const none = fitHostProfile([{ dir: "runs/c", runs: [] }], QEMU_72_TCG);
  assert.equal(none.profile.setupMs, QEMU_72_TCG.setupMs);
  assert.equal(none.downtime, null);
});

test("senderSample: CPU time at the last poll the thread was seen, or wall time after setup", () => {
  const r = run(idle, { zero: 1000, normal: 500, hit: 0, miss: 0 }, 0, 2);
  const pages = { zero: 1000, normal: 500, hit: 0, miss: 0, overflow: 0 };
  const cpu = senderSample(r, "x");
  assert.ok(Math.abs((cpu?.micros ?? 0) - (2.2 * 1000 + 4.5 * 500)) < 1e-6);
  // Wall: total 2009 ms − setup 150 − a fixed downtime of 9 = 1850 ms, less the codec's time.
  const wall = senderSample(r, "x", "wall", 9);
  assert.ok(Math.abs((wall?.micros ?? 0) - (1_850_000 - codecMicros(pages, false))) < 1e-6);
  assert.equal(senderSample({ ...r, outcome: "did-not-converge" }, "x", "wall"), null);
});

test("senderSample: a real.json from before polls carried CPU time pairs the run's last reading with its last active poll", () => {
  const r = run(idle, { zero: 1000, normal: 500, hit: 0, miss: 0 }, 0, 2);
  const old = {
    ...r,
    polls: r.polls.map(({ atMs, info }) => ({ atMs, info })),
    migrationThreadCpuS: 0.01,
  };
  const pages = { zero: 1000, normal: 500, hit: 0, miss: 0, overflow: 0 };
  assert.ok(
    Math.abs((senderSample(old, "x")?.micros ?? 0) - (10_000 - codecMicros(pages, false))) < 1e-6,
  );
  assert.equal(senderSample({ ...old, migrationThreadCpuS: null }, "x"), null);
});

test("fitSenderWithSlowdown recovers a busy guest's slowdown from wall time, and only there", () => {
  // Ten runs, zero and normal pages mixed differently; five with an idle guest, five with a
  // vCPU computing flat out (0.9–1.0). Wall µs = 11 µs × pages × (1 + 0.3 × vCPU use): on wall
  // time every page costs one price.
  const costs = { zero: 11, normal: 11, hit: 0, miss: 0, overflow: 0 };
  const samples: SenderSample[] = Array.from({ length: 10 }, (_, i) => {
    const pages = {
      zero: 100_000 + 3_000 * i,
      normal: 20_000 + 5_000 * (i % 4),
      hit: 0,
      miss: 0,
      overflow: 0,
    };
    const vcpuBusy = i < 5 ? 0.02 * i : 0.9 + 0.02 * (i - 5);
    const micros = (costs.zero * pages.zero + costs.normal * pages.normal) * (1 + 0.3 * vcpuBusy);
    return { label: `run ${i}`, micros, pages, vcpuBusy };
  });
  const fitted = fitSenderWithSlowdown(samples, QEMU_72_TCG.senderMicrosPerPage, "wall");
  assert.equal(fitted.slowdown, 0.3);
  for (const o of ["zero", "normal", "hit", "miss", "overflow"] as const)
    assert.ok(Math.abs(fitted.sender.micros[o] - 11) < 1e-6, `${o} ${fitted.sender.micros[o]}`);
  // CPU time does not grow while the thread waits for a core: no slowdown is fitted on it.
  assert.equal(fitSenderWithSlowdown(samples, QEMU_72_TCG.senderMicrosPerPage, "cpu").slowdown, 0);
  // Without runs of a busy guest the slowdown cannot be told apart from the costs.
  const idleOnly = samples.slice(0, 5);
  assert.equal(
    fitSenderWithSlowdown(idleOnly, QEMU_72_TCG.senderMicrosPerPage, "wall").slowdown,
    0,
  );
});

test("fitHostProfile on wall time leaves out stochastic configurations; on CPU time it keeps them", () => {
  // stride with XBZRLE at 32 MiB/s is marked stochastic: its wall time says when a sync found
  // the vCPU stalled, not what a page costs.
  const stride32 = quickMatrix().find((c) => c.name === "stride-xbzrle-64MiB-32MiBps-300ms")!;
  const runs = [
    ...fixture(() => 0),
    run(stride32, { zero: 50_000, normal: 10_000, hit: 900_000, miss: 100 }, 0, 1),
  ];
  const fitted = (basis: "cpu" | "wall") =>
    fitHostProfile([{ dir: "runs/a", runs }], QEMU_72_TCG, basis).samples.map((s) => s.label);
  const strideLabel = "runs/a:stride-xbzrle-64MiB-32MiBps-300ms#1";
  assert.equal(fitted("wall").length, 8);
  assert.ok(!fitted("wall").includes(strideLabel));
  assert.equal(fitted("cpu").length, 9);
  assert.ok(fitted("cpu").includes(strideLabel));
});

test("fitSetup: a line over the pages the first sync walks once the runs hold two sizes", () => {
  // setup = 12 ms + 1.5 µs per page walked one at a time; 524 288 KiB is a multiple of 256 KiB
  // (the word path: no page walked), the other two sizes are not.
  const sized = (kib: number, setupMs: number, i: number): LabRun => {
    const r = run({ ...idle, guestRamKiB: kib }, { zero: 1, normal: 1, hit: 0, miss: 0 }, i, 1);
    return { ...r, final: { ...r.final, status: "completed", "setup-time": setupMs } };
  };
  const line = (kib: number) => 12 + (1.5 * (kib / 4)) / 1000;
  const runs = [262136, 524280, 1048568].flatMap((kib, i) => [
    sized(kib, line(kib), i),
    sized(kib, line(kib), i + 3),
  ]);
  runs.push(sized(524288, 12, 9));
  const fit = fitSetup(runs);
  assert.ok(fit?.line);
  assert.ok(Math.abs(fit.line.fixed - 12) < 1e-6, `${fit.line.fixed}`);
  assert.ok(Math.abs(fit.line.slope * 1000 - 1.5) < 1e-9);
  assert.deepEqual(setupFields(fit, QEMU_72_TCG), { setupMs: 12, setupMicrosPerPage: 1.5 });
  assert.match(
    fitTable(fitHostProfile([{ dir: "runs/s", runs }], QEMU_72_TCG)),
    /1\.500 .*µs\/page/,
  );
  // One size: no part per page can be told from the fixed one; the setup is the runs' mean.
  const one = fitSetup([sized(524280, 200, 0), sized(524280, 300, 1)]);
  assert.equal(one?.line, null);
  assert.deepEqual(setupFields(one, QEMU_72_TCG), { setupMs: 250 });
  // No run: the fallback's setup, its part per page too.
  assert.equal(fitSetup([]), null);
  assert.deepEqual(setupFields(null, QEMU_72_TCG), {
    setupMs: QEMU_72_TCG.setupMs,
    setupMicrosPerPage: QEMU_72_TCG.setupMicrosPerPage,
  });
});
