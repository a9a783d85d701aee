import { keysOf } from "../lib/keys.ts";
import type { Bytes, BytesPerSecond, Milliseconds } from "../lib/units.ts";
import { formatCount, formatMs, formatSwitch } from "./csv-format.ts";

/**
 * The sweep's axes: every parameter of a cell that a run may vary, declared once. A row says
 * what results/ and reports/ need to know about an axis — its column in the CSV files and where
 * the column sits, its title in summaries, its unit, and how a value is written — and, through
 * its writer, the axis's value type, from which CellSpec (results/cell.ts) is built. The command
 * line's side of each axis (option, parsing, bounds, default, help, the order cells vary in) is
 * harness/sweep/axis-options.ts, a table keyed by these keys.
 *
 * Rows are in results.csv's column order: the "key" columns first (they start every row of
 * results.csv and passes.csv, after `cell`), then the "setting" columns (after the metrics).
 * A new axis is a "setting" row; docs/RESULTS.md documents each column.
 */

/** Page-cache organisations (harness/simulator/cache/). */
export const CACHE_MODELS = ["direct", "2way", "lru", "arc"] as const;

/** Completion rules (docs/SIMULATOR.md). */
export const CONVERGENCE_RULES = ["qemu", "qemu-kvm-0.13", "codec-aware"] as const;

/** What an axis's numbers measure, so a summary can choose how to print them. */
export type AxisUnit = "name" | "bytes" | "bytes/s" | "ms" | "count" | "switch";

export interface AxisColumn<V> {
  /** Its column in results.csv (and in passes.csv, for a "key" column). */
  readonly column: string;
  readonly group: "key" | "setting";
  /** Its name in a summary and in chart legends. */
  readonly title: string;
  readonly unit: AxisUnit;
  /** The value as the CSV files write it ("" for none). */
  readonly write: (value: V) => string;
}

type Names = Pick<AxisColumn<never>, "column" | "group" | "title">;

// One constructor per kind of value: the writer's parameter is the axis's value type.
function column<U extends AxisUnit, V>(names: Names, unit: U, write: (value: V) => string) {
  return { ...names, unit, write };
}
const name = (names: Names) => column(names, "name", (value: string) => value);
const optionalName = (names: Names) => column(names, "name", (value: string | null) => value ?? "");
const choice = <C extends string>(names: Names, _choices: readonly C[]) =>
  column(names, "name", (value: C) => value);
const bytes = (names: Names) => column(names, "bytes", (value: Bytes) => formatCount(value));
const bytesPerSecond = (names: Names) =>
  column(names, "bytes/s", (value: BytesPerSecond) => formatCount(value));
const milliseconds = (names: Names) =>
  column(names, "ms", (value: Milliseconds) => formatMs(value));
const integer = (names: Names) => column(names, "count", (value: number) => String(value));
const optionalInteger = (names: Names) =>
  column(names, "count", (value: number | null) => (value === null ? "" : String(value)));
const onOff = (names: Names) => column(names, "switch", (value: boolean) => formatSwitch(value));

const TABLE = {
  /** The workload's name (`--workload`). */
  workload: name({ column: "workload", group: "key", title: "workload" }),
  /** The codec's name (`--codec`; a group such as `paper` is one cell per codec). */
  codec: name({ column: "codec", group: "key", title: "codec" }),
  /** The page cache's organisation: QEMU's direct-mapped page_cache.c, the VEE'11 2-way, LRU. */
  cacheModel: choice({ column: "cache_model", group: "key", title: "cache model" }, CACHE_MODELS),
  /** The page cache's size as asked (QEMU's xbzrle-cache-size). */
  cacheSizeBytes: bytes({ column: "cache_size_bytes", group: "key", title: "cache size" }),
  /** max-bandwidth: the rate cap of the iterative passes. */
  bandwidthBytesPerS: bytesPerSecond({
    column: "bandwidth_bytes_per_s",
    group: "key",
    title: "bandwidth",
  }),
  /** downtime-limit: the stop-and-copy the rule may plan for. */
  downtimeLimitMs: milliseconds({
    column: "downtime_limit_ms",
    group: "key",
    title: "downtime limit",
  }),
  /** The completion rule. */
  convergence: choice(
    { column: "convergence_rule", group: "key", title: "convergence" },
    CONVERGENCE_RULES,
  ),
  /** The workload's seed (32-bit). */
  seed: integer({ column: "seed", group: "key", title: "seed" }),
  /** The VM's RAM. */
  ramBytes: bytes({ column: "ram_bytes", group: "key", title: "RAM" }),
  /** The link's own speed: the uncapped stop-and-copy runs at this rate. */
  linkBytesPerS: bytesPerSecond({ column: "link_bytes_per_s", group: "setting", title: "link" }),
  /** QEMU ≥ 2.3's CACHED_PAGE_LIFETIME rule (direct cache only); false = pre-2014 always-replace. */
  cacheAge: onOff({ column: "cache_age", group: "setting", title: "cache age" }),
  /** QEMU ≥ 1.5 skips delta encoding during the bulk (first) pass; false = pre-2013 behaviour. */
  bulkSkip: onOff({ column: "bulk_skip", group: "setting", title: "bulk skip" }),
  /** Sender compression threads (encode time is divided over them). */
  threads: integer({ column: "threads", group: "setting", title: "threads" }),
  /** Simulated time after which the cell is did-not-converge. */
  maxTimeMs: milliseconds({ column: "max_time_ms", group: "setting", title: "max time" }),
  /** Passes after which the cell is did-not-converge; null = no pass limit. */
  maxPasses: optionalInteger({ column: "max_passes", group: "setting", title: "max passes" }),
  /** Path of the --codec-module plug-in that defines `codec`; null for a built-in codec. */
  codecModule: optionalName({ column: "codec_module", group: "setting", title: "codec module" }),
};

type Table = typeof TABLE;

export type AxisKey = keyof Table;

declare const axis: unique symbol;

/**
 * The value type of axis K. A number or switch also carries its axis as an optional phantom
 * property (as lib/units.ts numbers carry their unit), so a plain value is accepted but a cache
 * size where the RAM size goes, a seed where the thread count goes, or the cache-age switch
 * where the bulk-skip switch goes does not compile. Names stay plain strings (they key
 * records); the choices of one axis are not another's.
 */
export type AxisValue<K extends AxisKey> = OfAxis<K, Parameters<Table[K]["write"]>[0]>;
type OfAxis<K, V> = V extends number | boolean ? V & { readonly [axis]?: K } : V;

/** One value per axis: what CellSpec is made of. */
export type AxisValues = { readonly [K in keyof Table]: AxisValue<K> };

export const AXES: { readonly [K in keyof Table]: AxisColumn<AxisValue<K>> } = TABLE;

/** Every axis, in results.csv's column order. */
export const AXIS_KEYS: readonly AxisKey[] = keysOf(AXES);

/** The columns of one group, in order. */
export function axisColumns(group: "key" | "setting"): string[] {
  return AXIS_KEYS.filter((key) => AXES[key].group === group).map((key) => AXES[key].column);
}

/** A cell's axes as the CSV files write them, by column. */
export function axisTexts(values: AxisValues): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const key of AXIS_KEYS) texts[AXES[key].column] = axisText(values, key);
  return texts;
}

function axisText<K extends AxisKey>(values: AxisValues, key: K): string {
  return AXES[key].write(values[key]);
}
