import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Claim, ExperimentRows } from "../../harness/paper/claim.ts";
import { checkStatistic } from "../../harness/paper/claims/commits.ts";
import { CLAIMS } from "../../harness/paper/claims.ts";
import type { ExperimentOutcome } from "../../harness/paper/experiment-run.ts";
import { judgeClaim } from "../../harness/paper/suite.ts";
import type { CellRow } from "../../results/records.ts";
import { cell, DNC, type FixtureCell, MIB } from "./fixtures.ts";

// Each claim's verdict function on small fixtures: every verdict it can give is reached, with
// the reason it gives; a failed experiment makes the claim "not run", never a verdict.

function claim(id: string): Claim {
  const found = CLAIMS.find((c) => c.id === id);
  assert.ok(found, id);
  return found;
}

function judge(id: string, rows: Record<string, CellRow[]>) {
  return claim(id).judge(new Map(Object.entries(rows)) as ExperimentRows);
}

const rate = (v: number) => ({ param_write_bytes_per_s: String(v) });

describe("2a lmbench", () => {
  const at = (w: number, zero: Partial<FixtureCell> | null, delta: Partial<FixtureCell> | null) => [
    cell({ codec: "zero", columns: rate(w), ...(zero ?? { status: DNC }) }),
    cell({ codec: "xbrle-2010", columns: rate(w), ...(delta ?? { status: DNC }) }),
  ];
  test("a hundredfold shorter downtime is reproduced", () => {
    const j = judge("lmbench", {
      "lmbench-era": at(MIB, { downtimeMs: 2000 }, { downtimeMs: 20 }),
    });
    assert.equal(j.verdict, "reproduced");
    assert.match(j.ours, /100×/);
  });
  test("converging only with delta is partly", () => {
    const j = judge("lmbench", {
      "lmbench-era": [
        ...at(MIB, { downtimeMs: 20 }, { downtimeMs: 20 }),
        ...at(64 * MIB, null, { downtimeMs: 30 }),
      ],
    });
    assert.equal(j.verdict, "partly");
    assert.match(j.ours, /at 64 MiB\/s standard pre-copy did not converge and xbrle-2010 did/);
  });
  test("no reduction and no rescue is not reproduced", () => {
    const j = judge("lmbench", { "lmbench-era": at(MIB, { downtimeMs: 20 }, { downtimeMs: 19 }) });
    assert.equal(j.verdict, "not reproduced");
    assert.match(j.reason, /qemu-kvm 0.13/);
  });
});

describe("2b video", () => {
  const at = (
    bw: number,
    zero: Partial<FixtureCell> | null,
    delta: Partial<FixtureCell> | null,
  ) => [
    cell({ codec: "zero", bandwidthBytesPerS: bw, ...(zero ?? { status: DNC }) }),
    cell({ codec: "xbrle-2010", bandwidthBytesPerS: bw, ...(delta ?? { status: DNC }) }),
  ];
  test("a freeze of seconds that delta removes is reproduced", () => {
    assert.equal(
      judge("video", { "video-era": at(32 * MIB, { downtimeMs: 8000 }, { downtimeMs: 40 }) })
        .verdict,
      "reproduced",
    );
  });
  test("delta unnoticed where standard did not converge is partly", () => {
    assert.equal(
      judge("video", { "video-era": at(32 * MIB, null, { downtimeMs: 40 }) }).verdict,
      "partly",
    );
  });
  test("no unnoticed stop with delta is not reproduced", () => {
    const j = judge("video", { "video-era": at(32 * MIB, { downtimeMs: 70 }, { downtimeMs: 70 }) });
    assert.equal(j.verdict, "not reproduced");
    assert.equal(j.ours, "32 MiB/s: standard downtime 70.0 ms, xbrle-2010 downtime 70.0 ms");
  });
});

describe("2c sap", () => {
  const at = (size: number, zeroDone: boolean, deltaDone: boolean) =>
    [1, 2].flatMap((seed) => [
      cell({ codec: "zero", seed, cacheSizeBytes: size, status: zeroDone ? "completed" : DNC }),
      cell({
        codec: "xbrle-2010",
        seed,
        cacheSizeBytes: size,
        status: deltaDone ? "completed" : DNC,
        downtimeMs: 100 + seed,
      }),
    ]);
  test("fails without, succeeds with, at the era's 64 MiB: reproduced", () => {
    assert.equal(judge("sap", { "sap-era": at(64 * MIB, false, true) }).verdict, "reproduced");
  });
  test("only at a larger cache: partly", () => {
    const j = judge("sap", {
      "sap-era": [...at(64 * MIB, false, false), ...at(256 * MIB, false, true)],
    });
    assert.equal(j.verdict, "partly");
    assert.match(j.reason, /256 MiB/);
    assert.match(j.ours, /xbrle-2010 downtime 102 ms \(95 % CI 95\.1 ms–108 ms, 2 seeds\)/);
  });
  test("standard pre-copy converging: not reproduced", () => {
    assert.equal(judge("sap", { "sap-era": at(64 * MIB, true, true) }).verdict, "not reproduced");
  });
});

