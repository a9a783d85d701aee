import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../../codecs/types.ts";
import { UsageError } from "../../lib/errors.ts";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { builtinWorkloads, resolveParams } from "../../workloads/registry.ts";
import type { WorkloadDefinition, WorkloadRun } from "../../workloads/types.ts";

/**
 * Every built-in generator, on a small VM with its knobs scaled so a second of simulated time
 * dirties a few thousand pages: determinism from the seed, split-invariance of advanceTo, and
 * isZero against the bytes readPage writes.
 */
const SMALL: Record<string, { ram: number; sets: string[] }> = {
  "sap-like": {
    ram: 64 * 1024 ** 2,
    sets: ["active_bytes=8MiB", "writes_per_s=5000", "dense_rewrites_per_s=300"],
  },
  "video-like": {
    ram: 64 * 1024 ** 2,
    sets: ["frame_bytes=64KiB", "ring_frames=4", "fps=30", "meta_bytes=64KiB"],
  },
  "lmbench-like": { ram: 32 * 1024 ** 2, sets: ["buffer_bytes=4MiB", "write_bytes_per_s=12MiB/s"] },
  stride: { ram: 32 * 1024 ** 2, sets: ["buffer_bytes=1MiB", "passes_per_s=7"] },
  sparse: { ram: 32 * 1024 ** 2, sets: ["wss=8MiB", "pages_per_s=3000"] },
  medium: { ram: 32 * 1024 ** 2, sets: ["wss=8MiB", "pages_per_s=3000"] },
  idle: {
    ram: 64 * 1024 ** 2,
    sets: ["writes_per_s=2000", "os_hot_bytes=256KiB", "rewrites_per_s=50"],
  },
  uniform: { ram: 32 * 1024 ** 2, sets: ["wss=8MiB", "writes_per_s=3000"] },
  zipf: { ram: 32 * 1024 ** 2, sets: ["wss=8MiB", "writes_per_s=3000", "initial=zero"] },
};

async function make(definition: WorkloadDefinition, seed: number): Promise<WorkloadRun> {
  const small = SMALL[definition.name];
  return definition.create({
    ramBytes: small.ram,
    seed,
    params: resolveParams(definition, small.sets),
  });
}

function pageBytes(run: WorkloadRun, page: number): Uint8Array {
  const out = new Uint8Array(PAGE_SIZE);
  run.readPage(page, out);
  return out;
}

/** Pages to compare: a spread of ~300 dirty pages plus ~300 pages over all of RAM. */
function samplePages(run: WorkloadRun, dirty: PageBitmap): number[] {
  const pages: number[] = [];
  const dirtyStep = Math.max(1, Math.floor(dirty.size / 300));
  let index = 0;
  dirty.forEach((page) => {
    if (index++ % dirtyStep === 0) pages.push(page);
  });
  const step = Math.max(1, Math.floor(run.pageCount / 300));
  for (let page = 0; page < run.pageCount; page += step) pages.push(page);
  return pages;
}

function assertSameContent(a: WorkloadRun, b: WorkloadRun, pages: number[]): void {
  for (const page of pages) {
    assert.deepEqual(pageBytes(a, page), pageBytes(b, page), `page ${page}`);
  }
}

