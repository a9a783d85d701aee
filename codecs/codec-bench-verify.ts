import { arenaOf, type PageArena } from "../lib/page-memory.ts";
import { makePagePairs, type PageKind, type PagePairs, pageViews } from "./page-kinds.ts";
import {
  type ArenaEncode,
  CodecError,
  OVERFLOW,
  PAGE_SIZE,
  type PageCodec,
  UNCHANGED,
} from "./types.ts";

/**
 * The untimed half of `npm run bench:codecs`, after lzbench: the page pairs a kind is measured
 * on, and one encode of every pair, decoded and compared byte for byte, before any timing
 * (codecs/codec-bench.ts times them). A codec with an arena entry point (codecs/types.ts
 * ArenaEncode; xbzrle) is checked to give encode()'s bytes on every pair, since it is the entry
 * point that gets timed.
 */

/** One page kind's pairs, with a view per page made once so timed loops allocate nothing. */
export interface PairSet {
  readonly kind: PageKind;
  readonly count: number;
  readonly oldPages: readonly Uint8Array[];
  readonly newPages: readonly Uint8Array[];
  /** The output buffer timed encodes write into: PagePairs.out, in the pages' memory. */
  readonly out: Uint8Array;
  /** The arena holding the pages and `out` (allocatePages()), or undefined (a plain buffer). */
  readonly arena: PageArena | undefined;
  /** Pair i's old and new pages start at oldAt / newAt + i * PAGE_SIZE in `arena`. */
  readonly oldAt: number;
  readonly newAt: number;
}

/** A PairSet over pages laid out as PagePairs (in an arena or not). */
export function pairSetOf(kind: PageKind, pairs: PagePairs): PairSet {
  const { buffer } = pairs.old;
  const shared = pairs.new.buffer === buffer && pairs.out.buffer === buffer;
  return {
    kind,
    count: pairs.count,
    oldPages: pageViews(pairs.old),
    newPages: pageViews(pairs.new),
    out: pairs.out,
    arena: shared ? arenaOf(buffer) : undefined,
    oldAt: pairs.old.byteOffset,
    newAt: pairs.new.byteOffset,
  };
}

export function makePairSet(kind: PageKind, count: number, seed: number): PairSet {
  return pairSetOf(kind, makePagePairs(kind, count, seed));
}

/** The codec's arena entry point on the set's memory, when both exist. */
export function arenaEncoderFor(codec: PageCodec, set: PairSet): ArenaEncode | undefined {
  return set.arena && codec.arenaEncoder?.(set.arena);
}

/** Every pair encoded once, kept for the timed decode. */
export interface EncodedSet {
  /** encode()'s result per pair: n > 0, UNCHANGED or OVERFLOW. */
  readonly results: Int32Array;
  /** The encoded bytes per pair (an empty view unless the result is > 0). */
  readonly encoded: readonly Uint8Array[];
  /** Σ encoded size, counting n for n > 0, 0 for unchanged and 4096 for overflow. */
  readonly encodedBytes: number;
  readonly overflowPages: number;
  readonly unchangedPages: number;
}

/** A decoded page that is not the page encoded: lzbench's loud failure. */
export class VerificationError extends Error {
  override readonly name = "VerificationError";
  constructor(
    readonly codec: string,
    readonly kind: string,
    readonly pair: number,
    readonly detail: string,
  ) {
    super(`${codec} on ${kind}, pair ${pair}: ${detail}`);
  }
}

/**
 * Encode every pair with limit 4096 (QEMU's dlen), decode each encoded page and compare it
 * byte for byte with the page that was encoded. An UNCHANGED claim is checked against the
 * pages, and an arena entry point against encode(). Throws VerificationError on the first
 * mismatch (or decoder error on its own output).
 */
export function encodeAndVerify(codecName: string, codec: PageCodec, set: PairSet): EncodedSet {
  const encodeAt = arenaEncoderFor(codec, set);
  const storage = new Uint8Array(set.count * PAGE_SIZE);
  const results = new Int32Array(set.count);
  const encoded: Uint8Array[] = [];
  const decoded = new Uint8Array(PAGE_SIZE);
  let encodedBytes = 0;
  let overflowPages = 0;
  let unchangedPages = 0;
  for (let i = 0; i < set.count; i++) {
    const out = storage.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    const page = set.newPages[i];
    const previous = set.oldPages[i];
    const result = codec.encode(page, previous, out, PAGE_SIZE);
    results[i] = result;
    if (encodeAt) {
      const at = i * PAGE_SIZE;
      const atResult = encodeAt(set.newAt + at, set.oldAt + at, set.out.byteOffset, PAGE_SIZE);
      const same =
        atResult === result && (result <= 0 || firstDifferenceIn(set.out, out, result) < 0);
      if (!same) {
        throw new VerificationError(
          codecName,
          set.kind,
          i,
          `the arena entry point gives ${atResult} where encode() gives ${result}, or other bytes`,
        );
      }
    }
    if (result === OVERFLOW) {
      overflowPages++;
      encodedBytes += PAGE_SIZE;
      encoded.push(out.subarray(0, 0));
      continue;
    }
    if (result === UNCHANGED) {
      const at = firstDifference(page, previous);
      if (at >= 0) {
        throw new VerificationError(
          codecName,
          set.kind,
          i,
          `encode said unchanged, but the pages differ at byte ${at}`,
        );
      }
      unchangedPages++;
      encoded.push(out.subarray(0, 0));
      continue;
    }
    if (!Number.isInteger(result) || result < 0 || result > PAGE_SIZE) {
      throw new VerificationError(codecName, set.kind, i, `encode returned ${result}`);
    }
    const view = out.subarray(0, result);
    encoded.push(view);
    encodedBytes += result;
    decoded.fill(0);
    try {
      codec.decode(view, previous, decoded);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      throw new VerificationError(codecName, set.kind, i, `decode rejected it: ${error.message}`);
    }
    const at = firstDifference(decoded, page);
    if (at >= 0) {
      throw new VerificationError(
        codecName,
        set.kind,
        i,
        `the decoded page differs from the encoded one at byte ${at}`,
      );
    }
  }
  return { results, encoded, encodedBytes, overflowPages, unchangedPages };
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  return firstDifferenceIn(a, b, PAGE_SIZE);
}

function firstDifferenceIn(a: Uint8Array, b: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
