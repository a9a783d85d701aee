import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { uniform } from "../../workloads/uniform.ts";

/**
 * The `uniform` generator against its analytic model: distinct pages dirtied in t seconds
 * D(t) = W·(1 − e^(−r·t/W)).
 *
 * Tolerance: with n = r·t writes to W equally likely pages, the number of distinct pages has
 * variance ≤ W·q·(1 − q), q = 1 − e^(−r·t/W) (the Poisson-occupancy variance; fixed n gives
 * less, because the page indicators are negatively correlated). We allow 5 standard deviations:
 * a correct generator fails with probability < 10^−6 per check. With W = 65 536 and r = 40 000/s
 * that is ±2.1 % of D at t = 1 s and ±0.17 % at t = 8 s (near saturation), so a generator whose
 * pages are not uniform over the working set, or whose write count is off by a few percent,
 * fails. Each check uses a fixed seed, so the test is reproducible; 3 seeds are checked so a
 * bias cannot hide behind one lucky seed.
 */
const W = 65_536; // 256 MiB working set
const RATE = 40_000; // writes/s

function expected(t: number): number {
  return W * (1 - Math.exp((-RATE * t) / W));
}

function tolerance(t: number): number {
  const q = 1 - Math.exp((-RATE * t) / W);
  return 5 * Math.sqrt(W * q * (1 - q));
}

describe("uniform: distinct dirty pages follow W(1 − e^(−rt/W))", () => {
  for (const seed of [1, 2, 3]) {
    it(`from time 0, seed ${seed}`, async () => {
      const run = await uniform.create({
        ramBytes: 512 * 1024 ** 2,
        seed,
        params: resolveParams(uniform, ["wss=256MiB", `writes_per_s=${RATE}`]),
      });
      const dirty = new PageBitmap(run.pageCount);
      for (const t of [0.25, 0.5, 1, 2, 4, 8]) {
        run.advanceTo(t, dirty);
        const measured = dirty.size;
        assert.ok(
          Math.abs(measured - expected(t)) <= tolerance(t),
          `t=${t}s: measured ${measured}, expected ${expected(t).toFixed(0)} ± ${tolerance(t).toFixed(0)}`,
        );
        dirty.forEach((page) => {
          assert.ok(page < W, `page ${page} outside the working set`);
        });
      }
    });
  }

  it("in a window that does not start at 0 (the process is stationary)", async () => {
    const run = await uniform.create({
      ramBytes: 512 * 1024 ** 2,
      seed: 4,
      params: resolveParams(uniform, ["wss=256MiB", `writes_per_s=${RATE}`]),
    });
    run.advanceTo(3, new PageBitmap(run.pageCount));
    const dirty = new PageBitmap(run.pageCount);
    run.advanceTo(4.5, dirty);
    assert.ok(Math.abs(dirty.size - expected(1.5)) <= tolerance(1.5), `measured ${dirty.size}`);
  });

  it("each page gets about r·t/W writes: the two halves of the working set are dirtied alike", async () => {
    const run = await uniform.create({
      ramBytes: 512 * 1024 ** 2,
      seed: 5,
      params: resolveParams(uniform, ["wss=256MiB", `writes_per_s=${RATE}`]),
    });
    const dirty = new PageBitmap(run.pageCount);
    run.advanceTo(1, dirty);
    let low = 0;
    dirty.forEach((page) => {
      if (page < W / 2) low++;
    });
    // Each half: W/2 pages, same q; the difference of two such counts has sd ≤ √(W q (1−q)).
    const q = 1 - Math.exp(-RATE / W);
    const sd = Math.sqrt(W * q * (1 - q));
    assert.ok(Math.abs(low - (dirty.size - low)) <= 5 * sd, `low ${low} of ${dirty.size}`);
  });
});

describe("uniform initial=zero: calloc'd memory", () => {
  it("a working-set page is zero until written, then zero but for its written words", async () => {
    const run = await uniform.create({
      ramBytes: 64 * 1024 ** 2,
      seed: 4,
      params: resolveParams(uniform, [
        "wss=16MiB",
        "writes_per_s=5000",
        "initial=zero",
        "os_share=0",
      ]),
    });
    const dirty = new PageBitmap(run.pageCount);
    run.advanceTo(0.5, dirty);
    const out = new Uint8Array(4096);
    let written = 0;
    for (let page = 0; page < 4096; page++) {
      run.readPage(page, out);
      const words = new BigUint64Array(out.buffer);
      const nonZero = words.filter((word) => word !== 0n).length;
      assert.equal(run.isZero(page), !dirty.has(page), `page ${page}`);
      assert.equal(nonZero === 0, !dirty.has(page), `page ${page}: its bytes`);
      // Each write sets one 8-byte word; everything else stays zero.
      if (dirty.has(page)) {
        written++;
        assert.ok(nonZero >= 1 && nonZero < 8, `page ${page}: ${nonZero} words`);
      }
    }
    assert.equal(written, dirty.size);
  });
});
