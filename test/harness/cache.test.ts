import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ArcPageCache } from "../../harness/simulator/cache/arc.ts";
import { CACHED_PAGE_LIFETIME, DirectPageCache } from "../../harness/simulator/cache/direct.ts";
import { LruPageCache } from "../../harness/simulator/cache/lru.ts";
import { createPageCache } from "../../harness/simulator/cache/models.ts";
import { powerOfTwoEntries } from "../../harness/simulator/cache/slots.ts";
import { TwoWayPageCache } from "../../harness/simulator/cache/two-way.ts";
import type { PageCache } from "../../harness/simulator/cache/types.ts";

const PAGE = 4096;

/** Insert a page and stamp its bytes with the page number, as the simulator fills a slot. */
function put(cache: PageCache, page: number, generation: number): number {
  const slot = cache.insert(page, generation);
  if (slot >= 0)
    new DataView(cache.view(slot).buffer, cache.view(slot).byteOffset).setInt32(0, page);
  return slot;
}

function stamped(cache: PageCache, slot: number): number {
  return new DataView(cache.view(slot).buffer, cache.view(slot).byteOffset).getInt32(0);
}

describe("cache sizing", () => {
  it("rounds the entry count down to a power of two, as page_cache.c cache_init() does", () => {
    assert.equal(powerOfTwoEntries(64 * 1024 * 1024), 16384);
    assert.equal(powerOfTwoEntries(48 * 1024 * 1024), 8192);
    assert.equal(powerOfTwoEntries(3 * PAGE), 2);
    assert.equal(powerOfTwoEntries(PAGE - 1), 0);
    assert.equal(new DirectPageCache(48 * 1024 * 1024).capacity, 8192);
    assert.equal(new LruPageCache(3 * PAGE).capacity, 3);
    assert.throws(() => new DirectPageCache(100), /below one page/);
  });

  it("builds the model a cell names", () => {
    const options = { cacheSizeBytes: 16 * PAGE, cacheAge: true };
    assert.ok(createPageCache({ ...options, cacheModel: "direct" }) instanceof DirectPageCache);
    assert.ok(createPageCache({ ...options, cacheModel: "2way" }) instanceof TwoWayPageCache);
    assert.ok(createPageCache({ ...options, cacheModel: "lru" }) instanceof LruPageCache);
    assert.ok(createPageCache({ ...options, cacheModel: "arc" }) instanceof ArcPageCache);
  });
});

describe("direct cache (QEMU page_cache.c)", () => {
  it("maps page & (entries − 1) and keeps real bytes per slot", () => {
    const cache = new DirectPageCache(4 * PAGE);
    assert.equal(put(cache, 6, 1), 2);
    assert.equal(cache.lookup(6, 1), 2);
    assert.equal(stamped(cache, 2), 6);
    assert.equal(cache.lookup(2, 1), -1, "page 2 shares slot 2 but is not cached");
    assert.deepEqual([cache.stats.hits, cache.stats.misses], [1, 1]);
  });

  it("refuses to evict a page hit or inserted in this or the previous generation", () => {
    const cache = new DirectPageCache(4 * PAGE);
    put(cache, 1, 5);
    assert.equal(put(cache, 5, 5), -1, "same generation: fresh");
    assert.equal(put(cache, 5, 6), -1, `age 5 + ${CACHED_PAGE_LIFETIME} > 6: still fresh`);
    assert.equal(cache.stats.refused, 2);
    assert.equal(put(cache, 5, 7), 1, "age 5 + 2 = 7: old enough to evict");
    assert.equal(cache.lookup(1, 7), -1);
    // A hit refreshes the age: page 5 hit at 9 survives an insert at 10, not at 11.
    assert.equal(cache.lookup(5, 9), 1);
    assert.equal(put(cache, 9, 10), -1);
    assert.equal(put(cache, 9, 11), 1);
  });

  it("re-inserting the resident page always succeeds and sets its age", () => {
    const cache = new DirectPageCache(4 * PAGE);
    put(cache, 3, 1);
    assert.equal(put(cache, 3, 1), 3);
    assert.equal(cache.stats.refused, 0);
  });

  it("without the age rule (pre-2014) always replaces", () => {
    const cache = new DirectPageCache(4 * PAGE, false);
    put(cache, 1, 5);
    assert.equal(put(cache, 5, 5), 1);
    assert.equal(cache.lookup(1, 5), -1);
    assert.equal(cache.stats.refused, 0);
  });
});

