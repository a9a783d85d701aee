import { readFileSync } from "node:fs";
import { roundDecimals } from "../lib/format.ts";

/**
 * How much of the host's CPU a real migration shared with processes that are not the lab's.
 * The lab's host has 2 cores, and a migration already fills them on its own: the source QEMU's
 * live_migration thread and vCPU thread, the destination QEMU receiving the stream, and this
 * node process polling both. Any other process that runs meanwhile takes a core from one of
 * them, and the migration's time moves with it (repetitions of one configuration in one session
 * differed by up to 32 %; docs/VALIDATION.md, "The real runs' own spread is the floor"). The
 * host's load average is too coarse to tell which migration was disturbed, so each run keeps
 * the host's busy CPU time between `migrate` and the migration's end, less the lab's own.
 */

/** Linux reports /proc CPU times in USER_HZ ticks: 100 a second on x86 (the lab's host). */
const USER_HZ = 100;

/** CPU seconds from the `cpu` line of /proc/stat, summed over every core. */
export interface HostCpuTimes {
  /** user + nice + system + irq + softirq + steal; idle and iowait are idle. */
  readonly busyS: number;
  /** Time the hypervisor ran something else while this machine's vCPUs wanted a core. */
  readonly stealS: number;
}

/**
 * The `cpu` line of /proc/stat (proc(5)): user nice system idle iowait irq softirq steal guest
 * guest_nice. guest and guest_nice are already inside user and nice (kernel/sched/cputime.c
 * account_guest_time()), so they are not added again.
 */
export function parseHostCpuTimes(procStat: string): HostCpuTimes {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) throw new Error("/proc/stat has no `cpu` line");
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  if (ticks.length < 8 || ticks.slice(0, 8).some((t) => !Number.isFinite(t)))
    throw new Error(`/proc/stat: a \`cpu\` line of fewer than 8 counters: "${line}"`);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return {
    busyS: (user + nice + system + irq + softirq + steal) / USER_HZ,
    stealS: steal / USER_HZ,
  };
}

/**
 * utime + stime of a /proc/PID/stat or /proc/PID/task/TID/stat text, in seconds. For a
 * process (/proc/PID/stat) they cover all its threads, ended ones included. The fields are
 * counted after the ")" that closes comm, which may itself hold spaces and parentheses: state
 * is field 3, utime 14, stime 15.
 */
export function parseStatCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error(`not a /proc/PID/stat text: "${stat.slice(0, 80)}"`);
  return (utime + stime) / USER_HZ;
}

/** The host's and the lab's CPU seconds at one moment. */
export interface CpuReading {
  /** performance.now() in seconds. */
  readonly wallS: number;
  readonly host: HostCpuTimes;
  /** The QEMU processes (all threads) and this node process together. */
  readonly labS: number;
}

/** One reading from the files' texts: pure, so tests give it fixed /proc contents. */
export function cpuReading(
  wallS: number,
  procStat: string,
  qemuStats: readonly string[],
  driverCpu: NodeJS.CpuUsage,
): CpuReading {
  const qemuS = qemuStats.reduce((sum, stat) => sum + parseStatCpuSeconds(stat), 0);
  const driverS = (driverCpu.user + driverCpu.system) / 1e6;
  return { wallS, host: parseHostCpuTimes(procStat), labS: qemuS + driverS };
}

/** Now, for these QEMU processes; null when a file cannot be read (a process already gone). */
export function readCpuReading(qemuPids: readonly number[]): CpuReading | null {
  try {
    const wallS = performance.now() / 1000;
    const procStat = readFileSync("/proc/stat", "utf8");
    const stats = qemuPids.map((pid) => readFileSync(`/proc/${pid}/stat`, "utf8"));
    return cpuReading(wallS, procStat, stats, process.cpuUsage());
  } catch {
    return null;
  }
}

/** CPU seconds per wall second (cores) between two readings. */
export interface HostCpu {
  readonly elapsedS: number;
  /** The whole host, steal included. */
  readonly busyCores: number;
  /** The source and destination QEMU and the driver. */
  readonly labCores: number;
  /**
   * busy − lab − steal: everything else this host's kernel ran, the kernel's own threads
   * included. /proc/stat samples a tick at a time (CONFIG_HZ=250 on the lab's host) while a
   * process's time is exact, so over a 1.5-s migration this is known to about ±0.04 cores and
   * may come out slightly below 0.
   */
  readonly otherCores: number;
  readonly stealCores: number;
}

/** The shares between two readings, to 3 decimals; null when no time passed. */
export function hostCpuBetween(start: CpuReading, end: CpuReading): HostCpu | null {
  const elapsedS = end.wallS - start.wallS;
  if (elapsedS <= 0) return null;
  const cores = (seconds: number) => roundDecimals(seconds / elapsedS, 3);
  const busyS = end.host.busyS - start.host.busyS;
  const stealS = end.host.stealS - start.host.stealS;
  const labS = end.labS - start.labS;
  return {
    elapsedS: roundDecimals(elapsedS, 3),
    busyCores: cores(busyS),
    labCores: cores(labS),
    otherCores: cores(busyS - labS - stealS),
    stealCores: cores(stealS),
  };
}

/**
 * Above this many cores taken by other processes (or steal), a migration counts as disturbed:
 * 0.2 cores is a tenth of the lab's 2-core host, so a disturbance below it moves a migration
 * that wants both cores by less than the ±10 % the comparison is judged by, and it is five
 * times the tick sampling's ±0.04 cores on a 1.5-s migration.
 */
export const DISTURBED_ABOVE_CORES = 0.2;

/** Other processes' and the hypervisor's share: what the lab did not get. */
export const takenFromLab = (cpu: HostCpu) => cpu.otherCores + cpu.stealCores;

/** "other processes 0.03 cores" (and the steal when there was any); absent: "not recorded". */
export function otherProcessesText(cpu: HostCpu | null | undefined): string {
  if (!cpu) return "other processes not recorded";
  const steal = cpu.stealCores >= 0.005 ? `, steal ${coresLabel(cpu.stealCores)} cores` : "";
  return `other processes ${coresLabel(cpu.otherCores)} cores${steal}`;
}

/** Two decimals; a tick's rounding below 0 shows as 0.00, not "-0.00". */
export function coresLabel(cores: number): string {
  return (Math.abs(cores) < 0.005 ? 0 : cores).toFixed(2);
}
