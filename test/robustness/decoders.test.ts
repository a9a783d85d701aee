import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { deflate, xorDeflate } from "../../codecs/general.ts";
import { CodecError, PAGE_SIZE } from "../../codecs/types.ts";
import { guardedPage, randomPage } from "../codecs/roundtrip-helpers.ts";

/**
 * The deflate decoders run on one reused native inflate stream (codecs/general.ts,
 * reusableInflater) instead of inflateRawSync. These tests hold them to inflateRawSync's
 * verdicts byte for byte, and check that rejected streams no longer pin memory.
 */

/** What the old decoder (inflateRawSync, maxOutputLength one page) made of `encoded`. */
function oracle(encoded: Uint8Array): Buffer | "rejected" {
  try {
    const page = inflateRawSync(encoded, { maxOutputLength: PAGE_SIZE });
    return page.length === PAGE_SIZE ? page : "rejected";
  } catch {
    return "rejected";
  }
}

/** What the deflate codec makes of it now (rejections must be CodecError, nothing else). */
function current(
  decode: (encoded: Uint8Array) => Uint8Array,
): (e: Uint8Array) => Buffer | "rejected" {
  return (encoded) => {
    try {
      return Buffer.from(decode(encoded));
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      return "rejected";
    }
  };
}

const codec = deflate.create();
const decodeDeflate = current((encoded) => {
  const { page, guardsIntact } = guardedPage(3);
  codec.decode(encoded, null, page);
  assert.ok(guardsIntact(), "wrote outside the page");
  return page;
});

// Real encodings to mutate: deflate level 1 of pages that compress a little, a lot, or not at
// all (stored blocks), as the codec sends them.
const seeds = [
  new Uint8Array(PAGE_SIZE),
  new Uint8Array(PAGE_SIZE).map((_, i) => 65 + (i % 26)),
  new Uint8Array(PAGE_SIZE).map((_, i) => (i * i) & 0xff),
  randomPage(7),
  (() => {
    const page = randomPage(11);
    page.fill(0, 512, 3000);
    return page;
  })(),
].map((page) => new Uint8Array(deflateRawSync(page, { level: 1 })));

