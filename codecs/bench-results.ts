import { levelOf } from "./bench-codec-list.ts";
import type { MeasuredRow, PageCounts, RateStats } from "./codec-bench.ts";
import type { CodecDefinition } from "./types.ts";

/**
 * A `bench:codecs` row as the table and the exports show it: the measurements, and which of
 * them mean nothing for this codec on this kind, with why. lzbench prints a speed for every
 * row; here a number that does not measure what its column says is shown as "—" (the table),
 * null (JSON) or an empty cell (CSV), so nobody reads it as a speed:
 * - encode, for a codec that sends every page of the kind raw (`sendsPagesRaw`: `zero` on a
 *   page that is not all zeros): its encode only decided that, stopping at the first non-zero
 *   word (buffer_is_zero in QEMU's util/bufferiszero.c), so bytes / time can exceed the memory
 *   bandwidth that memcpy shows. --calibrate still takes it: it is the check's cost per page.
 * - decode, when every page was unchanged: the receiver has nothing to do (bytes / time was
 *   the speed of an empty loop, 1434 GB/s), so measure() does not time it.
 * - overflow %, for memcpy and codecs without a delta: QEMU's overflow (xbzrle_counters.overflow)
 *   is a delta that does not fit; a page these codecs send raw is their normal case, and the
 *   size column already counts it.
 */

/** A speed, or the reason it means nothing. */
export type Speed =
  | { readonly meaningful: true; readonly stats: RateStats }
  | {
      readonly meaningful: false;
      readonly why: string;
      /** What was timed anyway (--calibrate takes encode speeds), or null: not timed. */
      readonly stats: RateStats | null;
    };

export interface ResultRow {
  /** The codec's name, with its level when not the default (`zstd:3`), or `memcpy`. */
  readonly codec: string;
  /** Its compression level, or null for a codec without levels. */
  readonly level: number | null;
  readonly kind: string;
  readonly encode: Speed;
  readonly decode: Speed;
  /** Encoded bytes as % of page bytes: unchanged counts 0, overflow 4096. */
  readonly encodedPercent: number;
  /** % of pairs that overflowed, or null where overflow means nothing (see above). */
  readonly overflowPercent: number | null;
  readonly pages: PageCounts;
}

export const ENCODE_ONLY_DECIDED_RAW =
  "every page went raw: encode only checked that it is not a zero page, without reading it all";
export const NOTHING_TO_DECODE = "every page was unchanged: the receiver has nothing to decode";

function speed(stats: RateStats | null, why: string | null): Speed {
  if (why !== null) return { meaningful: false, why, stats };
  if (stats === null) throw new Error("a speed that means something was not timed");
  return { meaningful: true, stats };
}

/** The row for one measurement of `codec` (null: the memcpy baseline). */
export function resultRow(measured: MeasuredRow, codec: CodecDefinition | null): ResultRow {
  const { row, pages } = measured;
  const sentAllRaw =
    codec !== null &&
    codec.sendsPagesRaw === true &&
    !codec.usesPrevious &&
    pages.overflow === pages.total;
  const isDelta = codec?.usesPrevious === true;
  return {
    codec: row.codec,
    level: codec === null ? null : levelOf(codec),
    kind: row.kind,
    encode: speed(measured.encode, sentAllRaw ? ENCODE_ONLY_DECIDED_RAW : null),
    decode: speed(measured.decode, measured.decode === null ? NOTHING_TO_DECODE : null),
    encodedPercent: row.encodedPercent,
    overflowPercent: isDelta ? row.overflowPercent : null,
    pages,
  };
}

/** Rows for a run's measurements; a row no codec of `codecs` made is the memcpy baseline. */
export function resultRows(
  measured: readonly MeasuredRow[],
  codecs: readonly CodecDefinition[],
): ResultRow[] {
  return measured.map((m) => resultRow(m, codecs.find((c) => c.name === m.row.codec) ?? null));
}
