import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { emptyFigures, type Figures, simulationArgs } from "../../validate/compare.ts";
import { newcArchive } from "../../validate/lab-setup.ts";
import { quickMatrix } from "../../validate/matrix.ts";
import type { LabRun } from "../../validate/migration-run.ts";
import { agreements, type ComparedConfig, summaryLine } from "../../validate/table.ts";
import { heartbeats } from "../../validate/vm.ts";

// The lab's pure parts; the migrations themselves need QEMU and minutes (npm run validate:qemu).

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

test("agreements: ratios of means, ±10 % on both, outcome by majority", () => {
  const [a, b] = quickMatrix();
  const run = { repetition: 0 } as LabRun;
  const compared: ComparedConfig[] = [
    {
      config: a,
      real: [run, { ...run, repetition: 1 }],
      realFigures: [figures("completed", 1000, 100), figures("completed", 3000, 300)],
      // sim mean time 2100 / real mean 2000 = 1.05; bytes 190 / 200 = 0.95: within.
      simulated: [figures("completed", 2000, 180), figures("completed", 2200, 200)],
    },
    {
      config: b,
      real: [run],
      realFigures: [figures("did-not-converge", null, 500)],
      simulated: [figures("completed", 900, 100)],
    },
  ];
  const list = agreements(compared);
  assert.equal(list[0].within10, true);
  assert.ok(Math.abs((list[0].timeRatio ?? 0) - 1.05) < 1e-12);
  assert.ok(Math.abs((list[0].bytesRatio ?? 0) - 0.95) < 1e-12);
  assert.equal(list[1].outcomeMismatch, true);
  assert.equal(list[1].timeRatio, null);
  assert.equal(
    summaryLine(list),
    "1 of 1 converged configurations within ±10 % on time and bytes; 1 outcome mismatches in 2 configurations",
  );
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
  const run = { repetition: 0, guestRatePerS: 1812.4 } as LabRun;
  const args = simulationArgs(sparse, run, "/tmp/x", "qemu-7.2-tcg")!;
  const sets = args.filter((_, i) => args[i - 1] === "--set");
  // 97 MiB of OS pages beside the 192 MiB table, in a 524280 KiB guest; the table is calloc'd.
  assert.deepEqual(sets, [
    `wss=${192 * 1024 * 1024}`,
    "writes_per_s=4000",
    "initial=zero",
    "os_share=0.3031",
    "guest_warmup_s=3",
  ]);
  assert.equal(args[args.indexOf("--profile") + 1], "qemu-7.2-tcg");
  assert.equal(args[args.indexOf("--codec") + 1], "xbzrle");
  const strideArgs = simulationArgs(stride, run, "/tmp/x", "none")!;
  assert.ok(strideArgs.includes("passes_per_s=1812"));
  assert.ok(strideArgs.includes("os_share=0.1956"));
  assert.equal(strideArgs[strideArgs.indexOf("--profile") + 1], "none");
  // No guest speed measured: no stride simulation.
  assert.equal(
    simulationArgs(stride, { repetition: 0, guestRatePerS: null } as LabRun, "/tmp/x", "none"),
    null,
  );
});
