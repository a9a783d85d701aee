import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What a run or a benchmark records about where it ran: migbench's version, git, the machine. */

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

/**
 * The installed version of a dependency, read from its package.json (found upwards from the
 * file it resolves to: some packages do not export their package.json), or null if not found.
 */
export function installedVersion(name: string): string | null {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve(name));
  } catch {
    return null;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === name) return pkg.version ?? null;
  }
  return null;
}