const mutated = fc
  .record({
    seed: fc.integer({ min: 0, max: seeds.length - 1 }),
    edits: fc.array(
      fc.record({
        kind: fc.constantFrom("flip", "byte", "cut", "insert", "delete", "append"),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ seed, edits }) => {
    let bytes = Array.from(seeds[seed]);
    for (const { kind, at, value } of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (kind === "flip" && bytes.length) bytes[i] ^= 1 << (value & 7);
      else if (kind === "byte" && bytes.length) bytes[i] = value;
      else if (kind === "cut") bytes = bytes.slice(0, i);
      else if (kind === "insert") bytes.splice(i, 0, value);
      else if (kind === "delete") bytes.splice(i, 1);
      else if (kind === "append") bytes.push(value, value ^ 0x5a);
    }
    return Uint8Array.from(bytes);
  });

describe("deflate decoders: same verdicts as inflateRawSync", () => {
  it("on mutated real encodings (accepting and rejecting the same streams, same bytes)", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated, (encoded) => {
        const expected = oracle(encoded);
        assert.deepEqual(decodeDeflate(encoded), expected);
        if (expected !== "rejected") accepted++;
      }),
      { numRuns: 1500 },
    );
    // Otherwise the property would only ever compare two rejections.
    assert.ok(accepted > 50, `only ${accepted} mutated streams were valid pages`);
  });

  it("on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (encoded) => {
        assert.deepEqual(decodeDeflate(encoded), oracle(encoded));
      }),
      { numRuns: 1500 },
    );
  });

  it("on streams of the wrong size, trailing bytes and back-references before the page", () => {
    const page = randomPage(3).fill(0, 100, 4000);
    const cases: [string, Uint8Array, "accepted" | "rejected"][] = [
      ["one page", deflateRawSync(page), "accepted"],
      ["one byte short", deflateRawSync(page.subarray(1)), "rejected"],
      ["one byte over", deflateRawSync(Buffer.concat([page, page.subarray(0, 1)])), "rejected"],
      ["two pages", deflateRawSync(Buffer.concat([page, page])), "rejected"],
      ["empty", new Uint8Array(0), "rejected"],
      // zlib stops at the final block; inflateRawSync ignored what follows, and so do we.
      ["trailing bytes", Buffer.concat([deflateRawSync(page), Buffer.from([1, 2, 3])]), "accepted"],
      // Encoded against a preset dictionary: distances reach before the page's first byte.
      ["dictionary", deflateRawSync(page, { dictionary: randomPage(3) }), "rejected"],
    ];
    for (const [name, encoded, verdict] of cases) {
      const expected = oracle(encoded);
      assert.equal(expected === "rejected" ? "rejected" : "accepted", verdict, `oracle: ${name}`);
      assert.deepEqual(decodeDeflate(encoded), expected, name);
    }
    assert.throws(
      () => codec.decode(deflateRawSync(Buffer.concat([page, page])), null, new Uint8Array(4096)),
      /deflate: inflates to more than 4096 bytes/,
    );
  });

  it("forgets the previous stream: its window, and its error", () => {
    const first = randomPage(5);
    const second = randomPage(5).fill(7, 0, 2048);
    const withHistory = deflateRawSync(second, { dictionary: first });
    for (const before of [deflateRawSync(first), Uint8Array.of(0xff, 0xff)]) {
      decodeDeflate(before);
      assert.equal(decodeDeflate(withHistory), "rejected");
      assert.deepEqual(decodeDeflate(deflateRawSync(second)), Buffer.from(second));
    }
  });

  it("xor+deflate decodes onto the cached page, and rejects what deflate rejects", () => {
    const xorCodec = xorDeflate.create();
    const previous = randomPage(9);
    const next = Uint8Array.from(previous).fill(1, 200, 900);
    const out = new Uint8Array(2 * PAGE_SIZE);
    const length = xorCodec.encode(next, previous, out, out.length);
    assert.ok(length > 0);
    const page = new Uint8Array(PAGE_SIZE);
    xorCodec.decode(out.subarray(0, length), previous, page);
    assert.deepEqual(page, next);
    fc.assert(
      fc.property(mutated, (encoded) => {
        const verdict = decodeDeflate(encoded);
        let xorVerdict: "accepted" | "rejected" = "accepted";
        try {
          xorCodec.decode(encoded, previous, page);
        } catch (error) {
          assert.ok(error instanceof CodecError);
          xorVerdict = "rejected";
        }
        assert.equal(xorVerdict, verdict === "rejected" ? "rejected" : "accepted");
      }),
      { numRuns: 300 },
    );
  });
});

describe("deflate decoders: rejected streams pin no memory", () => {
  it("20,000 rejections in one synchronous loop leave external memory flat", () => {
    // inflateRawSync kept ~16 KiB per rejected stream reachable until the tick queue ran
    // (330 MB here); this loop never yields, exactly like fuzz:codecs and the pre-copy loop.
    const bad = Uint8Array.from(seeds[3]);
    bad[0] = 0xff; // block type 3: "invalid block type"
    const page = new Uint8Array(PAGE_SIZE);
    for (let i = 0; i < 100; i++) assert.throws(() => codec.decode(bad, null, page), CodecError);
    const before = process.memoryUsage().external;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      try {
        codec.decode(bad, null, page);
      } catch (error) {
        if (error instanceof CodecError) rejected++;
      }
    }
    const grown = process.memoryUsage().external - before;
    assert.equal(rejected, 20_000);
    assert.ok(grown < 16 * 1024 * 1024, `external memory grew ${(grown / 1e6).toFixed(1)} MB`);
  });
});
