import { UsageError } from "../../lib/errors.ts";
import { flagList } from "../../lib/flag-list.ts";
import { keysOf, recordOf } from "../../lib/keys.ts";
import { PAGE_SIZE } from "../../lib/page.ts";
import { parseBytes, parseDurationMs, parseInteger, parseRate } from "../../lib/units.ts";
import {
  type AxisKey,
  type AxisValue,
  CACHE_MODELS,
  CONVERGENCE_RULES,
} from "../../results/axes.ts";
import type { ConvergenceRule } from "../../results/cell.ts";
import { MAX_CACHE_SIZE_BYTES } from "../simulator/cache/slots.ts";

/**
 * The command line's side of the sweep's axes (results/axes.ts declares their columns): for each
 * axis given as one comma list of values, its option, how an item is parsed and bounded, its
 * default and its help; and the order cells vary in. Keyed by the axes' keys and typed, so a
 * missing row or a parser of another unit does not compile. `npm run bench`'s options and
 * --help, manifest.json's options, the --resume comparison and bench:scale's settings all come
 * from this table. Workload, RAM and codec are not rows: they name things in catalogues, and
 * RAM's default is the workload's (harness/sweep/options.ts).
 *
 * Rows are in --help's order, which is also the order of manifest.json's options.
 */

export type OptionAxisKey = Exclude<AxisKey, "workload" | "ramBytes" | "codec" | "codecModule">;

export interface AxisOption<K extends OptionAxisKey> {
  readonly flag: string;
  /** The list's name in manifest.json's options: the first manifests' names, so they resume. */
  readonly optionsKey: string;
  readonly describe: string;
  /** The default as --help shows it; without `byRule`, also the list used when not given. */
  readonly default: string;
  /** A default that depends on the completion rule; the manifest then records null. */
  readonly byRule?: { readonly [R in ConvergenceRule]: AxisValue<K> };
  /** The comma list's items → values; a bad item is a UsageError naming `--flag`. */
  readonly parse: (items: readonly string[], flag: string) => AxisValue<K>[];
}

const MIB = 1024 ** 2;

/**
 * Seeds are 32-bit: the generators hash `seed >>> 0` (workloads/heap-model.ts, uniform.ts), so
 * 2^32 would silently repeat seed 0's results.
 */
const MAX_SEED = 2 ** 32 - 1;
/** The most seeds one `low..high` range may give. */
const MAX_SEED_RANGE = 100_000;
/** QEMU's bound on compress-threads: 1..255 (migrate_params_check(), migration/options.c). */
const MAX_THREADS = 255;

// --- one item of a list -------------------------------------------------------------------

type ItemParser<V> = (text: string, flag: string) => V;

const each =
  <V>(item: ItemParser<V>) =>
  (items: readonly string[], flag: string): V[] =>
    items.map((text) => item(text, flag));

const oneOf =
  <C extends string>(choices: readonly C[]): ItemParser<C> =>
  (text, flag) => {
    const choice = choices.find((c) => c === text);
    if (choice === undefined)
      throw new UsageError(`--${flag}: "${text}" is not one of ${choices.join(", ")}`);
    return choice;
  };

const onOff: ItemParser<boolean> = (text, flag) => {
  if (text === "on") return true;
  if (text === "off") return false;
  throw new UsageError(`--${flag}: "${text}" is not on or off`);
};

const cacheSize: ItemParser<number> = (text, flag) => {
  const bytes = parseBytes(text, `--${flag}`);
  if (bytes < PAGE_SIZE) throw new UsageError(`--${flag}: "${text}" is smaller than a page`);
  if (bytes > MAX_CACHE_SIZE_BYTES)
    throw new UsageError(
      `--${flag}: "${text}" is more than 4GiB, the largest cache the simulator holds (its slots are one typed array of at most 2^32 bytes)`,
    );
  return bytes;
};

const rate: ItemParser<number> = (text, flag) => parseRate(text, `--${flag}`);

const positiveDuration: ItemParser<number> = (text, flag) => {
  const ms = parseDurationMs(text, `--${flag}`);
  if (ms <= 0) throw new UsageError(`--${flag}: "${text}" must be positive`);
  return ms;
};

