import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { OVERFLOW, PAGE_SIZE } from "../../codecs/types.ts";
import { PageXor } from "../../codecs/xor-page.ts";
import { zero } from "../../codecs/zero.ts";
import { allocatePages, arenaOf } from "../../lib/page-memory.ts";
import { Prng } from "../../lib/prng.ts";
import { isZeroPage } from "../../lib/zero-page.ts";

/** Three pages back to back, so a check that reads past its page would see a neighbour's bytes. */
const PAGES = 3;

describe("isZeroPage", () => {
  it("is true exactly when the page's own 4096 bytes are zero: in an arena, in a plain buffer, unaligned", () => {
    const arena = allocatePages(PAGES * PAGE_SIZE + 64);
    const plain = new Uint8Array(PAGES * PAGE_SIZE + 64);
    assert.ok(arenaOf(arena.buffer) && !arenaOf(plain.buffer));
    fc.assert(
      fc.property(
        fc.constantFrom(arena, plain),
        fc.constantFrom(0, 1, 3, 16, 64),
        fc.array(
          fc.record({
            at: fc.oneof(
              fc.integer({ min: -64, max: PAGE_SIZE + 63 }),
              fc.constantFrom(-1, 0, 15, 16, 63, 64, 4032, 4095, PAGE_SIZE),
            ),
            value: fc.integer({ min: 1, max: 255 }),
          }),
          { maxLength: 3 },
        ),
        (memory, shift, writes) => {
          memory.fill(0);
          const start = PAGE_SIZE + shift;
          for (const { at, value } of writes) memory[start + at] = value;
          const page = memory.subarray(start, start + PAGE_SIZE);
          const expected = writes.every(({ at }) => at < 0 || at >= PAGE_SIZE);
          assert.equal(isZeroPage(page), expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("reads a page at an offset, and throws RangeError where no whole page is", () => {
    for (const memory of [allocatePages(2 * PAGE_SIZE), new Uint8Array(2 * PAGE_SIZE)]) {
      memory.fill(0);
      memory[PAGE_SIZE - 1] = 1;
      assert.equal(isZeroPage(memory, 0), false);
      assert.equal(isZeroPage(memory, PAGE_SIZE), true);
      assert.equal(isZeroPage(memory, 1), false);
      assert.throws(() => isZeroPage(memory.subarray(0, PAGE_SIZE - 1)), RangeError);
      assert.throws(() => isZeroPage(memory, PAGE_SIZE + 1), RangeError);
      assert.throws(() => isZeroPage(memory, -1), RangeError);
    }
  });

  it("the zero codec sends a ZERO record only for a zero page, in an arena or not", () => {
    const codec = zero.create();
    for (const memory of [allocatePages(2 * PAGE_SIZE), new Uint8Array(2 * PAGE_SIZE)]) {
      const out = new Uint8Array(8);
      const page = memory.subarray(PAGE_SIZE);
      assert.equal(codec.encode(page, null, out, 8), 1);
      page[PAGE_SIZE - 1] = 1;
      assert.equal(codec.encode(page, null, out, 8), OVERFLOW);
    }
  });
});

describe("PageXor.equal", () => {
  it("is true exactly when the two pages' own 4096 bytes are equal: one arena, plain buffers, unaligned", () => {
    const arena = allocatePages(2 * PAGES * PAGE_SIZE + 64);
    const plain = new Uint8Array(2 * PAGES * PAGE_SIZE + 64);
    const pageXor = new PageXor();
    fc.assert(
      fc.property(
        fc.constantFrom(arena, plain),
        fc.constantFrom(0, 1, 4, 16),
        fc.integer(),
        fc.array(
          fc.record({
            at: fc.oneof(
              fc.integer({ min: -64, max: PAGE_SIZE + 63 }),
              fc.constantFrom(-1, 0, 63, 64, 4032, 4095, PAGE_SIZE),
            ),
            flip: fc.integer({ min: 1, max: 255 }),
          }),
          { maxLength: 3 },
        ),
        (memory, shift, seed, edits) => {
          new Prng(seed).fill(memory);
          // b starts as a copy of a, a whole number of pages later, then gets the edits
          const aAt = PAGE_SIZE + shift;
          const bAt = aAt + PAGES * PAGE_SIZE;
          memory.copyWithin(bAt - 64, aAt - 64, aAt + PAGE_SIZE + 64);
          for (const { at, flip } of edits) memory[bAt + at] ^= flip;
          const a = memory.subarray(aAt, aAt + PAGE_SIZE);
          const b = memory.subarray(bAt, bAt + PAGE_SIZE);
          // Equal unless some byte of the page got a net change: flips at one place can cancel
          // (154 ^ 200 ^ 82 = 0), as fast-check once found.
          const net = new Map<number, number>();
          for (const { at, flip } of edits) net.set(at, (net.get(at) ?? 0) ^ flip);
          const expected = [...net].every(([at, flip]) => at < 0 || at >= PAGE_SIZE || flip === 0);
          assert.equal(pageXor.equal(a, b), expected);
          assert.equal(pageXor.equal(b, a), expected);
          assert.throws(
            () => pageXor.equal(a, memory.subarray(bAt, bAt + PAGE_SIZE + 1)),
            RangeError,
          );
        },
      ),
      { numRuns: 400 },
    );
  });
});
