import yargs from "yargs";
import { UsageError } from "../lib/errors.ts";
import { flagList, joinNegativeValues, singleList, singleValued } from "../lib/flag-list.ts";
import { parseInteger, parseNumber } from "../lib/units.ts";
import { levelsHelp, resolveBenchCodecs } from "./bench-codec-list.ts";
import { OUTCOME_KINDS } from "./calibration.ts";
import { isPageKind, PAGE_KINDS, type PageKind } from "./page-kinds.ts";
import { loadCodecModule } from "./registry.ts";
import type { CodecDefinition } from "./types.ts";

/** `npm run bench:codecs`' options: its yargs parser and what it turns them into. */

export const DEFAULT_PAIRS = 16384;
/**
 * makePagePairs() (codecs/page-kinds.ts) puts a kind's old pages, new pages and an output page
 * in one typed array, at most 2^32 bytes: (2 × pairs + 1) × 4096 ≤ 2^32.
 */
export const MAX_PAIRS = 2 ** 19 - 1;
/** Seeds are 32-bit (lib/prng.ts takes `seed | 0`). */
const MAX_SEED = 2 ** 32 - 1;
export const DEFAULT_TIME_MS = 500;
export const DEFAULT_SEED = 1;
/** Pairs per timed iteration: 1 MiB of new pages, long enough for the timer, short for the cache. */
export const BATCH = 256;
export const DEFAULT_CALIBRATION_FILE = "results/calibration.json";

/** Where --export-* write (hyperfine's flags); absent = not written. */
export interface ExportFiles {
  readonly json?: string;
  readonly csv?: string;
  readonly markdown?: string;
}

export interface BenchSettings {
  /** The codecs measured, in order (levels applied; the calibration's raw and zero added). */
  readonly codecs: readonly CodecDefinition[];
  readonly plugins: readonly CodecDefinition[];
  readonly codecModules: readonly string[];
  readonly kinds: readonly PageKind[];
  readonly pairs: number;
  readonly timeMs: number;
  readonly seed: number;
  /** Where --calibrate writes, or null without it. */
  readonly calibrationFile: string | null;
  readonly exports: ExportFiles;
  /** No progress on stderr (it is also off under CI: lib/progress-mode.ts). */
  readonly quiet: boolean;
}

function parser(args: readonly string[]) {
  return yargs(joinNegativeValues(args, ["help", "quiet"]))
    .scriptName("npm run bench:codecs --")
    .usage(
      "$0 [options]\n\nEvery codec × page kind, lzbench style: encode/decode GB/s (mean ± σ, min…max, N), size %, overflow %.",
    )
    .option("codec", {
      type: "string",
      describe: `codecs (one comma list; names, aliases, groups such as paper, or all; NAME:LEVEL for ${levelsHelp()})`,
      default: "all",
    })
    .option("kind", {
      type: "string",
      describe: `page kinds (one comma list of ${PAGE_KINDS.join(", ")})`,
    })
    .option("pairs", {
      type: "string",
      default: String(DEFAULT_PAIRS),
      describe: `page pairs per kind, 1 to ${MAX_PAIRS} (16384 = 64 MiB old + 64 MiB new)`,
    })
    .option("time", {
      type: "string",
      default: String(DEFAULT_TIME_MS),
      describe: "tinybench time budget per task, ms (every pair is encoded at least once)",
    })
    .option("seed", {
      type: "string",
      default: String(DEFAULT_SEED),
      describe: "page generator seed (0..2^32-1)",
    })
    .option("export-json", {
      alias: "json",
      type: "string",
      describe: "write every sample, the settings, the machine and the versions as JSON to FILE",
    })
    .option("export-csv", {
      type: "string",
      describe: "write one row per codec and kind as CSV (units in the column names) to FILE",
    })
    .option("export-markdown", { type: "string", describe: "write the table as markdown to FILE" })
    .option("calibrate", {
      type: "string",
      describe: `write the simulator's encode rates to FILE (default ${DEFAULT_CALIBRATION_FILE})`,
    })
    .option("codec-module", {
      type: "string",
      array: true,
      describe: "load a plug-in codec from a module (repeatable)",
    })
    .option("quiet", { type: "boolean", describe: "no progress on stderr" })
    .check(
      singleValued([
        "pairs",
        "time",
        "seed",
        "export-json",
        "export-csv",
        "export-markdown",
        "calibrate",
      ]),
    )
    .check(singleList(["codec", "kind"]))
    .strict()
    .help()
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

function parseKinds(text: string | undefined): PageKind[] | undefined {
  const names = flagList(text, "kind");
  for (const kind of names ?? []) {
    if (!isPageKind(kind)) {
      throw new UsageError(`unknown page kind "${kind}" (known: ${PAGE_KINDS.join(", ")})`);
    }
  }
  return names as PageKind[] | undefined;
}

/** Parse `args` (without node and the script); loads --codec-module plug-ins. */
export async function parseBenchArgs(args: readonly string[]): Promise<BenchSettings> {
  const argv = await parser(args).parseAsync();
  const pairs = parseInteger(
    argv.pairs,
    "--pairs",
    1,
    MAX_PAIRS,
    "old + new pages in one typed array of at most 2^32 bytes",
  );
  const timeMs = parseNumber(argv.time, "--time", { min: 0, unit: "ms" });
  const seed = parseInteger(argv.seed, "--seed", 0, MAX_SEED, "seeds are 32-bit");
  for (const flag of ["export-json", "export-csv", "export-markdown"] as const) {
    if (argv[flag] === "") throw new UsageError(`--${flag} needs a FILE`);
  }
  const codecModules = argv["codec-module"] ?? [];
  const plugins: CodecDefinition[] = [];
  for (const path of codecModules) plugins.push(await loadCodecModule(path));
  let codecs = resolveBenchCodecs(flagList(argv.codec, "codec") ?? ["all"], plugins);
  const kindNames = parseKinds(argv.kind);
  let kinds = kindNames ?? [...PAGE_KINDS];
  const calibrating = argv.calibrate !== undefined;
  if (calibrating) {
    // The simulator runs the default levels only (one rate per codec name).
    const leveled = codecs.find((codec) => codec.name.includes(":"));
    if (leveled) {
      const family = leveled.name.split(":")[0];
      throw new UsageError(
        `--calibrate: the simulator runs ${family} at its default level, not ${leveled.name}; calibrate ${family}, or drop --calibrate`,
      );
    }
    // The calibration needs the raw and zero rows (see calibration.ts) and four kinds.
    codecs = resolveBenchCodecs(["raw", "zero", ...codecs.map((c) => c.name)], plugins);
    const needed = [...new Set(Object.values(OUTCOME_KINDS))] as PageKind[];
    kinds = kindNames ? [...new Set([...kinds, ...needed])] : needed;
  }
  return {
    codecs,
    plugins,
    codecModules,
    kinds,
    pairs,
    timeMs,
    seed,
    calibrationFile: calibrating ? argv.calibrate || DEFAULT_CALIBRATION_FILE : null,
    exports: {
      json: argv["export-json"],
      csv: argv["export-csv"],
      markdown: argv["export-markdown"],
    },
    quiet: argv.quiet === true,
  };
}
