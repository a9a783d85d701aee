import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { CellStatus } from "../results/cell.ts";
import { type CpuReading, type HostCpu, hostCpuBetween, readCpuReading } from "./host-cpu.ts";
import type { LabImage } from "./lab-setup.ts";
import {
  bootLoadedSource,
  freePort,
  type GuestLoad,
  guestMemory,
  type Heartbeat,
  heartbeats,
  startVm,
  threadCpuSeconds,
  type Vm,
  waitForHeartbeats,
} from "./vm.ts";

/**
 * One real migration: boot the source guest with a load, let the load run, start the
 * destination with `-incoming`, set QEMU's migration parameters, migrate over loopback TCP, poll
 * `query-migrate` every 100 ms until it completes, fails or times out (then `migrate_cancel`:
 * "did not converge"), and check the destination guest is alive and consistent.
 */

export interface LabConfig {
  readonly name: string;
  readonly load: GuestLoad;
  /** Guest RAM in KiB (`-m`). */
  readonly guestRamKiB: number;
  /**
   * Whether both QEMUs preallocate that RAM (`-mem-prealloc`; vm.ts GuestMemory says why). Runs
   * recorded before this field existed were not preallocated (fit-command.ts readRuns).
   */
  readonly preallocated: boolean;
  /**
   * Whether the guest kernel randomizes where it lies in RAM (KASLR; vm.ts GuestMemory says why
   * the lab turns it off). Runs recorded before this field existed booted with it
   * (fit-command.ts readRuns).
   */
  readonly kaslr: boolean;
  /** null = XBZRLE off. */
  readonly xbzrleCacheBytes: number | null;
  readonly maxBandwidthBytesPerS: number;
  readonly downtimeLimitMs: number;
  /** Cancel after this long: the run did not converge. */
  readonly timeoutS: number;
  /** How long the load runs on the source before the migration starts. */
  readonly warmupS: number;
}

/** How a run's guests were booted, as far as the host profile that describes it goes. */
export type LabBoot = Pick<LabConfig, "preallocated" | "kaslr">;

/** One `query-migrate` answer, as QEMU gives it, with the time since `migrate` was sent. */
export interface Poll {
  readonly atMs: number;
  readonly info: QueryMigrate;
  /**
   * CPU seconds of the live_migration thread read just after this answer (null once the thread
   * has exited): paired with this poll's page counts by the host-profile fit
   * (validate/profile-fit.ts), since the thread's last reading comes before its final transfer.
   */
  readonly migrationThreadCpuS?: number | null;
}

/** The fields of QEMU's MigrationInfo that the lab uses (qapi/migration.json). */
export interface QueryMigrate {
  readonly status: string;
  readonly "total-time"?: number;
  readonly "setup-time"?: number;
  readonly downtime?: number;
  readonly "expected-downtime"?: number;
  readonly ram?: Record<string, number>;
  readonly "xbzrle-cache"?: Record<string, number>;
}

/** A real migration ends as a simulated cell does, but for a trace running out. */
export type LabOutcome = Exclude<CellStatus, "trace-ended">;

export interface LabRun {
  readonly config: LabConfig;
  readonly repetition: number;
  readonly accelerator: "kvm" | "tcg";
  readonly outcome: LabOutcome;
  /** The last query-migrate answer (status completed/cancelled/failed). */
  readonly final: QueryMigrate | null;
  readonly polls: readonly Poll[];
  /** CPU seconds of the source's live_migration thread at its last sight. */
  readonly migrationThreadCpuS: number | null;
  /** The guest's own write speed before the migration: stride passes/s or writes/s. */
  readonly guestRatePerS: number | null;
  /**
   * The guest's heartbeat the migration was started on (`migrate` is sent as soon as it is
   * printed): how far the load had got — stride passes, writes — when the migration began, which
   * is how long the simulated guest's warm-up is (validate/compare.ts). Absent in runs recorded
   * before it was kept.
   */
  readonly loadAtStart?: Heartbeat | null;
  /**
   * CPU seconds the source's vCPU threads used per second of the migration (1 = one vCPU
   * computing flat out): on a host with few cores they compete with the migration thread.
   */
  readonly vcpuCpuShare?: number | null;
  /** Destination guest: heartbeats after switch-over, and whether its self-check passed. */
  readonly destination: { readonly alive: boolean; readonly consistent: boolean } | null;
  readonly error: string | null;
  /**
   * The host's 1-, 5- and 15-minute load averages before the source booted and after the
   * migration ended: the lab's timings are only as good as the cores it had.
   */
  readonly loadAverage?: { readonly before: readonly number[]; readonly after: readonly number[] };
  /**
   * The host's CPU from `migrate` to the migration's end, in cores, split into the lab's own
   * (both QEMU processes and this driver), other processes', and steal (validate/host-cpu.ts):
   * whether something else took a core from the migration. Absent in runs recorded before it
   * was kept; null when /proc could not be read.
   */
  readonly hostCpu?: HostCpu | null;
}

