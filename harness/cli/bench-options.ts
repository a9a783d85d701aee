import yargs, { type Options } from "yargs";
import { UsageError } from "../../lib/errors.ts";
import { flagValue, joinNegativeValues } from "../../lib/flag-list.ts";
import { keysOf } from "../../lib/keys.ts";
import { parseInteger } from "../../lib/units.ts";
import { DEFAULT_HOST_PROFILE } from "../simulator/host-profile.ts";
import { AXIS_OPTIONS } from "../sweep/axis-options.ts";
import { DEFAULT_WORKLOAD, type OptionTexts } from "../sweep/options.ts";
import { DEFAULT_CALIBRATION } from "../sweep/plan.ts";
import { coreCount } from "../sweep/pool.ts";

/**
 * `npm run bench`'s command line: its options in --help's order — the workload and codec
 * options, then one per axis of harness/sweep/axis-options.ts, then the run's own — and the
 * parse. What the sweep options mean is harness/sweep/options.ts's business.
 */

/** More worker threads than this only costs memory: cells are CPU-bound. */
export const MAX_WORKERS = 1024;

/** Options before the axes' table. */
const WORKLOAD_AND_CODEC_OPTIONS: readonly (readonly [string, Options])[] = [
  [
    "workload",
    {
      type: "string",
      describe: "[list] workload(s) to migrate (see --help-workload)",
      defaultDescription: DEFAULT_WORKLOAD,
    },
  ],
  [
    "ram",
    {
      type: "string",
      describe: "[list] VM RAM size, e.g. 16GiB, 512MiB (multiple of 4096 bytes)",
      defaultDescription: "the workload's default",
    },
  ],
  [
    "set",
    {
      type: "string",
      describe:
        "workload parameter key=value (repeatable; value may be a [list]); keys: --help-workload",
    },
  ],
  [
    "help-workload",
    {
      type: "boolean",
      describe: "print the chosen workload's description and parameters, then exit",
    },
  ],
  [
    "codec",
    {
      type: "string",
      describe: "[list] codec names or groups (paper = raw,zero,xbrle,xbzrle; all)",
      defaultDescription: "paper (plus any --codec-module codecs)",
    },
  ],
  [
    "codec-module",
    {
      type: "string",
      describe: "path of a codec plug-in module (repeatable); its codec joins the sweep",
    },
  ],
];

/** Options after the axes' table. */
const RUN_OPTIONS: readonly (readonly [string, Options])[] = [
  [
    "calibration",
    {
      type: "string",
      describe: "codec encode-rate file from `npm run bench:codecs -- --calibrate`, or builtin",
      defaultDescription: DEFAULT_CALIBRATION,
    },
  ],
  [
    "profile",
    {
      type: "string",
      describe:
        "host profile: setup time, fixed downtime, sender cost per page (a JSON file, qemu-7.2-tcg, qemu-7.2-tcg-lab for the validation lab's host, or none for no host costs)",
      defaultDescription: DEFAULT_HOST_PROFILE,
    },
  ],
  [
    "verify",
    {
      type: "boolean",
      describe:
        "decode and compare every encoded page of every codec (default: a sample of plug-ins' pages)",
    },
  ],
  [
    "workers",
    {
      type: "string",
      describe: "worker threads running cells (0 = in the main thread); results do not change",
      defaultDescription: `from the cells' estimated cost: 0 for a short run, up to the cores (${coreCount()})`,
    },
  ],
  [
    "out",
    {
      type: "string",
      describe: "run directory to write",
      defaultDescription: "runs/<UTC timestamp>-<workload>/",
    },
  ],
  [
    "report",
    {
      type: "boolean",
      default: true,
      describe: "draw the charts and report.html at the end (--no-report skips it)",
    },
  ],
  [
    "resume",
    {
      type: "string",
      describe:
        "finish an interrupted run in this directory with its manifest's options (other options must match)",
    },
  ],
  [
    "shard",
    {
      type: "string",
      describe:
        "run only part K of N of the sweep's cells (K/N; slurm/N or k8s/N take K from the scheduler); join the parts with npm run merge",
    },
  ],
  [
    "dry-run",
    {
      type: "boolean",
      describe:
        "check everything, print the cells, an estimated time and settings that change nothing; run and write nothing",
    },
  ],
  ["quiet", { type: "boolean", describe: "no progress on stderr" }],
  ["help", { type: "boolean", describe: "show this help and exit" }],
  ["version", { type: "boolean", describe: "show migbench's version and exit" }],
];

