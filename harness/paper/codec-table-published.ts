/**
 * The Aug 2011 qemu-devel codec comparison (docs/SOURCES.md#patches): encode speed and encoded
 * size of one 4096-byte page for each codec the XBZRLE/XBRLE patch series was weighed against,
 * on the SPARSE (12 bytes changed every 1111) and MEDIUM (33 every 701) pages, on 2011
 * hardware. Kept as published; only ratios and orderings of the speeds are compared.
 */

export type TableScenario = "sparse" | "medium";

export const PUBLISHED_SOURCE =
  "qemu-devel XBZRLE/XBRLE codec comparison, Aug 2011 (docs/SOURCES.md#patches)";

export interface PublishedRow {
  readonly scenario: TableScenario;
  /** The codec's name in the post. */
  readonly codec: string;
  readonly encodeMBps: number;
  /** Encoded size as a percentage of the 4096-byte input. */
  readonly sizePct: number;
}

export const PUBLISHED_CODEC_TABLE: readonly PublishedRow[] = [
  { scenario: "sparse", codec: "xbzrle", encodeMBps: 2286, sizePct: 3.55 },
  { scenario: "sparse", codec: "xbrle", encodeMBps: 218, sizePct: 3.08 },
  { scenario: "sparse", codec: "lzo", encodeMBps: 1123, sizePct: 2.82 },
  { scenario: "sparse", codec: "snappy", encodeMBps: 1362, sizePct: 6.14 },
  { scenario: "sparse", codec: "zlib", encodeMBps: 59, sizePct: 2.36 },
  { scenario: "sparse", codec: "xor+lzo", encodeMBps: 1067, sizePct: 2.82 },
  { scenario: "sparse", codec: "xor+snappy", encodeMBps: 985, sizePct: 6.14 },
  { scenario: "sparse", codec: "xor+zlib", encodeMBps: 56, sizePct: 2.62 },
  { scenario: "medium", codec: "zlib", encodeMBps: 92, sizePct: 5.68 },
  { scenario: "medium", codec: "xor+zlib", encodeMBps: 79, sizePct: 6.08 },
];

/** The published row for (scenario, codec as named in the post), if the post has one. */
export function publishedRow(scenario: TableScenario, codec: string): PublishedRow | undefined {
  return PUBLISHED_CODEC_TABLE.find((row) => row.scenario === scenario && row.codec === codec);
}
