import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  agreements,
  repeatabilityLine,
  sharesAgree,
  summaryLine,
} from "../../validate/agreement.ts";
import {
  emptyFigures,
  type Figures,
  guestPace,
  meanGuestPace,
  simulationArgs,
  syntheticWorkload,
  traceWorkload,
} from "../../validate/compare.ts";
import type { ComparedConfig, SourceComparison } from "../../validate/compared.ts";
import { newcArchive } from "../../validate/lab-setup.ts";
import {
  isStochastic,
  markedStochastic,
  migrationOrder,
  quickLabReps,
  quickMatrix,
} from "../../validate/matrix.ts";
import type { LabRun } from "../../validate/migration-run.ts";
import { agreementRows, markdownTable } from "../../validate/table.ts";
import { heartbeats, waitForHeartbeats } from "../../validate/vm.ts";

// The lab's pure parts; the migrations themselves need QEMU and minutes (npm run validate:qemu).

test("waitForHeartbeats sees a heartbeat appended while it waits, and gives up at its deadline", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mb-lab-"));
  const log = join(dir, "serial.log");
  const beat = (t: number) => `mb t=${t} mode=sparse passes=0 writes=${4 * t} checks=1 bad=0\n`;
  writeFileSync(log, beat(1000));
  setTimeout(() => appendFileSync(log, beat(2000)), 50);
  const beats = await waitForHeartbeats(log, 2, 5000, 10);
  assert.deepEqual(
    beats.map((b) => b.writes),
    [4000, 8000],
  );
  // No third one comes: what it has when the deadline passes.
  assert.equal((await waitForHeartbeats(log, 3, 60, 10)).length, 2);
  assert.deepEqual(await waitForHeartbeats(join(dir, "missing.log"), 1, 30, 10), []);
});

test("heartbeats: the guest's lines are read, boot noise and torn lines are not", () => {
  const dir = mkdtempSync(join(tmpdir(), "mb-lab-"));
  const log = join(dir, "serial.log");
  writeFileSync(
    log,
    "[    0.1] Linux version 6.1\nmb boot mode=stride args=16\n" +
      "mb t=1003 mode=stride passes=640 writes=0 checks=10 bad=0\n" +
      "mb t=2004 mode=stride passes=1280 writes=0 checks=20 bad=1\nmb t=30",
  );
  assert.deepEqual(heartbeats(log), [
    { tMs: 1003, passes: 640, writes: 0, checks: 10, bad: 0 },
    { tMs: 2004, passes: 1280, writes: 0, checks: 20, bad: 1 },
  ]);
  assert.deepEqual(heartbeats(join(dir, "missing.log")), []);
});

function figures(status: string, totalTimeMs: number | null, transferredBytes: number): Figures {
  return { ...emptyFigures(), status, totalTimeMs, transferredBytes };
}

/** The synthetic source: one simulation per repetition 0, 1, …, and the seeds if any. */
function synthetic(sims: readonly Figures[], seeds: Figures[] | null = null): SourceComparison {
  const runs = sims.map((f, repetition) => ({ repetition, figures: f }));
  return { source: "synthetic", state: "simulated", runs, seeds };
}

test("repeatabilityLine: how far each deterministic configuration's repetitions are from their mean", () => {
  const [idle, sparse] = quickMatrix();
  const stride32 = quickMatrix().find((c) => c.name === "stride-xbzrle-64MiB-32MiBps-300ms")!;
  const reps = (config: typeof idle, list: Figures[]): ComparedConfig => ({
    config,
    real: list.map((f, repetition) => ({ repetition, outcome: f.status }) as LabRun),
    realFigures: list,
    sources: [],
  });
  const line = repeatabilityLine([
    // mean 2000: 1600 is 20 % off; bytes 100/100.
    reps(idle, [figures("completed", 1600, 100), figures("completed", 2400, 100)]),
    // mean 1000 / 200: 5 % and 2.5 % off.
    reps(sparse, [figures("completed", 950, 195), figures("completed", 1050, 205)]),
    // stochastic, and a single completed repetition: neither counts.
    reps(stride32, [figures("completed", 100, 1), figures("completed", 900, 9)]),
    reps(idle, [figures("completed", 1000, 100), figures("did-not-converge", null, 50)]),
  ]);
  assert.equal(
    line,
    "real repetitions: in 1 of 2 deterministic configurations every repetition is within ±10 % of their mean on time and bytes (largest distance from the mean: time 20 %, bytes 3 %)",
  );
  assert.equal(repeatabilityLine([]), null);
});

