import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { levelOf, levelsHelp, resolveBenchCodecs } from "../../codecs/bench-codec-list.ts";
import {
  DEFLATE_LEVELS,
  deflate,
  generalCodecs,
  leveledCodecs,
  ZSTD_LEVELS,
  zstdCodec,
} from "../../codecs/general.ts";
import { OVERFLOW } from "../../codecs/types.ts";
import { UsageError } from "../../lib/errors.ts";
import { assertRoundTrip, fewChangePair, PAGE } from "./roundtrip-helpers.ts";

/** A page that compresses, but better with more effort: text-like runs with some noise. */
function compressiblePage(): Uint8Array {
  const page = new Uint8Array(PAGE);
  let state = 7;
  for (let i = 0; i < PAGE; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    page[i] = 97 + ((state >>> 16) % 6) + (i % 64 < 32 ? 0 : 10);
  }
  return page;
}

function encodedLength(name: string, page: Uint8Array): number {
  const [definition] = resolveBenchCodecs([name]);
  const out = new Uint8Array(PAGE);
  return definition.create().encode(page, null, out, PAGE);
}

describe("codec levels (NAME:LEVEL)", () => {
  it("names a codec at its default level by its plain name, others NAME:LEVEL", () => {
    assert.deepEqual(
      resolveBenchCodecs(["zstd:3", "deflate:6", "zstd:1", "zstd", "xor+deflate:9"]).map(
        (c) => c.name,
      ),
      ["zstd:3", "deflate:6", "zstd", "xor+deflate:9"],
    );
    assert.equal(resolveBenchCodecs(["zstd:1"])[0], zstdCodec);
    assert.equal(resolveBenchCodecs([`deflate:${DEFLATE_LEVELS.default}`])[0], deflate);
    const [zstd3] = resolveBenchCodecs(["zstd:3"]);
    assert.equal(zstd3.description, "zstd level 3 on the page");
    assert.equal(zstd3.usesPrevious, false);
    assert.equal(resolveBenchCodecs(["xor+zstd:3"])[0].usesPrevious, true);
    assert.equal(levelOf(zstd3), 3);
    assert.equal(levelOf(zstdCodec), 1);
    assert.equal(levelOf(resolveBenchCodecs(["lz4"])[0]), null);
    // Groups and all still work beside levels.
    assert.equal(resolveBenchCodecs(["paper", "zstd:3"]).length, 5);
  });

  it("the default-level codecs are the ones the simulator runs (unchanged)", () => {
    for (const codec of generalCodecs) {
      const family = leveledCodecs[codec.name];
      if (family) assert.equal(family.at(family.levels.default).name, codec.name);
    }
    assert.equal(ZSTD_LEVELS.default, 1);
    assert.equal(DEFLATE_LEVELS.default, 1);
  });

  it("runs the library at the level named: more effort, fewer bytes", () => {
    const page = compressiblePage();
    assert.ok(encodedLength("zstd:19", page) < encodedLength("zstd", page));
    assert.ok(encodedLength("deflate:9", page) < encodedLength("deflate", page));
    // deflate level 0 stores: the page does not fit in a page.
    assert.equal(encodedLength("deflate:0", page), OVERFLOW);
    // The bytes are a raw deflate stream of that level, as zlib makes it.
    const [deflate6] = resolveBenchCodecs(["deflate:6"]);
    const out = new Uint8Array(PAGE);
    const n = deflate6.create().encode(page, null, out, PAGE);
    assert.deepEqual(inflateRawSync(out.subarray(0, n)), Buffer.from(page));
  });

  for (const name of ["zstd:19", "deflate:9", "xor+zstd:5", "xor+deflate:0"]) {
    it(`${name} round-trips few-change pairs`, () => {
      const [definition] = resolveBenchCodecs([name]);
      const codec = definition.create();
      fc.assert(
        fc.property(fewChangePair, ({ old, next }) => {
          assertRoundTrip(codec, old, next, definition.decodesInPlace);
        }),
        { numRuns: 15 },
      );
    });
  }

  it("refuses a bad level or a codec without levels in one line", () => {
    const cases: [string, RegExp][] = [
      ["zstd:0", /^--codec zstd:0: zstd's levels are whole numbers 1 to 22$/],
      ["zstd:23", /zstd's levels are whole numbers 1 to 22/],
      ["zstd:3.5", /zstd's levels are whole numbers/],
      ["zstd:", /zstd's levels are whole numbers/],
      ["zstd:x", /zstd's levels are whole numbers/],
      ["deflate:10", /deflate's levels are whole numbers 0 to 9/],
      ["deflate:-1", /deflate's levels are whole numbers 0 to 9/],
      ["lz4:3", /^--codec lz4:3: lz4 has no compression levels \(codecs with levels: zstd 1-22, /],
      ["paper:1", /paper has no compression levels/],
      ["xbzrle:1", /xbzrle has no compression levels/],
      ["nope:3", /unknown codec "nope"/],
    ];
    for (const [name, pattern] of cases) {
      assert.throws(
        () => resolveBenchCodecs([name]),
        (error: unknown) => {
          assert.ok(error instanceof UsageError, `${name}: ${String(error)}`);
          assert.doesNotMatch(error.message, /\n/);
          assert.match(error.message, pattern);
          return true;
        },
        name,
      );
    }
    assert.equal(levelsHelp(), "zstd 1-22, deflate 0-9, xor+zstd 1-22, xor+deflate 0-9");
  });
});