function guestRate(load: GuestLoad, serialLog: string): number | null {
  const beats = heartbeats(serialLog);
  if (beats.length < 2) return null;
  const [a, b] = [beats[beats.length - 2], beats[beats.length - 1]];
  const work = load.mode === "stride" ? b.passes - a.passes : b.writes - a.writes;
  return b.tMs > a.tMs ? (work * 1000) / (b.tMs - a.tMs) : null;
}

/** Heartbeats come once a second (validate/guest/loadgen.c); wait a little longer for one. */
const HEARTBEAT_WAIT_MS = 3000;

/** CPU seconds per wall second between two readings `elapsedMs` apart; null if either is. */
function cpuShare(fromS: number | null, toS: number | null, elapsedMs: number): number | null {
  return fromS === null || toS === null || elapsedMs <= 0
    ? null
    : (toS - fromS) / (elapsedMs / 1000);
}

async function checkDestination(vm: Vm): Promise<{ alive: boolean; consistent: boolean }> {
  // The destination's serial log holds only what the guest printed after it resumed there.
  const beats = await waitForHeartbeats(vm.serialLog, 2, 15_000);
  const alive = beats.length >= 2 && beats[beats.length - 1].checks > beats[0].checks - 1;
  return { alive, consistent: alive && beats.every((beat) => beat.bad === 0) };
}

/** How a migration ended, from `migrate` on. */
interface MigrationEnd {
  readonly outcome: LabOutcome;
  readonly final: QueryMigrate | null;
  /** The live_migration thread's CPU seconds at its last sight. */
  readonly migrationThreadCpuS: number | null;
  readonly vcpuCpuShare: number | null;
}

/**
 * Polls `query-migrate` every 100 ms from `started` (when `migrate` was sent) until the
 * migration completes or fails, or cancels it at the time limit (calling `beforeCancel` first).
 */
async function pollUntilEnd(
  source: Vm,
  config: LabConfig,
  started: number,
  vcpuAtStart: number | null,
  polls: Poll[],
  onPoll?: (poll: Poll) => void,
  beforeCancel?: () => void,
): Promise<MigrationEnd> {
  const pid = source.process.pid ?? -1;
  let cpu: number | null = null;
  let vcpuShare: number | null = null;
  for (;;) {
    await sleep(100);
    const info = await source.qmp.execute<QueryMigrate>("query-migrate");
    const atMs = Math.round(performance.now() - started);
    const threads = threadCpuSeconds(pid);
    const threadCpu = threads.migrationS;
    vcpuShare = cpuShare(vcpuAtStart, threads.vcpusS, atMs) ?? vcpuShare;
    const poll = { atMs, info, migrationThreadCpuS: threadCpu };
    polls.push(poll);
    onPoll?.(poll);
    cpu = threadCpu ?? cpu;
    const seen = { migrationThreadCpuS: cpu, vcpuCpuShare: vcpuShare };
    if (info.status === "completed" || info.status === "failed")
      return { ...seen, outcome: info.status, final: info };
    if (poll.atMs > config.timeoutS * 1000) {
      beforeCancel?.();
      const final = await cancel(source);
      // A migration that completed while being cancelled completed.
      const outcome = final?.status === "completed" ? "completed" : "did-not-converge";
      return { ...seen, outcome, final };
    }
  }
}

