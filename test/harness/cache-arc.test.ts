import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { benchMain } from "../../harness/cli/bench.ts";
import { ArcPageCache } from "../../harness/simulator/cache/arc.ts";
import { LruPageCache } from "../../harness/simulator/cache/lru.ts";
import type { PageCache } from "../../harness/simulator/cache/types.ts";

const PAGE = 4096;

/** One reference as QEMU's sender makes it: a lookup, and on a miss an insert (a fetch). */
function request(cache: PageCache, page: number): boolean {
  if (cache.lookup(page, 1) >= 0) return true;
  const slot = cache.insert(page, 1);
  new DataView(cache.view(slot).buffer, cache.view(slot).byteOffset).setInt32(0, page);
  return false;
}

function stamped(cache: PageCache, slot: number): number {
  return new DataView(cache.view(slot).buffer, cache.view(slot).byteOffset).getInt32(0);
}

/**
 * ARC written straight from Megiddo & Modha (FAST 2003), Fig. 4, on arrays (most recent first),
 * split the way arc.ts splits a reference: lookup() is case I or a miss that changes nothing,
 * insert() is case I or cases II–IV.
 */
function referenceArc(c: number) {
  const t1: number[] = [];
  const t2: number[] = [];
  const b1: number[] = [];
  const b2: number[] = [];
  let p = 0;
  const drop = (list: number[], page: number) => list.splice(list.indexOf(page), 1);
  const replace = (inB2: boolean) => {
    if (t1.length >= 1 && ((inB2 && t1.length === p) || t1.length > p)) b1.unshift(t1.pop()!);
    else b2.unshift(t2.pop()!);
  };
  const hit = (page: number) => {
    if (!t1.includes(page) && !t2.includes(page)) return false;
    drop(t1.includes(page) ? t1 : t2, page);
    t2.unshift(page);
    return true;
  };
  return {
    lists: () => ({ t1: [...t1], t2: [...t2], b1: [...b1], b2: [...b2], p }),
    lookup: hit,
    insert(page: number): void {
      if (hit(page)) return;
      if (b1.includes(page)) {
        p = Math.min(c, p + Math.max(b2.length / b1.length, 1));
        replace(false);
        drop(b1, page);
        t2.unshift(page);
      } else if (b2.includes(page)) {
        p = Math.max(0, p - Math.max(b1.length / b2.length, 1));
        replace(true);
        drop(b2, page);
        t2.unshift(page);
      } else {
        if (t1.length + b1.length === c) {
          if (t1.length < c) {
            b1.pop();
            replace(false);
          } else t1.pop();
        } else if (t1.length + t2.length + b1.length + b2.length >= c) {
          if (t1.length + t2.length + b1.length + b2.length === 2 * c) b2.pop();
          replace(false);
        }
        t1.unshift(page);
      }
    },
  };
}

function listsOf(cache: ArcPageCache) {
  return {
    t1: cache.pages("t1"),
    t2: cache.pages("t2"),
    b1: cache.pages("b1"),
    b2: cache.pages("b2"),
    p: cache.state().target,
  };
}

