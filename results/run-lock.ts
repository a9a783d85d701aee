import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileError, InputError } from "../lib/errors.ts";
import { makeRunDir, writeAll } from "./run-dir.ts";

/**
 * One process at a time writes a run directory: lockRunDir takes `DIR/.lock` (docs/RESULTS.md).
 */

const LOCK_FILE = ".lock";

interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** Field 22 of /proc/PID/stat (start time in clock ticks): tells a reused PID apart. */
  readonly processStart: string | null;
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A holder on this host whose process is gone (or whose PID now belongs to another process). */
function isStale(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return false;
  if (!isAlive(holder.pid)) return true;
  const start = processStart(holder.pid);
  return holder.processStart !== null && start !== null && start !== holder.processStart;
}

function readHolder(path: string): LockHolder | null {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
    return typeof holder?.pid === "number" && typeof holder.hostname === "string" ? holder : null;
  } catch {
    return null;
  }
}

export interface RunLock {
  release(): void;
}

/**
 * Make `dir` and take its lock: `DIR/.lock`, created with O_EXCL, holding this process's PID,
 * host, start time. A lock whose process is gone (same host, PID not alive or reused) is stale
 * and taken over; a live one → InputError naming the lock and its holder.
 */
export function lockRunDir(dir: string): RunLock {
  makeRunDir(dir);
  const path = join(dir, LOCK_FILE);
  const mine: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    processStart: processStart(process.pid),
  };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fileError(path, error);
      const holder = readHolder(path);
      if (holder === null) {
        // Empty or unreadable: another process between its open and its write, or one that died
        // there. Only the second lasts: stale after a few seconds.
        const age = Date.now() - (statSafe(path)?.mtimeMs ?? 0);
        if (age < 5000) throw heldBy(path, null);
      } else if (!isStale(holder)) throw heldBy(path, holder);
      breakStaleLock(path, holder);
      continue;
    }
    try {
      writeAll(fd, Buffer.from(text), path);
    } finally {
      closeSync(fd);
    }
    return {
      release() {
        if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
      },
    };
  }
  throw heldBy(path, readHolder(path));
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Move the stale lock aside (rename is atomic, so of two processes breaking it only one gets
 * it) and check that what was moved is still the stale lock: if a third process took the lock
 * in between, put its live lock back.
 */
function breakStaleLock(path: string, stale: LockHolder | null): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = readHolder(aside);
  if (JSON.stringify(moved) !== JSON.stringify(stale)) {
    try {
      linkSync(aside, path);
    } catch {
      // a newer lock is already in place
    }
  }
  rmSync(aside, { force: true });
}

function heldBy(path: string, holder: LockHolder | null): InputError {
  if (holder === null)
    return new InputError(
      path,
      "another migbench process is writing this run directory; wait for it to finish",
    );
  const who = `migbench PID ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`;
  const what =
    holder.hostname === hostname()
      ? "wait for it to finish or stop it (a lock whose process is gone is taken over)"
      : "wait for it to finish; if that process is gone, delete this file (another host's process cannot be checked from here)";
  return new InputError(path, `${who} is writing this run directory; ${what}`);
}