/** `migrate_cancel`, then the answer once it took (or after 5 s). */
async function cancel(source: Vm): Promise<QueryMigrate | null> {
  await source.qmp.execute("migrate_cancel");
  let final: QueryMigrate | null = null;
  for (let i = 0; i < 50; i++) {
    final = await source.qmp.execute<QueryMigrate>("query-migrate");
    if (final.status === "cancelled" || final.status === "completed") break;
    await sleep(100);
  }
  return final;
}

/** Sets XBZRLE and the rate cap and downtime limit on the source, as the configuration says. */
async function setParameters(source: Vm, config: LabConfig): Promise<void> {
  await source.qmp.execute("migrate-set-capabilities", {
    capabilities: [{ capability: "xbzrle", state: config.xbzrleCacheBytes !== null }],
  });
  await source.qmp.execute("migrate-set-parameters", {
    "max-bandwidth": config.maxBandwidthBytesPerS,
    "downtime-limit": config.downtimeLimitMs,
    ...(config.xbzrleCacheBytes !== null ? { "xbzrle-cache-size": config.xbzrleCacheBytes } : {}),
  });
}

export async function runMigration(
  image: LabImage,
  config: LabConfig,
  repetition: number,
  onPoll?: (poll: Poll) => void,
): Promise<LabRun> {
  const work = mkdtempSync(join(tmpdir(), "migbench-lab-"));
  let source: Vm | null = null;
  let destination: Vm | null = null;
  const polls: Poll[] = [];
  const before = loadavg();
  const base = { config, repetition, polls };
  try {
    const memory = guestMemory(config);
    source = await bootLoadedSource(image, work, config.load, memory, config.warmupS);
    const rate = guestRate(config.load, source.serialLog);
    const port = await freePort();
    destination = await startVm(image, work, "destination", config.load, memory, port);
    await setParameters(source, config);
    // Start on a heartbeat, so the load's progress at the start is known to within the 10 ms poll
    // rather than guessed from the warm-up (the loads take ~1 s to set up before they write).
    const seen = heartbeats(source.serialLog).length;
    const beats = await waitForHeartbeats(source.serialLog, seen + 1, HEARTBEAT_WAIT_MS, 10);
    const loadAtStart = beats.length > seen ? beats[beats.length - 1] : null;
    const vcpuAtStart = threadCpuSeconds(source.process.pid ?? -1).vcpusS;
    const qemuPids = [source.process.pid ?? -1, destination.process.pid ?? -1];
    const cpuAtStart = readCpuReading(qemuPids);
    const started = performance.now();
    await source.qmp.execute("migrate", { uri: `tcp:127.0.0.1:${port}` });
    // Read before a cancel: the destination QEMU exits when its incoming migration is
    // cancelled, and a vanished /proc/PID/stat left every cancelled run without its host CPU.
    let cpuAtEnd: CpuReading | null = null;
    const end = await pollUntilEnd(source, config, started, vcpuAtStart, polls, onPoll, () => {
      cpuAtEnd = readCpuReading(qemuPids);
    });
    cpuAtEnd ??= readCpuReading(qemuPids);
    const hostCpu = cpuAtStart && cpuAtEnd ? hostCpuBetween(cpuAtStart, cpuAtEnd) : null;
    const dest = end.outcome === "completed" ? await checkDestination(destination) : null;
    return {
      ...base,
      ...end,
      accelerator: source.accelerator,
      guestRatePerS: rate,
      loadAtStart,
      hostCpu,
      destination: dest,
      error: null,
      loadAverage: { before, after: loadavg() },
    };
  } catch (error) {
    return {
      ...base,
      accelerator: source?.accelerator ?? "tcg",
      outcome: "failed",
      final: null,
      migrationThreadCpuS:
        polls.findLast((p) => p.migrationThreadCpuS != null)?.migrationThreadCpuS ?? null,
      guestRatePerS: null,
      destination: null,
      error: (error as Error).message.split("\n")[0],
      loadAverage: { before, after: loadavg() },
    };
  } finally {
    await source?.stop();
    await destination?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
