import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { fileError, InputError, isSystemError } from "./errors.ts";

/**
 * Write a whole file atomically, making its directory if needed: a temp file beside it, fsync,
 * rename. A reader (or a crash)
 * sees the old file or the new one, never half of one, and a failed write leaves no temp file.
 * The one way every command writes an output file (results, reports, codec and bench outputs).
 * A file-system error (EROFS, ENOSPC, EISDIR...) is an InputError naming `path`, not the
 * temp file the failing call saw.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    makeDirectory(dirname(path));
    try {
      const fd = openSync(temp, "w");
      try {
        writeFileSync(fd, data); // loops until every byte is written
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  } catch (error) {
    throw fileError(path, error, "write");
  }
}

/**
 * mkdir -p that reports the real error: Node's `mkdirSync(dir, { recursive: true })` says
 * ENOENT when the file system is read-only (EROFS) or the parent not writable (EACCES), so
 * the missing directories are made one at a time, from the deepest one that exists.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    try {
      mkdirSync(at);
    } catch (error) {
      if (!(isSystemError(error) && error.code === "EEXIST")) throw error; // made meanwhile
    }
  }
}

/** What is at `path`: "file", "directory", "other", or null when nothing is. */
function kindAt(path: string, named = path): "file" | "directory" | "other" | null {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? "directory" : stats.isFile() ? "file" : "other";
  } catch (error) {
    if (isSystemError(error) && error.code === "ENOENT") return null;
    throw fileError(named, error);
  }
}

/**
 * Create, write one byte to and remove a probe file in `dir`: what an output there will need.
 * One byte is enough to meet a full file system (ENOSPC) or a read-only one (EROFS) before the
 * work starts rather than after it.
 */
function probeDirectory(dir: string, named: string): void {
  const probe = resolve(dir, `.migbench-write-check-${process.pid}`);
  try {
    makeDirectory(dir);
    const fd = openSync(probe, "w");
    try {
      writeSync(fd, new Uint8Array(1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw fileError(named, error, "write there");
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * Check, before long work, that writeFileAtomic(path) can succeed: `path` is not a directory,
 * its directory exists or can be made, and a file can be written beside it. Errors are
 * InputErrors naming `path` (exit 1). Makes the directory as writeFileAtomic would.
 */
export function checkWritableFile(path: string): void {
  const kind = kindAt(path);
  if (kind === "directory") throw new InputError(path, "is a directory; give a file name");
  if (kind === "other") throw new InputError(path, "is not a regular file");
  const parent = dirname(resolve(path));
  const parentKind = kindAt(parent, path);
  if (parentKind !== null && parentKind !== "directory")
    throw new InputError(path, `${parent} is not a directory`);
  probeDirectory(parent, path);
}

/** The same for an output directory (a run directory, a report's charts/): made if missing. */
export function checkWritableDirectory(dir: string): void {
  const kind = kindAt(dir);
  if (kind !== null && kind !== "directory")
    throw new InputError(dir, "is a file, not a directory");
  probeDirectory(dir, dir);
}

/**
 * Check that `path` names a file that can be opened for reading: one InputError naming it
 * (no such file, is a directory, permission denied...) before any work, where a later read
 * would fail with the syscall's own words or a parser's complaint about a directory.
 */
export function checkReadableFile(path: string, what = "file"): void {
  const kind = kindAt(path);
  if (kind === null) throw new InputError(path, `no such file (the ${what})`);
  if (kind === "directory") throw new InputError(path, `is a directory, not a file (the ${what})`);
  try {
    closeSync(openSync(path, "r"));
  } catch (error) {
    throw fileError(path, error, `read the ${what}`);
  }
}
