import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../lib/errors.ts";
import { benchWorkloadsMain } from "../../workloads/bench.ts";
import { dirtyWindows, fullPass, skipTo, windowStats } from "../../workloads/full-pass.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { sapLike } from "../../workloads/sap-like.ts";
import type { WorkloadRun } from "../../workloads/types.ts";

/**
 * The measurements behind `npm run bench:workloads` on a 64 MiB sap-like VM (16 384 pages):
 * a full pass accounts for every page once and is a function of (seed, time); window counts
 * are bounded by the writes that fall in the window and behave as sets under union.
 */
const WRITES_PER_S = 5000;
const REWRITES_PER_S = 300;
const SETS = [
  "active_bytes=8MiB",
  `writes_per_s=${WRITES_PER_S}`,
  `dense_rewrites_per_s=${REWRITES_PER_S}`,
];

const make = (seed = 1) =>
  sapLike.create({ ramBytes: 64 * 1024 ** 2, seed, params: resolveParams(sapLike, SETS) });

describe("fullPass", () => {
  it("counts every page once as zero or read, with the default zero share", async () => {
    const result = fullPass(await make());
    assert.equal(result.pages, 16384);
    assert.equal(result.zeroPages + result.readPages, result.pages);
    // zero_share 0.1 of 16 384 pages, drawn by hash: within a few standard deviations.
    assert.ok(Math.abs(result.zeroPages - 1638) < 200, `zero pages ${result.zeroPages}`);
  });

  it("is deterministic in the seed and the time, and sees the writes", async () => {
    const first = fullPass(await make());
    const again = fullPass(await make());
    assert.deepEqual(again, first);
    assert.notEqual(fullPass(await make(2)).checksum, first.checksum);

    const later = await make();
    skipTo(later, 2);
    const afterWrites = fullPass(later);
    assert.notEqual(afterWrites.checksum, first.checksum);
    // Rewrites fill free pages and sparse writes hit active (never free) pages: zero pages can
    // only become fewer.
    assert.ok(afterWrites.zeroPages <= first.zeroPages);
    assert.equal(afterWrites.zeroPages + afterWrites.readPages, afterWrites.pages);
  });

  it("fingerprints pages of one repeated word, whose XOR is 0", () => {
    const constantRun = (word: number): WorkloadRun => ({
      pageCount: 64,
      timeS: 0,
      endS: null,
      advanceTo() {},
      isZero: () => false,
      readPage: (_page, out) => new Uint32Array(out.buffer, out.byteOffset, 1024).fill(word),
    });
    const ones = fullPass(constantRun(1)).checksum;
    assert.notEqual(ones, 0);
    assert.notEqual(fullPass(constantRun(2)).checksum, ones);
  });

  it("reports progress up to the last page", async () => {
    const seen: number[] = [];
    fullPass(await make(), (visited) => seen.push(visited));
    assert.equal(seen.at(-1), 16384);
  });
});

describe("dirtyWindows", () => {
  it("never counts more pages than the window's writes could dirty", async () => {
    for (const windowS of [0.05, 0.1, 0.3, 1]) {
      const counts = dirtyWindows(await make(), 0.5, windowS, Math.floor(3 / windowS + 1e-9));
      const bound = Math.ceil(windowS * WRITES_PER_S) + Math.ceil(windowS * REWRITES_PER_S);
      for (const [i, count] of counts.entries()) {
        assert.ok(count > 0 && count <= bound, `${windowS} s window ${i}: ${count} > ${bound}`);
      }
    }
  });

  it("a window's pages are the union of its sub-windows': ≥ their max, ≤ their sum", async () => {
    const [whole] = dirtyWindows(await make(), 1, 1, 1);
    const parts = dirtyWindows(await make(), 1, 0.1, 10);
    const stats = windowStats(0.1, parts);
    assert.ok(whole >= stats.maxPages, `${whole} < ${stats.maxPages}`);
    assert.ok(whole <= stats.meanPages * stats.windows, `${whole} > sum of parts`);
  });

  it("windowStats gives mean, min and max", () => {
    assert.deepEqual(windowStats(0.3, Uint32Array.of(4, 10, 1)), {
      windowS: 0.3,
      windows: 3,
      meanPages: 5,
      minPages: 1,
      maxPages: 10,
    });
  });
});

describe("npm run bench:workloads", () => {
  const io = () => {
    let text = "";
    return {
      io: {
        stdout: { write: (chunk: string) => (text += chunk) },
        stderr: { isTTY: false } as NodeJS.WriteStream,
        env: {},
      },
      text: () => text,
    };
  };

  it("prints a full-pass table", async () => {
    const out = io();
    const args = ["--ram", "64MiB", ...SETS.flatMap((set) => ["--set", set])];
    assert.equal(await benchWorkloadsMain(args, out.io), 0);
    assert.match(out.text(), /non-zero pages read/);
    assert.match(out.text(), /peak RSS/);
  });

  it("rejects an unknown --set key as bench does", async () => {
    await assert.rejects(
      benchWorkloadsMain(["--ram", "64MiB", "--set", "nope=1"], io().io),
      (error) => error instanceof UsageError && /has no parameter "nope"/.test(error.message),
    );
  });
});
