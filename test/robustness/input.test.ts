/**
 * Bad input as a user meets it: every command spawned as `npm run X` runs it, with bad option
 * values and unusable paths. Each case must end within a few seconds (a command that starts its
 * long work instead is killed with SIGKILL and fails), with the right exit status (2 usage, 1
 * file), ONE line on stderr, no stack trace, naming the option or the path.
 *
 * Real file systems where this process can make them: as root, a read-only tmpfs (EROFS) and a
 * full one (ENOSPC), and a non-root child (setpriv) for EACCES, since root ignores file modes.
 * Otherwise those cases are skipped with the reason printed.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;
const scripts = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;
const dir = mkdtempSync(join(tmpdir(), "migbench-input-"));
const readOnly = join(dir, "ro");
const full = join(dir, "full");
const locked = join(dir, "locked");
const mounted: string[] = [];
/** Why the real-file-system cases cannot run here; null when they can. */
let noMounts: string | null = null;
let noSetpriv: string | null = null;

/** A case that has not exited after this long has started its long work: it is killed. */
const TIMEOUT_MS = 30_000;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npm run SCRIPT -- ARGS`, without npm: node, the tsx preload and the script's file. */
function cli(script: string, args: readonly string[], asNobody = false): Promise<Run> {
  const file = scripts[script].split(" ").at(-1) as string;
  const node = [process.execPath, "--require", "./scripts/register-tsx.cjs", file, ...args];
  const [command, ...rest] = asNobody
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...node]
    : node;
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Exit `status`, one stderr line without a stack trace that contains every one of `names`. */
function assertOneLine(run: Run, status: number, names: readonly string[], label: string): void {
  const where = `${label}\n--- stderr:\n${run.stderr}--- stdout:\n${run.stdout.slice(0, 2000)}`;
  assert.equal(run.signal, null, `still running after ${TIMEOUT_MS} ms (killed): ${where}`);
  assert.equal(run.status, status, where);
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "");
  assert.equal(lines.length, 1, where);
  assert.doesNotMatch(run.stderr, /^\s+at /m, where);
  for (const name of names) assert.ok(lines[0].includes(name), `${where}\n(should name ${name})`);
}

type Case = [label: string, script: string, args: string[], status: number, names: string[]];

const file = (name: string) => join(dir, name);

/** `base` with each `--flag value` of `overrides` replacing that flag's value, or added. */
function withArgs(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (let i = 0; i < overrides.length; i++) {
    const flag = overrides[i];
    const takesValue = i + 1 < overrides.length && !overrides[i + 1].startsWith("--");
    const once = overrides.filter((arg) => arg === flag).length === 1;
    const at = base.indexOf(flag);
    if (takesValue && once && at >= 0) out[at + 1] = overrides[++i];
    else out.push(flag, ...(takesValue ? [overrides[++i]] : []));
  }
  return out;
}

/** A small `npm run bench` that would finish in seconds if its bad option were let through. */
const bench = (...args: string[]) =>
  withArgs(
    [
      "--workload",
      "stride",
      "--ram",
      "64MiB",
      "--codec",
      "raw",
      "--cache-size",
      "16MiB",
      "--workers",
      "0",
      "--no-report",
      "--quiet",
      "--out",
      file("run"),
    ],
    args,
  );
const encode = (...args: string[]) =>
  withArgs(
    [
      "encode",
      "--codec",
      "xbzrle",
      "--previous",
      file("old.bin"),
      "--page",
      file("page.bin"),
      "--out",
      file("delta.out"),
    ],
    args,
  );

before(() => {
  writeFileSync(file("page.bin"), new Uint8Array(4096).fill(7));
  writeFileSync(file("old.bin"), new Uint8Array(4096).fill(5));
  writeFileSync(file("afile"), "not a directory\n");
  mkdirSync(file("adir"));
  for (const n of [0, 1]) writeFileSync(file(`snap${n}.bin`), new Uint8Array(65536).fill(n));
  if (process.getuid?.() !== 0) {
    noMounts = "not root: cannot mount a read-only or a full tmpfs";
    noSetpriv = "not root: EACCES needs a directory this user cannot write";
    return;
  }
  for (const [at, options] of [
    [readOnly, "size=64k,ro"],
    [full, "size=64k"],
  ] as const) {
    mkdirSync(at);
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", at], {
      encoding: "utf8",
    });
    if (mount.status !== 0) {
      noMounts = `mount -t tmpfs failed: ${(mount.stderr || String(mount.error)).trim()}`;
      return;
    }
    mounted.push(at);
  }
  // Fill the small tmpfs to the last block: the next byte written is ENOSPC.
  const fill = spawnSync("dd", ["if=/dev/zero", `of=${join(full, "fill")}`, "bs=4096"], {
    encoding: "utf8",
  });
  if (!/No space left/.test(fill.stderr)) noMounts = `could not fill ${full}: ${fill.stderr}`;
  mkdirSync(locked);
  chmodSync(locked, 0o755); // root's: nobody may read it, not write it
  chmodSync(dir, 0o755);
  writeFileSync(file("secret.bin"), new Uint8Array(4096));
  chmodSync(file("secret.bin"), 0o600);
  const probe = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "true"]);
  if (probe.status !== 0) noSetpriv = "setpriv cannot run a command as nobody here";
});

after(() => {
  for (const at of mounted) spawnSync("umount", [at]);
  rmSync(dir, { recursive: true, force: true });
});

describe("bad option values: exit 2, one line naming the option", { concurrency: 2 }, () => {
  const cases: Case[] = [
    // units: b is a bit, B a byte; ambiguous spellings list the accepted forms
    ["lower-case gbps", "bench", bench("--link-speed", "10gbps"), 2, ["--link-speed", "Gbps"]],
    ["64M", "bench", bench("--cache-size", "64M"), 2, ["--cache-size", "64MiB", "64MB"]],
    ["infinite rate", "bench", bench("--bandwidth", "1e999MiB/s"), 2, ["--bandwidth", "finite"]],
    ["negative with a unit", "bench", bench("--cache-size", "-16MiB"), 2, ["--cache-size"]],
    ["negative RAM", "bench:scale", ["--ram", "-1GiB"], 2, ["--ram", "negative"]],
    // limits, named
    ["cache beyond 4GiB", "bench", bench("--cache-size", "8GiB"), 2, ["--cache-size", "4GiB"]],
    ["RAM beyond 16TiB", "bench", bench("--ram", "64TiB"), 2, ["--ram", "16TiB"]],
    ["threads", "bench", bench("--threads", "1000000000"), 2, ["--threads", "255"]],
    ["trace without file=", "bench", bench("--workload", "trace"), 2, ["file="]],
    [
      "RAM too small for the active set",
      "bench",
      bench("--workload", "sap-like", "--ram", "512MiB"),
      2,
      ["active_bytes", "--ram"],
    ],
    [
      "a list given twice",
      "bench",
      bench("--max-time", "60s", "--max-time", "120s"),
      2,
      ["--max-time", "--max-time 60s,120s"],
    ],
    // seeds and counts in every command
    ["bench --seed abc", "bench", bench("--seed", "abc"), 2, ["--seed"]],
    ["bench:codecs --seed abc", "bench:codecs", ["--seed", "abc"], 2, ["--seed"]],
    ["bench:scale --seed abc", "bench:scale", ["--seed", "abc"], 2, ["--seed"]],
    ["bench:workloads --seed abc", "bench:workloads", ["--seed", "abc"], 2, ["--seed"]],
    ["fuzz:codecs --seed abc", "fuzz:codecs", ["--seed", "abc"], 2, ["--seed"]],
    ["bench:codecs --pairs 1e9", "bench:codecs", ["--pairs", "1e9"], 2, ["--pairs", "524287"]],
    [
      "bench:codecs --kind twice",
      "bench:codecs",
      ["--kind", "zero", "--kind", "sparse"],
      2,
      ["--kind"],
    ],
    ["fuzz --hang-seconds 0", "fuzz:codecs", ["--hang-seconds", "0"], 2, ["--hang-seconds"]],
    ["fuzz --cases 1e10", "fuzz:codecs", ["--cases", "1e10"], 2, ["--cases"]],
    ["codec --limit 1e10", "codec", encode("--limit", "1e10"), 2, ["--limit", "8192"]],
    ["record --pid abc", "record", ["--out", file("x.trace"), "--pid", "abc"], 2, ["--pid"]],
    [
      "record --interval 1e999s",
      "record",
      ["--out", file("x.trace"), "--interval", "1e999s", "--", "sleep", "5"],
      2,
      ["--interval"],
    ],
    [
      "record --duration -1s",
      "record",
      ["--out", file("x.trace"), "--duration", "-1s", "--", "sleep", "5"],
      2,
      ["--duration"],
    ],
    [
      "trace import --times 0,1e999",
      "trace",
      [
        "import",
        "--times",
        "0,1e999",
        "--out",
        file("y.trace"),
        file("snap0.bin"),
        file("snap1.bin"),
      ],
      2,
      ["--times"],
    ],
    [
      "trace import --level -1",
      "trace",
      ["import", "--interval", "1s", "--level", "-1", "--out", file("y.trace"), file("snap0.bin")],
      2,
      ["--level"],
    ],
    [
      "report --cell -1",
      "report",
      ["test/fixtures/reports/sweep-run", "--cell", "-1"],
      2,
      ["--cell"],
    ],
    ["bench:workloads --at 1e999s", "bench:workloads", ["--at", "1e999s"], 2, ["--at"]],
    [
      "bench:workloads --window twice",
      "bench:workloads",
      ["--windows", "--window", "1s", "--window", "2s"],
      2,
      ["--window"],
    ],
    ["bench:qemu-baseline --pairs 1e9", "bench:qemu-baseline", ["--pairs", "1e9"], 2, ["--pairs"]],
    ["bench:qemu-baseline --cpu abc", "bench:qemu-baseline", ["--cpu", "abc"], 2, ["--cpu"]],
  ];
  for (const [label, script, args, status, names] of cases)
    test(`${script}: ${label}`, async () => {
      assertOneLine(await cli(script, args), status, names, `${script} ${args.join(" ")}`);
    });
});

describe("unusable paths: exit 1, one line naming the path", { concurrency: 2 }, () => {
  const adir = file("adir");
  const afile = file("afile");
  const cases: Case[] = [
    ["--out is a file", "bench", bench("--out", afile), 1, [afile, "not a directory"]],
    ["--calibration is a directory", "bench", bench("--calibration", adir), 1, [adir]],
    [
      "trace file= missing",
      "bench",
      bench("--workload", "trace", "--set", `file=${file("no.trace")}`),
      1,
      [file("no.trace")],
    ],
    // the default --pairs takes minutes: the check must come first
    ["--calibrate is a directory", "bench:codecs", ["--calibrate", adir], 1, [adir, "directory"]],
    [
      "--page missing",
      "codec",
      encode("--page", file("no.bin")),
      1,
      [file("no.bin"), "no such file"],
    ],
    ["--previous is a directory", "codec", encode("--previous", adir), 1, [adir, "directory"]],
    ["--out is a directory", "codec", encode("--out", adir), 1, [adir, "directory"]],
    [
      "--out under a file",
      "codec",
      encode("--out", join(afile, "d.bin")),
      1,
      [join(afile, "d.bin")],
    ],
    [
      "decode --delta is a directory",
      "codec",
      ["decode", "--codec", "raw", "--delta", adir, "--out", file("p.out")],
      1,
      [adir],
    ],
    ["record --out is a directory", "record", ["--out", adir, "--", "sleep", "5"], 1, [adir]],
    [
      "import: a snapshot is a directory",
      "trace",
      ["import", "--interval", "1s", "--out", file("y.trace"), file("snap0.bin"), adir],
      1,
      [adir],
    ],
    ["info: a directory", "trace", ["info", adir], 1, [adir, "directory"]],
    ["a missing results directory", "report", [file("nowhere")], 1, [file("nowhere")]],
    [
      "--codec-bench is a directory",
      "report",
      ["test/fixtures/reports/sweep-run", "--codec-bench", adir],
      1,
      [adir],
    ],
    [
      "--json is a directory",
      "bench:workloads",
      ["--workload", "stride", "--ram", "64MiB", "--json", adir],
      1,
      [adir],
    ],
  ];
  for (const [label, script, args, status, names] of cases)
    test(`${script}: ${label}`, async () => {
      assertOneLine(await cli(script, args), status, names, `${script} ${args.join(" ")}`);
    });
});

describe("read-only, full and forbidden file systems: exit 1, one line", { concurrency: 2 }, () => {
  const ro = (name: string) => join(readOnly, name);
  const fu = (name: string) => join(full, name);
  const cases: Case[] = [
    ["bench --out, EROFS", "bench", bench("--out", ro("run")), 1, [ro("run"), "read-only"]],
    ["bench --out, ENOSPC", "bench", bench("--out", fu("run")), 1, [fu("run"), "no space"]],
    [
      "bench:codecs --export-json, EROFS",
      "bench:codecs",
      ["--export-json", ro("x.json")],
      1,
      [ro("x.json"), "read-only"],
    ],
    [
      "bench:codecs --calibrate, ENOSPC",
      "bench:codecs",
      ["--calibrate", fu("c.json")],
      1,
      [fu("c.json"), "no space"],
    ],
    [
      "bench:scale --json, EROFS",
      "bench:scale",
      ["--ram", "64MiB", "--workload", "stride", "--json", ro("x.json")],
      1,
      [ro("x.json"), "read-only"],
    ],
    [
      "bench:workloads --json, ENOSPC",
      "bench:workloads",
      ["--workload", "stride", "--ram", "64MiB", "--json", fu("x.json")],
      1,
      [fu("x.json"), "no space"],
    ],
    [
      "bench:qemu-baseline --json, EROFS",
      "bench:qemu-baseline",
      ["--json", ro("x.json")],
      1,
      [ro("x.json"), "read-only"],
    ],
    ["codec --out, EROFS", "codec", encode("--out", ro("d.bin")), 1, [ro("d.bin"), "read-only"]],
    ["codec --out, ENOSPC", "codec", encode("--out", fu("d.bin")), 1, [fu("d.bin"), "no space"]],
    [
      "record --out, EROFS",
      "record",
      ["--out", ro("x.trace"), "--", "sleep", "5"],
      1,
      [ro("x.trace"), "read-only"],
    ],
    [
      "record --out, ENOSPC",
      "record",
      ["--out", fu("x.trace"), "--", "sleep", "5"],
      1,
      [fu("x.trace"), "no space"],
    ],
    [
      "trace import --out, EROFS",
      "trace",
      ["import", "--interval", "1s", "--out", ro("x.trace"), file("snap0.bin")],
      1,
      [ro("x.trace"), "read-only"],
    ],
    [
      "trace recompress OUT, ENOSPC",
      "trace",
      ["recompress", "workloads/traces/sqlite-kv.trace", fu("z.trace")],
      1,
      [fu("z.trace"), "no space"],
    ],
  ];
  for (const [label, script, args, status, names] of cases)
    test(`${script}: ${label}`, async (t) => {
      if (noMounts) return t.skip(noMounts);
      assertOneLine(await cli(script, args), status, names, `${script} ${args.join(" ")}`);
    });

  test("trace import: a disk that fills during the write names the trace, leaves no file", async (t) => {
    if (noMounts) return t.skip(noMounts);
    // The probe's byte fits; 2 × 256 KiB of incompressible snapshots do not fit in 64 KiB.
    const small = join(dir, "small");
    mkdirSync(small);
    const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", small]);
    if (mount.status !== 0) return t.skip("mount -t tmpfs failed");
    mounted.push(small);
    writeFileSync(file("noise0.bin"), randomBytes(262144));
    writeFileSync(file("noise1.bin"), randomBytes(262144));
    const out = join(small, "x.trace");
    const run = await cli("trace", [
      "import",
      "--interval",
      "1s",
      "--out",
      out,
      file("noise0.bin"),
      file("noise1.bin"),
    ]);
    // Its progress lines (one per snapshot) come first; the error is the last line.
    const where = `trace import onto a small tmpfs\n${run.stderr}`;
    assert.equal(run.status, 1, where);
    assert.doesNotMatch(run.stderr, /^\s+at /m, where);
    const last = run.stderr.trim().split("\n").at(-1) ?? "";
    assert.ok(last.startsWith(`trace: ${out}: `) && last.includes("no space"), where);
    const left = spawnSync("ls", ["-A", small], { encoding: "utf8" }).stdout.trim();
    assert.equal(left, "", "no trace or temp file left behind");
  });

  test("EACCES: a directory this user may not write, a file it may not read", async (t) => {
    if (noSetpriv) return t.skip(noSetpriv);
    const out = join(locked, "x.bin");
    const write = await cli("codec", encode("--out", out), true);
    assertOneLine(write, 1, [out, "permission denied"], "codec --out in a root-only directory");
    const json = join(locked, "x.json");
    const bench = await cli("bench:codecs", ["--export-csv", json], true);
    assertOneLine(bench, 1, [json, "permission denied"], "bench:codecs --export-csv as nobody");
    const secret = file("secret.bin");
    const read = await cli("codec", encode("--page", secret), true);
    assertOneLine(read, 1, [secret, "permission denied"], "codec --page unreadable");
  });
});
