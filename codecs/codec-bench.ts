import { Bench } from "tinybench";
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
 * The measuring core of `npm run bench:codecs` (codecs/bench.ts is the command around it),
 * after lzbench: encode every page pair once and decode-and-compare it (outside any timing),
 * then time encode and decode with tinybench over all the pairs, so 64 MiB of old pages and
 * 64 MiB of new ones stream through the caches instead of one hot page. A codec with an arena
 * entry point (codecs/types.ts ArenaEncode; xbzrle) is timed through it, on page offsets, as
 * the simulator calls it; encodeAndVerify() checks it gives encode()'s bytes on every pair.
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
  return { results, encoded, encodedBytes, overflowPages };
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  return firstDifferenceIn(a, b, PAGE_SIZE);
}

function firstDifferenceIn(a: Uint8Array, b: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

export interface TimingOptions {
  /** tinybench time budget per task, ms. */
  readonly timeMs: number;
  /** Pairs per timed iteration. */
  readonly batch: number;
}

export interface Rate {
  /** GB/s of page input (10^9 bytes/s). */
  readonly gbps: number;
  /** tinybench's relative margin of error of the mean iteration time, %. */
  readonly rmePercent: number;
  readonly samples: number;
}

// Results land here so the JIT cannot drop the work being timed.
let sink = 0;

/**
 * Time `work(first, n)` — which must process pairs first, first+1, ... (mod count) — with
 * tinybench. Each iteration takes the next `batch` pairs, wrapping around, and the minimum
 * iteration count covers every pair at least once.
 */
export function timePairs(
  name: string,
  count: number,
  options: TimingOptions,
  work: (first: number, n: number) => number,
): Rate {
  const batch = Math.min(options.batch, count);
  const iterationsForAllPairs = Math.ceil(count / batch);
  let cursor = 0;
  const bench = new Bench({
    time: options.timeMs,
    iterations: iterationsForAllPairs,
    warmupTime: Math.min(100, options.timeMs / 5),
    warmupIterations: Math.max(1, Math.ceil(iterationsForAllPairs / 8)),
    throws: true,
  });
  bench.add(name, () => {
    sink ^= work(cursor, batch);
    cursor = (cursor + batch) % count;
  });
  const [task] = bench.runSync();
  const result = task.result;
  if (result.state !== "completed") {
    const reason = result.state === "errored" ? result.error.message : result.state;
    throw new Error(`tinybench task ${name} did not complete: ${reason}`);
  }
  // The median iteration, not the mean: on a shared machine a few descheduled iterations
  // drag the mean down by tens of percent, while the median moves by a few.
  const seconds = result.latency.p50 / 1000;
  return {
    gbps: seconds > 0 ? (batch * PAGE_SIZE) / seconds / 1e9 : Number.POSITIVE_INFINITY,
    rmePercent: result.latency.rme,
    samples: result.latency.samplesCount,
  };
}

/**
 * Timed encode: every pair against its old page, limit 4096, into one scratch buffer; through
 * the codec's arena entry point when it has one.
 */
export function timeEncode(
  name: string,
  codec: PageCodec,
  set: PairSet,
  options: TimingOptions,
): Rate {
  const { oldPages, newPages, count, out } = set;
  const encodeAt = arenaEncoderFor(codec, set);
  if (encodeAt) {
    const { oldAt, newAt } = set;
    const outAt = out.byteOffset;
    return timePairs(name, count, options, (first, n) => {
      let acc = 0;
      let at = first * PAGE_SIZE;
      for (let k = 0; k < n; k++) {
        acc += encodeAt(newAt + at, oldAt + at, outAt, PAGE_SIZE);
        at += PAGE_SIZE;
        if (at === count * PAGE_SIZE) at = 0;
      }
      return acc;
    });
  }
  return timePairs(name, count, options, (first, n) => {
    let acc = 0;
    let i = first;
    for (let k = 0; k < n; k++) {
      acc += codec.encode(newPages[i], oldPages[i], out, PAGE_SIZE);
      if (++i === count) i = 0;
    }
    return acc;
  });
}

/**
 * Timed decode, as the receiver sees each page: an encoded page is decoded onto its old copy,
 * an overflowed one arrives raw (a 4096-byte copy), an unchanged one costs nothing.
 */
export function timeDecode(
  name: string,
  codec: PageCodec,
  set: PairSet,
  encodedSet: EncodedSet,
  options: TimingOptions,
): Rate {
  const page = new Uint8Array(PAGE_SIZE);
  const { oldPages, newPages, count } = set;
  const { results, encoded } = encodedSet;
  return timePairs(name, count, options, (first, n) => {
    let i = first;
    for (let k = 0; k < n; k++) {
      const result = results[i];
      if (result > 0) codec.decode(encoded[i], oldPages[i], page);
      else if (result === OVERFLOW) page.set(newPages[i]);
      if (++i === count) i = 0;
    }
    return page[0];
  });
}

/** lzbench's baseline row: encode and decode are plain 4096-byte copies. */
export const memcpyCodec: PageCodec = {
  name: "memcpy",
  encode(page, _previous, out) {
    out.set(page);
    return PAGE_SIZE;
  },
  decode(encoded, _previous, page) {
    page.set(encoded);
  },
  wireBytes: () => PAGE_SIZE,
};

/** One table/JSON row. */
export interface BenchRow {
  codec: string;
  kind: string;
  encodeGBps: number;
  decodeGBps: number;
  encodedPercent: number;
  overflowPercent: number;
}

export interface MeasuredRow {
  readonly row: BenchRow;
  readonly encode: Rate;
  readonly decode: Rate;
}

/** Verify, then time encode and decode, for one codec on one kind. */
export function measure(
  codecName: string,
  codec: PageCodec,
  set: PairSet,
  options: TimingOptions,
): MeasuredRow {
  const encodedSet = encodeAndVerify(codecName, codec, set);
  const encode = timeEncode(`${codecName} encode ${set.kind}`, codec, set, options);
  const decode = timeDecode(`${codecName} decode ${set.kind}`, codec, set, encodedSet, options);
  const pageBytes = set.count * PAGE_SIZE;
  return {
    row: {
      codec: codecName,
      kind: set.kind,
      encodeGBps: encode.gbps,
      decodeGBps: decode.gbps,
      encodedPercent: (100 * encodedSet.encodedBytes) / pageBytes,
      overflowPercent: (100 * encodedSet.overflowPages) / set.count,
    },
    encode,
    decode,
  };
}

/** Read `sink` so it is observably used (and the linter agrees). */
export function benchSink(): number {
  return sink;
}
