import assert from "node:assert/strict";
import { test } from "node:test";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { resolveParams } from "../../workloads/registry.ts";
import { zipfWriter } from "../../workloads/zipf-writer.ts";

/**
 * `zipf` against its analytic model: after n writes with P(rank k) = k^−s / H, the expected
 * number of distinct pages is Σ_k 1 − (1 − p_k)^n. The lab's load (validate/guest/loadgen.c):
 * Zipf(1.0) over 192 MiB (49 152 pages) at 4 000 writes/s.
 */
const W = 49_152;

function expectedDistinct(writes: number, exponent: number): number {
  let h = 0;
  for (let k = 1; k <= W; k++) h += k ** -exponent;
  let sum = 0;
  for (let k = 1; k <= W; k++) sum += 1 - (1 - k ** -exponent / h) ** writes;
  return sum;
}

test("zipf: distinct dirty pages follow Σ 1 − (1 − p_k)^n, inside the working set", async () => {
  for (const seed of [1, 2]) {
    const run = await zipfWriter.create({
      ramBytes: 512 * 1024 ** 2,
      seed,
      params: resolveParams(zipfWriter, ["wss=192MiB", "writes_per_s=4000", "initial=zero"]),
    });
    const dirty = new PageBitmap(run.pageCount);
    for (const t of [1, 4]) {
      run.advanceTo(t, dirty);
      const want = expectedDistinct(4000 * t, 1);
      // Its variance is Σ q_k(1 − q_k) < want (q_k: page k written): 5σ < 5·√want.
      assert.ok(
        Math.abs(dirty.size - want) < 5 * Math.sqrt(want),
        `seed ${seed}, t=${t}s: ${dirty.size} distinct pages, expected ${want.toFixed(0)}`,
      );
      dirty.forEach((page) => {
        assert.ok(page < W, `page ${page} outside the working set`);
      });
    }
    // Far fewer than a uniform writer's W(1 − e^(−n/W)) after 16 000 writes: a hot set.
    assert.ok(dirty.size < 0.6 * W * (1 - Math.exp(-16_000 / W)));
    // Pages not yet written are zero (a zeroed buffer), written ones are not.
    assert.equal(run.isZero(W - 1) || dirty.has(W - 1), true);
  }
});