test("agreements: ratios of means, ±10 % on both, outcome by majority", () => {
  const [a, b] = quickMatrix();
  const run = { repetition: 0 } as LabRun;
  const compared: ComparedConfig[] = [
    {
      config: a,
      real: [run, { ...run, repetition: 1 }],
      realFigures: [figures("completed", 1000, 100), figures("completed", 3000, 300)],
      // sim mean time 2100 / real mean 2000 = 1.05; bytes 190 / 200 = 0.95: within.
      sources: [synthetic([figures("completed", 2000, 180), figures("completed", 2200, 200)])],
    },
    {
      config: b,
      real: [run],
      realFigures: [figures("did-not-converge", null, 500)],
      sources: [synthetic([figures("completed", 900, 100)])],
    },
    {
      // Two repetitions' simulations end differently: a mismatch, said as a share, and the
      // ratios of the completed ones only (the stopped one's 4000 bytes are as far as it got).
      config: quickMatrix()[2],
      real: [run, { ...run, repetition: 1 }],
      realFigures: [figures("completed", 1000, 100), figures("completed", 1000, 100)],
      sources: [
        synthetic([figures("completed", 1020, 102), figures("did-not-converge", null, 4000)]),
      ],
    },
  ];
  const list = agreements(compared);
  assert.equal(list[2].simStatus, "1/2 completed");
  assert.equal(list[2].outcomeMismatch, true);
  assert.ok(Math.abs((list[2].bytesRatio ?? 0) - 1.02) < 1e-12);
  assert.equal(list[2].within10, false);
  assert.equal(list[0].within10, true);
  assert.ok(Math.abs((list[0].timeRatio ?? 0) - 1.05) < 1e-12);
  assert.ok(Math.abs((list[0].bytesRatio ?? 0) - 0.95) < 1e-12);
  assert.equal(list[1].outcomeMismatch, true);
  assert.equal(list[1].timeRatio, null);
  assert.equal(
    summaryLine("synthetic", list),
    "synthetic: 1 of 2 converged deterministic configurations within ±10 % on time and bytes; 0 of the 1 others within ±10 % on time after setup; 2 outcome mismatches in 3 configurations",
  );
});

test("agreements: a miss that QEMU's setup alone explains is counted apart", () => {
  const [a, b] = quickMatrix();
  const run = { repetition: 0 } as LabRun;
  const withSetup = (total: number, setup: number, bytes: number): Figures => ({
    ...figures("completed", total, bytes),
    setupTimeMs: setup,
  });
  const compared: ComparedConfig[] = [
    {
      // Real 700 ms after a 210 ms setup; simulated 790 after the profile's 272: time 1.13, setup
      // 1.30, the 518 ms after setup against 490 is 1.06 — a miss by the setup's draw.
      config: a,
      real: [run],
      realFigures: [withSetup(700, 210, 100)],
      sources: [synthetic([withSetup(790, 272, 100)])],
    },
    {
      // 1.2 on time with the same setup on both sides: the migration's own miss.
      config: b,
      real: [run],
      realFigures: [withSetup(1000, 250, 100)],
      sources: [synthetic([withSetup(1200, 250, 100)])],
    },
  ];
  const list = agreements(compared);
  assert.ok(Math.abs((list[0].setupRatio ?? 0) - 272 / 210) < 1e-12);
  assert.ok(Math.abs((list[0].afterSetupRatio ?? 0) - 518 / 490) < 1e-12);
  assert.equal(list[0].within10, false);
  assert.equal(list[1].setupRatio, 1);
  assert.equal(
    summaryLine("synthetic", list),
    "synthetic: 0 of 2 converged deterministic configurations within ±10 % on time and bytes; 1 of the 2 others within ±10 % on time after setup; 0 outcome mismatches in 2 configurations",
  );
  // The sim/real row carries the setup's ratio under `setup ms`, and agreement.csv all four.
  assert.match(
    markdownTable(compared),
    /\| \| sim\/real \(synthetic\) \| same outcome \| 1\.13 \| 1\.30 \| {2}\| 1\.00 \|/,
  );
  assert.deepEqual(agreementRows(list)[0].slice(4, 8), [
    "1.1285714285714286",
    "1",
    "1.2952380952380953",
    "1.0571428571428572",
  ]);
});

