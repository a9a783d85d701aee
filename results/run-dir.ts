import { existsSync, writeSync } from "node:fs";
import { join } from "node:path";
import { makeDirectory } from "../lib/atomic-file.ts";
import { fileError } from "../lib/errors.ts";

/**
 * A run's directory: its default name, making it, and the file operations its writers share
 * (an errno error names the path the user gave). What goes in it: run-writer.ts (the cells
 * journal and the CSV views), run-lock.ts (`DIR/.lock`), manifest.ts (`manifest.json`);
 * docs/RESULTS.md describes the files.
 */

/** Run `action` on `path`; an errno error becomes one line naming the path. */
export function onFile<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw fileError(path, error);
  }
}

/** Make a run directory and its parents; an error names the directory. */
export function makeRunDir(dir: string): void {
  onFile(dir, () => makeDirectory(dir));
}

/**
 * Where runs go without --out, under the current directory. Not results/, which holds this
 * layer's source: a run folder there sat beside .ts files that `rm -rf results/*` would delete.
 */
export const RUNS_DIR = "runs";

/** `runs/20261125T183000Z-sap-like` under `cwd` (UTC, to the second; `-2`, `-3`... if taken). */
export function defaultRunDir(workloads: readonly string[], now: Date, cwd: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const base = join(cwd, RUNS_DIR, `${stamp}-${workloads.join("+")}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

/** Append the whole buffer (write(2) may write less than asked, e.g. as a disk fills). */
export function writeAll(fd: number, data: Buffer, path: string): void {
  let written = 0;
  while (written < data.length) {
    written += onFile(path, () => writeSync(fd, data, written, data.length - written));
  }
}