describe("every generator", () => {
  // Recorded sources (trace) have their own tests; every other row is a generator tested here.
  const generators = builtinWorkloads.filter((definition) => definition.name !== "trace");

  it("covers every generator in the registry", () => {
    assert.deepEqual(
      generators.map((definition) => definition.name).sort(),
      Object.keys(SMALL).sort(),
    );
  });

  for (const definition of generators) {
    describe(definition.name, () => {
      it("is deterministic from the seed, and the seed matters", async () => {
        const a = await make(definition, 11);
        const b = await make(definition, 11);
        const c = await make(definition, 12);
        const [da, db, dc] = [a, b, c].map((run) => new PageBitmap(run.pageCount));
        a.advanceTo(1.5, da);
        b.advanceTo(1.5, db);
        c.advanceTo(1.5, dc);
        assert.ok(da.size > 0, "something was written in 1.5 s");
        assert.deepEqual(da.words, db.words);
        const pages = samplePages(a, da);
        assertSameContent(a, b, pages);
        const sameDirty = da.size === dc.size && da.words.every((w, i) => w === dc.words[i]);
        const sameBytes = pages.every((page) => {
          const x = pageBytes(a, page);
          const y = pageBytes(c, page);
          return x.every((byte, i) => byte === y[i]);
        });
        // stride is QEMU's docs program: calloc'd buffer, no randomness, nothing to seed.
        if (definition.name !== "stride") {
          assert.ok(!(sameDirty && sameBytes), "a different seed gives a different run");
        }
      });

      it("gives the same pages and bytes however advanceTo calls are split", async () => {
        const whole = await make(definition, 5);
        const wholeDirty = new PageBitmap(whole.pageCount);
        whole.advanceTo(2, wholeDirty);
        const pieces = await make(definition, 5);
        const pieceDirty = new PageBitmap(pieces.pageCount);
        for (const t of [0, 0.0004, 0.25, 1, 1, 1.3337, 2]) pieces.advanceTo(t, pieceDirty);
        assert.equal(pieces.timeS, 2);
        assert.deepEqual(pieceDirty.words, wholeDirty.words);
        assertSameContent(whole, pieces, samplePages(whole, wholeDirty));
      });

      it("split-invariance holds for random splits (property)", async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.double({ min: 0, max: 1.2, noNaN: true }), { maxLength: 8 }),
            async (cuts) => {
              const whole = await make(definition, 3);
              const wholeDirty = new PageBitmap(whole.pageCount);
              whole.advanceTo(1.2, wholeDirty);
              const pieces = await make(definition, 3);
              const pieceDirty = new PageBitmap(pieces.pageCount);
              for (const t of [...cuts].sort((x, y) => x - y)) pieces.advanceTo(t, pieceDirty);
              pieces.advanceTo(1.2, pieceDirty);
              assert.deepEqual(pieceDirty.words, wholeDirty.words);
              const dirtyPages: number[] = [];
              wholeDirty.forEach((page) => {
                dirtyPages.push(page);
              });
              // Content of a spread of the dirty pages (all of them would be slow for 20 runs).
              const step = Math.max(1, Math.floor(dirtyPages.length / 40));
              assertSameContent(
                whole,
                pieces,
                dirtyPages.filter((_, i) => i % step === 0),
              );
            },
          ),
          { numRuns: 12, seed: 42 },
        );
      });

      it("isZero agrees with the bytes readPage writes, before and after writes", async () => {
        const run = await make(definition, 9);
        const dirty = new PageBitmap(run.pageCount);
        let zeroSeen = 0;
        let nonZeroSeen = 0;
        for (const t of [0, 0.7, 2]) {
          run.advanceTo(t, dirty);
          for (const page of samplePages(run, dirty)) {
            const bytes = pageBytes(run, page);
            const allZero = bytes.every((byte) => byte === 0);
            assert.equal(run.isZero(page), allZero, `page ${page} at ${t} s`);
            if (allZero) zeroSeen++;
            else nonZeroSeen++;
          }
        }
        assert.ok(nonZeroSeen > 0, "some pages hold data");
        if (definition.name !== "stride") assert.ok(zeroSeen > 0, "some pages are zero");
      });

      it("writes into a buffer at an unaligned offset like into an aligned one", async () => {
        const run = await make(definition, 2);
        const dirty = new PageBitmap(run.pageCount);
        run.advanceTo(1, dirty);
        const page = dirty.next(0);
        const aligned = pageBytes(run, page);
        const backing = new Uint8Array(PAGE_SIZE + 3);
        run.readPage(page, backing.subarray(3));
        assert.deepEqual(backing.subarray(3), aligned);
      });

      it("refuses to move time backwards", async () => {
        const run = await make(definition, 1);
        const dirty = new PageBitmap(run.pageCount);
        run.advanceTo(1, dirty);
        assert.throws(() => run.advanceTo(0.5, dirty), RangeError);
      });
    });
  }
});

describe("a --ram too small for a workload's defaults", () => {
  it("says which parameters to change, in one line", async () => {
    const sapLike = builtinWorkloads.find((w) => w.name === "sap-like")!;
    // The default 1 GiB active set fills a 1 GiB VM, leaving no room for the free pages.
    await assert.rejects(
      async () =>
        sapLike.create({ ramBytes: 1024 ** 3, seed: 1, params: resolveParams(sapLike, []) }),
      (error: Error) =>
        error instanceof UsageError &&
        /zero_share 0\.1 does not fit .*lower --set active_bytes=\.\.\. or zero_share=\.\.\., or raise --ram$/.test(
          error.message,
        ) &&
        !error.message.includes("\n"),
    );
  });
});
