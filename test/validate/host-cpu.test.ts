import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { otherProcessesLine } from "../../validate/agreement.ts";
import type { ComparedConfig } from "../../validate/compared.ts";
import {
  cpuReading,
  type HostCpu,
  hostCpuBetween,
  otherProcessesText,
  parseHostCpuTimes,
  parseStatCpuSeconds,
  readCpuReading,
} from "../../validate/host-cpu.ts";
import { quickMatrix } from "../../validate/matrix.ts";
import type { LabRun } from "../../validate/migration-run.ts";

// The host's CPU around a real migration: parsed from /proc texts, so fixed strings test it.

/** /proc/stat with these `cpu` counters (user nice system idle iowait irq softirq steal guest guest_nice). */
const procStat = (counters: readonly number[]) =>
  `cpu  ${counters.join(" ")}\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 12345 0 0\nctxt 99\n`;

/** A /proc/PID/stat line of a process named `comm` with this utime and stime. */
const pidStat = (comm: string, utime: number, stime: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 7000 0 0 0 ${utime} ${stime} 0 0 20 0 9 0 123 0 0`;

test("parseHostCpuTimes: busy is user+nice+system+irq+softirq+steal; guest is already in user", () => {
  // user 1000, nice 20, system 300, idle 5000, iowait 70, irq 5, softirq 40, steal 15, guest 600.
  const times = parseHostCpuTimes(procStat([1000, 20, 300, 5000, 70, 5, 40, 15, 600, 0]));
  assert.equal(times.busyS, 13.8);
  assert.equal(times.stealS, 0.15);
  // The per-core lines are not the total.
  assert.equal(parseHostCpuTimes(`cpu0 1 1 1 1 1 1 1 1\ncpu  0 0 100 0 0 0 0 0\n`).busyS, 1);
  assert.throws(() => parseHostCpuTimes("cpu0 1 2 3 4 5 6 7 8\n"), /no `cpu` line/);
  assert.throws(() => parseHostCpuTimes("cpu  1 2 3 4\n"), /fewer than 8 counters/);
});

test("parseStatCpuSeconds: utime + stime, counted after the ) that closes comm", () => {
  assert.equal(parseStatCpuSeconds(pidStat("qemu-system-x86", 250, 40)), 2.9);
  // A thread's comm may hold spaces, slashes and parentheses.
  assert.equal(parseStatCpuSeconds(pidStat("CPU 0/TCG", 7, 3)), 0.1);
  assert.equal(parseStatCpuSeconds(pidStat("a) b (c", 100, 0)), 1);
  assert.throws(() => parseStatCpuSeconds("4242 (x) S 1"), /not a \/proc\/PID\/stat text/);
});

test("hostCpuBetween: cores = CPU seconds per wall second; other = busy − lab − steal", () => {
  const start = cpuReading(
    10,
    procStat([1000, 0, 500, 9000, 0, 0, 0, 100, 0, 0]),
    [pidStat("qemu", 100, 20), pidStat("qemu", 30, 10)],
    { user: 400_000, system: 100_000 },
  );
  // 2 s later: the host was busy 300 ticks more (20 of them steal); the QEMUs used 2.2 s, the
  // driver 0.2 s.
  const end = cpuReading(
    12,
    procStat([1200, 0, 580, 9100, 0, 0, 0, 120, 0, 0]),
    [pidStat("qemu", 260, 40), pidStat("qemu", 60, 20)],
    { user: 550_000, system: 150_000 },
  );
  assert.deepEqual(hostCpuBetween(start, end), {
    elapsedS: 2,
    busyCores: 1.5,
    labCores: 1.2,
    otherCores: 0.2,
    stealCores: 0.1,
  });
  assert.equal(hostCpuBetween(end, end), null);
});

const cpu = (otherCores: number, stealCores = 0): HostCpu => ({
  elapsedS: 2,
  busyCores: 1.5,
  labCores: 1.5 - otherCores - stealCores,
  otherCores,
  stealCores,
});

test("otherProcessesText: the share, the steal when there was any, and 'not recorded' when absent", () => {
  assert.equal(otherProcessesText(cpu(0.034)), "other processes 0.03 cores");
  assert.equal(otherProcessesText(cpu(0.1, 0.25)), "other processes 0.10 cores, steal 0.25 cores");
  // A tick's rounding below 0 is no negative share.
  assert.equal(otherProcessesText(cpu(-0.003)), "other processes 0.00 cores");
  assert.equal(otherProcessesText(cpu(-0.02)), "other processes -0.02 cores");
  assert.equal(otherProcessesText(undefined), "other processes not recorded");
  assert.equal(otherProcessesText(null), "other processes not recorded");
});

function withRuns(hostCpus: readonly (HostCpu | null | undefined)[]): ComparedConfig[] {
  const [idle, sparse] = quickMatrix();
  const runs = hostCpus.map((hostCpu, repetition) => ({ repetition, hostCpu }) as LabRun);
  return [
    { config: idle, real: runs.slice(0, 2), realFigures: [], sources: [] },
    { config: sparse, real: runs.slice(2), realFigures: [], sources: [] },
  ];
}

test("otherProcessesLine: names the disturbed runs; runs without the figure are not recorded, never 0", () => {
  const [idle, sparse] = quickMatrix().map((c) => c.name);
  // Steal counts with the other processes: the lab did not get it either.
  assert.equal(
    otherProcessesLine(withRuns([cpu(0.04), cpu(0.3, 0.15), cpu(0.12, 0.08), undefined])),
    `other processes or steal took more than 0.2 cores in 1 of 3 real migrations: ${idle} #2 (0.45 cores); the others at most 0.20 cores; not recorded in 1`,
  );
  assert.equal(
    otherProcessesLine(withRuns([cpu(0.04), cpu(0.01), cpu(-0.01)])),
    "other processes or steal took more than 0.2 cores in 0 of 3 real migrations; all at most 0.04 cores",
  );
  assert.equal(
    otherProcessesLine(withRuns([cpu(0.5), null, cpu(0.21)])),
    `other processes or steal took more than 0.2 cores in 2 of 2 real migrations: ${idle} #1 (0.50 cores), ${sparse} #3 (0.21 cores); not recorded in 1`,
  );
  assert.equal(
    otherProcessesLine(withRuns([undefined, undefined])),
    "other processes or steal took more than 0.2 cores: not recorded in any of the 2 real migrations",
  );
  assert.equal(otherProcessesLine([]), null);
});

