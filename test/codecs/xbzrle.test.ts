import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { GENERATED_PATH, generateKernelSource } from "../../codecs/build-xbzrle-kernel.ts";
import { makePagePairs, PAGE_KINDS } from "../../codecs/page-kinds.ts";
import { resolveCodecs } from "../../codecs/registry.ts";
import { CodecError, OVERFLOW, PAGE_SIZE, type PageCodec, UNCHANGED } from "../../codecs/types.ts";
import { checkVectors, loadVectors } from "../../codecs/vector-check.ts";
import { createXbzrle, defaultXbzrleEngine, xbzrle } from "../../codecs/xbzrle.ts";
import { referenceDecode, referenceEncode } from "../../codecs/xbzrle-reference.ts";
import { allocatePages, arenaOf } from "../../lib/page-memory.ts";
import { Prng } from "../../lib/prng.ts";

const here = dirname(fileURLToPath(import.meta.url));
const VECTOR_DIR = join(here, "..", "fixtures", "xbzrle-vectors");

/** The reference implementation dressed as a PageCodec, so the vector check can run it too. */
const referenceCodec: PageCodec = {
  name: "xbzrle-reference",
  encode: (page, previous, out, limit) => referenceEncode(page, previous!, out, limit),
  decode: (encoded, previous, page) => {
    referenceDecode(encoded, previous!, page);
  },
  wireBytes: (result) => result,
};

const engines = {
  "wasm-simd": () => createXbzrle("wasm-simd"),
  js: () => createXbzrle("js"),
} as const;

// ---- page-pair generators -------------------------------------------------------------------

const GUARD = 32;

interface Edit {
  offset: number;
  length: number;
}

/** Edits that put run boundaries on and next to word (4, 8) and block (16, 64) edges. */
const edgeLengths = [
  1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 300,
];
const editArb: fc.Arbitrary<Edit> = fc.record({
  offset: fc.oneof(
    fc.integer({ min: 0, max: PAGE_SIZE - 1 }),
    fc
      .tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: -2, max: 2 }))
      .map(([block, delta]) => Math.min(PAGE_SIZE - 1, Math.max(0, block * 64 + delta))),
    fc.constantFrom(0, 1, 7, 8, 15, 16, 4088, 4094, 4095),
  ),
  length: fc.oneof(fc.constantFrom(...edgeLengths), fc.integer({ min: 1, max: 4096 })),
});

/** A page pair from a seed and edits: old random (or zero), new = old with the edits XORed in. */
const pairArb = fc
  .record({
    seed: fc.integer(),
    zeroOld: fc.boolean(),
    edits: fc.array(editArb, { maxLength: 40 }),
    dense: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ seed, zeroOld, edits, dense }) => {
    const prng = new Prng(seed);
    // old, new, and an output region in the same memory (the kernel writes there in place)
    const both = allocatePages(2 * PAGE_SIZE + 9000 + GUARD);
    const old = both.subarray(0, PAGE_SIZE);
    const page = both.subarray(PAGE_SIZE, 2 * PAGE_SIZE);
    const outRegion = both.subarray(2 * PAGE_SIZE);
    if (!zeroOld) prng.fill(old);
    page.set(old);
    for (const { offset, length } of edits) {
      for (let i = offset; i < Math.min(PAGE_SIZE, offset + length); i++) {
        page[i] ^= prng.nonZeroByte();
      }
    }
    // `dense` > 0: also change about 1 byte in 2^dense everywhere (random-25pct-like pages)
    if (dense > 0) {
      for (let i = 0; i < PAGE_SIZE; i++) {
        if (prng.below(1 << dense) === 0) page[i] ^= prng.nonZeroByte();
      }
    }
    return { old, page, outRegion };
  });

/** Limits worth testing for a pair: around the delta size S, tiny ones, QEMU's 4096. */
function limitsFor(old: Uint8Array, page: Uint8Array, extra: number): number[] {
  const out = new Uint8Array(9000);
  const full = referenceEncode(page, old, out, 8192);
  const limits = new Set([0, 1, 2, 3, 4096, extra]);
  if (full > 0) for (let l = full - 3; l <= full + 3; l++) if (l >= 0) limits.add(l);
  return [...limits];
}

/**
 * Encode with guard bytes after `limit`; returns [result, bytes] and checks the guard. With
 * `region` (longer than limit + GUARD), `out` is the whole region, so the guard is inside the
 * caller's buffer: nothing may be written at or past `limit` even where `out` has room.
 */
