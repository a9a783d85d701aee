import { resolveBenchCodecs } from "../../codecs/bench-codec-list.ts";
import { type MeasuredRow, measure, type TimingOptions } from "../../codecs/codec-bench.ts";
import { encodeAndVerify, type PairSet, pairSetOf } from "../../codecs/codec-bench-verify.ts";
import { PAGE_SIZE } from "../../lib/page.ts";
import { allocatePages } from "../../lib/page-memory.ts";
import { fillRandom, WORDS_PER_PAGE } from "../../workloads/page-content.ts";
import { hash3 } from "../../workloads/random.ts";
import { rewriteAreas, SCENARIO_2011_AREAS } from "../../workloads/scenario-2011.ts";
import { publishedRow, type TableScenario } from "./codec-table-published.ts";
import type { CodecTableRow } from "./codec-table-types.ts";

/**
 * The measuring half of the codec table: migbench's codecs (codecs/registry.ts) on the 2011
 * scenarios' pages, verified and timed by bench:codecs' own code (codecs/codec-bench.ts: every
 * page is decoded and compared before anything is timed; tinybench times encode and decode over
 * all pages, through xbzrle's arena entry point as the simulator calls it).
 */

/**
 * The codecs of the table and the published row each is compared with. lzo and snappy have no
 * maintained Node binding here: lz4 stands in for lzo (the same LZ77 family, byte-aligned, no
 * entropy coder) and zstd level 1 for snappy; deflate level 1 (QEMU's multifd-zlib default) is
 * zlib's raw stream. xbrle-2010, the prototype's variant, was not in the post.
 */
export const TABLE_CODECS: readonly {
  readonly codec: string;
  readonly standsFor: string | null;
}[] = [
  { codec: "xbzrle", standsFor: "xbzrle" },
  { codec: "xbrle", standsFor: "xbrle" },
  { codec: "xbrle-2010", standsFor: null },
  { codec: "lz4", standsFor: "lzo" },
  { codec: "zstd", standsFor: "snappy" },
  { codec: "deflate", standsFor: "zlib" },
  { codec: "xor+lz4", standsFor: "xor+lzo" },
  { codec: "xor+zstd", standsFor: "xor+snappy" },
  { codec: "xor+deflate", standsFor: "xor+zlib" },
];

export const TABLE_SCENARIOS: readonly TableScenario[] = ["sparse", "medium"];

/**
 * The two hypotheses about the post's old (cached) buffer. `random`: a random page whose changed
 * areas are then rewritten with random bytes (workloads/scenario-2011.ts, one update). `zero`:
 * an all-zero page, the new page holding random bytes in the changed areas only. The areas get
 * the same bytes under both, so only the old buffer differs.
 */
export type OldBuffer = "random" | "zero";

/** `count` (old, new) pairs of a scenario in one page arena (codecs/page-kinds.ts's layout). */
export function scenarioPairs(
  scenario: TableScenario,
  old: OldBuffer,
  count: number,
  seed: number,
): PairSet {
  const { len, step } = SCENARIO_2011_AREAS[scenario];
  const both = allocatePages((2 * count + 1) * PAGE_SIZE);
  const oldPages = both.subarray(0, count * PAGE_SIZE);
  const newPages = both.subarray(count * PAGE_SIZE, 2 * count * PAGE_SIZE);
  const words = new Uint32Array(both.buffer, both.byteOffset, count * WORDS_PER_PAGE);
  for (let i = 0; i < count; i++) {
    if (old === "random") fillRandom(words, i * WORDS_PER_PAGE, hash3(seed, i, 0x01d));
    else oldPages.fill(0, i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
  }
  newPages.set(oldPages);
  for (let i = 0; i < count; i++) {
    const page = newPages.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
    rewriteAreas(page, len, step, hash3(seed, i, 0xa4ea));
  }
  const out = both.subarray(2 * count * PAGE_SIZE);
  return pairSetOf(scenario, { old: oldPages, new: newPages, count, out });
}

export interface MeasureSettings {
  readonly pages: number;
  readonly timing: TimingOptions;
  readonly seed: number;
}

function mbps(gbps: number | null): number {
  return gbps === null ? Number.NaN : gbps * 1000;
}

/** Every table codec on every scenario under both old-buffer hypotheses, in table order. */
export function measureRows(settings: MeasureSettings): CodecTableRow[] {
  const definitions = resolveBenchCodecs(TABLE_CODECS.map((entry) => entry.codec));
  const rows: CodecTableRow[] = [];
  for (const scenario of TABLE_SCENARIOS) {
    const sets = {
      random: scenarioPairs(scenario, "random", settings.pages, settings.seed),
      zero: scenarioPairs(scenario, "zero", settings.pages, settings.seed),
    };
    TABLE_CODECS.forEach(({ codec: name, standsFor }, index) => {
      const run = (set: PairSet): MeasuredRow =>
        measure(name, definitions[index].create(), set, settings.timing);
      const random = run(sets.random);
      const zero = run(sets.zero);
      const published = standsFor === null ? undefined : publishedRow(scenario, standsFor);
      rows.push({
        scenario,
        codec: name,
        standsFor,
        sizePct: random.row.encodedPercent,
        sizePctZeroOld: zero.row.encodedPercent,
        encodeMBps: mbps(random.row.encodeGBps),
        decodeMBps: mbps(random.row.decodeGBps),
        encodeMBpsZeroOld: mbps(zero.row.encodeGBps),
        decodeMBpsZeroOld: mbps(zero.row.decodeGBps),
        publishedSizePct: published?.sizePct ?? null,
        publishedEncodeMBps: published?.encodeMBps ?? null,
      });
    });
  }
  return rows;
}

/**
 * Size %, verified but not timed, of `codec` (a `NAME:LEVEL` too) on a scenario's zero-old
 * pages: what the inferences weigh other settings of the general compressors with.
 */
export function zeroOldSizePct(
  codec: string,
  scenario: TableScenario,
  settings: MeasureSettings,
): number {
  const [definition] = resolveBenchCodecs([codec]);
  const set = scenarioPairs(scenario, "zero", settings.pages, settings.seed);
  const encoded = encodeAndVerify(codec, definition.create(), set);
  return (100 * encoded.encodedBytes) / (set.count * PAGE_SIZE);
}
