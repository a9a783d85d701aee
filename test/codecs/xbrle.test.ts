import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CodecError, PAGE_HEADER_BYTES } from "../../codecs/types.ts";
import {
  SAMPLE_POSITIONS,
  XBRLE_SAMPLE_COUNT,
  XBRLE_SAMPLE_GIVE_UP,
  xbrle,
  xbrleSampleGivesUp,
} from "../../codecs/xbrle.ts";
import {
  assertOnlyCodecError,
  assertRoundTrip,
  fewChangePair,
  PAGE,
  pageAt,
  randomPair,
} from "./roundtrip-helpers.ts";

/**
 * A plain reference of the prototype's rle_encode over the XOR (aidanshribman/qemu-kvm
 * arch_init.c): maximal runs of one XOR value, at most 255 long, as (count, value) pairs.
 */
function referenceCode(old: Uint8Array, next: Uint8Array): number[] {
  const code: number[] = [];
  let value = old[0] ^ next[0];
  let run = 1;
  for (let i = 1; i < PAGE; i++) {
    const x = old[i] ^ next[i];
    if (x === value && run < 255) run++;
    else {
      code.push(run, value);
      value = x;
      run = 1;
    }
  }
  code.push(run, value);
  return code;
}

function sampled(position: number): boolean {
  return SAMPLE_POSITIONS.includes(position);
}

/**
 * An XOR page with exactly `runs` runs (each ≤ 255 long): sampled positions are 0, every other
 * stretch between them is split into as many runs as needed, values alternating 1 and 2.
 */
function xorWithRuns(runs: number): Uint8Array {
  const stretches: [number, number][] = [];
  let zeroRuns = 0;
  for (let i = 0; i < PAGE; ) {
    if (sampled(i)) {
      zeroRuns++;
      while (i < PAGE && sampled(i)) i++;
    } else {
      const start = i;
      while (i < PAGE && !sampled(i)) i++;
      stretches.push([start, i - start]);
    }
  }
  let excess = zeroRuns + stretches.reduce((sum, [, length]) => sum + length, 0) - runs;
  const x = new Uint8Array(PAGE);
  for (const [start, length] of stretches) {
    const cut = Math.min(excess, length - Math.ceil(length / 255));
    excess -= cut;
    const count = length - cut;
    for (let r = 0; r < count; r++) {
      const from = start + Math.floor((r * length) / count);
      const to = start + Math.floor(((r + 1) * length) / count);
      x.fill(1 + (r % 2), from, to);
    }
  }
  assert.equal(excess, 0);
  return x;
}

/** XOR pattern → (old = zeros, new = pattern) pair. */
function pairFromXor(x: Uint8Array): { old: Uint8Array; next: Uint8Array } {
  return { old: pageAt(new Uint8Array(PAGE)), next: pageAt(x) };
}

function encode(old: Uint8Array, next: Uint8Array, limit = PAGE): number[] | number {
  const out = new Uint8Array(Math.max(limit, PAGE * 2));
  const result = xbrle.create().encode(next, old, out, limit);
  return result > 0 ? [...out.subarray(0, result)] : result;
}

