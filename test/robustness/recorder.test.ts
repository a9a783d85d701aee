import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { processState, ptraceAdvice, stateFromStat } from "../../workloads/process-info.ts";
import { recordProcess } from "../../workloads/recorder.ts";
import { TraceReader } from "../../workloads/trace-reader.ts";

/**
 * `npm run record` on processes it cannot record: each gets one line on stderr saying what
 * happened, exit 1, and no trace file (not even the temporary one). And a process that execs
 * after the recorder opened it (a shell or pyenv shim) is recorded, not read as all-unreadable.
 */

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "migbench-recorder-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const RECORD = ["--require", "./scripts/register-tsx.cjs", "workloads/record-cli.ts"];

/** Run the CLI to the end; stderr's lines and the exit code. */
function record(args: string[], options: { uid?: number } = {}) {
  const argv = [process.execPath, ...RECORD, ...args];
  const command =
    options.uid === undefined
      ? argv
      : ["setpriv", `--reuid=${options.uid}`, `--regid=${options.uid}`, "--clear-groups", ...argv];
  const result = spawnSync(command[0], command.slice(1), { encoding: "utf8", timeout: 30_000 });
  return {
    code: result.status,
    lines: result.stderr.split("\n").filter((line) => line !== ""),
  };
}

function assertOneLineFailure(
  result: { code: number | null; lines: string[] },
  dir: string,
  pattern: RegExp,
) {
  assert.equal(result.code, 1, result.lines.join("\n"));
  assert.equal(result.lines.length, 1, result.lines.join("\n"));
  assert.match(result.lines[0], /^record: /);
  assert.match(result.lines[0], pattern);
  assert.doesNotMatch(result.lines[0], /\n|^\s+at /);
  assert.deepEqual(readdirSync(dir), [], "no trace file and no temporary file left");
}

test("record -- true: the command exited before it could be read", (t) => {
  const dir = tempDir(t);
  const result = record(["--out", join(dir, "t.trace"), "--duration", "1s", "--", "true"]);
  // Usually `true` is gone before the first read; if the first snapshot catches it, it is gone
  // before the second. Either way nothing is recorded and the line says it exited.
  assertOneLineFailure(result, dir, /the command `true` \(pid \d+\): exited (before|after)/);
});

test("a process that is exiting (PF_EXITING, its memory gone) counts as exited, not as live", () => {
  // /proc/PID/stat: pid (comm) state ppid pgrp session tty_nr tpgid flags ...
  const stat = (state: string, flags: number) =>
    `4242 (my (odd) cmd) ${state} 1 4242 4242 0 -1 ${flags} 90 0 0 0 0 0 0 0 20 0 1 0`;
  assert.deepEqual(stateFromStat(stat("R", 0x0040_0000)), { kind: "live", name: "my (odd) cmd" });
  // The window in which /proc/PID/mem gives ESRCH but the state is not Z yet.
  assert.equal(stateFromStat(stat("R", 0x0040_0004)).kind, "zombie");
  assert.equal(stateFromStat(stat("Z", 0x0040_0004)).kind, "zombie");
  assert.equal(stateFromStat(stat("S", 0x0020_8040)).kind, "kernel-thread");
});

test("record --pid 2: a kernel thread has no user memory", (t) => {
  const state = processState(2);
  if (state.kind !== "kernel-thread") {
    t.skip(`pid 2 is not a kernel thread here (${state.kind} ${state.name}): a PID namespace?`);
    return;
  }
  const dir = tempDir(t);
  const result = record(["--out", join(dir, "t.trace"), "--duration", "1s", "--pid", "2"]);
  assertOneLineFailure(result, dir, /pid 2 \(kthreadd\): is a kernel thread/);
});

test("record --pid of no process", (t) => {
  const dir = tempDir(t);
  // A pid the option accepts (≤ pid_max) that no process holds now.
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  let pid = pidMax - 1;
  while (existsSync(`/proc/${pid}`)) pid--;
  const result = record(["--out", join(dir, "t.trace"), "--pid", String(pid)]);
  assertOneLineFailure(result, dir, /\/proc\/\d+: no such process/);
});