test("stochastic configurations: shares of converging seeds against real repetitions", () => {
  const [a] = quickMatrix();
  const run = { repetition: 0 } as LabRun;
  const done = figures("completed", 1000, 100);
  const stuck = figures("did-not-converge", null, 900);
  const compared: ComparedConfig = {
    config: a,
    real: [run, { ...run, repetition: 1 }],
    realFigures: [done, stuck],
    // 3 of 10 seeds converge, at 1.2× the real time.
    sources: [
      synthetic(
        [stuck, stuck],
        [...Array(3).fill(figures("completed", 1200, 100)), ...Array(7).fill(stuck)],
      ),
    ],
  };
  const [one] = agreements([compared]);
  assert.deepEqual(one.convergence, { simConverged: 3, seeds: 10, realConverged: 1, reps: 2 });
  assert.equal(one.outcomeMismatch, false);
  assert.ok(Math.abs((one.timeRatio ?? 0) - 1.2) < 1e-12);
  const line = summaryLine("synthetic", [one]);
  assert.match(line, /stochastic: .*: sim converged 3\/10 seeds vs real 1\/2 reps$/);
  // Its ratios (1.2× on 3 seeds and 1 rep) are not counted among the deterministic ones.
  assert.match(line, /^synthetic: 0 of 0 converged deterministic configurations/);
  // Real runs went both ways; seeds that never converge deny one of them.
  const never = agreements([
    { ...compared, sources: [synthetic([stuck, stuck], Array(10).fill(stuck))] },
  ]);
  assert.equal(never[0].outcomeMismatch, true);
  assert.equal(sharesAgree({ simConverged: 10, seeds: 10, realConverged: 2, reps: 2 }), true);
  assert.equal(sharesAgree({ simConverged: 10, seeds: 10, realConverged: 0, reps: 2 }), false);
});

test("newcArchive: cpio(1) lists and extracts what it wrote", (t) => {
  if (spawnSync("cpio", ["--version"]).status !== 0) return t.skip("no cpio on this machine");
  const archive = newcArchive([
    { name: "bin", mode: 0o040755, data: Buffer.alloc(0) },
    { name: "bin/hello", mode: 0o100755, data: Buffer.from("#!/bin/sh\necho hi\n") },
    { name: "odd", mode: 0o100644, data: Buffer.from("x") },
  ]);
  const dir = mkdtempSync(join(tmpdir(), "mb-cpio-"));
  const listed = spawnSync("cpio", ["-i", "-d", "--quiet", "-v"], { cwd: dir, input: archive });
  assert.equal(listed.status, 0, String(listed.stderr));
  const files = spawnSync("find", [".", "-type", "f"], { cwd: dir, encoding: "utf8" });
  assert.deepEqual(files.stdout.trim().split("\n").sort(), ["./bin/hello", "./odd"]);
  const hello = spawnSync("cat", ["bin/hello"], { cwd: dir, encoding: "utf8" });
  assert.equal(hello.stdout, "#!/bin/sh\necho hi\n");
});