test("readCpuReading on this machine: plausible shares around 200 ms of this process computing", () => {
  const start = readCpuReading([]);
  const startUsage = process.cpuUsage();
  const startedAt = performance.now();
  assert.ok(start !== null);
  const until = performance.now() + 200;
  let spins = 0;
  while (performance.now() < until) spins++;
  const usage = process.cpuUsage(startUsage);
  const elapsedS = (performance.now() - startedAt) / 1000;
  const end = readCpuReading([]);
  assert.ok(end !== null && spins > 0);
  const shares = hostCpuBetween(start, end);
  assert.ok(shares !== null);
  const cores = availableParallelism();
  assert.ok(shares.elapsedS >= 0.2 && shares.elapsedS < 5, `elapsed ${shares.elapsedS}`);
  // The lab's share is this process's own CPU, however busy the machine is (other test files
  // run beside this one): as process.cpuUsage() says over the same time.
  const own = (usage.user + usage.system) / 1e6 / elapsedS;
  assert.ok(own > 0 && Math.abs(shares.labCores - own) < 0.1, `lab ${shares.labCores}, own ${own}`);
  assert.ok(shares.labCores <= cores + 0.1, `lab ${shares.labCores}`);
  // The host's ticks are sampled (CONFIG_HZ), the process's time exact: they agree loosely.
  assert.ok(
    shares.busyCores > shares.labCores - 0.3 && shares.busyCores <= cores + 0.3,
    `busy ${shares.busyCores}`,
  );
  assert.ok(shares.otherCores > -0.5 && shares.otherCores <= cores, `other ${shares.otherCores}`);
  assert.ok(shares.stealCores >= 0 && shares.stealCores <= cores);
  // A QEMU process that is gone: no reading rather than a wrong one.
  assert.equal(readCpuReading([-1]), null);
});
