import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

// Broken --codec-module plug-ins, driven as a user drives them: each command spawned as
// `npm run X` spawns it (node + the tsx preload), exit status, stderr and the files checked.
// The fixtures (test/fixtures/plugins/) are the correct "runs" codec of my-codec.ts with one
// fault each. A failure must be one stderr line naming the plug-in, without a stack trace, and
// must not lose or change any other codec's finished result.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = join(ROOT, "test/fixtures/plugins");
const dir = mkdtempSync(join(tmpdir(), "migbench-plugins-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** README's example, `./my-codec.ts`, in a directory with no package.json above it. */
const outside = join(dir, "outside");
mkdirSync(outside);
const MY_CODEC = join(outside, "my-codec.ts");
writeFileSync(
  MY_CODEC,
  readFileSync(join(FIXTURES, "my-codec.ts"), "utf8").replace(
    "../../../codecs/types.ts",
    join(ROOT, "codecs/types.ts"),
  ),
);
const fixture = (name: string) => join(FIXTURES, `${name}.ts`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function spawn(script: string, args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--require", "./scripts/register-tsx.cjs", script, ...args],
      { cwd: ROOT, encoding: "utf8", timeout: 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Exactly one stderr line, no stack trace, naming the plug-in; returns the line. */
function oneLine(run: Run, code: number, ...patterns: RegExp[]): string {
  assert.equal(run.code, code, `exit status; stderr: ${run.stderr}`);
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "");
  assert.equal(lines.length, 1, `one stderr line, got:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /^\s+at |node:internal/m);
  for (const pattern of patterns) assert.match(lines[0], pattern);
  return lines[0];
}

// --- npm run bench -------------------------------------------------------------------------

// A small VM whose delta codecs hit the cache thousands of times in a fraction of a second.
const SWEEP = [
  ...["--workload", "uniform", "--ram", "32MiB", "--set", "wss=16MiB"],
  ...["--bandwidth", "8MiB/s", "--cache-size", "16MiB", "--no-report", "--quiet"],
];
const BUILTINS = "xbrle,xbzrle";

function bench(out: string, workers: number, extra: readonly string[]): Promise<Run> {
  return spawn("harness/cli/bench.ts", [
    ...SWEEP,
    ...["--workers", String(workers), "--out", join(dir, out)],
    ...extra,
  ]);
}

const csvLines = (out: string, file = "results.csv") =>
  readFileSync(join(dir, out, file), "utf8")
    .trimEnd()
    .split("\n");

/** The run's rows but the plug-in's: they must equal the reference run's, byte for byte. */
function assertBuiltinsIntact(out: string, reference: readonly string[]) {
  assert.deepEqual(csvLines(out).slice(0, reference.length), reference);
}

const reference = (async () => {
  const run = await bench("reference", 0, ["--codec", BUILTINS]);
  assert.equal(run.code, 0, run.stderr);
  return csvLines("reference");
})();

describe("bench", { concurrency: 2 }, () => {
  test("README's ./my-codec.ts outside a module package loads and runs beside xbzrle", async () => {
    const run = await bench("outside", 2, [
      "--codec",
      `${BUILTINS},runs`,
      "--codec-module",
      MY_CODEC,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "");
    const rows = csvLines("outside");
    assertBuiltinsIntact("outside", await reference);
    assert.match(rows[3], /^2,uniform,runs,.*,completed,/);
  });

  const failingCells: [string, string, number, RegExp][] = [
    ["encode-nan", "bad-nan", 0, /encode\(\) returned NaN for page \d+ \(pass \d+\)/],
    ["encode-nan", "bad-nan", 2, /encode\(\) returned NaN for page \d+ \(pass \d+\)/],
    ["encode-fraction", "bad-fraction", 0, /encode\(\) returned 12\.5 for page \d+/],
    ["encode-minus-two", "bad-minus-two", 2, /encode\(\) returned -2 for page \d+/],
    ["encode-past-limit", "bad-past-limit", 0, /encode\(\) returned 4097 for page \d+/],
    [
      "corrupt-first",
      "bad-delta",
      2,
      /verification failed for page \d+ .*decode to a different page/,
    ],
    ["encode-exits", "bad-encode-exit", 0, /called process\.exit\(4\)/],
    ["encode-exits", "bad-encode-exit", 2, /called process\.exit\(4\)/],
  ];
  for (const [file, name, workers, problem] of failingCells) {
    test(`${file} (--workers ${workers}): the plug-in's cell fails, naming it and the page`, async () => {
      const out = `${file}-w${workers}`;
      const run = await bench(out, workers, [
        ...["--codec", `${BUILTINS},${name}`, "--codec-module", fixture(file)],
      ]);
      const line = oneLine(run, 1, /1 of 3 cells failed/, new RegExp(`plug-in "${name}"`));
      assert.ok(line.includes(fixture(file)), line);
      assert.match(line, problem);
      assertBuiltinsIntact(out, await reference);
      const row = csvLines(out)[3];
      assert.match(row, new RegExp(`^2,uniform,${name},.*,failed,`));
      assert.match(row, problem);
    });
  }

  test("the failed row is the same for --workers 0 and 2", async () => {
    // Both runs above wrote it; rerun here so the test does not depend on their order.
    const [a, b] = await Promise.all(
      [0, 2].map((workers) =>
        bench(`exit-same-w${workers}`, workers, [
          ...["--codec", `${BUILTINS},bad-encode-exit`, "--codec-module", fixture("encode-exits")],
        ]),
      ),
    );
    assert.equal(a.code, 1);
    assert.equal(b.code, 1);
    assert.deepEqual(csvLines("exit-same-w0"), csvLines("exit-same-w2"));
    assert.deepEqual(
      csvLines("exit-same-w0", "passes.csv"),
      csvLines("exit-same-w2", "passes.csv"),
    );
  });

  test("--verify decodes every page: a fault on the 2nd encoded page fails the cell", async () => {
    const args = ["--codec", `${BUILTINS},bad-second`, "--codec-module", fixture("corrupt-second")];
    const run = await bench("verify", 0, [...args, "--verify"]);
    oneLine(run, 1, /plug-in "bad-second"/, /verification failed for page \d+/);
    assertBuiltinsIntact("verify", await reference);
  });

  test("--verify leaves built-in results byte-identical", async () => {
    const run = await bench("verify-builtins", 2, ["--codec", BUILTINS, "--verify"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(csvLines("verify-builtins"), await reference);
  });

  const refusedBeforeRunning: [string, number, RegExp[]][] = [
    ["create-throws", 0, [/plug-in "bad-create"/, /create\(\) threw Error: no licence/]],
    ["create-exits", 0, [/plug-in "bad-create-exit"/, /called process\.exit\(3\) in create\(\)/]],
    ["create-exits", 2, [/plug-in "bad-create-exit"/, /called process\.exit\(3\) in create\(\)/]],
    ["named-xbzrle", 2, [/plug-in "xbzrle"/, /already a built-in codec/]],
  ];
  for (const [file, workers, patterns] of refusedBeforeRunning) {
    test(`${file} (--workers ${workers}): one line before any cell runs`, async () => {
      const out = `refused-${file}-w${workers}`;
      const run = await bench(out, workers, ["--codec-module", fixture(file)]);
      const line = oneLine(run, 1, ...patterns);
      assert.ok(line.includes(fixture(file)), line);
      assert.equal(existsSync(join(dir, out, "results.csv")), false);
    });
  }
});

// --- npm run codec -------------------------------------------------------------------------

const previousPage = join(dir, "old.bin");
const currentPage = join(dir, "new.bin");
{
  const old = new Uint8Array(4096).map((_, i) => (i * 31) & 255);
  const now = old.slice();
  now[100] ^= 0xff;
  now.fill(0x78, 2000, 2010);
  writeFileSync(previousPage, old);
  writeFileSync(currentPage, now);
}

function codecEncode(file: string, name: string, out: string): Promise<Run> {
  return spawn("codecs/cli.ts", [
    ...["encode", "--codec", name, "--codec-module", file],
    ...["--previous", previousPage, "--page", currentPage, "--out", join(dir, out)],
  ]);
}

describe("codec encode", { concurrency: 2 }, () => {
  test("README's ./my-codec.ts: encode and decode give the page back", async () => {
    const encoded = await codecEncode(MY_CODEC, "runs", "runs.delta");
    assert.equal(encoded.code, 0, encoded.stderr);
    assert.match(encoded.stdout, /runs: 19-byte delta/);
    const decoded = await spawn("codecs/cli.ts", [
      ...["decode", "--codec", "runs", "--codec-module", MY_CODEC, "--previous", previousPage],
      ...["--delta", join(dir, "runs.delta"), "--out", join(dir, "runs.page")],
    ]);
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.deepEqual(readFileSync(join(dir, "runs.page")), readFileSync(currentPage));
  });

  const cases: [string, string, RegExp][] = [
    ["encode-nan", "bad-nan", /encode\(\) returned NaN for .*new\.bin/],
    ["encode-minus-two", "bad-minus-two", /encode\(\) returned -2 for/],
    ["encode-past-limit", "bad-past-limit", /encode\(\) returned 4097 for/],
    ["encode-fraction", "bad-fraction", /encode\(\) returned 12\.5 for/],
    ["create-throws", "bad-create", /create\(\) threw Error: no licence/],
    ["encode-exits", "bad-encode-exit", /called process\.exit\(4\) in encode\(\)/],
    ["named-xbzrle", "xbzrle", /already a built-in codec/],
  ];
  for (const [file, name, problem] of cases) {
    test(`${file}: one line naming the plug-in, no delta written`, async () => {
      const out = `${file}.delta`;
      const run = await codecEncode(fixture(file), name, out);
      oneLine(run, 1, new RegExp(`plug-in "${name}"`), problem);
      assert.equal(existsSync(join(dir, out)), false);
    });
  }
});

// --- npm run bench:codecs ------------------------------------------------------------------

function benchCodecs(file: string, name: string): Promise<Run> {
  return spawn("codecs/bench.ts", [
    ...["--codec", `xbzrle,${name}`, "--codec-module", file],
    ...["--kind", "sparse", "--pairs", "64", "--time", "5", "--quiet"],
  ]);
}

describe("bench:codecs", { concurrency: 2 }, () => {
  test("README's ./my-codec.ts is measured beside xbzrle", async () => {
    const run = await benchCodecs(MY_CODEC, "runs");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^runs +sparse /m);
  });

  const cases: [string, string, RegExp][] = [
    ["corrupt-second", "bad-second", /verification failed: bad-second on sparse, pair 1: the/],
    [
      "encode-nan",
      "bad-nan",
      /verification failed: bad-nan on sparse, pair 0: encode returned NaN/,
    ],
    ["encode-exits", "bad-encode-exit", /called process\.exit\(4\)/],
    ["create-exits", "bad-create-exit", /called process\.exit\(3\) in create\(\)/],
  ];
  for (const [file, name, problem] of cases) {
    test(`${file}: one line naming the plug-in`, async () => {
      const run = await benchCodecs(fixture(file), name);
      // A noisy machine may add a margin-of-error warning line; never for the failing run,
      // which stops before printing rates.
      // A mismatch reads "NAME on KIND, pair N: ... (plug-in from PATH)", other failures
      // 'plug-in "NAME" (PATH): ...'.
      const line = oneLine(run, 1, new RegExp(`\\b${name}\\b`), problem);
      assert.ok(line.includes(fixture(file)), line);
    });
  }
});

// --- npm run fuzz:codecs -------------------------------------------------------------------

function fuzz(file: string, name: string, cases = 1000): Promise<Run> {
  return spawn("codecs/fuzz.ts", [
    ...["--codec", name, "--codec-module", file, "--cases", String(cases), "--hang-seconds", "5"],
  ]);
}

describe("fuzz:codecs", { concurrency: 2 }, () => {
  test("README's ./my-codec.ts: its CodecErrors are rejections, not findings", async () => {
    const run = await fuzz(MY_CODEC, "runs");
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^runs +1000 cases .* 0 finding\(s\)$/m);
  });

  test("a decoder that throws a TypeError on every input: one finding per input", async () => {
    const run = await fuzz(fixture("decode-type-error"), "bad-decode");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "");
    // Each input is decoded twice (two poisons); it used to count 2000 findings.
    assert.match(run.stdout, /^bad-decode +1000 cases .* 1000 finding\(s\)$/m);
    assert.match(run.stdout, /FINDING non-CodecError: TypeError: decoder bug; input /);
  });

  test("a plug-in that loads slower than --hang-seconds is fuzzed, not reported as a hang", async () => {
    const run = await fuzz(fixture("slow-load"), "slow-load");
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^slow-load +1000 cases .* 0 finding\(s\)$/m);
  });

  test("a decoder's process.exit() is a finding and the fuzz goes on", async () => {
    const run = await fuzz(fixture("decode-exits"), "bad-decode-exit");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "");
    const summary = /^bad-decode-exit +1000 cases .* (\d+) finding\(s\)$/m.exec(run.stdout);
    assert.ok(summary, run.stdout);
    assert.ok(Number(summary[1]) > 0 && Number(summary[1]) < 1000, summary[0]);
    assert.match(run.stdout, /FINDING process\.exit\(\): called process\.exit\(5\) in decode\(\)/);
  });

  const cases: [string, string, RegExp][] = [
    ["create-throws", "bad-create", /create\(\) threw Error: no licence/],
    ["encode-exits", "bad-encode-exit", /called process\.exit\(4\) in encode\(\)/],
  ];
  for (const [file, name, problem] of cases) {
    test(`${file}: one line naming the plug-in`, async () => {
      const run = await fuzz(fixture(file), name);
      const line = oneLine(run, 1, new RegExp(`plug-in "${name}"`), problem);
      assert.ok(line.includes(resolve(fixture(file))), line);
    });
  }
});
