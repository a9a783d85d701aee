import { readFileSync } from "node:fs";
import { InputError } from "../lib/errors.ts";

/**
 * What /proc says about a process the recorder is asked to read (docs/TRACE_FORMAT.md,
 * "Recorder"): its writable private mappings, whether it is gone, a zombie or a kernel thread,
 * and, when the kernel refuses to let us read it, why and what to do.
 */

/** A writable private mapping from /proc/PID/maps. */
export interface MemoryRegion {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly path: string;
}

/** /proc/PID/maps lines → writable private mappings, in address order. */
export function parseWritablePrivateMappings(maps: string): MemoryRegion[] {
  const regions: MemoryRegion[] = [];
  for (const line of maps.split("\n")) {
    if (line === "") continue;
    const match = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\S+\s*(.*)$/.exec(line);
    if (!match) continue;
    const perms = match[3];
    if (perms[1] !== "w" || perms[3] !== "p") continue;
    // [vsyscall]/[vvar] are never writable; this also keeps out special mappings if a kernel
    // ever marks one writable.
    const path = match[4].trim();
    if (path === "[vsyscall]" || path.startsWith("[vvar")) continue;
    regions.push({
      start: Number.parseInt(match[1], 16),
      end: Number.parseInt(match[2], 16),
      perms,
      path,
    });
  }
  return regions.sort((a, b) => a.start - b.start);
}

/** The process's writable private mappings now; null when it has none or is gone. */
export function readWritableMappings(mapsPath: string): MemoryRegion[] | null {
  try {
    const regions = parseWritablePrivateMappings(readFileSync(mapsPath, "utf8"));
    return regions.length === 0 ? null : regions; // a zombie has no mappings
  } catch {
    return null;
  }
}

/**
 * The writable private mappings of exactly `bytes` bytes, for `record --mapping-size`: a QEMU
 * guest's RAM block is one anonymous mapping of the RAM size (util/mmap-alloc.c
 * qemu_ram_mmap), which the kernel may split into adjacent VMAs (madvise or mprotect on part
 * of it), so runs of adjacent entries that add up to exactly `bytes` count too, joined into
 * one region. Every candidate is returned; the caller wants exactly one.
 */
export function mappingsOfSize(regions: readonly MemoryRegion[], bytes: number): MemoryRegion[] {
  const found: MemoryRegion[] = [];
  for (let i = 0; i < regions.length; i++) {
    let end = regions[i].end;
    for (let j = i + 1; end - regions[i].start < bytes && j < regions.length; j++) {
      if (regions[j].start !== end) break;
      end = regions[j].end;
    }
    if (end - regions[i].start === bytes) found.push({ ...regions[i], end });
  }
  return found;
}

/** The distinct sizes of `regions`, largest first, for an error that says what was there. */
export function mappingSizes(regions: readonly MemoryRegion[], limit = 8): number[] {
  const sizes = [...new Set(regions.map((r) => r.end - r.start))].sort((a, b) => b - a);
  return sizes.slice(0, limit);
}

/** PF_KTHREAD and PF_EXITING in /proc/PID/stat's flags (include/linux/sched.h). */
const PF_KTHREAD = 0x0020_0000;
const PF_EXITING = 0x0000_0004;

/** What /proc says about a process now: gone, a zombie, a kernel thread, or a live process. */
export interface ProcessState {
  readonly kind: "gone" | "zombie" | "kernel-thread" | "live";
  /** The command name (comm), "" when gone. */
  readonly name: string;
}

export function processState(pid: number): ProcessState {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return { kind: "gone", name: "" };
  }
  return stateFromStat(stat);
}

/**
 * A process's state from its /proc/PID/stat line. One that is exiting (PF_EXITING: between
 * do_exit()'s exit_mm(), after which /proc/PID/mem gives ESRCH, and exit_notify(), which makes
 * it a zombie) still shows state R or S; it counts as a zombie, because its memory is gone.
 */
export function stateFromStat(stat: string): ProcessState {
  // "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID FLAGS ..." (proc(5)); COMM may hold
  // spaces and parentheses, so split after the last ")".
  const close = stat.lastIndexOf(")");
  const name = stat.slice(stat.indexOf("(") + 1, close);
  const fields = stat.slice(close + 2).split(" ");
  const flags = Number(fields[6]);
  if ((flags & PF_KTHREAD) !== 0) return { kind: "kernel-thread", name };
  if (fields[0] === "Z" || fields[0] === "X" || fields[0] === "x" || (flags & PF_EXITING) !== 0)
    return { kind: "zombie", name };
  return { kind: "live", name };
}

/**
 * Why ptrace permission was refused and what to do, from Yama's ptrace_scope when the kernel
 * has Yama (Documentation/admin-guide/LSM/Yama.rst): 1 lets only an ancestor read a process,
 * 2 only CAP_SYS_PTRACE (root), 3 nobody until reboot. Without Yama (or at 0), the reader must
 * be root or the process's owner, and an owner is refused a process that is not dumpable (one
 * that changed its uid, or called prctl(PR_SET_DUMPABLE, 0)).
 */
export function ptraceAdvice(scopeFile = "/proc/sys/kernel/yama/ptrace_scope"): string {
  let scope = "";
  try {
    scope = readFileSync(scopeFile, "utf8").trim();
  } catch {
    // No Yama: only the classic owner/root rule applies.
  }
  const need = "reading another process's memory needs ptrace permission";
  switch (scope) {
    case "1":
      return `${need}, and kernel.yama.ptrace_scope is 1 (only a parent may): run as root, record a command you start with \`-- CMD\`, or allow it with \`sudo sysctl kernel.yama.ptrace_scope=0\``;
    case "2":
      return `${need}, and kernel.yama.ptrace_scope is 2 (only root may): run as root`;
    case "3":
      return `${need}, and kernel.yama.ptrace_scope is 3: no process may read another's memory until the machine reboots with a lower setting`;
    default:
      return `${need}: run as root (or as the process's owner, for a process that did not change its user or make itself undumpable)`;
  }
}

/**
 * The error for a process with nothing to read, by what /proc says about it now. `what` ends
 * the sentence for a live process, whose memory could not be read for another reason.
 */
export function cannotRecord(pid: number, label: string | undefined, what: string): InputError {
  const state = processState(pid);
  const who = label ?? (state.name === "" ? `pid ${pid}` : `pid ${pid} (${state.name})`);
  switch (state.kind) {
    case "gone":
      return new InputError(
        label ?? `/proc/${pid}`,
        label === undefined
          ? "no such process (it is not running, or it exited before it could be read)"
          : "exited before its memory could be read: nothing recorded (record a program that runs for at least one --interval)",
      );
    case "zombie":
      return new InputError(
        who,
        `exited before its memory could be read${label === undefined ? " (it is a zombie now)" : ""}: nothing recorded (record a program that runs for at least one --interval)`,
      );
    case "kernel-thread":
      return new InputError(
        who,
        "is a kernel thread: it has no user memory to record (give the pid of a user process)",
      );
    default:
      return new InputError(who, what);
  }
}
