import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PageBitmap } from "../../lib/page-bitmap.ts";

test("addRange(first, end) equals add() of each page, population included", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 12 }),
      (pageCount, ranges) => {
        const byRange = new PageBitmap(pageCount);
        const byPage = new PageBitmap(pageCount);
        for (const [a, b, single] of ranges) {
          const first = a % pageCount;
          const end = single ? first + 1 : first + (b % (pageCount - first + 1));
          let added = 0;
          for (let page = first; page < end; page++) if (byPage.add(page)) added++;
          assert.equal(byRange.addRange(first, end), added);
        }
        assert.deepEqual(byRange.words, byPage.words);
        assert.equal(byRange.size, byPage.size);
      },
    ),
  );
});
