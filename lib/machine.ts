import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
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