function encodeGuarded(
  codec: PageCodec,
  page: Uint8Array,
  old: Uint8Array,
  limit: number,
  region?: Uint8Array,
): [number, Uint8Array] {
  const out = (region ?? new Uint8Array(limit + GUARD)).fill(0xc3);
  const result = codec.encode(page, old, out, limit);
  for (let i = limit; i < Math.min(out.length, limit + GUARD); i++) {
    assert.equal(out[i], 0xc3, `wrote past limit ${limit} at ${i}`);
  }
  return [result, result > 0 ? out.slice(0, result) : new Uint8Array(0)];
}

// ---- tests ----------------------------------------------------------------------------------

describe("xbzrle vectors (test/fixtures/xbzrle-vectors, made by QEMU's own encoder)", () => {
  for (const [name, make] of [
    ["xbzrle (registered)", () => xbzrle.create()],
    ["xbzrle wasm-simd", engines["wasm-simd"]],
    ["xbzrle js", engines.js],
    ["reference", () => referenceCodec],
  ] as const) {
    it(`${name} passes every vector (encode and decode)`, () => {
      const vectors = loadVectors(VECTOR_DIR);
      assert.ok(vectors.length >= 71, `only ${vectors.length} vectors`);
      const failing = checkVectors(make(), vectors).filter((r) => r.failures.length > 0);
      assert.deepEqual(failing, []);
    });
  }
  it("the reference decoder returns QEMU's decodeReturn for every accepted stream", () => {
    for (const v of loadVectors(VECTOR_DIR)) {
      if (!v.delta || v.meta.decodeReturn === null || v.meta.decodeReturn === undefined) continue;
      if (v.meta.decodeReturn === -1) continue;
      assert.equal(
        referenceDecode(v.delta, v.old, new Uint8Array(PAGE_SIZE)),
        v.meta.decodeReturn,
        v.name,
      );
    }
  });
});

describe("xbzrle format, from the specification (DESIGN.md §2)", () => {
  const old = new Uint8Array(PAGE_SIZE);
  for (const [name, make] of [
    ...Object.entries(engines),
    ["reference", () => referenceCodec],
  ] as const) {
    it(`${name}: golden deltas and the overflow rule's cases`, () => {
      const codec = make();
      const page = new Uint8Array(PAGE_SIZE);
      assert.equal(codec.encode(page, old, new Uint8Array(8), 8), UNCHANGED);
      assert.equal(
        codec.encode(page, old, new Uint8Array(8), 1),
        OVERFLOW,
        "L < 2 even when unchanged",
      );
      page[0] = 9;
      assert.deepEqual(encodeGuarded(codec, page, old, 4096), [3, Uint8Array.of(0, 1, 9)]);
      page[0] = 0;
      page[2048] = 7; // 2-byte ULEB zero run: 2048 = 0x80 0x10
      assert.deepEqual(encodeGuarded(codec, page, old, 4096), [4, Uint8Array.of(0x80, 0x10, 1, 7)]);
      // trailing unchanged bytes: S = 4 fits limit 4 only when S <= limit - 2
      assert.equal(encodeGuarded(codec, page, old, 5)[0], OVERFLOW);
      assert.equal(encodeGuarded(codec, page, old, 6)[0], 4);
      page[2048] = 0;
      page[4095] = 1; // ends with a changed byte: S = 4 fits limit 4 exactly
      assert.deepEqual(encodeGuarded(codec, page, old, 4), [4, Uint8Array.of(0xff, 0x1f, 1, 1)]);
      assert.equal(encodeGuarded(codec, page, old, 3)[0], OVERFLOW);
    });
  }
  it("decoders accept an empty stream and non-minimal lengths, reject the listed malformations", () => {
    const cases: [number[], boolean][] = [
      [[], true],
      [[0x85, 0x00, 0x83, 0x00, 1, 2, 3], true], // non-minimal 2-byte lengths
      [[0x00, 0x01, 5], true],
      [[0x00], false], // a zrun needs 2 bytes
      [[0x05, 0x01, 5, 0x00, 0x01, 6], false], // zero zrun after the first pair
      [[0x05, 0x00], false], // zero nzrun
      [[0x80, 0x80, 0x01, 0x01, 5], false], // third length byte
      [[0x81, 0x20, 0x01, 5], false], // zrun 4097 past the page end
      [[0xff, 0x1f, 0x02, 1, 2], false], // nzrun past the page end
      [[0x05, 0x03, 1, 2], false], // nzrun past the input end
      [[0x05, 0x01, 1, 0x05], false], // dangling zrun
    ];
    for (const codec of [createXbzrle("js"), referenceCodec]) {
      for (const [bytes, accepted] of cases) {
        const page = new Uint8Array(PAGE_SIZE);
        const run = () => codec.decode(Uint8Array.from(bytes), old, page);
        if (accepted) run();
        else assert.throws(run, CodecError, `${bytes} should be rejected`);
      }
    }
  });
});

