import { PAGE_SIZE } from "../../lib/page.ts";
import { SCENARIO_2011_AREAS } from "../../workloads/scenario-2011.ts";
import { publishedRow, type TableScenario } from "./codec-table-published.ts";
import type { CodecTableRow } from "./codec-table-types.ts";

/**
 * What the measured rows say about the 2011 setup, computed: every sentence is built from the
 * numbers it states, and which hypothesis it names is decided by them, not written in.
 */

/** Two sizes count as equal within this relative difference. */
export const EQUAL_SIZE_TOLERANCE = 0.02;
/** A plain compressor at or above this size % did not compress the page. */
export const INCOMPRESSIBLE_PCT = 90;
/** zlib's stream wrapper around raw deflate: 2-byte header + 4-byte Adler-32 (RFC 1950). */
export const ZLIB_WRAPPER_BYTES = 6;
/** An analytic size fits a published one within this relative difference. */
const FIT_TOLERANCE = 0.03;

export const pct = (value: number): string => `${value.toFixed(2)} %`;
const bytesPct = (bytes: number): number => (100 * bytes) / PAGE_SIZE;

export function rowOf(
  rows: readonly CodecTableRow[],
  scenario: TableScenario,
  codec: string,
): CodecTableRow {
  const row = rows.find(
    (candidate) => candidate.scenario === scenario && candidate.codec === codec,
  );
  if (!row) throw new RangeError(`the codec table has no ${codec} row for ${scenario}`);
  return row;
}

export function relativeGap(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
}

/** A scenario page's layout: where the changed areas are and how much is unchanged. */
interface AreaLayout {
  readonly areas: number;
  readonly len: number;
  /** Unchanged bytes between two areas. */
  readonly gap: number;
  /** Unchanged bytes after the last area. */
  readonly tail: number;
}

function areaLayout(scenario: TableScenario): AreaLayout {
  const { len, step } = SCENARIO_2011_AREAS[scenario];
  const areas = Math.ceil(PAGE_SIZE / step);
  const lastEnd = Math.min(PAGE_SIZE, (areas - 1) * step + len);
  return { areas, len, gap: step - len, tail: PAGE_SIZE - lastEnd };
}

const ulebBytes = (n: number): number => (n <= 0x7f ? 1 : 2);

/**
 * Today's byte-granular XBZRLE (migration/xbzrle.c) on a scenario page whose changed bytes all
 * differ: the first area is `zrun 0` (1 byte) + nzrun length + the bytes, every later one a
 * zrun length + nzrun length + the bytes; the unchanged tail is not written.
 */
export function xbzrleBytes(scenario: TableScenario): number {
  const { areas, len, gap } = areaLayout(scenario);
  const first = 1 + ulebBytes(len) + len;
  return first + (areas - 1) * (ulebBytes(gap) + ulebBytes(len) + len);
}

/**
 * The 2011 xbrle's (count, value) pairs over the XOR (codecs/xbrle.ts) when every changed byte
 * differs from its neighbours: one pair per changed byte, ⌈run / 255⌉ per unchanged run.
 * `withTail` false leaves the unchanged tail out.
 */
export function xbrlePairs(scenario: TableScenario, withTail: boolean): number {
  const { areas, len, gap, tail } = areaLayout(scenario);
  const gaps = (areas - 1) * Math.ceil(gap / 255);
  return areas * len + gaps + (withTail ? Math.ceil(tail / 255) : 0);
}

/** Sizes the inferences need beyond the rows: deflate at zlib's default level 6, zero old. */
export interface ExtraSizes {
  readonly deflate6ZeroOldPct: Readonly<Record<TableScenario, number>>;
}

function oldBufferInference(rows: readonly CodecTableRow[]): string {
  const sizes = (codec: string) => rowOf(rows, "sparse", codec);
  const [lz4, xorLz4, zstd, xorZstd] = ["lz4", "xor+lz4", "zstd", "xor+zstd"].map(sizes);
  const equalUnder = (size: (row: CodecTableRow) => number) =>
    relativeGap(size(lz4), size(xorLz4)) <= EQUAL_SIZE_TOLERANCE &&
    relativeGap(size(zstd), size(xorZstd)) <= EQUAL_SIZE_TOLERANCE;
  const zeroFits = equalUnder((row) => row.sizePctZeroOld);
  const randomFits = equalUnder((row) => row.sizePct);
  const fits =
    zeroFits && !randomFits
      ? "Only hypothesis (2), zero old buffers with random bytes in the changed areas alone, fits the post's lzo = xor+lzo (2.82 %) and snappy = xor+snappy (6.14 %)"
      : zeroFits
        ? "Both hypotheses give equal plain and XOR sizes, so the post's lzo = xor+lzo does not tell them apart"
        : "Neither hypothesis gives the post's equal plain and XOR sizes";
  return (
    `${fits}: on SPARSE, zero old pages give lz4 ${pct(lz4.sizePctZeroOld)} = xor+lz4 ${pct(xorLz4.sizePctZeroOld)} ` +
    `and zstd ${pct(zstd.sizePctZeroOld)} = xor+zstd ${pct(xorZstd.sizePctZeroOld)}; random old pages ` +
    `leave the XOR rows at ${pct(xorLz4.sizePct)} and ${pct(xorZstd.sizePct)} but plain lz4 at ` +
    `${pct(lz4.sizePct)} and zstd at ${pct(zstd.sizePct)} (random bytes do not compress; an ` +
    `overflowed page counts 100 %). The plain rows' sizes and the speeds in the checks are taken ` +
    "from the zero-old pages."
  );
}

