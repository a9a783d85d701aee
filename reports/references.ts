/**
 * Published figures shown beside migbench's own (docs/SOURCES.md), as data with a `source`
 * column. The Aug 2011 qemu-devel codec table measured one 4096-byte page per scenario on 2011
 * hardware: compare ratios and ordering, not absolute speed.
 */

/** The `source` of migbench's own rows. */
export const MIGBENCH = "migbench";

export const REFERENCE_2011 = "VEE'11 / qemu-devel Aug 2011 (2011 hardware)";

export interface PublishedCodecFigure {
  /** The name in the 2011 table. */
  readonly published: string;
  /** migbench's codec that implements the same thing (zlib's stream is deflate). */
  readonly codec: string;
  /** The scenario as a migbench page kind (SPARSE → sparse, MEDIUM → medium). */
  readonly kind: "sparse" | "medium";
  readonly encodeMBps: number;
  readonly encodedPercent: number;
}

/** The Aug 2011 table, rows that have a migbench codec (lzo and snappy have none). */
export const PUBLISHED_2011: readonly PublishedCodecFigure[] = [
  { published: "xbzrle", codec: "xbzrle", kind: "sparse", encodeMBps: 2286, encodedPercent: 3.55 },
  { published: "xbrle", codec: "xbrle", kind: "sparse", encodeMBps: 218, encodedPercent: 3.08 },
  { published: "zlib", codec: "deflate", kind: "sparse", encodeMBps: 59, encodedPercent: 2.36 },
  {
    published: "xor+zlib",
    codec: "xor+deflate",
    kind: "sparse",
    encodeMBps: 56,
    encodedPercent: 2.62,
  },
  { published: "zlib", codec: "deflate", kind: "medium", encodeMBps: 92, encodedPercent: 5.68 },
  {
    published: "xor+zlib",
    codec: "xor+deflate",
    kind: "medium",
    encodeMBps: 79,
    encodedPercent: 6.08,
  },
];

/** The table's rows with no migbench codec, named in captions so no reader wonders. */
export const PUBLISHED_2011_UNMATCHED = ["lzo", "snappy", "xor+lzo", "xor+snappy"];