/** One option per axis, as the table describes it. */
const AXIS_YARGS_OPTIONS: readonly (readonly [string, Options])[] = keysOf(AXIS_OPTIONS).map(
  (key) => {
    const option = AXIS_OPTIONS[key];
    return [
      option.flag,
      { type: "string", describe: option.describe, defaultDescription: option.default },
    ] as const;
  },
);

const USAGE =
  "$0 --workload NAME [options]\n\n" +
  "Simulate pre-copy live migration of a workload's VM with each codec and write a run\n" +
  "directory (results.csv, passes.csv, timings.csv, manifest.json, report). Every option\n" +
  "marked [list] takes one comma list (given twice, it is refused); the cells are the\n" +
  "cross product.";

const EPILOGUE =
  "Examples:\n" +
  "  npm run bench -- --workload sap-like\n" +
  "  npm run bench -- --workload sap-like --codec paper --cache-size 16MiB,64MiB,256MiB \\\n" +
  "      --bandwidth 32MiB/s,128MiB/s,1Gbit/s --seed 1,2,3\n" +
  "  npm run bench -- --resume runs/20261125T183000Z-sap-like\n" +
  "  npm run bench -- --workload sap-like --seed 1..40 --shard 3/8 --out runs/sap/part-3\n" +
  "Sizes: B KiB MiB GiB TiB (1024) or kB MB GB TB (1000); a plain number is bytes.\n" +
  "Rates: B = byte, b = bit (case matters): MiB/s, MB/s, GB/s; Mbit/s, Gbit/s, Gb/s, Gbps.\n" +
  "Times: ms s min h; a plain number is ms.\n" +
  "Limits: --ram ≤ 16TiB (2^32 pages); --cache-size ≤ 4GiB; --threads ≤ 255 (QEMU's);\n" +
  `--workers ≤ ${MAX_WORKERS}; --seed 0..4294967295 (seeds are 32-bit).\n` +
  "Exit status: 0 done, 1 a cell failed or a file is missing/corrupt, 2 bad option.";

function parser(args: readonly string[]) {
  let p = yargs([...args])
    .help(false)
    .version(false)
    .scriptName("npm run bench --")
    .usage(USAGE);
  for (const [name, option] of [
    ...WORKLOAD_AND_CODEC_OPTIONS,
    ...AXIS_YARGS_OPTIONS,
    ...RUN_OPTIONS,
  ])
    p = p.option(name, option);
  return p
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(EPILOGUE)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

/** Flags of `npm run bench` that take no value (joinNegativeValues leaves their next word). */
const BOOLEAN_FLAGS = [...WORKLOAD_AND_CODEC_OPTIONS, ...RUN_OPTIONS]
  .filter(([, option]) => option.type === "boolean")
  .map(([name]) => name);

/** The command line → its options by flag, and the --help text. */
export function parseArgs(args: readonly string[]): {
  argv: OptionTexts;
  help: () => Promise<string>;
} {
  const p = parser(joinNegativeValues(args, BOOLEAN_FLAGS));
  const argv: OptionTexts & { _: readonly (string | number)[] } = p.parseSync();
  if (argv._.length > 0) throw new UsageError(`unexpected argument "${String(argv._[0])}"`);
  // --workers is read by the run; bound it here so the check comes with the others.
  if (argv.workers !== undefined) workerCount(argv);
  return { argv, help: () => p.getHelp() };
}

/**
 * --workers: 0 (the main thread) to MAX_WORKERS; null when not given, for the run to pick from
 * its cells' estimated cost (harness/sweep/shard.ts autoWorkers).
 */
export function workerCount(argv: OptionTexts): number | null {
  const text = flagValue(argv.workers, "workers");
  if (text === undefined) return null;
  return parseInteger(text, "--workers", 0, MAX_WORKERS);
}
