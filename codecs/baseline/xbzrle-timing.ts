import { arenaEncoderFor, encodeAndVerify, pairSetOf } from "../codec-bench-verify.ts";
import { type PageKind, type PagePairs, pageViews } from "../page-kinds.ts";
import { PAGE_SIZE, type PageCodec, UNCHANGED } from "../types.ts";
import { createXbzrle, type XbzrleEngine } from "../xbzrle.ts";

/**
 * Times migbench's xbzrle the way codecs/baseline/harness.c times the C baseline, one pass at a
 * time, so that run.ts can alternate the two sides' passes: an encode pass encodes `passPages`
 * pages (limit 4096, one reused output buffer), going round the pairs as often as needed; a
 * decode pass decodes in place onto a copy of the old pages (QEMU's receiver decodes onto the
 * guest page) for the pages that produced a delta. Page views are made before timing, so a pass
 * measures the codec, not view allocation. Time is wall time (performance.now()); callers keep
 * the fastest pass, which drops passes another process interrupted.
 */
export interface XbzrlePasses {
  /** Seconds for one encode pass over `passPages` pages. */
  encode(): number;
  /**
   * Same, through the codec's arena entry point (codecs/types.ts ArenaEncode): pages named by
   * offset, as the C harness names them by pointer. Null where the pages are not in an arena or
   * the engine has none.
   */
  readonly encodeAt: (() => number) | null;
  /** Seconds for one in-place decode pass, or null when no page produced a delta. */
  decode(): number | null;
  /** Same, decoding into a separate page (page !== previous: adds the 4 KiB copy). */
  decodeCopy(): number | null;
  /** Page bytes one decode pass rebuilds (4096 per decoded page visited). */
  readonly decodedBytesPerPass: number;
  /** Throws unless every in-place decoded page equals its new page. */
  verify(): void;
  /** Totals of one encode of every pair, to check against the C side's. */
  readonly totals: { encodedBytes: number; overflows: number; unchanged: number };
}

/** Where the pages live: in a wasm-visible arena (zero copy) or in plain JS buffers. */
export type PagePlacement = "arena" | "plain";

export function xbzrlePasses(
  kind: PageKind,
  pairs: PagePairs,
  engine: XbzrleEngine,
  placement: PagePlacement,
  passPages: number,
): XbzrlePasses {
  const count = pairs.count;
  const set = pairSetOf(
    kind,
    placement === "arena"
      ? pairs
      : {
          count,
          old: new Uint8Array(pairs.old),
          new: new Uint8Array(pairs.new),
          out: new Uint8Array(PAGE_SIZE),
        },
  );
  const { oldPages: olds, newPages: news, out } = set;
  const codec: PageCodec = createXbzrle(engine);
  // Encode every pair once, decode and compare it, and check the arena entry point against
  // encode() (codec-bench-verify.ts encodeAndVerify): the passes below reuse the deltas.
  const { results, encoded } = encodeAndVerify("xbzrle", codec, set);
  const deltas = encoded.map((delta, i) => (results[i] > 0 ? delta : null));
  const totals = { encodedBytes: 0, overflows: 0, unchanged: 0 };
  let decodedPages = 0;
  for (let i = 0; i < count; i++) {
    const n = results[i];
    if (n > 0) {
      decodedPages++;
      totals.encodedBytes += n;
    } else if (n === UNCHANGED) totals.unchanged++;
    else totals.overflows++;
  }
  const targets = pageViews(new Uint8Array(pairs.old)); // decoded in place, onto the old pages
  const decodedPerPass = Math.floor(passPages / count) * decodedPages;
  const scratch = new Uint8Array(PAGE_SIZE);
  let sink = 0;

  function decodePass(inPlace: boolean): number | null {
    if (decodedPages === 0) return null;
    const start = performance.now();
    for (let done = 0, i = 0; done < passPages; done++) {
      const delta = deltas[i];
      if (delta !== null) {
        if (inPlace) codec.decode(delta, targets[i], targets[i]);
        else codec.decode(delta, olds[i], scratch);
      }
      if (++i === count) i = 0;
    }
    return (performance.now() - start) / 1e3;
  }

  const encodeInArena = arenaEncoderFor(codec, set);
  let encodeAt: (() => number) | null = null;
  if (encodeInArena) {
    const { oldAt, newAt } = set;
    const outAt = out.byteOffset;
    encodeAt = () => {
      const start = performance.now();
      for (let done = 0, at = 0; done < passPages; done++) {
        sink += encodeInArena(newAt + at, oldAt + at, outAt, PAGE_SIZE);
        at += PAGE_SIZE;
        if (at === count * PAGE_SIZE) at = 0;
      }
      return (performance.now() - start) / 1e3;
    };
  }

  return {
    encodeAt,
    encode() {
      const start = performance.now();
      for (let done = 0, i = 0; done < passPages; done++) {
        sink += codec.encode(news[i], olds[i], out, PAGE_SIZE);
        if (++i === count) i = 0;
      }
      return (performance.now() - start) / 1e3;
    },
    decode: () => decodePass(true),
    decodeCopy: () => decodePass(false),
    decodedBytesPerPass: decodedPerPass * PAGE_SIZE,
    totals,
    verify() {
      for (let i = 0; i < count; i++) {
        if (deltas[i] !== null && Buffer.compare(targets[i], news[i]) !== 0) {
          throw new Error(`xbzrle decoded page ${i} wrong: the benchmark's check failed`);
        }
      }
      if (sink === Number.MIN_SAFE_INTEGER) console.log(sink);
    },
  };
}

/** Pages one pass covers: at least 16384 (64 MiB), and whole rounds of the pairs. */
export function passPagesFor(count: number): number {
  return count * Math.ceil(16384 / count);
}