describe("xbzrle fast encoders equal the reference", () => {
  it("on random structured pages, every engine, every interesting limit", () => {
    const codecs = [createXbzrle("wasm-simd"), createXbzrle("js")];
    fc.assert(
      fc.property(pairArb, fc.integer({ min: 0, max: 6200 }), ({ old, page, outRegion }, extra) => {
        const plainOld = old.slice();
        const plainPage = page.slice();
        for (const limit of limitsFor(old, page, extra)) {
          const [expected, bytes] = encodeGuarded(referenceCodec, page, old, limit);
          for (const codec of codecs) {
            // Each placement twice: the second call finds the views already known.
            for (const [p, o, region] of [
              [page, old, undefined],
              [page, old, undefined],
              [page, old, outRegion],
              [page, old, outRegion],
              [plainPage, plainOld, undefined],
              [page, plainOld, outRegion],
              [plainPage, old, outRegion],
            ] as const) {
              const [result, got] = encodeGuarded(codec, p, o, limit, region);
              assert.equal(result, expected, `limit ${limit}`);
              assert.deepEqual(got, bytes);
            }
          }
          // The arena entry point: the same bytes, nothing written at or past the limit.
          const encodeAt = codecs[0].arenaEncoder!(arenaOf(old.buffer)!);
          outRegion.fill(0xc3);
          const result = encodeAt(page.byteOffset, old.byteOffset, outRegion.byteOffset, limit);
          assert.equal(result, expected, `arena, limit ${limit}`);
          assert.deepEqual(outRegion.slice(0, Math.max(result, 0)), bytes);
          for (let i = limit; i < limit + GUARD; i++) assert.equal(outRegion[i], 0xc3);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("round trip: decode(encode(new)) == new, for every page kind", () => {
    const codec = xbzrle.create();
    for (const kind of PAGE_KINDS) {
      const pairs = makePagePairs(kind, 8, 3);
      const out = new Uint8Array(PAGE_SIZE);
      const decoded = new Uint8Array(PAGE_SIZE);
      for (let i = 0; i < pairs.count; i++) {
        const old = pairs.old.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
        const page = pairs.new.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
        const result = codec.encode(page, old, out, PAGE_SIZE);
        assert.equal(result, referenceEncode(page, old, new Uint8Array(PAGE_SIZE), PAGE_SIZE));
        if (result === OVERFLOW) continue;
        codec.decode(out.subarray(0, result), old, decoded);
        assert.deepEqual(decoded, page, `${kind} pair ${i}`);
      }
    }
  });

  it("round trip on random structured pages (and in place)", () => {
    const codec = xbzrle.create();
    fc.assert(
      fc.property(pairArb, ({ old, page }) => {
        const out = new Uint8Array(8192);
        const result = codec.encode(page, old, out, 8192);
        const decoded = new Uint8Array(PAGE_SIZE);
        codec.decode(out.subarray(0, Math.max(result, 0)), old, decoded);
        assert.deepEqual(decoded, page);
        const inPlace = old.slice();
        codec.decode(out.subarray(0, Math.max(result, 0)), inPlace, inPlace);
        assert.deepEqual(inPlace, page);
      }),
      { numRuns: 150 },
    );
  });
});

describe("xbzrle decoder on bad input", () => {
  /** Real encodings, then mutated: bit flips, truncation, insertions, length-byte edits. */
  const streamArb = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc
      .tuple(
        pairArb,
        fc.array(
          fc.record({
            kind: fc.constantFrom("flip", "truncate", "insert", "delete", "set"),
            at: fc.nat(),
            value: fc.integer({ min: 0, max: 255 }),
          }),
          { maxLength: 4 },
        ),
      )
      .map(([{ old, page }, mutations]) => {
        const out = new Uint8Array(8192);
        const n = Math.max(0, referenceEncode(page, old, out, 8192));
        let bytes = Array.from(out.subarray(0, n));
        for (const { kind, at, value } of mutations) {
          const i = bytes.length === 0 ? 0 : at % bytes.length;
          if (kind === "flip" && bytes.length) bytes[i] ^= 1 << (value & 7);
          else if (kind === "truncate") bytes = bytes.slice(0, i);
          else if (kind === "insert") bytes.splice(i, 0, value);
          else if (kind === "delete") bytes.splice(i, 1);
          else if (bytes.length) bytes[i] = value;
        }
        return { old, stream: Uint8Array.from(bytes) };
      }),
  );

  it("throws only CodecError, agrees with the reference on accept/reject and output", () => {
    const codec = xbzrle.create();
    const old = new Uint8Array(PAGE_SIZE).fill(0x11);
    fc.assert(
      fc.property(streamArb, (input) => {
        const stream = input instanceof Uint8Array ? input : input.stream;
        const previous = input instanceof Uint8Array ? old : input.old;
        const outcome = (decode: (page: Uint8Array) => void) => {
          const frame = new Uint8Array(PAGE_SIZE + 64).fill(0xee);
          const page = frame.subarray(32, 32 + PAGE_SIZE);
          try {
            decode(page);
          } catch (error) {
            assert.ok(error instanceof CodecError, `threw ${error}`);
            return "rejected";
          } finally {
            for (let i = 0; i < 32; i++) assert.equal(frame[i], 0xee);
            for (let i = 32 + PAGE_SIZE; i < frame.length; i++) assert.equal(frame[i], 0xee);
          }
          return Array.from(page);
        };
        const fast = outcome((page) => codec.decode(stream, previous, page));
        const reference = outcome((page) => referenceDecode(stream, previous, page));
        assert.deepEqual(fast, reference);
      }),
      { numRuns: 600 },
    );
  });
});

describe("xbzrle arena encoder", () => {
  it("rejects offsets and limits that leave the arena, and binds only on the wasm engine", () => {
    const pages = allocatePages(3 * PAGE_SIZE);
    const arena = arenaOf(pages.buffer)!;
    const encodeAt = createXbzrle("wasm-simd").arenaEncoder!(arena);
    const size = arena.bytes.length;
    assert.equal(encodeAt(PAGE_SIZE, 0, 2 * PAGE_SIZE, PAGE_SIZE), UNCHANGED);
    assert.equal(encodeAt(PAGE_SIZE, 0, 2 * PAGE_SIZE, 1), OVERFLOW);
    assert.equal(encodeAt(PAGE_SIZE, 0, 2 * PAGE_SIZE, -5), OVERFLOW);
    const bad: [number, number, number, number][] = [
      [-1, 0, 2 * PAGE_SIZE, PAGE_SIZE],
      [0, -4096, 2 * PAGE_SIZE, PAGE_SIZE],
      [size - PAGE_SIZE - 15, 0, 2 * PAGE_SIZE, PAGE_SIZE],
      [0, size, 2 * PAGE_SIZE, PAGE_SIZE],
      [0.5, 0, 2 * PAGE_SIZE, PAGE_SIZE],
      [0, 0, size - 100, PAGE_SIZE],
      [0, 0, -1, PAGE_SIZE],
      [0, 0, 2 * PAGE_SIZE, 2.5],
      [Number.NaN, 0, 2 * PAGE_SIZE, PAGE_SIZE],
    ];
    for (const args of bad) {
      assert.throws(() => encodeAt(...args), RangeError, args.join(", "));
    }
    assert.equal(encodeAt(size - PAGE_SIZE - 16, 0, 0, 100) >= -1, true);
    assert.equal(createXbzrle("js").arenaEncoder, undefined);
  });
});

describe("xbzrle plumbing", () => {
  it("is registered, with QEMU's wire sizes", () => {
    const [codec] = resolveCodecs(["xbzrle"]);
    assert.equal(codec, xbzrle);
    assert.ok(codec.usesPrevious && codec.detectsZeroPages && codec.decodesInPlace);
    const instance = codec.create();
    assert.equal(instance.wireBytes(UNCHANGED), 0);
    assert.equal(instance.wireBytes(OVERFLOW), 8 + 4096);
    assert.equal(instance.wireBytes(100), 8 + 1 + 2 + 100);
    assert.equal(instance.encode(new Uint8Array(PAGE_SIZE), null, new Uint8Array(8), 8), OVERFLOW);
  });

  it("runs the WebAssembly SIMD kernel on Node 20", () => {
    assert.equal(defaultXbzrleEngine, "wasm-simd");
  });

  it("the committed kernel is what codecs/xbzrle.wat assembles to", async () => {
    assert.equal(readFileSync(GENERATED_PATH, "utf8"), await generateKernelSource());
  });

  it("page kinds are deterministic and change what they say", () => {
    const expectChanged: Record<string, number> = {
      identical: 0,
      zero: 0,
      stride4: 4,
      "random-1pct": 41,
      "random-25pct": 1024,
      sparse: 48,
      medium: 198,
    };
    for (const kind of PAGE_KINDS) {
      const a = makePagePairs(kind, 3, 7);
      const b = makePagePairs(kind, 3, 7);
      assert.deepEqual(a.new, b.new);
      assert.deepEqual(a.old, b.old);
      for (let p = 0; p < 3; p++) {
        let changed = 0;
        for (let i = p * PAGE_SIZE; i < (p + 1) * PAGE_SIZE; i++) {
          if (a.old[i] !== a.new[i]) changed++;
        }
        if (kind === "random-full") assert.ok(changed > 4000);
        else assert.equal(changed, expectChanged[kind], kind);
      }
    }
    assert.ok(existsSync(GENERATED_PATH));
  });
});