describe("3 stride", () => {
  const at = (ram: number, bw: number, zeroDone: boolean, xbzrleMs: number | null) => [
    cell({
      codec: "zero",
      ramBytes: ram,
      bandwidthBytesPerS: bw,
      status: zeroDone ? "completed" : DNC,
    }),
    cell({
      codec: "xbzrle",
      ramBytes: ram,
      bandwidthBytesPerS: bw,
      ...(xbzrleMs === null ? { status: DNC } : { totalTimeMs: xbzrleMs }),
    }),
  ];
  test("xbzrle in 110 s ± 20 % where zero fails: reproduced, naming the settings", () => {
    const j = judge("stride", {
      "stride-110": [
        ...at(4 * 2 ** 30, 8 * MIB, false, 101_000),
        ...at(4 * 2 ** 30, 32 * MIB, true, 25_000),
      ],
    });
    assert.equal(j.verdict, "reproduced");
    assert.match(
      j.reason,
      /^it holds for a 4 GiB guest at 8 MiB\/s: .*; at QEMU 1\.2's default 32 MiB\/s the migration completes without XBZRLE too/,
    );
  });
  test("xbzrle completes where zero fails, at another time: partly", () => {
    assert.equal(
      judge("stride", { "stride-110": at(2 ** 30, 8 * MIB, false, 27_000) }).verdict,
      "partly",
    );
  });
  test("both complete: not reproduced", () => {
    assert.equal(
      judge("stride", { "stride-110": at(2 ** 30, 32 * MIB, true, 7_000) }).verdict,
      "not reproduced",
    );
  });
});

describe("4 the commits' statistics", () => {
  test("a statistic: same direction within a factor 2, same direction, other direction", () => {
    assert.equal(checkStatistic(0.1, 0.07), "reproduced");
    assert.equal(checkStatistic(0.1, 0.8), "partly");
    assert.equal(checkStatistic(5.5, 1), "not reproduced");
    assert.equal(checkStatistic(0.98, 1.0), "reproduced");
    assert.equal(checkStatistic(11, Number.POSITIVE_INFINITY), "partly");
    assert.equal(checkStatistic(0.5, null), "not reproduced");
  });
  const pair = (flag: string, before: Partial<FixtureCell>, after: Partial<FixtureCell>) => [
    cell({ codec: "xbzrle", columns: { [flag]: "off" }, ...before }),
    cell({ codec: "xbzrle", columns: { [flag]: "on" }, ...after }),
  ];
  test("the age rule's four statistics as published: reproduced", () => {
    const rows = pair(
      "cache_age",
      { cacheMissRate: 0.987, deltaPages: 18_297, totalTimeMs: 52_398, transferredBytes: 5.78e9 },
      { cacheMissRate: 0.486, deltaPages: 194_823, totalTimeMs: 18_729, transferredBytes: 1.62e9 },
    );
    const j = judge("cache-age", { "cache-age": rows });
    assert.equal(j.verdict, "reproduced");
    assert.equal(j.reason, "");
  });
  test("nothing changes: not reproduced, each statistic named", () => {
    const j = judge("cache-age", { "cache-age": pair("cache_age", {}, {}) });
    assert.equal(j.verdict, "not reproduced");
    assert.match(j.reason, /cache-miss-rate \(not reproduced\)/);
  });
  test("the bulk skip, half its statistics in the published direction: partly", () => {
    const rows = pair(
      "bulk_skip",
      { cacheMissPages: 57_000, deltaPages: 2000, normalPages: 61_000, downtimeMs: 20 },
      { cacheMissPages: 4_000, deltaPages: 2000, normalPages: 61_000, downtimeMs: 20 },
    );
    assert.equal(judge("bulk-skip", { "bulk-skip": rows }).verdict, "partly");
  });
});

describe("5 cache models", () => {
  const models = (rates: Record<string, number>) =>
    Object.entries(rates).map(([cacheModel, cacheMissRate]) =>
      cell({ codec: "xbzrle", cacheModel, cacheMissRate }),
    );
  test("associative caches miss less everywhere: reproduced", () => {
    assert.equal(
      judge("cache-models", { "cache-models": models({ direct: 0.9, "2way": 0.8, lru: 0.7 }) })
        .verdict,
      "reproduced",
    );
  });
  test("some do: partly", () => {
    assert.equal(
      judge("cache-models", { "cache-models": models({ direct: 0.9, "2way": 0.95, lru: 0.7 }) })
        .verdict,
      "partly",
    );
  });
  test("none does: not reproduced, with the reason", () => {
    const j = judge("cache-models", {
      "cache-models": models({ direct: 0.8, "2way": 0.9, lru: 0.95 }),
    });
    assert.equal(j.verdict, "not reproduced");
    assert.match(j.reason, /cyclic pattern/);
  });
});

test("a failed experiment makes its claim not run, with the failure as the reason", () => {
  const failed: ExperimentOutcome = {
    id: "sap-era",
    dir: "/x",
    state: "failed",
    seconds: 0,
    rows: [],
    problem: "bench exited with status 1",
    command: "",
  };
  const result = judgeClaim(claim("sap"), [failed]);
  assert.equal(result.status, "not run");
  assert.equal(
    result.status === "not run" && result.reason,
    "experiment sap-era failed: bench exited with status 1",
  );
});
