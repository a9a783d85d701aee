import assert from "node:assert/strict";
import { test } from "node:test";
import { DirectPageCache } from "../../harness/simulator/cache/direct.ts";
import {
  MAX_CACHE_PAGES,
  MAX_CACHE_SIZE_BYTES,
  SlotStore,
} from "../../harness/simulator/cache/slots.ts";

test("the largest cache (4GiB, 2^20 slots) is allocated; its work pages live apart", () => {
  assert.equal(MAX_CACHE_SIZE_BYTES, 4 * 2 ** 30);
  // Before, 2^20 slots + 3 work pages were one typed array of 4294979584 bytes: a RangeError
  // ("Invalid typed array length") in every cell with --cache-size 4GiB.
  const store = new SlotStore(MAX_CACHE_PAGES);
  assert.equal(store.bytes.length, MAX_CACHE_SIZE_BYTES);
  assert.equal(store.arena, undefined);
  assert.notEqual(store.current.buffer, store.bytes.buffer);
  assert.equal(store.current.length, 4096);
  assert.ok(store.output.length >= 8192);
  const last = store.view(MAX_CACHE_PAGES - 1);
  last.fill(9);
  assert.equal(store.bytes[MAX_CACHE_SIZE_BYTES - 1], 9);
  assert.equal(store.slotAt(MAX_CACHE_PAGES - 1), MAX_CACHE_SIZE_BYTES - 4096);
  assert.throws(() => new SlotStore(MAX_CACHE_PAGES + 1), RangeError);
});

test("a smaller cache keeps its slots and work pages in one wasm arena", () => {
  const store = new SlotStore(16);
  assert.ok(store.arena);
  assert.equal(store.current.buffer, store.bytes.buffer);
  assert.equal(new DirectPageCache(MAX_CACHE_SIZE_BYTES).capacity, MAX_CACHE_PAGES);
});
