import type { TableScenario } from "./codec-table-published.ts";
import type { Verdict } from "./verdict.ts";

/** The codec table's data types (harness/paper/codec-table.ts is the API that uses them). */

export interface CodecTableOptions {
  /** Fewer pages and a shorter timing budget: the whole table in seconds, for tests and CI. */
  readonly quick: boolean;
}

/**
 * One of migbench's codecs on one scenario, on real page bytes under both old-buffer setups:
 * - random old (`sizePct`, `encodeMBps`, `decodeMBps`): the cached page is random data and the
 *   new page is it with the changed areas rewritten — a page of a running guest;
 * - zero old (`…ZeroOld`): the cached page is all zero and the new page holds random bytes only
 *   in the changed areas — the setup the published sizes fit (see the table's inferences).
 * Sizes: encoded bytes / 4096 averaged over the pages, a page that overflows counted as 4096.
 * Speeds: MB/s (10^6 bytes) of page input, the median timed iteration.
 */
export interface CodecTableRow {
  scenario: TableScenario;
  /** migbench's codec name (codecs/registry.ts). */
  codec: string;
  /** The published row this codec is compared with (`lzo` for lz4), or null when none. */
  standsFor: string | null;
  sizePct: number;
  sizePctZeroOld: number;
  encodeMBps: number;
  decodeMBps: number;
  encodeMBpsZeroOld: number;
  decodeMBpsZeroOld: number;
  publishedSizePct: number | null;
  publishedEncodeMBps: number | null;
}

/** One published claim weighed against the measured rows. */
export interface CodecTableCheck {
  readonly claim: string;
  readonly published: string;
  readonly ours: string;
  readonly verdict: Verdict;
  readonly reason: string;
}

export interface CodecTableResult {
  readonly rows: readonly CodecTableRow[];
  /** What the measurements say about the 2011 setup, each sentence with its numbers. */
  readonly inferences: readonly string[];
  readonly verdict: Verdict;
  readonly reason: string;
  readonly checks: readonly CodecTableCheck[];
  /** Pages per scenario and old-buffer setup the sizes average over. */
  readonly pages: number;
}