const threadCount: ItemParser<number> = (text, flag) =>
  parseInteger(text, `--${flag}`, 1, MAX_THREADS, "QEMU's limit for compression threads");

const passLimit: ItemParser<number | null> = (text, flag) =>
  text === "none" ? null : parseInteger(text, `--${flag}`, 1);

const seed: ItemParser<number> = (text, flag) =>
  parseInteger(text, `--${flag}`, 0, MAX_SEED, "seeds are 32-bit");

/** Seeds: each item a seed or a range `low..high`; no seed twice. */
function seeds(items: readonly string[], flag: string): number[] {
  const out: number[] = [];
  for (const text of items) {
    const range = /^(\d+)\.\.(\d+)$/.exec(text);
    if (range) {
      const [from, to] = [seed(range[1], flag), seed(range[2], flag)];
      if (to < from || to - from > MAX_SEED_RANGE)
        throw new UsageError(
          `--${flag}: "${text}" is not a range low..high of at most ${MAX_SEED_RANGE + 1} seeds`,
        );
      for (let s = from; s <= to; s++) out.push(s);
    } else out.push(seed(text, flag));
  }
  if (new Set(out).size !== out.length) throw new UsageError(`--${flag}: a seed is listed twice`);
  return out;
}

// --- the table ----------------------------------------------------------------------------

export const AXIS_OPTIONS: { readonly [K in OptionAxisKey]: AxisOption<K> } = {
  cacheModel: {
    flag: "cache",
    optionsKey: "cacheModels",
    describe: "[list] page-cache model: direct (QEMU), 2way (paper prototype), lru, arc",
    default: "direct",
    parse: each(oneOf(CACHE_MODELS)),
  },
  cacheSizeBytes: {
    flag: "cache-size",
    optionsKey: "cacheSizesBytes",
    describe: "[list] page-cache size in bytes, e.g. 64MiB",
    default: "16MiB,64MiB,256MiB",
    parse: each(cacheSize),
  },
  cacheAge: {
    flag: "cache-age",
    optionsKey: "cacheAge",
    describe: "[list] on|off: QEMU ≥ 2.3's cache age rule (off = pre-2014 always replace)",
    default: "on",
    parse: each(onOff),
  },
  /**
   * QEMU 7.2's max-bandwidth is 128 MiB/s (MAX_THROTTLE, migration/migration.c); qemu-kvm 0.13's
   * (2010, the VEE'11 prototype's) was 32 MiB/s (migration.c MAX_THROTTLE).
   */
  bandwidthBytesPerS: {
    flag: "bandwidth",
    optionsKey: "bandwidthsBytesPerS",
    describe: "[list] max-bandwidth rate cap in bytes/s, e.g. 128MiB/s or 1Gbit/s",
    default: "128MiB/s (32MiB/s with --convergence qemu-kvm-0.13)",
    byRule: { qemu: 128 * MIB, "codec-aware": 128 * MIB, "qemu-kvm-0.13": 32 * MIB },
    parse: each(rate),
  },
  linkBytesPerS: {
    flag: "link-speed",
    optionsKey: "linkBytesPerS",
    describe: "[list] the link's own speed (the uncapped stop-and-copy runs at it), bytes/s",
    default: "10Gbit/s",
    parse: each(rate),
  },
  /**
   * QEMU 7.2's downtime-limit is 300 ms (DEFAULT_MIGRATE_SET_DOWNTIME); qemu-kvm 0.13's was
   * 30 ms (migrate_max_downtime).
   */
  downtimeLimitMs: {
    flag: "downtime-limit",
    optionsKey: "downtimeLimitsMs",
    describe: "[list] downtime-limit, e.g. 300ms",
    default: "300ms (30ms with --convergence qemu-kvm-0.13)",
    byRule: { qemu: 300, "codec-aware": 300, "qemu-kvm-0.13": 30 },
    parse: each(positiveDuration),
  },
  convergence: {
    flag: "convergence",
    optionsKey: "convergence",
    describe: "[list] completion rule: qemu (7.2), qemu-kvm-0.13 (2010), codec-aware",
    default: "qemu",
    parse: each(oneOf(CONVERGENCE_RULES)),
  },
  bulkSkip: {
    flag: "bulk-skip",
    optionsKey: "bulkSkip",
    describe: "[list] on|off: no delta encoding in the bulk pass (off = pre-2013 QEMU)",
    default: "on",
    parse: each(onOff),
  },
  threads: {
    flag: "threads",
    optionsKey: "threads",
    describe: "[list] sender compression threads (encode time is divided over them)",
    default: "1",
    parse: each(threadCount),
  },
  maxTimeMs: {
    flag: "max-time",
    optionsKey: "maxTimeMs",
    describe: "[list] simulated time after which a cell is did-not-converge, e.g. 600s",
    default: "600s",
    parse: each(positiveDuration),
  },
  maxPasses: {
    flag: "max-passes",
    optionsKey: "maxPasses",
    describe: "[list] pass limit after which a cell is did-not-converge, or none",
    default: "none",
    parse: each(passLimit),
  },
  seed: {
    flag: "seed",
    optionsKey: "seeds",
    describe: "[list] workload seeds, e.g. 1,2,3 or 1..5",
    default: "1",
    parse: seeds,
  },
};

