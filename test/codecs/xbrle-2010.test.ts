import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CodecError } from "../../codecs/types.ts";
import {
  XBRLE2010_MAX_CODE,
  XBRLE2010_PROBE_BYTES,
  XBRLE2010_PROBE_GIVE_UP,
  xbrle2010,
  xbrle2010ProbeGivesUp,
} from "../../codecs/xbrle-2010.ts";
import {
  assertOnlyCodecError,
  assertRoundTrip,
  fewChangePair,
  PAGE,
  pageAt,
  randomPair,
} from "./roundtrip-helpers.ts";

/**
 * A plain reference of the 2010 RLE over the XOR: a run of k equal bytes v is `v` (k = 1) or
 * `v v (k−2)`, runs split into chunks of at most 257 (DESIGN.md §2).
 */
function referenceCode(old: Uint8Array, next: Uint8Array): number[] {
  const code: number[] = [];
  for (let i = 0; i < PAGE; ) {
    const value = old[i] ^ next[i];
    let j = i + 1;
    while (j < PAGE && j - i < 257 && (old[j] ^ next[j]) === value) j++;
    if (j - i === 1) code.push(value);
    else code.push(value, value, j - i - 2);
    i = j;
  }
  return code;
}

function pairFromXor(x: Uint8Array): { old: Uint8Array; next: Uint8Array } {
  return { old: pageAt(new Uint8Array(PAGE)), next: pageAt(x) };
}

function encode(old: Uint8Array, next: Uint8Array, limit = PAGE): number[] | number {
  const out = new Uint8Array(PAGE * 2);
  const result = xbrle2010.create().encode(next, old, out, limit);
  return result > 0 ? [...out.subarray(0, result)] : result;
}

const zeroChunks = (count: number) => Array.from({ length: count }, () => [0, 0, 255]).flat();

/** Fill x[from..) with `units` runs of 2 then `singles` runs of 1, neighbours always differing. */
function fillUnits(x: Uint8Array, from: number, units: number, singles: number): number {
  let at = from;
  let value = 1;
  for (let u = 0; u < units; u++, at += 2) {
    x[at] = x[at + 1] = value;
    value = value === 3 ? 1 : value + 1;
  }
  for (let s = 0; s < singles; s++, at++) {
    x[at] = value;
    value = value === 3 ? 1 : value + 1;
  }
  return at;
}