test("simulationArgs: the synthetic guest has the real one's OS, warm-up, and the host profile", () => {
  const matrix = quickMatrix();
  const sparse = matrix.find((c) => c.name.startsWith("sparse-xbzrle-64MiB"))!;
  const stride = matrix.find((c) => c.name.startsWith("stride-xbzrle-off"))!;
  const args = simulationArgs(
    sparse,
    syntheticWorkload(sparse, { ratePerS: 3998, warmupS: 3, vcpuBusy: 0.08 })!,
    "/tmp/x",
    "qemu-7.2-tcg",
  );
  const sets = args.filter((_, i) => args[i - 1] === "--set");
  // Without the load's trace, the `nokaslr` guest's 71 MiB of OS pages beside the 192 MiB table,
  // in a 524280 KiB guest, in runs of 32 MiB as a booted guest's lie; the table is calloc'd.
  assert.deepEqual(sets, [
    `wss=${192 * 1024 * 1024}`,
    "writes_per_s=4000",
    "initial=zero",
    "os_share=0.22188042",
    "os_run_pages=8192",
    // The boot allocations at the top of RAM, as the lab guest's traces show them.
    "os_top_pages=2700",
    "guest_warmup_s=3",
    "guest_vcpu_busy=0.08",
  ]);
  // A guest booted with KASLR: the idle guest's 97 MiB, as before.
  const kaslr = syntheticWorkload(
    { ...sparse, kaslr: true },
    { ratePerS: 3998, warmupS: 3, vcpuBusy: 0.08 },
  );
  assert.ok(kaslr?.includes("os_share=0.30313240"), kaslr?.join(" "));
  // An idle `nokaslr` guest: 80 MiB of its 524280 KiB.
  const idle = matrix.find((c) => c.load.mode === "idle")!;
  const idleArgs = syntheticWorkload(idle, { ratePerS: 0, warmupS: 3, vcpuBusy: 0.01 });
  assert.ok(idleArgs?.includes("zero_share=0.8437"), idleArgs?.join(" "));
  // The OS measured from the load's trace, when there is one: here 60 MiB.
  const measured = syntheticWorkload(
    sparse,
    { ratePerS: 3998, warmupS: 3, vcpuBusy: 0.08 },
    { osBytes: 60 * 1024 * 1024, bufferRuns: null, topPages: 2586, osLayout: null },
  );
  assert.ok(measured?.includes("os_share=0.18750458"), measured?.join(" "));
  assert.ok(measured?.includes("os_top_pages=2586"), measured?.join(" "));
  assert.ok(!measured?.some((a) => a.startsWith("buffer_runs=") || a.startsWith("os_layout=")));
  // Where the trace placed the table and the OS, when it did: the synthetic lies there.
  const placed = syntheticWorkload(
    sparse,
    { ratePerS: 3998, warmupS: 3, vcpuBusy: 0.08 },
    {
      osBytes: 71 * 1024 * 1024,
      bufferRuns: "11264+49200",
      topPages: 2586,
      osLayout: "0+11000/60500+6000",
    },
  );
  assert.ok(placed?.includes("buffer_runs=11264+49200"), placed?.join(" "));
  assert.ok(placed?.includes("os_layout=0+11000/60500+6000"), placed?.join(" "));
  assert.equal(args[args.indexOf("--profile") + 1], "qemu-7.2-tcg");
  assert.equal(args[args.indexOf("--codec") + 1], "xbzrle");
  const strideArgs = simulationArgs(
    stride,
    syntheticWorkload(stride, { ratePerS: 1812.4, warmupS: 2.5, vcpuBusy: 1 })!,
    "/tmp/x",
    "none",
  );
  assert.ok(strideArgs.includes("passes_per_s=1812"));
  assert.ok(strideArgs.includes("os_share=0.14314742"), strideArgs.join(" "));
  assert.ok(strideArgs.includes("guest_warmup_s=2.5"));
  assert.ok(strideArgs.includes("guest_vcpu_busy=1"));
  assert.equal(strideArgs[strideArgs.indexOf("--profile") + 1], "none");
  assert.ok(!strideArgs.some((a) => a.startsWith("buffer_runs=")));
  // The buffer where the load's trace saw it, when it has one.
  const laid = syntheticWorkload(
    stride,
    { ratePerS: 1812.4, warmupS: 2.5, vcpuBusy: 1 },
    {
      osBytes: null,
      bufferRuns: "10397+867/12288+2913/130680+304",
      topPages: null,
      osLayout: null,
    },
  );
  assert.ok(laid?.includes("buffer_runs=10397+867/12288+2913/130680+304"), laid?.join(" "));
  // No guest speed measured: no stride simulation.
  assert.equal(syntheticWorkload(stride, { ratePerS: null, warmupS: 3, vcpuBusy: 0 }), null);
});

test("simulationArgs: a trace replays in a loop with the same caps and sweep, without OS share or warm-up", () => {
  const stride32 = quickMatrix().find((c) => c.name === "stride-xbzrle-64MiB-32MiBps-300ms")!;
  const args = simulationArgs(
    stride32,
    traceWorkload("/r/traces/stride.trace", 0.9),
    "/tmp/x",
    "none",
    {
      count: 10,
    },
  );
  const sets = args.filter((_, i) => args[i - 1] === "--set");
  // The trace holds the OS pages and starts where the migration starts (after the warm-up); the
  // real guest's vCPU use is not in it and comes from the repetitions.
  assert.deepEqual(sets, [
    "file=/r/traces/stride.trace",
    "on-end=loop",
    "guest_vcpu_busy=0.9",
    // The nokaslr lab's stall rate; a run whose guests booted with KASLR keeps the older one.
    "guest_stalls_per_s=0.02",
    "guest_stall_ms=20",
  ]);
  const randomized = simulationArgs(
    { ...stride32, kaslr: true },
    traceWorkload("/r/traces/stride.trace", 0.9),
    "/tmp/x",
    "none",
    { count: 10 },
  );
  assert.ok(randomized.includes("guest_stalls_per_s=0.05"));
  assert.equal(args[args.indexOf("--workload") + 1], "trace");
  assert.equal(args[args.indexOf("--seed") + 1], "1..10");
  assert.equal(args[args.indexOf("--bandwidth") + 1], `${32 * 1024 * 1024}B/s`);
  assert.equal(args[args.indexOf("--cache-size") + 1], String(64 * 1024 * 1024));
  assert.equal(args[args.indexOf("--max-time") + 1], "45s");
  // A sweep's seeds share the cores (the real runs are over by then); one simulation runs in
  // the validator's own thread.
  const workers = Number(args[args.indexOf("--workers") + 1]);
  assert.equal(workers, Math.min(10, availableParallelism()));
  const single = simulationArgs(
    stride32,
    traceWorkload("/r/traces/stride.trace", 0.9),
    "/x",
    "none",
  );
  assert.equal(single[single.indexOf("--workers") + 1], "0");
});

