import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  MAX_RUNS,
  NO_VERSION,
  PageVersions,
  RUNS_TOO_MANY,
  RUNS_UNKNOWN,
  rewrittenPage,
} from "../../workloads/page-versions.ts";

// The replay keeps where a page's two latest versions differ as runs, so that a rewritten page
// read at every send does not inflate its version before each time (workloads/page-versions.ts).
// Applying the runs must give the page rewrittenPage() gives from the whole version before.

const SIZE = 4096;

/** PageVersions.findRuns() on these two versions, read where it compares them. */
function findRuns(versions: PageVersions, slot: number, latest: Uint8Array, previous: Uint8Array) {
  versions.latestPage.set(latest);
  versions.previousPage.set(previous);
  return versions.findRuns(slot);
}

/** A page and a version before it differing at `edits` (offset, new byte) places. */
const pagePair = fc
  .record({
    seed: fc.integer({ min: 0, max: 255 }),
    edits: fc.array(
      fc.tuple(fc.integer({ min: 0, max: SIZE - 1 }), fc.integer({ min: 0, max: 255 })),
      {
        maxLength: 40,
      },
    ),
    spans: fc.array(
      fc.tuple(fc.integer({ min: 0, max: SIZE - 1 }), fc.integer({ min: 1, max: 64 })),
      {
        maxLength: 12,
      },
    ),
  })
  .map(({ seed, edits, spans }) => {
    const previous = Uint8Array.from({ length: SIZE }, (_, i) => (i * 31 + seed) & 255);
    const latest = previous.slice();
    for (const [at, v] of edits) latest[at] = v;
    for (const [at, n] of spans)
      for (let i = at; i < Math.min(SIZE, at + n); i++) latest[i] = (previous[i] + 1) & 255;
    return { previous, latest };
  });

test("property: a page's runs give the page rewrittenPage() gives, for any count of rewrites", () => {
  fc.assert(
    fc.property(pagePair, fc.integer({ min: 0, max: 1000 }), ({ previous, latest }, rewrites) => {
      const versions = new PageVersions();
      versions.write(9, 1, 0);
      for (let k = 0; k < rewrites; k++) versions.rewrite(9);
      const slot = versions.slotOf(9);
      assert.equal(versions.runCountAt(slot), RUNS_UNKNOWN);
      const expected = latest.slice();
      rewrittenPage(expected, previous, rewrites);
      const runs = findRuns(versions, slot, latest, previous);
      const actual = latest.slice();
      if (runs === RUNS_TOO_MANY) rewrittenPage(actual, previous, versions.rewritesAt(slot));
      else {
        assert.ok(runs <= MAX_RUNS);
        versions.stepRuns(slot, actual);
      }
      assert.deepEqual(actual, expected);
      // Only the changed bytes move, and none of them to zero or to itself unless 255 | rewrites.
      for (let i = 0; i < SIZE; i++) {
        if (latest[i] === previous[i]) assert.equal(actual[i], latest[i]);
        else if (rewrites % 255 !== 0) {
          assert.notEqual(actual[i], 0);
          assert.notEqual(actual[i], latest[i]);
        }
      }
    }),
  );
});

test("runs: exactly MAX_RUNS are kept, one more is too many, a new version forgets them", () => {
  const previous = new Uint8Array(SIZE);
  const latest = new Uint8Array(SIZE);
  for (let k = 0; k < MAX_RUNS; k++) latest[k * 100] = 1;
  const versions = new PageVersions();
  versions.write(3, 1, 0);
  const slot = versions.slotOf(3);
  assert.equal(findRuns(versions, slot, latest, previous), MAX_RUNS);
  latest[4095] = 1;
  assert.equal(findRuns(versions, slot, latest, previous), RUNS_TOO_MANY);
  versions.write(3, 2, NO_VERSION);
  assert.equal(versions.runCountAt(slot), RUNS_UNKNOWN);
  assert.equal(versions.rewritesAt(slot), 0);
  assert.equal(versions.slotOf(4), -1);
  // A page no content epoch wrote is not given a slot by a rewrite.
  versions.rewrite(4);
  assert.equal(versions.size, 1);
});

test("slots outgrow their first arrays with every field kept", () => {
  const versions = new PageVersions();
  const page = new Uint8Array(SIZE);
  const before = new Uint8Array(SIZE);
  page[5] = 9;
  for (let p = 0; p < 3000; p++) {
    versions.write(p, p, p + 1);
    if (p % 7 === 0) versions.rewrite(p);
    if (p % 11 === 0) findRuns(versions, versions.slotOf(p), page, before);
  }
  for (let p = 0; p < 3000; p++) {
    const slot = versions.slotOf(p);
    assert.equal(versions.latestAt(slot), p);
    assert.equal(versions.previousAt(slot), p + 1);
    assert.equal(versions.rewritesAt(slot), p % 7 === 0 ? 1 : 0);
    assert.equal(versions.runCountAt(slot), p % 11 === 0 ? 1 : RUNS_UNKNOWN);
  }
  const stepped = page.slice();
  versions.stepRuns(versions.slotOf(0), stepped);
  assert.equal(stepped[5], 10);
});
