import { Bench, type Statistics } from "tinybench";
import {
  arenaEncoderFor,
  type EncodedSet,
  encodeAndVerify,
  type PairSet,
} from "./codec-bench-verify.ts";
import { OVERFLOW, PAGE_SIZE, type PageCodec } from "./types.ts";

/**
 * The timed half of `npm run bench:codecs` (codecs/bench-command.ts is the command around it),
 * after lzbench: once encodeAndVerify() (codecs/codec-bench-verify.ts) has checked every pair,
 * time encode and decode with tinybench over all the pairs, so 64 MiB of old pages and 64 MiB
 * of new ones stream through the caches instead of one hot page. A codec with an arena entry
 * point (xbzrle) is timed through it, on page offsets, as the simulator calls it.
 */
export interface TimingOptions {
  /** tinybench time budget per task, ms. */
  readonly timeMs: number;
  /** Pairs per timed iteration. */
  readonly batch: number;
}

/**
 * One timed task's speeds, in GB/s of page input (10^9 bytes/s): tinybench's Statistics of the
 * timed iterations (warm-up excluded), one rate per iteration of `batch` pairs.
 */
export interface RateStats {
  /** The median iteration's rate: what --calibrate and the report take (see timePairs). */
  readonly medianGBps: number;
  readonly meanGBps: number;
  /** Standard deviation of the per-iteration rates. */
  readonly sdGBps: number;
  readonly minGBps: number;
  readonly maxGBps: number;
  /** tinybench's relative margin of error of the mean iteration time, % (95 % CI). */
  readonly rmePercent: number;
  /** Timed iterations. */
  readonly n: number;
  /** Every timed iteration's rate, in ascending order (tinybench keeps samples sorted). */
  readonly samplesGBps: readonly number[];
}

/** tinybench's throughput Statistics (iterations per second) as GB/s of `batchBytes` each. */
function rateStats(latency: Statistics, throughput: Statistics, batchBytes: number): RateStats {
  const gbps = (perSecond: number) => (perSecond * batchBytes) / 1e9;
  // The median iteration, not the mean: on a shared machine a few descheduled iterations
  // drag the mean down by tens of percent, while the median moves by a few.
  const medianSeconds = latency.p50 / 1000;
  return {
    medianGBps: medianSeconds > 0 ? batchBytes / medianSeconds / 1e9 : Number.POSITIVE_INFINITY,
    meanGBps: gbps(throughput.mean),
    sdGBps: gbps(throughput.sd),
    minGBps: gbps(throughput.min),
    maxGBps: gbps(throughput.max),
    rmePercent: latency.rme,
    n: throughput.samplesCount,
    samplesGBps: (throughput.samples ?? []).map(gbps),
  };
}

/** tinybench's warm-up budget per task, ms: a fifth of the timed budget, at most 100 ms. */
export function warmupMs(timeMs: number): number {
  return Math.min(100, timeMs / 5);
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
): RateStats {
  const batch = Math.min(options.batch, count);
  const iterationsForAllPairs = Math.ceil(count / batch);
  let cursor = 0;
  const bench = new Bench({
    time: options.timeMs,
    iterations: iterationsForAllPairs,
    warmupTime: warmupMs(options.timeMs),
    warmupIterations: Math.max(1, Math.ceil(iterationsForAllPairs / 8)),
    throws: true,
    retainSamples: true,
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
  return rateStats(result.latency, result.throughput, batch * PAGE_SIZE);
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
): RateStats {
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
): RateStats {
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

/**
 * One row's point estimates: the median iteration's GB/s (RateStats.medianGBps), size % counting
 * unchanged as 0 and overflow as 4096, overflow as % of pairs. What --calibrate reads
 * (codecs/calibration.ts), whatever the table shows.
 */
export interface BenchRow {
  codec: string;
  kind: string;
  encodeGBps: number;
  /** Null when decode was not timed (every page unchanged). */
  decodeGBps: number | null;
  encodedPercent: number;
  overflowPercent: number;
}

/** How the pairs of a kind came out of encode(). */
export interface PageCounts {
  readonly total: number;
  /** encode() returned n > 0: a delta or a compressed page. */
  readonly encoded: number;
  readonly unchanged: number;
  readonly overflow: number;
}

/** One codec on one kind: the point estimates, the speeds' statistics and the outcomes. */
export interface MeasuredRow {
  readonly row: BenchRow;
  readonly encode: RateStats;
  /** Null when every page was unchanged: nothing to decode, so nothing was timed. */
  readonly decode: RateStats | null;
  readonly pages: PageCounts;
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
  // Every page unchanged: the receiver does nothing, and timing nothing gives no speed.
  const decode =
    encodedSet.unchangedPages === set.count
      ? null
      : timeDecode(`${codecName} decode ${set.kind}`, codec, set, encodedSet, options);
  const pageBytes = set.count * PAGE_SIZE;
  return {
    row: {
      codec: codecName,
      kind: set.kind,
      encodeGBps: encode.medianGBps,
      decodeGBps: decode?.medianGBps ?? null,
      encodedPercent: (100 * encodedSet.encodedBytes) / pageBytes,
      overflowPercent: (100 * encodedSet.overflowPages) / set.count,
    },
    encode,
    decode,
    pages: {
      total: set.count,
      encoded: set.count - encodedSet.unchangedPages - encodedSet.overflowPages,
      unchanged: encodedSet.unchangedPages,
      overflow: encodedSet.overflowPages,
    },
  };
}

/** Read `sink` so it is observably used (and the linter agrees). */
export function benchSink(): number {
  return sink;
}
