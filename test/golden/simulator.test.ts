import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { benchMain } from "../../harness/cli/bench.ts";

// Golden end-to-end runs: the real simulator, real workloads and real codecs on three small
// sweeps, whose results.csv and passes.csv must stay byte for byte what they were when the
// fixtures were written. They pin behaviour across refactoring: a change that moves a number
// must say so by regenerating them (MIGBENCH_UPDATE_GOLDEN=1 node scripts/run-tests.mjs golden)
// and explaining why in its commit.

const FIXTURES = fileURLToPath(new URL("../fixtures/golden/", import.meta.url));
const UPDATE = process.env.MIGBENCH_UPDATE_GOLDEN === "1";
const root = mkdtempSync(join(tmpdir(), "migbench-golden-"));
after(() => rmSync(root, { recursive: true, force: true }));
// The sample trace beside the runs, so results.csv names it by a path that is the same anywhere:
// the runs' cwd is root, and a workload opens its file from the process's directory.
const TRACE = fileURLToPath(new URL("../../workloads/traces/sqlite-kv.trace", import.meta.url));
cpSync(TRACE, join(root, "sqlite-kv.trace"));
const startDir = process.cwd();
process.chdir(root);
after(() => process.chdir(startDir));

// biome-ignore format: a flag and its value read best side by side
const SWEEPS: Readonly<Record<string, readonly string[]>> = {
  // QEMU's rule counts pending pages uncompressed, so stride with XBZRLE does not converge at
  // 32 MiB/s while the codec-aware rule does; raw converges under neither.
  "stride-rules": [
    "--workload", "stride", "--ram", "64MiB", "--set", "passes_per_s=2000",
    "--codec", "raw,xbzrle", "--cache-size", "32MiB", "--bandwidth", "32MiB/s",
    "--convergence", "qemu,codec-aware", "--max-time", "3s",
  ],
  // The 2010 setting: qemu-kvm 0.13's rule, delta from the first pass, the 2-way cache. No host
  // costs and no OS pages: the model before host profiles, whose numbers it must still give.
  "uniform-2010": [
    "--workload", "uniform", "--ram", "128MiB", "--set", "wss=32MiB", "--set", "writes_per_s=30000",
    "--set", "os_share=0", "--profile", "none",
    "--codec", "xbrle-2010,xbrle", "--cache", "2way", "--cache-size", "32MiB",
    "--convergence", "qemu-kvm-0.13", "--bulk-skip", "off", "--max-time", "30s",
  ],
  // stride at TCG speed with seeded vCPU stalls: whether XBZRLE converges depends on the seed.
  "stride-stalls": [
    "--workload", "stride", "--ram", "64MiB", "--set", "passes_per_s=1800",
    "--set", "guest_stalls_per_s=0.5", "--codec", "xbzrle", "--cache-size", "32MiB",
    "--bandwidth", "32MiB/s", "--max-time", "5s", "--seed", "1..4",
  ],
  // A recorded trace looped past its end (a hot set: laps repeat its pages).
  "trace-loop": [
    "--workload", "trace", "--set", "file=sqlite-kv.trace", "--set", "on-end=loop",
    "--codec", "zero,xbzrle", "--cache-size", "4MiB", "--bandwidth", "512KiB/s", "--max-time", "20s",
  ],
  // A Zipf buffer pool with the LRU cache under the codec-aware rule, a general compressor too.
  "sap-like-lru": [
    "--workload", "sap-like", "--ram", "512MiB", "--set", "active_bytes=128MiB",
    "--set", "writes_per_s=20000", "--codec", "zero,xbzrle,xor+zstd", "--cache", "lru",
    "--cache-size", "32MiB", "--convergence", "codec-aware", "--max-time", "60s",
  ],
};

const FILES = ["results.csv", "passes.csv"] as const;

function sink(): NodeJS.WriteStream {
  return { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
}

for (const [name, args] of Object.entries(SWEEPS)) {
  test(`golden run ${name}: results.csv and passes.csv are unchanged`, async () => {
    const out = join(root, name);
    const code = await benchMain([...args, "--workers", "0", "--no-report", "--out", out], {
      cwd: root,
      env: {},
      stdout: sink(),
      stderr: sink(),
    });
    assert.equal(code, 0);
    const golden = join(FIXTURES, name);
    if (UPDATE) {
      mkdirSync(golden, { recursive: true });
      for (const file of FILES) cpSync(join(out, file), join(golden, file));
    }
    for (const file of FILES) {
      const expected = readFileSync(join(golden, file), "utf8");
      const actual = readFileSync(join(out, file), "utf8");
      assert.ok(expected.split("\n").length > 3, `${name}/${file} holds rows`);
      assert.equal(actual, expected, `${name}/${file} differs from the golden file`);
    }
  });
}
