import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../harness/errors.ts";
import { writeFileAtomic } from "../harness/atomic-file.ts";
import { MANIFEST_FILE } from "./schema.ts";

/**
 * manifest.json: what was run, on what, by whom — lzbench's header and footer as a file. Written
 * atomically when a run starts (status "running") and again when it ends; `--resume` reads it
 * back to re-create the sweep. Everything here may differ between two runs of the same sweep
 * (times, machine); results.csv holds only what must not.
 */

export type RunStatus = "running" | "completed" | "interrupted" | "failed";

export interface ManifestResume {
  readonly startedAt: string;
  readonly commandLine: string;
  /** Cells results.csv already held when this resume started. */
  readonly cellsAlreadyDone: number;
}

export interface Manifest {
  /** Manifest format version, bumped on an incompatible change. */
  readonly format: 1;
  readonly migbenchVersion: string;
  /** `git rev-parse HEAD` of the migbench tree, null when it is not a git checkout. */
  readonly gitCommit: string | null;
  /** True when the tree had uncommitted changes (so gitCommit alone does not reproduce it). */
  readonly gitDirty: boolean | null;
  readonly node: string;
  readonly platform: string;
  readonly cpu: { readonly model: string; readonly cores: number };
  readonly totalMemoryBytes: number;
  /** The full command line as typed (argv, shell-quoted), and where it ran. */
  readonly commandLine: string;
  readonly cwd: string;
  /** The arguments after the script, for --resume to re-parse. */
  readonly argv: readonly string[];
  /** The normalised options (sizes in bytes, rates in bytes/s, times in ms, absolute paths). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly seeds: readonly number[];
  /** Where codec rates came from and the rates themselves (DESIGN: results must not depend on load). */
  readonly calibration: Readonly<Record<string, unknown>>;
  readonly cells: number;
  readonly workers: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly status: RunStatus;
  readonly cellsDone: number;
  readonly resumes: readonly ManifestResume[];
  /** Machine figures of the last session: wall time and peak RSS of the bench process. */
  readonly machine: { readonly wallMs: number; readonly peakRssBytes: number } | null;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export function migbenchVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    }).trim();
  } catch {
    return null;
  }
}

export function gitInfo(): { gitCommit: string | null; gitDirty: boolean | null } {
  const commit = git(["rev-parse", "HEAD"]);
  if (commit === null) return { gitCommit: null, gitDirty: null };
  const status = git(["status", "--porcelain", "--untracked-files=no"]);
  return { gitCommit: commit, gitDirty: status === null ? null : status !== "" };
}

/** Quote an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function machineInfo() {
  const list = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: { model: list[0]?.model.trim() ?? "unknown", cores: list.length },
    totalMemoryBytes: totalmem(),
  };
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      path,
      code === "ENOENT" ? "no such file (is this a migbench run directory?)" : `cannot read (${code})`,
    );
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (error) {
    throw new InputError(path, `not valid JSON: ${(error as Error).message}`);
  }
  if (manifest.format !== 1 || !Array.isArray(manifest.argv))
    throw new InputError(path, "not a migbench manifest (format 1 with argv)");
  return manifest;
}