test("record --pid of an exited child (a zombie)", async (t) => {
  const dir = tempDir(t);
  // A shell whose child is never reaped: the shell execs sleep, and only then does the child
  // exit (it waits until its parent's name is sleep). A child that exited while the shell still
  // ran could be reaped by the shell, so the order is made certain rather than likely.
  const child = 'while [ "$(cat /proc/$PPID/comm)" != sleep ]; do sleep 0.01; done; exit 0';
  const parent = spawn("sh", ["-c", `sh -c '${child}' & echo $!; exec sleep 30`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(() => parent.kill("SIGKILL"));
  const [chunk] = (await once(parent.stdout, "data")) as [Buffer];
  const zombie = Number(chunk.toString().trim());
  for (let i = 0; i < 250 && processState(zombie).kind !== "zombie"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(processState(zombie).kind, "zombie");
  const result = record(["--out", join(dir, "t.trace"), "--pid", String(zombie)]);
  assertOneLineFailure(result, dir, /exited before its memory could be read \(it is a zombie/);
});

test("record --pid of a process we may not trace: the ptrace advice", async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip("needs root to start the recorder as another user (setpriv)");
    return;
  }
  if (spawnSync("setpriv", ["--version"]).status !== 0) {
    t.skip("setpriv is not installed");
    return;
  }
  const dir = tempDir(t);
  chmodSync(dir, 0o777);
  const target = spawn("sleep", ["30"], { stdio: "ignore" });
  t.after(() => target.kill("SIGKILL"));
  await once(target, "spawn");
  const result = record(["--out", join(dir, "t.trace"), "--pid", String(target.pid)], {
    uid: 65534,
  });
  assertOneLineFailure(result, dir, /permission denied: reading another process's memory/);
  // Whatever this machine's Yama setting, the line ends with what to do.
  assert.match(result.lines[0], /run as root|reboots/);
});

test("ptrace advice names Yama's ptrace_scope and what to do for each value", (t) => {
  const dir = tempDir(t);
  const scope = join(dir, "ptrace_scope");
  const advice = (value: string | null) => {
    if (value === null) return ptraceAdvice(join(dir, "missing"));
    writeFileSync(scope, `${value}\n`);
    return ptraceAdvice(scope);
  };
  assert.match(advice(null), /needs ptrace permission: run as root \(or as the process's owner/);
  assert.match(advice("0"), /run as root \(or as the process's owner/);
  assert.match(
    advice("1"),
    /ptrace_scope is 1 \(only a parent may\): run as root, record a command you start with `-- CMD`, or allow it with `sudo sysctl kernel.yama.ptrace_scope=0`/,
  );
  assert.match(advice("2"), /ptrace_scope is 2 \(only root may\): run as root$/);
  assert.match(advice("3"), /ptrace_scope is 3: no process may .* until the machine reboots/);
});

/** Every 40 ms the child writes a new "MIGBENCH-EXEC-<step>;" page (as trace-recorder.test.ts). */
const CHILD = `
const buffer = Buffer.alloc(64 * 4096);
let step = 0;
setInterval(() => {
  buffer.fill("MIGBENCH-EXEC-" + step + ";", (step % 64) * 4096, (step % 64 + 1) * 4096);
  step++;
  if (step === 16) process.stdout.write("written 16 pages\\n");
}, 40);
`;

test("a process that execs after the recorder opened it is recorded, not all unreadable", async (t) => {
  const dir = tempDir(t);
  // The shell is what the recorder opens; 300 ms later it execs node (like a pyenv shim).
  const shell = spawn("sh", ["-c", 'sleep 0.3; exec "$0" -e "$1"', process.execPath, CHILD], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  // The child says when it has written 16 pages; node's start-up after the exec can take most
  // of a second on a loaded machine, so the recording runs until then, not for a fixed time.
  let childWrote = false;
  shell.stdout.once("data", () => {
    childWrote = true;
  });
  t.after(() => shell.kill("SIGKILL"));
  await once(shell, "spawn");
  const out = join(dir, "exec.trace");
  const controller = new AbortController();
  let unreadable = 0;
  let snapshotsSince = 0;
  const summary = await recordProcess({
    pid: shell.pid as number,
    out,
    intervalMs: 100,
    durationMs: null,
    signal: controller.signal,
    onSnapshot: (p) => {
      unreadable = p.unreadablePages;
      if (childWrote) snapshotsSince++;
      if (snapshotsSince >= 3 || p.timeS >= 30) controller.abort();
    },
  });
  assert.equal(summary.endedBy, "interrupt");
  const reader = TraceReader.open(out);
  t.after(() => reader.close());
  assert.ok((reader.metadata.memReopened as number) >= 1, "reopened /proc/PID/mem after exec");
  // The node image was read: its pattern is in the trace, and reads did not all fail.
  const text = readAllPages(reader);
  assert.match(text, /MIGBENCH-EXEC-\d+;/);
  assert.ok(summary.changedPages > 50, `${summary.changedPages} page changes`);
  assert.ok(unreadable < summary.changedPages, `${unreadable} unreadable page reads`);
  assert.ok(existsSync(out));
});

/** Every page record's content in the trace (image and epochs), as latin1 text. */
function readAllPages(reader: TraceReader): string {
  const page = new Uint8Array(4096);
  const parts: string[] = [];
  for (let r = 0; r < reader.records.length; r++) {
    reader.readRecord(r, page);
    parts.push(Buffer.from(page).toString("latin1"));
  }
  return parts.join("");
}