describe("2-way cache (2010 prototype)", () => {
  it("evicts the older of the two ways by insertion order, not by use", () => {
    const cache = new TwoWayPageCache(8 * PAGE); // 4 sets
    put(cache, 1, 1);
    put(cache, 5, 1);
    assert.ok(cache.lookup(1, 1) >= 0, "a hit does not make page 1 newer");
    put(cache, 9, 1);
    assert.equal(cache.lookup(1, 1), -1, "page 1 was inserted first: evicted");
    assert.ok(cache.lookup(5, 1) >= 0);
    const slot9 = cache.lookup(9, 1);
    assert.equal(stamped(cache, slot9), 9);
    put(cache, 13, 1);
    assert.equal(cache.lookup(5, 1), -1, "then page 5");
    assert.ok(cache.lookup(9, 1) >= 0 && cache.lookup(13, 1) >= 0);
    assert.equal(cache.lookup(2, 1), -1, "another set is untouched");
  });
});

describe("LRU cache (patch v3/v4)", () => {
  it("evicts the least recently used page; hits and inserts make a page most recent", () => {
    const cache = new LruPageCache(3 * PAGE);
    put(cache, 10, 1);
    put(cache, 20, 1);
    put(cache, 30, 1);
    assert.deepEqual(cache.order(), [30, 20, 10]);
    cache.lookup(10, 1);
    assert.deepEqual(cache.order(), [10, 30, 20]);
    const slot = put(cache, 40, 1);
    assert.deepEqual(cache.order(), [40, 10, 30]);
    assert.equal(stamped(cache, slot), 40);
    assert.equal(cache.lookup(20, 1), -1);
    put(cache, 30, 1);
    assert.deepEqual(cache.order(), [30, 40, 10]);
  });
});

/** The naive models the typed-array caches must agree with, op by op. */
function naiveDirect(entries: number, ageRule: boolean) {
  const pages = new Map<number, { page: number; age: number }>();
  return {
    lookup(page: number, generation: number) {
      const entry = pages.get(page % entries);
      if (entry?.page !== page) return false;
      entry.age = generation;
      return true;
    },
    insert(page: number, generation: number) {
      const entry = pages.get(page % entries);
      if (ageRule && entry && entry.page !== page && entry.age + 2 > generation) return false;
      pages.set(page % entries, { page, age: generation });
      return true;
    },
  };
}

function naiveTwoWay(sets: number) {
  const ways = new Map<number, number[]>(); // oldest first
  return {
    lookup(page: number) {
      return (ways.get(page % sets) ?? []).includes(page);
    },
    insert(page: number) {
      const set = ways.get(page % sets) ?? [];
      if (!set.includes(page)) {
        if (set.length === 2) set.shift();
        set.push(page);
      }
      ways.set(page % sets, set);
      return true;
    },
  };
}

function naiveLru(capacity: number) {
  const order: number[] = []; // most recent first
  return {
    lookup(page: number) {
      const at = order.indexOf(page);
      if (at < 0) return false;
      order.splice(at, 1);
      order.unshift(page);
      return true;
    },
    insert(page: number) {
      const at = order.indexOf(page);
      if (at >= 0) order.splice(at, 1);
      else if (order.length === capacity) order.pop();
      order.unshift(page);
      return true;
    },
  };
}

const operations = fc.array(
  fc.record({
    insert: fc.boolean(),
    page: fc.integer({ min: 0, max: 40 }),
    nextGeneration: fc.boolean(),
  }),
  { maxLength: 300 },
);

function agrees(
  cache: PageCache,
  naive: { lookup(p: number, g: number): boolean; insert(p: number, g: number): boolean },
  ops: { insert: boolean; page: number; nextGeneration: boolean }[],
): void {
  let generation = 1;
  for (const op of ops) {
    if (op.nextGeneration) generation++;
    if (op.insert) {
      const slot = put(cache, op.page, generation);
      assert.equal(slot >= 0, naive.insert(op.page, generation), `insert ${op.page}`);
    } else {
      const slot = cache.lookup(op.page, generation);
      assert.equal(slot >= 0, naive.lookup(op.page, generation), `lookup ${op.page}`);
      if (slot >= 0) assert.equal(stamped(cache, slot), op.page, "the slot holds the page's bytes");
    }
  }
}

describe("caches agree with naive models (fast-check)", () => {
  it("direct, with and without the age rule", () => {
    fc.assert(
      fc.property(operations, fc.boolean(), (ops, ageRule) => {
        agrees(new DirectPageCache(8 * PAGE, ageRule), naiveDirect(8, ageRule), ops);
      }),
    );
  });

  it("2way", () => {
    fc.assert(
      fc.property(operations, (ops) => {
        agrees(new TwoWayPageCache(8 * PAGE), naiveTwoWay(4), ops);
      }),
    );
  });

  it("lru, including hash deletions under heavy eviction", () => {
    fc.assert(
      fc.property(operations, fc.integer({ min: 1, max: 12 }), (ops, capacity) => {
        agrees(new LruPageCache(capacity * PAGE), naiveLru(capacity), ops);
      }),
    );
  });
});