function xbzrleInference(rows: readonly CodecTableRow[]): string {
  const { areas, len, gap } = areaLayout("sparse");
  const bytes = xbzrleBytes("sparse");
  const published = publishedRow("sparse", "xbzrle")?.sizePct ?? Number.NaN;
  return (
    `xbzrle: the post measured the word-granular v3 format; today's byte-granular ULEB128 ` +
    `format (migbench's, QEMU's since 1.2) costs a SPARSE page (1 + ${ulebBytes(len)} + ${len}) + ` +
    `${areas - 1} × (${ulebBytes(gap)} + ${ulebBytes(len)} + ${len}) = ${bytes} bytes = ` +
    `${pct(bytesPct(bytes))}, measured ${pct(rowOf(rows, "sparse", "xbzrle").sizePctZeroOld)}; ` +
    `the published ${pct(published)} (${Math.round((published * PAGE_SIZE) / 100)} bytes) is v3's ` +
    "format, whose layout the post does not give, so it is not rebuilt here."
  );
}

function xbrleInference(rows: readonly CodecTableRow[]): string {
  const withTail = 2 * xbrlePairs("sparse", true);
  const withoutTail = 2 * xbrlePairs("sparse", false);
  const published = publishedRow("sparse", "xbrle")?.sizePct ?? Number.NaN;
  const tailFits = relativeGap(bytesPct(withoutTail), published) <= FIT_TOLERANCE;
  const ending = tailFits
    ? `which fits the published ${pct(published)}: the post's encoder most likely did not write the unchanged tail`
    : `neither fits the published ${pct(published)} within ${FIT_TOLERANCE * 100} %`;
  return (
    `xbrle: one (count, value) pair per changed byte and ⌈run / 255⌉ per unchanged run give a ` +
    `SPARSE page ${withTail} bytes = ${pct(bytesPct(withTail))} (measured ` +
    `${pct(rowOf(rows, "sparse", "xbrle").sizePctZeroOld)}); without the pairs of the unchanged ` +
    `tail ${withoutTail} bytes = ${pct(bytesPct(withoutTail))}, ${ending}.`
  );
}

function zlibInference(rows: readonly CodecTableRow[], extra: ExtraSizes): string {
  const wrapper = bytesPct(ZLIB_WRAPPER_BYTES);
  const parts = (["sparse", "medium"] as const).map((scenario) => {
    const plain = publishedRow(scenario, "zlib")?.sizePct ?? Number.NaN;
    const xor = publishedRow(scenario, "xor+zlib")?.sizePct ?? Number.NaN;
    const level6 = extra.deflate6ZeroOldPct[scenario] + wrapper;
    const level1 = rowOf(rows, scenario, "deflate").sizePctZeroOld + wrapper;
    const fits =
      relativeGap(level6, plain) <= FIT_TOLERANCE && relativeGap(level1, xor) <= FIT_TOLERANCE;
    return {
      fits,
      text: `${scenario.toUpperCase()} zlib level 6 ${pct(level6)} vs plain ${pct(plain)}, level 1 ${pct(level1)} vs xor ${pct(xor)}`,
    };
  });
  const verdict = parts.every((part) => part.fits)
    ? "both scenarios fit plain zlib at level 6 and xor+zlib at level 1"
    : parts.some((part) => part.fits)
      ? "one scenario fits plain zlib at level 6 and xor+zlib at level 1, the other does not, so the post's zlib settings stay open"
      : "no pair of levels fits, so the post's zlib settings stay open";
  return (
    "zlib: the post's plain and xor+zlib sizes differ (SPARSE 2.36 vs 2.62 %, MEDIUM 5.68 vs 6.08 %) " +
    "although with zero old buffers both compress the same bytes, so the two rows ran zlib " +
    `differently. With zlib's ${ZLIB_WRAPPER_BYTES}-byte wrapper on our raw deflate: ` +
    `${parts.map((part) => part.text).join("; ")}: ${verdict}.`
  );
}

const STAND_INS =
  "lzo and snappy have no maintained binding here: lz4 stands in for lzo and zstd (level 1) " +
  "for snappy, and deflate level 1 (QEMU's multifd-zlib default) for zlib. Their sizes are not " +
  "the originals'; only the plain = XOR equality and the speed orderings are compared.";

const SPEEDS =
  "Speeds are 2011 hardware against this machine, so only ratios and orderings are compared, " +
  "never MB/s.";

/** The inferences, in the order the report prints them. */
export function codecTableInferences(rows: readonly CodecTableRow[], extra: ExtraSizes): string[] {
  return [
    oldBufferInference(rows),
    STAND_INS,
    xbzrleInference(rows),
    xbrleInference(rows),
    zlibInference(rows, extra),
    SPEEDS,
  ];
}
