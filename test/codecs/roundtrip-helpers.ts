import assert from "node:assert/strict";
import fc from "fast-check";
import { CodecError, type PageCodec } from "../../codecs/types.ts";
import { Prng } from "../../lib/prng.ts";

/** Helpers shared by the xbrle, xbrle-2010 and general-codec tests. */
export const PAGE = 4096;

/** A page-sized view at `offset` bytes into a fresh buffer, with guard bytes on both sides. */
export function guardedPage(offset = 16): { page: Uint8Array; guardsIntact: () => boolean } {
  const buffer = new Uint8Array(PAGE + offset + 16).fill(0xa5);
  const page = buffer.subarray(offset, offset + PAGE);
  return {
    page,
    guardsIntact: () =>
      buffer.subarray(0, offset).every((b) => b === 0xa5) &&
      buffer.subarray(offset + PAGE).every((b) => b === 0xa5),
  };
}

/** A copy of `bytes` as a page view at `offset` (0 = aligned, 1 = unaligned) of a new buffer. */
export function pageAt(bytes: Uint8Array, offset = 0): Uint8Array {
  const page = new Uint8Array(PAGE + offset + 8).subarray(offset, offset + PAGE);
  page.set(bytes);
  return page;
}

/** One changed area: `length` bytes at `start`, XORed with `mask` (non-zero). */
export interface Change {
  start: number;
  length: number;
  mask: number;
}

/** A random old page and a new page made from it by a few structured changes. */
export const fewChangePair = fc
  .record({
    seed: fc.integer(),
    zeroOld: fc.boolean(),
    changes: fc.array(
      fc.record({
        start: fc.integer({ min: 0, max: PAGE - 1 }),
        length: fc.integer({ min: 1, max: 300 }),
        mask: fc.integer({ min: 1, max: 255 }),
      }),
      { maxLength: 8 },
    ),
    offset: fc.constantFrom(0, 0, 4, 1),
  })
  .map(({ seed, zeroOld, changes, offset }) => {
    const base = zeroOld ? new Uint8Array(PAGE) : randomPage(seed);
    const next = Uint8Array.from(base);
    for (const { start, length, mask } of changes) {
      for (let i = start; i < Math.min(PAGE, start + length); i++) next[i] ^= mask;
    }
    return { old: pageAt(base, offset), next: pageAt(next, offset), offset };
  });

/**
 * A uniformly random page from a seed. (fast-check's own uint8Array arbitrary is biased toward
 * small and repeated values, and slow at 4096 bytes; the seed is what it shrinks.)
 */
export function randomPage(seed: number): Uint8Array {
  const page = new Uint8Array(PAGE);
  new Prng(seed).fill(page);
  return page;
}

/** Two unrelated random pages. */
export const randomPair = fc.integer().map((seed) => ({
  old: pageAt(randomPage(seed)),
  next: pageAt(randomPage(seed ^ 0x5bd1e995)),
  offset: 0,
}));

/**
 * Encode (limit 4096) and check the codec's contract: UNCHANGED only for equal pages, OVERFLOW
 * allowed, otherwise the decode onto `old` rebuilds `next` exactly, into a guarded page and in
 * place when the codec allows it. Returns encode's result.
 */
export function assertRoundTrip(
  codec: PageCodec,
  old: Uint8Array | null,
  next: Uint8Array,
  decodesInPlace: boolean,
  limit = PAGE,
): number {
  const out = new Uint8Array(Math.max(limit, 1) + 64);
  const result = codec.encode(next, old, out, limit);
  if (result === 0) {
    assert.ok(old !== null && Buffer.compare(old, next) === 0, "UNCHANGED for different pages");
    return result;
  }
  if (result === -1) return result;
  assert.ok(result > 0 && result <= limit, `encode returned ${result}`);
  const encoded = out.slice(0, result);
  const { page, guardsIntact } = guardedPage();
  codec.decode(encoded, old, page);
  assert.ok(guardsIntact(), "decode wrote outside the page");
  assert.deepEqual(page, next);
  if (decodesInPlace && old !== null) {
    const inPlace = pageAt(old);
    codec.decode(encoded, inPlace, inPlace);
    assert.deepEqual(inPlace, next);
  }
  return result;
}

/** decode() must succeed or throw CodecError, and never write outside the page. */
export function assertOnlyCodecError(
  codec: PageCodec,
  encoded: Uint8Array,
  previous: Uint8Array | null,
): "ok" | "rejected" {
  const { page, guardsIntact } = guardedPage();
  try {
    codec.decode(encoded, previous, page);
    return "ok";
  } catch (error) {
    assert.ok(error instanceof CodecError, `threw ${String(error)}, not a CodecError`);
    return "rejected";
  } finally {
    assert.ok(guardsIntact(), "decode wrote outside the page");
  }
}
