import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseStatCpuSeconds } from "./host-cpu.ts";
import type { LabImage } from "./lab-setup.ts";
import { QmpClient } from "./qmp.ts";

/**
 * One QEMU process of the lab: the source guest, or the destination started with the same
 * command line plus `-incoming`. The guest boots the lab's kernel and initramfs with 1 vCPU and
 * `-m 524280k` by default: QEMU 7.2 under TCG loses dirty-page writes when guest RAM is a multiple of
 * 256 KiB (a 512 MiB guest failed its own consistency check after 5 of 6 migrations), and
 * 512 MiB − 8 KiB does not.
 */

/** 512 MiB − 8 KiB, in KiB. */
export const DEFAULT_GUEST_RAM_KIB = 524280;

/**
 * A guest's RAM: its size (`-m`, KiB) and whether QEMU writes all of it before the guest boots
 * (`-mem-prealloc`), on both the source and the destination.
 *
 * Why the lab preallocates: both QEMUs fault their RAM in as the bulk pass walks it (an idle
 * source's RSS grew from ~225 MB to ~620 MB during a migration, the destination's from ~50 MB to
 * ~580 MB). Where the host is itself a VM that hands freed memory back to its hypervisor
 * (virtio-balloon free page reporting, as on the lab's machine), a first touch of such memory
 * costs ~7 µs per 4 KiB page, and whether the allocator hands out reported blocks or not depends
 * on what ran before: the same idle migration spent 7.5 or 9.7 µs per zero page from run to run,
 * and 1.25–1.65 s after setup. That is the host's memory, not QEMU's migration; preallocated,
 * ten repetitions spent 618–628 ms (docs/VALIDATION.md, sixth session).
 */
export interface GuestMemory {
  readonly ramKiB: number;
  readonly preallocated: boolean;
  /**
   * Whether the guest kernel may place itself at a random physical address (KASLR, on in Debian's
   * kernels). With it, every boot lays the guest's RAM out anew: four boots of the idle guest
   * migrated 24 200–24 400 non-zero pages each, at different places (one in three stopped a rate
   * window early because its top held more of them), and a trace recorded from one boot
   * described the others' layout only roughly. Booted `nokaslr`, four boots sent 20 498–20 530
   * non-zero pages and the same bytes to 0.2 % (docs/VALIDATION.md, eighth session): the
   * migrations and the trace then see one guest, as the comparison assumes.
   */
  readonly kaslr: boolean;
}

/** The guest memory a configuration or a trace plan asks for. */
export function guestMemory(of: {
  readonly guestRamKiB: number;
  readonly preallocated: boolean;
  readonly kaslr: boolean;
}): GuestMemory {
  return { ramKiB: of.guestRamKiB, preallocated: of.preallocated, kaslr: of.kaslr };
}

export interface GuestLoad {
  /** A mode of validate/guest/loadgen.c. */
  readonly mode: "idle" | "stride" | "sparse" | "zipf";
  readonly args: readonly number[];
}

export interface Vm {
  readonly process: ChildProcess;
  readonly qmp: QmpClient;
  readonly serialLog: string;
  readonly accelerator: "kvm" | "tcg";
  stop(): Promise<void>;
}

