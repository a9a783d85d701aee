import { type PagePairs, pageViews } from "../page-kinds.ts";
import { arenaOf } from "../page-memory.ts";
import { PAGE_SIZE, type PageCodec } from "../types.ts";
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
  pairs: PagePairs,
  engine: XbzrleEngine,
  placement: PagePlacement,
  passPages: number,
): XbzrlePasses {
  const count = pairs.count;
  const oldBytes = placement === "arena" ? pairs.old : new Uint8Array(pairs.old);
  const newBytes = placement === "arena" ? pairs.new : new Uint8Array(pairs.new);
  const olds = pageViews(oldBytes);
  const news = pageViews(newBytes);
  const codec: PageCodec = createXbzrle(engine);
  // Arena placement writes into the pairs' own output page, in the same memory (PagePairs.out).
  const out = placement === "arena" ? pairs.out : new Uint8Array(PAGE_SIZE);

  const deltaBytes = new Uint8Array(count * PAGE_SIZE);
  const deltas: (Uint8Array | null)[] = [];
  const inPlace = new Uint8Array(oldBytes);
  const targets = pageViews(inPlace);
  let decodedPages = 0;
  const totals = { encodedBytes: 0, overflows: 0, unchanged: 0 };
  const results = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const slot = deltaBytes.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    const n = codec.encode(news[i], olds[i], slot, PAGE_SIZE);
    results[i] = n;
    deltas.push(n > 0 ? slot.subarray(0, n) : null);
    if (n > 0) {
      decodedPages++;
      totals.encodedBytes += n;
    } else if (n === 0) totals.unchanged++;
    else totals.overflows++;
  }
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

  const arena = placement === "arena" ? arenaOf(pairs.old.buffer) : undefined;
  const encodeInArena = arena ? codec.arenaEncoder?.(arena) : undefined;
  let encodeAt: (() => number) | null = null;
  if (encodeInArena) {
    const oldAt = pairs.old.byteOffset;
    const newAt = pairs.new.byteOffset;
    const outAt = pairs.out.byteOffset;
    for (let i = 0; i < count; i++) {
      const n = encodeInArena(newAt + i * PAGE_SIZE, oldAt + i * PAGE_SIZE, outAt, PAGE_SIZE);
      const delta = deltas[i];
      if (
        n !== results[i] ||
        (delta !== null && Buffer.compare(delta, pairs.out.subarray(0, n)) !== 0)
      ) {
        throw new Error(`xbzrle's arena encoder and encode() differ on pair ${i}`);
      }
    }
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