test("guestPace: the warm-up is the load's progress at the start heartbeat over its rate", () => {
  const matrix = quickMatrix();
  const sparse = matrix.find((c) => c.name.startsWith("sparse-xbzrle-off"))!;
  const stride = matrix.find((c) => c.name.startsWith("stride-xbzrle-off"))!;
  const beat = (passes: number, writes: number) => ({
    tMs: 4000,
    passes,
    writes,
    checks: 3,
    bad: 0,
  });
  const run = (config: typeof sparse, rate: number, at: ReturnType<typeof beat> | null) =>
    ({ config, guestRatePerS: rate, loadAtStart: at, vcpuCpuShare: 0.5 }) as unknown as LabRun;
  // sparse writes at its configured 4000/s: 6000 writes done = 1.5 s of writing.
  assert.deepEqual(guestPace(run(sparse, 3990, beat(0, 6000))), {
    ratePerS: 3990,
    warmupS: 1.5,
    vcpuBusy: 0.5,
  });
  // stride at the speed it showed: 5000 passes at 2000 passes/s.
  assert.deepEqual(guestPace(run(stride, 2000, beat(5000, 0))), {
    ratePerS: 2000,
    warmupS: 2.5,
    vcpuBusy: 0.5,
  });
  // Never longer than the load has been running by its own clock (tMs 4000).
  assert.equal(guestPace(run(stride, 300, beat(3000, 0))).warmupS, 4);
  // Runs from before the start heartbeat was kept: the configured warm-up.
  assert.deepEqual(guestPace(run(sparse, 3990, null)), {
    ratePerS: 3990,
    warmupS: 3,
    vcpuBusy: 0.5,
  });
  assert.deepEqual(meanGuestPace([run(sparse, 4000, beat(0, 6000)), run(sparse, 3000, null)]), {
    ratePerS: 3500,
    warmupS: 2.25,
    vcpuBusy: 0.5,
  });
});

test("isStochastic: marked configurations, and repetitions that converged and did not", () => {
  const matrix = quickMatrix();
  const idle = matrix[0];
  const stride32 = matrix.find((c) => c.name === "stride-xbzrle-64MiB-32MiBps-300ms")!;
  const ended = (outcome: LabRun["outcome"]) => ({ outcome }) as LabRun;
  assert.equal(isStochastic(stride32, [ended("completed")]), true);
  assert.equal(isStochastic(idle, [ended("completed"), ended("completed")]), false);
  assert.equal(isStochastic(idle, [ended("completed"), ended("did-not-converge")]), true);
  // A run the lab itself lost is no evidence either way.
  assert.equal(isStochastic(idle, [ended("completed"), ended("failed")]), false);
});

test("--quick's repetitions, round by round: 3 of each deterministic configuration, 1 of the stochastic", () => {
  const matrix = quickMatrix();
  const reps = matrix.map(quickLabReps);
  assert.deepEqual(
    reps,
    matrix.map((c) => (markedStochastic(c) ? 1 : 3)),
  );
  assert.equal(reps.filter((r) => r === 1).length, 1);
  const order = migrationOrder(reps);
  assert.equal(order.length, 19);
  // Round 1 is every configuration in matrix order; rounds 2 and 3 skip the stochastic one.
  assert.deepEqual(
    order.slice(0, matrix.length).map((o) => o.index),
    matrix.map((_, i) => i),
  );
  const stochastic = reps.indexOf(1);
  for (const { index, rep } of order.slice(matrix.length)) {
    assert.notEqual(index, stochastic);
    assert.ok(rep === 1 || rep === 2);
  }
  // Each configuration's repetitions in order, each once.
  for (let i = 0; i < matrix.length; i++)
    assert.deepEqual(
      order.filter((o) => o.index === i).map((o) => o.rep),
      [...Array(reps[i]).keys()],
    );
  assert.deepEqual(migrationOrder([0, 0]), []);
  assert.deepEqual(migrationOrder([]), []);
});