/** `-accel kvm -accel tcg` takes KVM when /dev/kvm works and falls back to TCG otherwise. */
function acceleratorArgs(): string[] {
  return existsSync("/dev/kvm") ? ["-accel", "kvm", "-accel", "tcg"] : ["-accel", "tcg"];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export async function startVm(
  image: LabImage,
  workDir: string,
  name: "source" | "destination",
  load: GuestLoad,
  memory: GuestMemory,
  incomingPort?: number,
): Promise<Vm> {
  const qmpPath = join(workDir, `${name}.qmp`);
  const serialLog = join(workDir, `${name}.serial.log`);
  const args = [
    "-name",
    `${name},debug-threads=on`,
    ...acceleratorArgs(),
    "-m",
    `${memory.ramKiB}k`,
    ...(memory.preallocated ? ["-mem-prealloc"] : []),
    "-smp",
    "1",
    "-nodefaults",
    "-display",
    "none",
    "-kernel",
    image.kernel,
    "-initrd",
    image.initrd,
    "-append",
    `console=ttyS0 quiet${memory.kaslr ? "" : " nokaslr"} mb.mode=${load.mode} mb.args=${load.args.join(",")}`,
    "-serial",
    `file:${serialLog}`,
    "-qmp",
    `unix:${qmpPath},server=on,wait=off`,
    ...(incomingPort === undefined ? [] : ["-incoming", `tcp:127.0.0.1:${incomingPort}`]),
  ];
  const child = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let qmp: QmpClient;
  try {
    qmp = await Promise.race([
      QmpClient.connect(qmpPath),
      exited.then(() => {
        throw new Error(`qemu (${name}) exited: ${stderr.trim().split("\n").pop() ?? ""}`);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const kvm = await qmp.execute<{ enabled: boolean }>("query-kvm");
  return {
    process: child,
    qmp,
    serialLog,
    accelerator: kvm.enabled ? "kvm" : "tcg",
    async stop() {
      qmp.close();
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(3000)]);
        if (child.exitCode === null) child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/**
 * A source guest booted with `load`, its load running `warmupS` after its first heartbeat (seen
 * within `pollMs`): how both a migration (migration-run.ts) and a trace recording
 * (trace-boot.ts) start. Stopped again if it never prints a heartbeat.
 */
export async function bootLoadedSource(
  image: LabImage,
  workDir: string,
  load: GuestLoad,
  memory: GuestMemory,
  warmupS: number,
  pollMs = 200,
): Promise<Vm> {
  const vm = await startVm(image, workDir, "source", load, memory);
  const booted = await waitForHeartbeats(vm.serialLog, 1, 60_000, pollMs);
  if (booted.length === 0) {
    await vm.stop();
    throw new Error("the source guest printed no heartbeat in 60 s");
  }
  await sleep(warmupS * 1000);
  return vm;
}

/** One heartbeat line of validate/guest/loadgen.c. */
export interface Heartbeat {
  readonly tMs: number;
  readonly passes: number;
  readonly writes: number;
  readonly checks: number;
  readonly bad: number;
}

export function heartbeats(serialLog: string): Heartbeat[] {
  if (!existsSync(serialLog)) return [];
  const out: Heartbeat[] = [];
  for (const line of readFileSync(serialLog, "latin1").split("\n")) {
    const m = /^mb t=(\d+) mode=\w+ passes=(\d+) writes=(\d+) checks=(\d+) bad=(\d+)/.exec(line);
    if (m)
      out.push({
        tMs: Number(m[1]),
        passes: Number(m[2]),
        writes: Number(m[3]),
        checks: Number(m[4]),
        bad: Number(m[5]),
      });
  }
  return out;
}

/** Waits until `count` heartbeats are in the log (the guest booted and its load runs). */
export async function waitForHeartbeats(
  serialLog: string,
  count: number,
  timeoutMs: number,
  pollMs = 200,
): Promise<Heartbeat[]> {
  const deadline = Date.now() + timeoutMs;
  // Parse the log again only when it grew: the migration's start polls it every 10 ms.
  let size = -1;
  let beats: Heartbeat[] = [];
  for (;;) {
    const now = existsSync(serialLog) ? statSync(serialLog).size : 0;
    if (now !== size) {
      size = now;
      beats = heartbeats(serialLog);
    }
    if (beats.length >= count || Date.now() > deadline) return beats;
    await sleep(pollMs);
  }
}

/** CPU seconds (user + system) of the source's threads the lab watches; null: none found. */
export interface ThreadCpu {
  /** `live_migration` (QEMU's migration_thread, named by `-name ...,debug-threads=on`). */
  readonly migrationS: number | null;
  /** The vCPU threads, `CPU 0/TCG` or `CPU 0/KVM` (qemu_tcg_init_vcpu_thread() and
   * kvm_start_vcpu_thread()), summed. */
  readonly vcpusS: number | null;
}

/** Both in one pass over /proc/PID/task: the lab polls them every 100 ms while it migrates. */
export function threadCpuSeconds(pid: number): ThreadCpu {
  let migrationS: number | null = null;
  let vcpusS: number | null = null;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {}
  for (const tid of tasks) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      const migration = comm === "live_migration";
      if (!migration && !/^CPU \d+\//.test(comm)) continue;
      const seconds = parseStatCpuSeconds(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"));
      if (migration) migrationS = seconds;
      else vcpusS = (vcpusS ?? 0) + seconds;
    } catch {}
  }
  return { migrationS, vcpusS };
}
