import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { generalCodecs } from "../../codecs/general.ts";
import { raw } from "../../codecs/raw.ts";
import { type CodecDefinition, CodecError, PAGE_HEADER_BYTES } from "../../codecs/types.ts";
import { zero } from "../../codecs/zero.ts";
import {
  assertOnlyCodecError,
  assertRoundTrip,
  fewChangePair,
  PAGE,
  pageAt,
  randomPair,
} from "./roundtrip-helpers.ts";

/** The codecs without a hand-written format: lz4, zstd, deflate (+ xor+ variants), raw, zero. */
const codecs: readonly CodecDefinition[] = [raw, zero, ...generalCodecs];

const zeroPage = () => pageAt(new Uint8Array(PAGE));

describe("general compressors, raw and zero", () => {
  it("registers the six general codecs under their names", () => {
    assert.deepEqual(
      generalCodecs.map((c) => [c.name, c.usesPrevious]),
      [
        ["lz4", false],
        ["zstd", false],
        ["deflate", false],
        ["xor+lz4", true],
        ["xor+zstd", true],
        ["xor+deflate", true],
      ],
    );
  });

  for (const definition of codecs) {
    describe(definition.name, () => {
      const codec = definition.create();

      it("round-trips few-change pairs (and null previous where allowed)", () => {
        fc.assert(
          fc.property(fewChangePair, fc.boolean(), ({ old, next }, withoutPrevious) => {
            const previous = withoutPrevious ? null : old;
            const result = assertRoundTrip(codec, previous, next, definition.decodesInPlace);
            if (definition.usesPrevious && previous === null) assert.equal(result, -1);
          }),
          { numRuns: 40 },
        );
      });

      it("round-trips random pairs; incompressible pages overflow", () => {
        fc.assert(
          fc.property(randomPair, ({ old, next }) => {
            const result = assertRoundTrip(codec, old, next, definition.decodesInPlace);
            if (definition.name !== "raw") assert.equal(result, -1);
          }),
          { numRuns: 10 },
        );
      });

      it("handles the zero page and an identical page", () => {
        const page = zeroPage();
        const result = assertRoundTrip(codec, zeroPage(), page, definition.decodesInPlace);
        if (definition.name === "zero") assert.equal(result, 1);
        if (definition.usesPrevious) assert.equal(result, 0);
        const text = pageAt(new Uint8Array(PAGE).map((_, i) => 65 + (i % 26)));
        const again = assertRoundTrip(codec, pageAt(text), text, definition.decodesInPlace);
        if (definition.usesPrevious) assert.equal(again, 0);
        else if (definition.name !== "zero" && definition.name !== "raw") {
          assert.ok(again > 0 && again < PAGE);
        }
      });

      it("overflows when the output does not fit the limit", () => {
        const text = pageAt(new Uint8Array(PAGE).map((_, i) => (i * i) & 0xff));
        const out = new Uint8Array(PAGE);
        const full = codec.encode(text, zeroPage(), out, PAGE);
        if (full > 1) {
          assert.equal(codec.encode(text, zeroPage(), out, full), full);
          assert.equal(codec.encode(text, zeroPage(), out, full - 1), -1);
        }
        assert.equal(codec.wireBytes(-1), PAGE_HEADER_BYTES + PAGE);
      });

      it("decoder throws only CodecError on random, truncated and mutated input", () => {
        const previous = pageAt(new Uint8Array(PAGE).fill(3));
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
            assertOnlyCodecError(codec, bytes, previous);
          }),
          { numRuns: 60 },
        );
        const next = Uint8Array.from(previous);
        next.fill(9, 100, 140);
        next[4000] = 1;
        const out = new Uint8Array(PAGE);
        const length = codec.encode(pageAt(next), previous, out, PAGE);
        if (length > 0) {
          const valid = out.slice(0, length);
          for (let cut = 0; cut < length; cut++) {
            assertOnlyCodecError(codec, valid.subarray(0, cut), previous);
          }
          fc.assert(
            fc.property(
              fc.integer({ min: 0, max: length - 1 }),
              fc.integer({ min: 1, max: 255 }),
              (at, mask) => {
                const mutated = Uint8Array.from(valid);
                mutated[at] ^= mask;
                assertOnlyCodecError(codec, mutated, previous);
              },
            ),
            { numRuns: 60 },
          );
        }
        if (definition.usesPrevious) {
          assert.throws(() => codec.decode(out.subarray(0, 4), null, zeroPage()), CodecError);
        }
      });
    });
  }
});
