import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PageBitmap } from "../../lib/page-bitmap.ts";
import { MINIMAL_GUEST_OS_SHARE } from "../../workloads/os-base.ts";
import { findWorkload, resolveParams } from "../../workloads/registry.ts";
import type { WorkloadRun } from "../../workloads/types.ts";

// The guest OS under a synthetic load (workloads/os-base.ts): a share of the pages outside the
// load's own holds non-zero, never-written pages, scattered by the seed.

const MiB = 1024 ** 2;

async function create(name: string, ramBytes: number, sets: string[], seed = 1) {
  const definition = findWorkload(name);
  const run = await definition.create({
    ramBytes,
    seed,
    params: resolveParams(definition, sets),
  });
  return run as WorkloadRun;
}

/** Non-zero pages at or above `from`, by isZero() and by the bytes readPage() gives. */
function osPages(run: WorkloadRun, from: number): number[] {
  const pages: number[] = [];
  const out = new Uint8Array(4096);
  for (let page = from; page < run.pageCount; page++) {
    const zero = run.isZero(page);
    run.readPage(page, out);
    assert.equal(
      out.some((byte) => byte !== 0),
      !zero,
      `page ${page}: isZero agrees with its bytes`,
    );
    if (!zero) pages.push(page);
  }
  return pages;
}

/** Pages at or above `own`, grouped by run of `runPages`: each run's offsets, in page order. */
function offsetsByRun(pages: readonly number[], own: number, runPages: number): number[][] {
  const byRun = new Map<number, number[]>();
  for (const page of pages) {
    const run = Math.floor((page - own) / runPages);
    byRun.set(run, [...(byRun.get(run) ?? []), (page - own) % runPages]);
  }
  return [...byRun.values()];
}

const range = (start: number, length: number) => Array.from({ length }, (_, k) => start + k);

const runSizes = (runs: readonly number[][]) => runs.map((run) => run.length).sort((a, b) => a - b);