describe("xbrle (2011 patch variant)", () => {
  it("samples 40 fixed, distinct, sorted positions", () => {
    assert.equal(SAMPLE_POSITIONS.length, XBRLE_SAMPLE_COUNT);
    assert.equal(new Set(SAMPLE_POSITIONS).size, 40);
    for (let i = 1; i < 40; i++) assert.ok(SAMPLE_POSITIONS[i - 1] < SAMPLE_POSITIONS[i]);
    assert.ok(SAMPLE_POSITIONS[39] < PAGE);
  });

  it("encodes hand-computed cases exactly", () => {
    // new[0] ^= 5 on a zero page: (1,05), then 4095 zero bytes = 16 × (255,00) + (15,00).
    const one = new Uint8Array(PAGE);
    one[0] = 5;
    assert.deepEqual(encode(new Uint8Array(PAGE), one), [
      1,
      5,
      ...Array.from({ length: 16 }, () => [255, 0]).flat(),
      15,
      0,
    ]);
    // Last byte changed on a random-looking page: 4095 zeros = 16 × (255,0) + (15,0), then (1,AA).
    const old = new Uint8Array(PAGE).map((_, i) => (i * 37 + 11) & 0xff);
    const next = Uint8Array.from(old);
    next[PAGE - 1] ^= 0xaa;
    assert.deepEqual(encode(pageAt(old), pageAt(next)), [
      ...Array.from({ length: 16 }, () => [255, 0]).flat(),
      15,
      0,
      1,
      0xaa,
    ]);
    // Bytes 100..399 XOR 0x01: (100,0) (255,1) (45,1), then 3696 zeros = 14 × (255,0) + (126,0).
    const x = new Uint8Array(PAGE);
    x.fill(1, 100, 400);
    const { old: o, next: n } = pairFromXor(x);
    assert.deepEqual(encode(o, n), [
      100,
      0,
      255,
      1,
      45,
      1,
      ...Array.from({ length: 14 }, () => [255, 0]).flat(),
      126,
      0,
    ]);
  });

  it("returns UNCHANGED for an identical page and OVERFLOW without a cached copy", () => {
    const page = pageAt(new Uint8Array(PAGE).map((_, i) => i & 0xff));
    const codec = xbrle.create();
    const out = new Uint8Array(PAGE);
    assert.equal(codec.encode(page, pageAt(page), out, PAGE), 0);
    assert.equal(codec.encode(page, null, out, PAGE), -1);
    assert.equal(codec.wireBytes(0), 0);
    assert.equal(codec.wireBytes(-1), PAGE_HEADER_BYTES + PAGE);
    assert.equal(codec.wireBytes(36), 8 + 3 + 36);
  });

  it("gives up when 12 of the 40 samples differ, not when 11 do", () => {
    for (const [changed, givesUp] of [
      [11, false],
      [12, true],
    ] as const) {
      const x = new Uint8Array(PAGE);
      for (let s = 0; s < changed; s++) x[SAMPLE_POSITIONS[s]] = 0x80;
      const { old, next } = pairFromXor(x);
      assert.equal(xbrleSampleGivesUp(next, old), givesUp);
      const result = encode(old, next);
      if (givesUp) assert.equal(result, -1);
      else assert.deepEqual(result, referenceCode(old, next));
    }
    assert.equal(XBRLE_SAMPLE_GIVE_UP, 12);
  });

  it("gives up when the code would exceed the limit, and accepts a code of exactly the limit", () => {
    // XORs whose code is exactly 4096 bytes (2048 runs) and 4098 bytes (2049 runs), with every
    // sampled byte unchanged so that only the size rule can give up.
    const x = xorWithRuns(PAGE / 2);
    const zero = new Uint8Array(PAGE);
    assert.equal(referenceCode(zero, x).length, PAGE);
    const { old, next } = pairFromXor(x);
    assert.deepEqual(encode(old, next), referenceCode(old, next));
    assert.equal(encode(old, next, PAGE - 1), -1);
    const bigger = pairFromXor(xorWithRuns(PAGE / 2 + 1));
    assert.equal(referenceCode(bigger.old, bigger.next).length, PAGE + 2);
    assert.equal(encode(bigger.old, bigger.next), -1);
    assert.equal(
      assertRoundTrip(xbrle.create(), bigger.old, bigger.next, true, 2 * PAGE),
      PAGE + 2,
    );
  });

  it("round-trips few-change pages and matches the reference code whenever it encodes", () => {
    const codec = xbrle.create();
    fc.assert(
      fc.property(fewChangePair, ({ old, next }) => {
        const result = assertRoundTrip(codec, old, next, true);
        if (result > 0) {
          const out = new Uint8Array(PAGE);
          codec.encode(next, old, out, PAGE);
          assert.deepEqual([...out.subarray(0, result)], referenceCode(old, next));
        }
        if (result === -1) {
          assert.ok(xbrleSampleGivesUp(next, old) || referenceCode(old, next).length > PAGE);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("round-trips random pages (mostly given up by the sample)", () => {
    const codec = xbrle.create();
    fc.assert(
      fc.property(randomPair, ({ old, next }) => {
        assertRoundTrip(codec, old, next, true);
      }),
      { numRuns: 30 },
    );
  });

  it("decoder rejects malformed codes with CodecError only, before writing", () => {
    const codec = xbrle.create();
    const previous = pageAt(new Uint8Array(PAGE).fill(7));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        assertOnlyCodecError(codec, bytes, previous);
      }),
      { numRuns: 300 },
    );
    const x = new Uint8Array(PAGE);
    x.fill(3, 10, 20);
    const { old, next } = pairFromXor(x);
    const valid = Uint8Array.from(encode(old, next) as number[]);
    assert.equal(assertOnlyCodecError(codec, valid, old), "ok");
    for (let cut = 0; cut < valid.length; cut++) {
      assert.equal(assertOnlyCodecError(codec, valid.subarray(0, cut), old), "rejected");
    }
    const zeroCount = Uint8Array.from(valid);
    zeroCount[0] = 0;
    assert.throws(() => codec.decode(zeroCount, old, new Uint8Array(PAGE)), CodecError);
    const tooLong = Uint8Array.from([...valid, 1, 0]);
    assert.throws(() => codec.decode(tooLong, old, new Uint8Array(PAGE)), CodecError);
    assert.throws(() => codec.decode(valid, null, new Uint8Array(PAGE)), CodecError);
    // A rejected code leaves the target page untouched.
    const target = new Uint8Array(PAGE).fill(9);
    assert.throws(() => codec.decode(tooLong, old, target), CodecError);
    assert.ok(target.every((b) => b === 9));
  });
});