describe("xbrle-2010 (Aug 2010 prototype variant)", () => {
  it("encodes hand-computed cases exactly", () => {
    // 05, then 4095 zeros = 15 chunks of 257 (00 00 FF) + 240 (00 00 EE).
    const a = new Uint8Array(PAGE);
    a[0] = 5;
    const pa = pairFromXor(a);
    assert.deepEqual(encode(pa.old, pa.next), [5, ...zeroChunks(15), 0, 0, 238]);
    // 05 05 (a run of 2: 05 05 00), then 4094 zeros = 15 × 257 + 239 (00 00 ED).
    const b = new Uint8Array(PAGE);
    b[0] = b[1] = 5;
    const pb = pairFromXor(b);
    assert.deepEqual(encode(pb.old, pb.next), [5, 5, 0, ...zeroChunks(15), 0, 0, 237]);
    // 01 02 then zeros: two literals, then 4094 zeros.
    const c = new Uint8Array(PAGE);
    c[0] = 1;
    c[1] = 2;
    const pc = pairFromXor(c);
    assert.deepEqual(encode(pc.old, pc.next), [1, 2, ...zeroChunks(15), 0, 0, 237]);
    // 258 × 07: a full chunk (07 07 FF) then a fresh literal 07; 3838 zeros = 14 × 257 + 240.
    const d = new Uint8Array(PAGE);
    d.fill(7, 0, 258);
    const pd = pairFromXor(d);
    assert.deepEqual(encode(pd.old, pd.next), [7, 7, 255, 7, ...zeroChunks(14), 0, 0, 238]);
  });

  it("returns UNCHANGED for an identical page and OVERFLOW without a cached copy", () => {
    const page = pageAt(new Uint8Array(PAGE).map((_, i) => i & 0xff));
    const codec = xbrle2010.create();
    const out = new Uint8Array(PAGE);
    assert.equal(codec.encode(page, pageAt(page), out, PAGE), 0);
    assert.equal(codec.encode(page, null, out, PAGE), -1);
    assert.equal(codec.wireBytes(49), 8 + 3 + 49);
  });

  it("gives up when more than 30 % of the first 37.5 % differ (461 of 1536), not at 460", () => {
    assert.equal(XBRLE2010_PROBE_BYTES, 1536);
    assert.equal(XBRLE2010_PROBE_GIVE_UP, 461);
    for (const [changed, givesUp] of [
      [460, false],
      [461, true],
    ] as const) {
      const x = new Uint8Array(PAGE);
      for (let k = 0; k < changed; k++) x[3 * k] = 9; // spread over the first 1383 bytes
      x.fill(4, 2000, 4000); // changes after the probe do not count
      const { old, next } = pairFromXor(x);
      assert.equal(xbrle2010ProbeGivesUp(next, old), givesUp);
      const result = encode(old, next);
      if (givesUp) assert.equal(result, -1);
      else assert.deepEqual(result, referenceCode(old, next));
    }
  });

  it("gives up when the code with its 3-byte header reaches the page size (code ≥ 4093)", () => {
    assert.equal(XBRLE2010_MAX_CODE, 4092);
    // Probe part: 230 runs of 2 (460 changed bytes → 690 code bytes), then 1076 zeros
    // (4 × 257 + 48 → 15 code bytes). The rest, 2560 bytes: u runs of 2 and 2560 − 2u singles
    // → 2560 + u code bytes. Total 3265 + u: u = 827 → 4092 (sent), u = 828 → 4093 (given up).
    for (const [units, expected] of [
      [827, 4092],
      [828, 4093],
    ] as const) {
      const x = new Uint8Array(PAGE);
      fillUnits(x, 0, 230, 0);
      assert.equal(fillUnits(x, 1536, units, 2560 - 2 * units), PAGE);
      const { old, next } = pairFromXor(x);
      assert.equal(referenceCode(old, next).length, expected);
      const result = encode(old, next, 2 * PAGE);
      if (expected <= 4092) assert.deepEqual(result, referenceCode(old, next));
      else assert.equal(result, -1);
    }
    // The caller's limit applies too.
    const x = new Uint8Array(PAGE);
    x[0] = 1;
    const { old, next } = pairFromXor(x);
    assert.equal(encode(old, next, 48), -1);
    assert.equal((encode(old, next, 49) as number[]).length, 49);
  });

  it("round-trips few-change pages and matches the reference code whenever it encodes", () => {
    const codec = xbrle2010.create();
    fc.assert(
      fc.property(fewChangePair, ({ old, next }) => {
        const result = assertRoundTrip(codec, old, next, true);
        const reference = referenceCode(old, next);
        if (result > 0) {
          const out = new Uint8Array(PAGE);
          codec.encode(next, old, out, PAGE);
          assert.deepEqual([...out.subarray(0, result)], reference);
        } else if (result === -1) {
          assert.ok(xbrle2010ProbeGivesUp(next, old) || reference.length > XBRLE2010_MAX_CODE);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("round-trips random pages (given up by the probe)", () => {
    const codec = xbrle2010.create();
    fc.assert(
      fc.property(randomPair, ({ old, next }) => {
        assert.equal(assertRoundTrip(codec, old, next, true), -1);
      }),
      { numRuns: 20 },
    );
  });

  it("decoder rejects malformed codes with CodecError only, before writing", () => {
    const codec = xbrle2010.create();
    const previous = pageAt(new Uint8Array(PAGE).fill(7));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        assertOnlyCodecError(codec, bytes, previous);
      }),
      { numRuns: 300 },
    );
    const x = new Uint8Array(PAGE);
    x.fill(3, 10, 20);
    x[30] = 1;
    const { old, next } = pairFromXor(x);
    const valid = Uint8Array.from(encode(old, next) as number[]);
    assert.equal(assertOnlyCodecError(codec, valid, old), "ok");
    for (let cut = 0; cut < valid.length; cut++) {
      assert.equal(assertOnlyCodecError(codec, valid.subarray(0, cut), old), "rejected");
    }
    // A repeated byte with no count after it; trailing bytes after the page is full.
    assert.throws(
      () => codec.decode(Uint8Array.from([0, 0]), old, new Uint8Array(PAGE)),
      CodecError,
    );
    const tooLong = Uint8Array.from([...valid, 1]);
    const target = new Uint8Array(PAGE).fill(9);
    assert.throws(() => codec.decode(tooLong, old, target), CodecError);
    assert.ok(target.every((b) => b === 9));
    assert.throws(() => codec.decode(valid, null, new Uint8Array(PAGE)), CodecError);
  });
});
