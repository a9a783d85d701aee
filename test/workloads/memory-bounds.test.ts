import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PAGE_SIZE } from "../../codecs/types.ts";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { builtinWorkloads, resolveParams } from "../../workloads/registry.ts";

/**
 * Memory must not grow with the VM (issue 3): every generator, at its default parameters, on a
 * 64 GiB VM, run for a simulated second with a spread of pages read. What it allocates (array
 * buffers plus JS heap, measured around creation and use) must stay under 128 MiB — 0.2 % of
 * the VM, and room for the largest per-page table a generator keeps (sap-like's 4 bytes per
 * page: 64 MiB). A generator that stored page contents would need 64 GiB.
 */
const VM_BYTES = 64 * 1024 ** 3;
const BUDGET_BYTES = 128 * 1024 ** 2;

function allocated(): number {
  const usage = process.memoryUsage();
  return usage.arrayBuffers + usage.heapUsed;
}

describe("memory bounds on a 64 GiB VM", () => {
  for (const definition of builtinWorkloads.filter((d) => d.name !== "trace")) {
    it(`${definition.name} stays under 128 MiB`, async () => {
      const pages = VM_BYTES / PAGE_SIZE;
      // The simulator's own structures, allocated before the measurement starts.
      const dirty = new PageBitmap(pages);
      const out = new Uint8Array(PAGE_SIZE);
      const before = allocated();
      const run = await definition.create({
        ramBytes: VM_BYTES,
        seed: 1,
        params: resolveParams(definition, []),
      });
      run.advanceTo(1, dirty);
      let nonZero = 0;
      for (let page = 0; page < pages; page += 4099) {
        if (run.isZero(page)) continue;
        run.readPage(page, out);
        nonZero++;
      }
      dirty.forEach((page) => {
        run.readPage(page, out);
      });
      const grown = allocated() - before;
      assert.equal(run.pageCount, pages);
      assert.ok(
        grown < BUDGET_BYTES,
        `${definition.name} allocated ${(grown / 2 ** 20).toFixed(1)} MiB (${nonZero} pages read)`,
      );
    });
  }
});