describe("the OS base", () => {
  for (const [name, own, ownSet] of [
    ["stride", 16 * MiB, "buffer_bytes=16MiB"],
    ["uniform", 32 * MiB, "wss=32MiB"],
    ["sparse", 32 * MiB, "wss=32MiB"],
    ["medium", 32 * MiB, "wss=32MiB"],
  ] as const) {
    it(`${name}: the default share of the pages outside the load holds OS pages, never written`, async () => {
      const ram = 128 * MiB;
      const run = await create(name, ram, [ownSet]);
      const first = own / 4096;
      const outside = (ram - own) / 4096;
      const pages = osPages(run, first);
      // Binomial(outside, 0.19): within 4 standard deviations.
      const expected = MINIMAL_GUEST_OS_SHARE * outside;
      const sd = Math.sqrt(expected * (1 - MINIMAL_GUEST_OS_SHARE));
      assert.ok(Math.abs(pages.length - expected) < 4 * sd, `${pages.length} OS pages`);
      // Scattered over the whole range, not packed at one end.
      const half = first + outside / 2;
      const low = pages.filter((page) => page < half).length;
      assert.ok(Math.abs(low / pages.length - 0.5) < 0.05, `${low} of ${pages.length} below half`);
      // The load never writes them.
      const dirty = new PageBitmap(run.pageCount);
      run.advanceTo(2, dirty);
      for (const page of pages) assert.ok(!dirty.has(page), `OS page ${page} written`);
      // os_share=0: the bare load, zero outside its pages.
      assert.deepEqual(osPages(await create(name, ram, [ownSet, "os_share=0"]), first), []);
    });
  }

  it("the seed lays the OS pages out; the same seed, the same layout and bytes", async () => {
    const layout = async (seed: number) =>
      osPages(await create("stride", 64 * MiB, ["buffer_bytes=16MiB"], seed), 4096);
    const one = await layout(1);
    assert.deepEqual(await layout(1), one);
    assert.notDeepEqual(await layout(2), one);
  });

  it("os_run_pages: exactly the share of the pages, in whole runs and one part-run, laid out by the seed", async () => {
    for (const [name, ownSet, own] of [
      ["stride", "buffer_bytes=16MiB", 4096],
      ["zipf", "wss=16MiB", 4096],
    ] as const) {
      const ram = 128 * MiB;
      const sets = [ownSet, "os_share=0.25", "os_run_pages=2048"];
      const pages = osPages(await create(name, ram, sets), own);
      // 28 672 pages outside the load, 14 runs of 2048: 7168 OS pages = 3 whole runs and the
      // first 1024 pages of a fourth.
      assert.equal(pages.length, 7168, name);
      const runs = offsetsByRun(pages, own, 2048);
      assert.deepEqual(runSizes(runs), [1024, 2048, 2048, 2048], name);
      for (const offsets of runs)
        assert.deepEqual(
          offsets,
          [...offsets.keys()],
          `${name}: a run's OS pages start it, unbroken`,
        );
      const other = osPages(await create(name, ram, sets, 2), own);
      assert.notDeepEqual(other, pages, `${name}: another seed, another layout`);
    }
  });

  it("os_top_pages: the top of RAM is the OS's, counted in the share; the rest below in runs", async () => {
    for (const [name, ownSet, own] of [
      ["stride", "buffer_bytes=16MiB", 4096],
      ["uniform", "wss=16MiB", 4096],
    ] as const) {
      const ram = 128 * MiB;
      const sets = [ownSet, "os_share=0.25", "os_run_pages=2048", "os_top_pages=1000"];
      const pages = osPages(await create(name, ram, sets), own);
      // The same 7168 OS pages as without the block: 1000 of them the top of RAM, whole.
      assert.equal(pages.length, 7168, name);
      const top = pages.filter((page) => page >= 32768 - 1000);
      assert.equal(top.length, 1000, name);
      // The other 6168 in runs of 2048 below the block: 3 whole runs and 24 pages of a fourth.
      const below = pages.filter((page) => page < 32768 - 1000);
      const runs = offsetsByRun(below, own, 2048);
      assert.deepEqual(runSizes(runs), [24, 2048, 2048, 2048], name);
      for (const offsets of runs)
        assert.deepEqual(offsets, [...offsets.keys()], `${name}: a run's OS pages start it`);
      // Page by page below the block too: the share of the pages there that leaves room for it.
      const scattered = osPages(
        await create(name, ram, [ownSet, "os_share=0.25", "os_top_pages=1000"]),
        own,
      );
      const expected = 6168;
      const sd = Math.sqrt(expected * (1 - expected / (28672 - 1000)));
      assert.equal(scattered.filter((page) => page >= 32768 - 1000).length, 1000, name);
      assert.ok(Math.abs(scattered.length - 1000 - expected) < 4 * sd, `${scattered.length}`);
      // A block larger than the share is the share: the top of RAM, nothing below.
      const all = osPages(
        await create(name, ram, [ownSet, "os_share=0.01", "os_top_pages=1000"]),
        own,
      );
      assert.deepEqual(
        all,
        [...Array(287).keys()].map((k) => 32768 - 287 + k),
        name,
      );
    }
  });

  it("buffer_runs and os_layout: the load's pages where its runs say, the OS's filling its own runs in order", async () => {
    // 32 768 pages; the 4 096-page working set at 10 000 and 20 000; 28 672 outside it, a
    // quarter the OS's: 7 168, the top 1 000 of them a block, 6 168 filling the layout's runs.
    const ram = 128 * MiB;
    for (const name of ["uniform", "zipf", "stride"] as const) {
      const own = name === "stride" ? "buffer_bytes=16MiB" : "wss=16MiB";
      const sets = [
        own,
        "buffer_runs=20000+2048/10000+2048",
        "os_share=0.25",
        "os_top_pages=1000",
        "os_layout=0+3000/12048+100/24000+6000",
      ];
      const run = await create(name, ram, [
        ...sets,
        ...(name === "stride" ? [] : ["initial=zero"]),
      ]);
      const nonZero = osPages(run, 0);
      const layout = [
        ...range(0, 3000),
        // The layout's run at 12 048 is whole: it lies beside the load's, not on it.
        ...range(12048, 100),
        ...range(24000, 6168 - 3100),
      ];
      const top = range(32768 - 1000, 1000);
      const load = [...range(10000, 2048), ...range(20000, 2048)];
      if (name === "stride") {
        // No pass yet at time 0: the buffer is zero, the OS's pages are all that is non-zero.
        assert.deepEqual(nonZero, [...layout, ...top], name);
        const dirty = new PageBitmap(run.pageCount);
        run.advanceTo(0.01, dirty);
        assert.deepEqual(
          osPages(run, 0),
          [...layout, ...load, ...top].sort((a, b) => a - b),
        );
      } else {
        assert.deepEqual(nonZero, [...layout, ...top], name);
        // The writes land in the working set's runs, and only there.
        const dirty = new PageBitmap(run.pageCount);
        run.advanceTo(1, dirty);
        const written: number[] = [];
        dirty.forEach((p) => {
          written.push(p);
        });
        assert.ok(written.length > 1000, `${name}: ${written.length} pages written`);
        assert.ok(
          written.every((p) => load.includes(p)),
          `${name}: writes stay in the working set`,
        );
        // Written, the table's pages are non-zero, and isZero still agrees with every page's bytes.
        assert.deepEqual(
          osPages(run, 0),
          [...layout, ...written, ...top].sort((a, b) => a - b),
          name,
        );
      }
    }
  });

  it("os_layout: runs short of the share are one line naming the parameter", async () => {
    await assert.rejects(
      create("uniform", 128 * MiB, ["wss=16MiB", "os_share=0.25", "os_layout=0+100"]),
      /^UsageError: workload parameter os_layout=0\+100: the runs hold 100 pages of the 7168 needed$/,
    );
  });

  it("uniform's pages hold the same bytes wherever its working set lies", async () => {
    const at = async (sets: string[]) => {
      const run = await create("uniform", 16 * MiB, ["wss=1MiB", "os_share=0", ...sets]);
      run.advanceTo(0.5, new PageBitmap(run.pageCount));
      return run;
    };
    const block = await at([]);
    const laid = await at(["buffer_runs=3000+100/1000+156"]);
    const a = new Uint8Array(4096);
    const b = new Uint8Array(4096);
    const where = [...range(1000, 156), ...range(3000, 100)];
    where.forEach((page, index) => {
      block.readPage(index, a);
      laid.readPage(page, b);
      assert.deepEqual(b, a, `working-set page ${index}`);
    });
  });

  it("idle's os_run_pages: its non-zero pages lie in runs too, as many as zero_share leaves", async () => {
    const ram = 64 * MiB;
    const run = await create("idle", ram, ["zero_share=0.75", "os_run_pages=1024"]);
    const pages = osPages(run, 0);
    // A quarter of the 16 384 pages, to within the hot pages (os_hot_bytes: 256 pages anywhere).
    assert.ok(Math.abs(pages.length - 4096) <= 256, `${pages.length} non-zero pages`);
    // Most of them in runs of 1024 that are non-zero from end to end.
    const whole = new Map<number, number>();
    for (const page of pages) whole.set(page >> 10, (whole.get(page >> 10) ?? 0) + 1);
    const inWholeRuns = [...whole.values()].filter((n) => n === 1024).length * 1024;
    assert.ok(inWholeRuns >= 3072, `${inWholeRuns} pages in whole runs`);
  });

  it("a load that fills RAM leaves no room and no error", async () => {
    const run = await create("stride", 16 * MiB, ["buffer_bytes=16MiB"]);
    assert.equal(run.pageCount, 4096);
  });

  it("stride runs at the docs program's native speed by default: no 10 ms gaps", async () => {
    const definition = findWorkload("stride");
    assert.equal(resolveParams(definition, []).passes_per_s, 20_000);
    // Every 1 ms step (the simulator's WORKLOAD_STEP_S) finds the buffer rewritten.
    const run = await create("stride", 64 * MiB, []);
    for (let ms = 1; ms <= 50; ms++) {
      const dirty = new PageBitmap(run.pageCount);
      run.advanceTo(ms / 1000, dirty);
      assert.equal(dirty.size, 4096, `${ms} ms`);
    }
  });
});
