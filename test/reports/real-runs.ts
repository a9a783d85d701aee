import assert from "node:assert/strict";
import { join } from "node:path";
import { benchMain } from "../../harness/cli/bench.ts";
import { downtimeRows } from "../../reports/charts/downtime.ts";
import { type CellRow, readResults } from "../../results/records.ts";

/**
 * Small real runs of `npm run bench` (the simulator, real workloads and codecs, a second or two
 * each) that hold the data sets charts used to break on, each checked to still hold it: if a
 * change to a workload or the simulator makes one ordinary again, the check says so instead of
 * the chart tests passing on data that no longer tests anything.
 */

export interface RealRun {
  readonly name: string;
  readonly args: readonly string[];
  /** What makes the run worth drawing; fails when the run no longer has it. */
  readonly holds: (cells: readonly CellRow[]) => void;
}

const TRACE = new URL("../../workloads/traces/sqlite-kv.trace", import.meta.url).pathname;

// biome-ignore format: a flag and its value read best side by side
export const REAL_RUNS: readonly RealRun[] = [
  {
    // stride's buffer is idle between passes: at 10 passes/s the VM stops with nothing dirty,
    // and without the host profile's fixed part (--profile none) that downtime is 0 ms. raw
    // converges at 30 ms too, once a sync falls between two passes; at 1 ms it never does.
    name: "stride-zeros",
    args: [
      "--workload", "stride", "--ram", "256MiB", "--set", "passes_per_s=10", "--profile", "none",
      "--codec", "raw,xbzrle", "--cache-size", "16MiB", "--downtime-limit", "1ms,30ms,300ms",
      "--max-time", "20s",
    ],
    holds: (cells) => {
      assert.ok(cells.some((c) => c.status === "completed" && c.downtimeMs === 0), "a 0 ms downtime");
      assert.ok(cells.some((c) => c.status === "did-not-converge"), "a cell that did not converge");
    },
  },
  {
    // idle's downtime depends on where a seed's rare writes fall: 0.92, 0.92 and 0.05 ms
    // (--profile none: without the profile's fixed 8.7 ms, the spread dwarfs the mean).
    name: "seeds-negative-bound",
    args: [
      "--workload", "idle", "--ram", "256MiB", "--profile", "none", "--codec", "raw,xbzrle", "--cache-size", "32MiB",
      "--bandwidth", "32MiB/s,128MiB/s", "--seed", "1,2,3", "--max-time", "10s",
    ],
    holds: (cells) => {
      const rows = downtimeRows(cells, "bandwidth_bytes_per_s");
      assert.ok(rows.some((r) => (r.low ?? 0) < 0), "a 95 % interval below 0 ms");
    },
  },
  {
    name: "trace",
    // --profile none: the trace's idle end is a 0 ms downtime only without the fixed part.
    args: ["--workload", "trace", "--set", `file=${TRACE}`, "--profile", "none", "--codec", "raw,xbzrle", "--cache-size", "16MiB,64MiB"],
    holds: (cells) => {
      assert.ok(cells.every((c) => c.workload === "trace"));
      assert.ok(cells.some((c) => c.downtimeMs === 0), "the trace ends idle: 0 ms downtime");
    },
  },
  {
    // Given out of order on purpose: 1 Gbit/s (119 MiB/s) after 32 MiB/s, before 128 MiB/s.
    name: "many-bandwidths",
    args: [
      "--workload", "uniform", "--ram", "128MiB", "--set", "wss=32MiB", "--codec", "raw,xbzrle",
      "--cache-size", "16MiB,32MiB", "--bandwidth", "16MiB/s,32MiB/s,1Gbit/s,128MiB/s,1GiB/s",
      "--max-time", "10s",
    ],
    holds: (cells) => {
      assert.ok(new Set(cells.map((c) => c.bandwidthBytesPerS)).size >= 5, "five bandwidths");
      assert.ok(cells.some((c) => c.status === "did-not-converge"));
    },
  },
  {
    name: "none-converged",
    args: [
      "--workload", "sparse", "--ram", "256MiB", "--codec", "raw,xbzrle", "--cache-size", "32MiB",
      "--max-time", "5s",
    ],
    holds: (cells) => {
      assert.ok(cells.length > 0 && cells.every((c) => c.status === "did-not-converge"));
    },
  },
];

function sink(): NodeJS.WriteStream {
  return { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
}

/** Run `run` into root/NAME (no report), check it still holds its case, return its directory. */
export async function makeRealRun(root: string, run: RealRun): Promise<string> {
  const out = join(root, run.name);
  const code = await benchMain([...run.args, "--workers", "0", "--no-report", "--out", out], {
    cwd: root,
    env: {},
    stdout: sink(),
    stderr: sink(),
  });
  assert.equal(code, 0, `${run.name}: bench exited ${code}`);
  run.holds(readResults(join(out, "results.csv")));
  return out;
}