/**
 * The order the axes of this table vary in, outermost first. Outside them vary the workload,
 * its RAM, its parameters and the convergence rule; inside them, the codec fastest, so rows that
 * compare codecs on the same VM and settings sit together (harness/sweep/plan.ts buildCells).
 */
export const SETTING_NESTING = [
  "bulkSkip",
  "cacheModel",
  "cacheAge",
  "cacheSizeBytes",
  "bandwidthBytesPerS",
  "linkBytesPerS",
  "downtimeLimitMs",
  "threads",
  "maxTimeMs",
  "maxPasses",
  "seed",
] as const satisfies readonly OptionAxisKey[];

// --- lists of values ----------------------------------------------------------------------

/** One list per axis; null where the option was not given and the completion rule decides. */
export type AxisLists = ListsOf<OptionAxisKey>;
/** Written over a generic K so that TypeScript can check `ListsOf<K>[K]` for one axis. */
type ListsOf<K extends OptionAxisKey> = { readonly [P in K]: readonly AxisValue<P>[] | null };

/** The option flags of the table's axes, in --help's order. */
export const AXIS_FLAGS: readonly string[] = keysOf(AXIS_OPTIONS).map(
  (key) => AXIS_OPTIONS[key].flag,
);

/** The default list of an axis (its rule-independent default). */
export function defaultList<K extends OptionAxisKey>(key: K): readonly AxisValue<K>[] {
  const option = AXIS_OPTIONS[key];
  return option.parse(option.default.split(","), option.flag);
}

/**
 * The lists the options give, in the table's order (which is the order bad options are
 * reported in). `texts` maps a flag to its value as yargs hands it over (a string; an array
 * when given twice, which flagList refuses); an option not given is its default list, or null
 * where the completion rule decides.
 */
export function parseAxisLists(texts: Readonly<Record<string, unknown>>): AxisLists {
  return recordOf<typeof AXIS_OPTIONS, AxisLists>(AXIS_OPTIONS, (key) => parseAxisList(key, texts));
}

function parseAxisList<K extends OptionAxisKey>(
  key: K,
  texts: Readonly<Record<string, unknown>>,
): ListsOf<K>[K] {
  const option = AXIS_OPTIONS[key];
  const items = flagList(texts[option.flag], option.flag);
  if (items !== undefined) return option.parse(items, option.flag);
  return option.byRule === undefined ? defaultList(key) : null;
}

/** The lists when no option is given. */
export const AXIS_DEFAULTS: AxisLists = parseAxisLists({});

/** An axis's values for cells under `rule`: the list given, else the default. */
export function axisList<K extends OptionAxisKey>(
  lists: AxisLists,
  key: K,
  rule: ConvergenceRule,
): readonly AxisValue<K>[] {
  const byRule = AXIS_OPTIONS[key].byRule;
  return lists[key] ?? (byRule === undefined ? defaultList(key) : [byRule[rule]]);
}

/** The lists as manifest.json's options record them, by optionsKey, in the table's order. */
export function axisOptionsRecord(
  lists: AxisLists,
  except: readonly OptionAxisKey[] = [],
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const key of keysOf(AXIS_OPTIONS))
    if (!except.includes(key)) record[AXIS_OPTIONS[key].optionsKey] = lists[key];
  return record;
}