describe("ARC cache (April 2010 prototype)", () => {
  it("a one-time scan does not evict the pages used twice (LRU loses them)", () => {
    const frequent = [0, 1, 2, 3];
    const scan = Array.from({ length: 100 }, (_, i) => 100 + i);
    const run = (cache: PageCache) => {
      for (const page of [...frequent, ...frequent]) request(cache, page);
      for (const page of scan) request(cache, page);
      return frequent.filter((page) => cache.lookup(page, 1) >= 0).length;
    };
    const arc = new ArcPageCache(8 * PAGE);
    assert.equal(run(arc), 4, "all four still cached after the scan");
    assert.deepEqual(arc.pages("t2"), [3, 2, 1, 0]);
    assert.equal(arc.state().target, 0, "no ghost was hit: T1's target stays 0");
    assert.equal(run(new LruPageCache(8 * PAGE)), 0, "LRU of the same size keeps none");
  });

  it("a ghost hit in B1 grows p; one in B2 shrinks it; both bring the page into T2", () => {
    const arc = new ArcPageCache(2 * PAGE);
    for (const page of [1, 1, 2, 2]) request(arc, page);
    request(arc, 3); // T2 is full of twice-used pages: its least recent, 1, goes to B2
    request(arc, 4); // T1 (3) is above p = 0: 3 goes to B1
    assert.deepEqual(listsOf(arc), { t1: [4], t2: [2], b1: [3], b2: [1], p: 0 });
    assert.equal(request(arc, 3), false, "a ghost is not cached: a miss");
    assert.deepEqual(listsOf(arc), { t1: [4], t2: [3], b1: [], b2: [2, 1], p: 1 });
    assert.equal(request(arc, 1), false);
    assert.deepEqual(listsOf(arc), { t1: [], t2: [1, 3], b1: [4], b2: [2], p: 0 });
  });

  it("a miss that is not followed by an insert (the last stage) changes nothing", () => {
    const arc = new ArcPageCache(2 * PAGE);
    for (const page of [1, 1, 2, 3]) request(arc, page);
    const before = listsOf(arc);
    assert.deepEqual(before.b1, [2]);
    assert.equal(arc.lookup(2, 1), -1, "2 is a ghost in B1");
    assert.equal(arc.lookup(9, 1), -1);
    assert.deepEqual(listsOf(arc), before);
    assert.deepEqual([arc.stats.hits, arc.stats.misses], [1, 5]);
  });

  it("agrees with Fig. 4 op by op and keeps ARC's bounds (fast-check)", () => {
    // size "max": fast-check's default size keeps arrays to a few dozen ops, too few to fill
    // B1 and B2 and reach the ghost cases.
    const ops = fc.array(
      fc.record({ insert: fc.boolean(), page: fc.integer({ min: 0, max: 30 }) }),
      { maxLength: 400, size: "max" },
    );
    fc.assert(
      fc.property(ops, fc.integer({ min: 1, max: 12 }), (sequence, c) => {
        const arc = new ArcPageCache(c * PAGE);
        const reference = referenceArc(c);
        for (const op of sequence) {
          if (op.insert) {
            const slot = arc.insert(op.page, 1);
            reference.insert(op.page);
            assert.ok(slot >= 0 && slot < c, `slot ${slot} of ${c}`);
            new DataView(arc.view(slot).buffer, arc.view(slot).byteOffset).setInt32(0, op.page);
          } else {
            const slot = arc.lookup(op.page, 1);
            assert.equal(slot >= 0, reference.lookup(op.page), `lookup ${op.page}`);
            if (slot >= 0) assert.equal(stamped(arc, slot), op.page, "the slot holds the page");
          }
          assert.deepEqual(listsOf(arc), reference.lists());
          const { t1, t2, b1, b2, target } = arc.state();
          assert.ok(t1 + t2 <= c, "never more than c pages cached");
          assert.ok(t1 + b1 <= c && t1 + t2 + b1 + b2 <= 2 * c, "|T1|+|B1| ≤ c, all ≤ 2c");
          assert.ok(target >= 0 && target <= c);
        }
        // Every cached page has its own slot, holding its bytes.
        const slots = [...arc.pages("t1"), ...arc.pages("t2")].map((page) => {
          const slot = arc.lookup(page, 1);
          assert.equal(stamped(arc, slot), page);
          return slot;
        });
        assert.equal(new Set(slots).size, slots.length);
      }),
    );
  });
});

describe("ARC end to end", () => {
  const root = mkdtempSync(join(tmpdir(), "migbench-arc-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const sink = () => ({ isTTY: false, write: () => true }) as unknown as NodeJS.WriteStream;

  // biome-ignore format: a flag and its value read best side by side
  const SWEEP = [
    "--workload", "sap-like", "--ram", "128MiB", "--set", "active_bytes=64MiB",
    "--set", "writes_per_s=60000", "--codec", "xbzrle", "--cache", "lru,arc",
    "--cache-size", "16MiB", "--bandwidth", "64MiB/s", "--max-time", "10s", "--no-report",
  ];

  it("a sweep with --cache arc runs, and gives the same files in and out of workers", async () => {
    const files = [];
    for (const workers of ["0", "2"]) {
      const out = join(root, `workers-${workers}`);
      const code = await benchMain([...SWEEP, "--workers", workers, "--out", out], {
        cwd: root,
        env: {},
        stdout: sink(),
        stderr: sink(),
      });
      assert.equal(code, 0);
      files.push(["results.csv", "passes.csv"].map((f) => readFileSync(join(out, f), "utf8")));
    }
    assert.deepEqual(files[0], files[1]);
    const [header, ...rows] = files[0][0].trim().split("\n");
    const columns = header.split(",");
    const cell = (row: string, name: string) => row.split(",")[columns.indexOf(name)];
    assert.deepEqual(
      rows.map((row) => cell(row, "cache_model")),
      ["lru", "arc"],
    );
    const arc = rows[1];
    assert.ok(Number(cell(arc, "cache_miss_pages")) > 0, "the cache was used");
    assert.ok(Number(cell(arc, "delta_pages")) > 0, "and hit");
  });
});
