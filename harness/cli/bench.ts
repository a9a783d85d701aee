import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { type Calibration, loadCalibration } from "../../codecs/calibration.ts";
import { loadCodecModule, resolveCodecs } from "../../codecs/registry.ts";
import type { CodecDefinition } from "../../codecs/types.ts";
import { checkWritableDirectory } from "../../lib/atomic-file.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import { flagList, flagValue, joinNegativeValues } from "../../lib/flag-list.ts";
import { gitInfo, machineInfo, migbenchVersion, shellQuote } from "../../lib/machine.ts";
import { runMain } from "../../lib/main.ts";
import { progressMode } from "../../lib/progress-mode.ts";
import { parseBytes, parseDurationMs, parseInteger, parseRate } from "../../lib/units.ts";
import { summaryTables } from "../../reports/terminal-summary.ts";
import type { CacheModel, CellSpec, ConvergenceRule } from "../../results/cell.ts";
import { readCsv, toRecords } from "../../results/csv.ts";
import { fileSha256, type Manifest, readManifest, writeManifest } from "../../results/manifest.ts";
import { defaultRunDir, lockRunDir, RunWriter } from "../../results/run-dir.ts";
import { RESULTS_FILE } from "../../results/schema.ts";
import { builtinCatalogue, type WorkloadCatalogue } from "../../workloads/catalogue.ts";
import { parseRamBytes } from "../../workloads/workload-params.ts";
import { MAX_CACHE_SIZE_BYTES } from "../simulator/cache/slots.ts";
import {
  buildCells,
  DEFAULT_LINK_SPEED,
  expandParamSets,
  SWEEP_DEFAULTS,
  type SweepAxes,
} from "../sweep/plan.ts";
import { defaultWorkers, runCells } from "../sweep/pool.ts";
import { createProgress, formatSeconds } from "../sweep/progress.ts";

/**
 * `npm run bench`: parse the sweep, run its cells on the worker pool, write the run directory
 * (results.csv, passes.csv, timings.csv, manifest.json), print the summary and build the report.
 * The simulator itself is harness/simulator/run-cell.ts; this file is the shell around it.
 */

const PAGE_SIZE = 4096;
const DEFAULT_CACHE_SIZES = "16MiB,64MiB,256MiB";
const CACHE_MODELS: readonly CacheModel[] = ["direct", "2way", "lru"];
const RULES: readonly ConvergenceRule[] = ["qemu", "qemu-kvm-0.13", "codec-aware"];

/** Options that define the cells; on --resume they must match the run's (others may differ). */
const SWEEP_OPTIONS = [
  "workload",
  "ram",
  "set",
  "codec",
  "codec-module",
  "cache",
  "cache-size",
  "cache-age",
  "bandwidth",
  "link-speed",
  "downtime-limit",
  "convergence",
  "bulk-skip",
  "threads",
  "max-time",
  "max-passes",
  "seed",
  "calibration",
] as const;

// --- the command line ---------------------------------------------------------------------

function parser(args: readonly string[]) {
  return yargs([...args])
    .help(false)
    .version(false)
    .scriptName("npm run bench --")
    .usage(
      "$0 --workload NAME [options]\n\n" +
        "Simulate pre-copy live migration of a workload's VM with each codec and write a run\n" +
        "directory (results.csv, passes.csv, timings.csv, manifest.json, report). Every option\n" +
        "marked [list] takes one comma list (given twice, it is refused); the cells are the\n" +
        "cross product.",
    )
    .option("workload", {
      type: "string",
      describe: "[list] workload(s) to migrate (see --help-workload)",
      defaultDescription: "sap-like",
    })
    .option("ram", {
      type: "string",
      describe: "[list] VM RAM size, e.g. 16GiB, 512MiB (multiple of 4096 bytes)",
      defaultDescription: "the workload's default",
    })
    .option("set", {
      type: "string",
      describe:
        "workload parameter key=value (repeatable; value may be a [list]); keys: --help-workload",
    })
    .option("help-workload", {
      type: "boolean",
      describe: "print the chosen workload's description and parameters, then exit",
    })
    .option("codec", {
      type: "string",
      describe: "[list] codec names or groups (paper = raw,zero,xbrle,xbzrle; all)",
      defaultDescription: "paper (plus any --codec-module codecs)",
    })
    .option("codec-module", {
      type: "string",
      describe: "path of a codec plug-in module (repeatable); its codec joins the sweep",
    })
    .option("cache", {
      type: "string",
      describe: "[list] page-cache model: direct (QEMU), 2way (paper prototype), lru",
      defaultDescription: "direct",
    })
    .option("cache-size", {
      type: "string",
      describe: "[list] page-cache size in bytes, e.g. 64MiB",
      defaultDescription: DEFAULT_CACHE_SIZES,
    })
    .option("cache-age", {
      type: "string",
      describe: "[list] on|off: QEMU ≥ 2.3's cache age rule (off = pre-2014 always replace)",
      defaultDescription: "on",
    })
    .option("bandwidth", {
      type: "string",
      describe: "[list] max-bandwidth rate cap in bytes/s, e.g. 128MiB/s or 1Gbit/s",
      defaultDescription: "128MiB/s (32MiB/s with --convergence qemu-kvm-0.13)",
    })
    .option("link-speed", {
      type: "string",
      describe: "[list] the link's own speed (the uncapped stop-and-copy runs at it), bytes/s",
      defaultDescription: DEFAULT_LINK_SPEED,
    })
    .option("downtime-limit", {
      type: "string",
      describe: "[list] downtime-limit, e.g. 300ms",
      defaultDescription: "300ms (30ms with --convergence qemu-kvm-0.13)",
    })
    .option("convergence", {
      type: "string",
      describe: "[list] completion rule: qemu (7.2), qemu-kvm-0.13 (2010), codec-aware",
      defaultDescription: "qemu",
    })
    .option("bulk-skip", {
      type: "string",
      describe: "[list] on|off: no delta encoding in the bulk pass (off = pre-2013 QEMU)",
      defaultDescription: "on",
    })
    .option("threads", {
      type: "string",
      describe: "[list] sender compression threads (encode time is divided over them)",
      defaultDescription: "1",
    })
    .option("max-time", {
      type: "string",
      describe: "[list] simulated time after which a cell is did-not-converge, e.g. 600s",
      defaultDescription: "600s",
    })
    .option("max-passes", {
      type: "string",
      describe: "[list] pass limit after which a cell is did-not-converge, or none",
      defaultDescription: "none",
    })
    .option("seed", {
      type: "string",
      describe: "[list] workload seeds, e.g. 1,2,3 or 1..5",
      defaultDescription: "1",
    })
    .option("calibration", {
      type: "string",
      describe: "codec encode-rate file from `npm run bench:codecs -- --calibrate`, or builtin",
      defaultDescription: "builtin",
    })
    .option("verify", {
      type: "boolean",
      describe:
        "decode and compare every encoded page of every codec (default: a sample of plug-ins' pages)",
    })
    .option("workers", {
      type: "string",
      describe: "worker threads running cells (0 = in the main thread); results do not change",
      defaultDescription: `the number of cores (${defaultWorkers()})`,
    })
    .option("out", {
      type: "string",
      describe: "run directory to write",
      defaultDescription: "results/<UTC timestamp>-<workload>/",
    })
    .option("report", {
      type: "boolean",
      default: true,
      describe: "draw the charts and report.html at the end (--no-report skips it)",
    })
    .option("resume", {
      type: "string",
      describe:
        "finish an interrupted run in this directory with its manifest's options (other options must match)",
    })
    .option("quiet", { type: "boolean", describe: "no progress on stderr" })
    .option("help", { type: "boolean", describe: "show this help and exit" })
    .option("version", { type: "boolean", describe: "show migbench's version and exit" })
    .strict()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(
      "Examples:\n" +
        "  npm run bench -- --workload sap-like\n" +
        "  npm run bench -- --workload sap-like --codec paper --cache-size 16MiB,64MiB,256MiB \\\n" +
        "      --bandwidth 32MiB/s,128MiB/s,1Gbit/s --seed 1,2,3\n" +
        "  npm run bench -- --resume results/20261125T183000Z-sap-like\n" +
        "Sizes: B KiB MiB GiB TiB (1024) or kB MB GB TB (1000); a plain number is bytes.\n" +
        "Rates: B = byte, b = bit (case matters): MiB/s, MB/s, GB/s; Mbit/s, Gbit/s, Gb/s, Gbps.\n" +
        "Times: ms s min h; a plain number is ms.\n" +
        "Limits: --ram ≤ 16TiB (2^32 pages); --cache-size ≤ 4GiB; --threads ≤ 255 (QEMU's);\n" +
        "--workers ≤ 1024; --seed 0..4294967295 (seeds are 32-bit).\n" +
        "Exit status: 0 done, 1 a cell failed or a file is missing/corrupt, 2 bad option.",
    )
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

type ParsedArgs = Record<string, unknown>;

/** Flags of `npm run bench` that take no value (joinNegativeValues leaves their next word). */
const BOOLEAN_FLAGS = ["help-workload", "report", "quiet", "help", "version"];

function parseArgs(args: readonly string[]): { argv: ParsedArgs; help: () => Promise<string> } {
  const p = parser(joinNegativeValues(args, BOOLEAN_FLAGS));
  const argv = p.parseSync() as ParsedArgs;
  if ((argv._ as unknown[]).length > 0)
    throw new UsageError(`unexpected argument "${String((argv._ as unknown[])[0])}"`);
  // --workers is read by the run; bound it here so the check comes with the others.
  if (argv.workers !== undefined)
    positiveInt(flagValue(argv.workers, "workers") ?? "", "workers", 0, MAX_WORKERS);
  return { argv, help: () => p.getHelp() };
}

function onOff(text: string, flag: string): boolean {
  if (text === "on") return true;
  if (text === "off") return false;
  throw new UsageError(`--${flag}: "${text}" is not on or off`);
}

function oneOf<T extends string>(text: string, choices: readonly T[], flag: string): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`--${flag}: "${text}" is not one of ${choices.join(", ")}`);
}

function positiveInt(
  text: string,
  flag: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
  why?: string,
): number {
  return parseInteger(text, `--${flag}`, min, max, why);
}

/**
 * Seeds are 32-bit: the generators hash `seed >>> 0` (workloads/heap-model.ts, uniform.ts), so
 * 2^32 would silently repeat seed 0's results.
 */
const MAX_SEED = 2 ** 32 - 1;
const SEED_WHY = "seeds are 32-bit";
/** QEMU's bound on compress-threads: 1..255 (migrate_params_check(), migration/options.c). */
const MAX_THREADS = 255;
/** More worker threads than this only costs memory: cells are CPU-bound. */
const MAX_WORKERS = 1024;

function seeds(texts: readonly string[]): number[] {
  const out: number[] = [];
  for (const text of texts) {
    const range = /^(\d+)\.\.(\d+)$/.exec(text);
    if (range) {
      const from = positiveInt(range[1], "seed", 0, MAX_SEED, SEED_WHY);
      const to = positiveInt(range[2], "seed", 0, MAX_SEED, SEED_WHY);
      if (to < from || to - from > 100_000)
        throw new UsageError(`--seed: "${text}" is not a range low..high of at most 100001 seeds`);
      for (let s = from; s <= to; s++) out.push(s);
    } else out.push(positiveInt(text, "seed", 0, MAX_SEED, SEED_WHY));
  }
  if (new Set(out).size !== out.length) throw new UsageError("--seed: a seed is listed twice");
  return out;
}

// --- options → a plan ---------------------------------------------------------------------

/** The sweep, normalised (bytes, bytes/s, ms, absolute paths): stored in the manifest. */
export interface SweepOptions extends Omit<SweepAxes, "workloads"> {
  readonly workloads: readonly string[];
  readonly ramBytes: readonly number[] | null;
  readonly set: readonly (readonly [string, readonly string[]])[];
  readonly codecModules: readonly string[];
}

interface Plan {
  readonly options: SweepOptions;
  readonly cells: CellSpec[];
  readonly calibration: Calibration;
  readonly calibrationSha256: string | null;
}

async function plan(argv: ParsedArgs, cwd: string, catalogue: WorkloadCatalogue): Promise<Plan> {
  const at = (path: string) => (isAbsolute(path) ? path : resolve(cwd, path));
  const workloadNames = flagList(argv.workload, "workload") ?? ["sap-like"];
  const definitions = workloadNames.map((name) => catalogue.findWorkload(name));

  const ramBytes = flagList(argv.ram, "ram")?.map((text) => parseRamBytes(text, "--ram")) ?? null;

  // --set key=v1,v2 (repeatable). A key must belong to at least one chosen workload; each
  // workload takes the keys it declares (so a multi-workload sweep can set each one's knobs).
  const set: [string, string[]][] = [];
  for (const entry of ([] as unknown[]).concat(argv.set ?? [])) {
    const text = String(entry);
    const eq = text.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set: "${text}" is not key=value`);
    const key = text.slice(0, eq);
    const values = flagList(text.slice(eq + 1), `set ${key}`) ?? [];
    if (set.some(([k]) => k === key)) throw new UsageError(`--set: ${key} is set twice`);
    if (!definitions.some((d) => d.params.some((p) => p.name === key)))
      throw new UsageError(
        `--set: workload ${workloadNames.join(", ")} has no parameter "${key}" (known: ${[
          ...new Set(definitions.flatMap((d) => d.params.map((p) => p.name))),
        ].join(", ")})`,
      );
    set.push([key, values]);
  }
  const workloads = definitions.map((definition) => {
    const own = set.filter(([key]) => definition.params.some((p) => p.name === key));
    const combos = expandParamSets(
      {},
      new Map(own.map(([key, values]) => [key, values] as [string, string[]])),
    );
    return {
      name: definition.name,
      ramBytes: ramBytes ?? [definition.defaultRamBytes],
      paramSets: combos.map((sets) =>
        catalogue.resolveParams(
          definition,
          Object.entries(sets).map(([key, value]) => `${key}=${value}`),
        ),
      ),
    };
  });

  const codecModules = ([] as unknown[])
    .concat(argv["codec-module"] ?? [])
    .map((p) => at(String(p)));
  const plugins: { path: string; codec: CodecDefinition }[] = [];
  for (const path of codecModules) plugins.push({ path, codec: await loadCodecModule(path) });
  const codecNames = flagList(argv.codec, "codec") ?? [
    "paper",
    ...plugins.map((plugin) => plugin.codec.name),
  ];
  const codecs = resolveCodecs(
    codecNames,
    plugins.map((p) => p.codec),
  ).map((codec) => ({
    name: codec.name,
    module: plugins.find((p) => p.codec === codec)?.path ?? null,
  }));

  const calibrationArg = flagValue(argv.calibration, "calibration") ?? SWEEP_DEFAULTS.calibration;
  const calibrationPath = calibrationArg === "builtin" ? "builtin" : at(calibrationArg);

  const options: SweepOptions = {
    workloads: workloadNames,
    ramBytes,
    set,
    codecs,
    codecModules,
    cacheModels:
      flagList(argv.cache, "cache")?.map((t) => oneOf(t, CACHE_MODELS, "cache")) ??
      SWEEP_DEFAULTS.cacheModels,
    cacheSizesBytes: (
      flagList(argv["cache-size"], "cache-size") ?? DEFAULT_CACHE_SIZES.split(",")
    ).map((t) => {
      const bytes = parseBytes(t, "--cache-size");
      if (bytes < PAGE_SIZE) throw new UsageError(`--cache-size: "${t}" is smaller than a page`);
      if (bytes > MAX_CACHE_SIZE_BYTES)
        throw new UsageError(
          `--cache-size: "${t}" is more than 4GiB, the largest cache the simulator holds (its slots are one typed array of at most 2^32 bytes)`,
        );
      return bytes;
    }),
    cacheAge:
      flagList(argv["cache-age"], "cache-age")?.map((t) => onOff(t, "cache-age")) ??
      SWEEP_DEFAULTS.cacheAge,
    bandwidthsBytesPerS:
      flagList(argv.bandwidth, "bandwidth")?.map((t) => parseRate(t, "--bandwidth")) ?? null,
    linkBytesPerS:
      flagList(argv["link-speed"], "link-speed")?.map((t) => parseRate(t, "--link-speed")) ??
      SWEEP_DEFAULTS.linkBytesPerS,
    downtimeLimitsMs:
      flagList(argv["downtime-limit"], "downtime-limit")?.map((t) => {
        const ms = parseDurationMs(t, "--downtime-limit");
        if (ms <= 0) throw new UsageError(`--downtime-limit: "${t}" must be positive`);
        return ms;
      }) ?? null,
    convergence:
      flagList(argv.convergence, "convergence")?.map((t) => oneOf(t, RULES, "convergence")) ??
      SWEEP_DEFAULTS.convergence,
    bulkSkip:
      flagList(argv["bulk-skip"], "bulk-skip")?.map((t) => onOff(t, "bulk-skip")) ??
      SWEEP_DEFAULTS.bulkSkip,
    threads:
      flagList(argv.threads, "threads")?.map((t) =>
        positiveInt(t, "threads", 1, MAX_THREADS, "QEMU's limit for compression threads"),
      ) ?? SWEEP_DEFAULTS.threads,
    maxTimeMs:
      flagList(argv["max-time"], "max-time")?.map((t) => {
        const ms = parseDurationMs(t, "--max-time");
        if (ms <= 0) throw new UsageError(`--max-time: "${t}" must be positive`);
        return ms;
      }) ?? SWEEP_DEFAULTS.maxTimeMs,
    maxPasses:
      flagList(argv["max-passes"], "max-passes")?.map((t) =>
        t === "none" ? null : positiveInt(t, "max-passes"),
      ) ?? SWEEP_DEFAULTS.maxPasses,
    seeds: seeds(flagList(argv.seed, "seed") ?? ["1"]),
    calibration: calibrationPath,
  };
  const cells = buildCells({ ...options, workloads });

  // The files and what the workloads reject, after every option is known to be well formed.
  const calibration = await loadCalibration(calibrationPath);
  const calibrationSha256 =
    calibrationPath === "builtin"
      ? null
      : createHash("sha256").update(readFileSync(calibrationPath)).digest("hex");
  if (catalogue.checkRun) {
    for (const [index, workload] of workloads.entries())
      for (const ramBytes of workload.ramBytes)
        for (const params of workload.paramSets)
          await catalogue.checkRun(definitions[index], {
            ramBytes,
            seed: options.seeds[0],
            params,
          });
  }
  // The run directory (or results/, where the default one goes) must take files before the
  // first cell runs, not fail on the first row.
  const outArg = flagValue(argv.out, "out");
  checkWritableDirectory(outArg === undefined ? join(cwd, "results") : at(outArg));
  return { options, cells, calibration, calibrationSha256 };
}

/** The option keys whose normalised values differ (for --resume's refusal message). */
function differingOptions(a: SweepOptions, b: SweepOptions): string[] {
  return Object.keys(a).filter(
    (key) =>
      JSON.stringify(a[key as keyof SweepOptions]) !== JSON.stringify(b[key as keyof SweepOptions]),
  );
}

// --- the run ------------------------------------------------------------------------------

export interface BenchDeps {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: NodeJS.WriteStream;
  /** Module exporting runCell (tests pass a stub); default harness/simulator/run-cell.ts. */
  readonly runCellModule?: string;
  readonly now?: () => Date;
  /** The full command line for the manifest (default: this process's argv). */
  readonly commandLine?: string;
  /** The workload registry (tests pass a stub); default workloads/registry.ts. */
  readonly catalogue?: WorkloadCatalogue;
  /** Abort to interrupt the run as Ctrl-C would (tests). */
  readonly signal?: AbortSignal;
}

/** Builds charts and report.html for a run directory (reports/build.ts). */
const REPORT_MODULE = new URL("../../reports/build.ts", import.meta.url).href;

async function buildReportFor(dir: string, stderr: NodeJS.WriteStream) {
  try {
    // Loaded only here: vega and resvg cost a second of start-up a --no-report run need not pay.
    // A failure costs the report, not the results.
    const reports = (await import(REPORT_MODULE)) as typeof import("../../reports/build.ts");
    const tty = stderr.isTTY === true;
    const result = await reports.buildReport(dir, {
      onChart: (name) => {
        if (tty) stderr.write(`\r\x1b[Kreport: drawing ${name}`);
      },
    });
    if (tty) stderr.write("\r\x1b[K");
    // Charts a run has no data for (one bandwidth, no codec benchmark) are expected, not
    // errors: one line names them; report.html says why for each.
    if (result.skipped.length > 0) {
      const names = result.skipped.map(({ name }) => name).join(", ");
      stderr.write(`bench: report: not drawn for this run (see report.html): ${names}\n`);
    }
    for (const { name, warning } of result.warnings) {
      stderr.write(`bench: report: ${name}: ${warning}\n`);
    }
    return true;
  } catch (error) {
    stderr.write(
      `bench: report not built (${(error as Error).message.split("\n")[0]}); results are intact; retry with npm run report -- ${dir}\n`,
    );
    return false;
  }
}

export async function benchMain(args: readonly string[], deps: BenchDeps = {}): Promise<number> {
  const cwd = deps.cwd ?? process.cwd();
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const wallStart = performance.now();

  const { argv, help } = parseArgs(args);
  if (argv.help) {
    stdout.write(`${await help()}\n`);
    return 0;
  }
  if (argv.version) {
    stdout.write(`migbench ${migbenchVersion()}\n`);
    return 0;
  }
  const catalogue = deps.catalogue ?? builtinCatalogue;
  if (argv["help-workload"]) {
    for (const name of flagList(argv.workload, "workload") ?? ["sap-like"])
      stdout.write(`${catalogue.describeWorkload(catalogue.findWorkload(name))}\n`);
    return 0;
  }
  const workers =
    argv.workers === undefined
      ? defaultWorkers()
      : positiveInt(flagValue(argv.workers, "workers") ?? "", "workers", 0);

  // A fresh run, or the rest of an interrupted one.
  const resumeArg = flagValue(argv.resume, "resume");
  let dir: string;
  let thePlan: Plan;
  let manifest: Manifest;
  const commandLine = deps.commandLine ?? process.argv.map(shellQuote).join(" ");
  if (resumeArg !== undefined) {
    if (argv.out !== undefined) throw new UsageError("--resume DIR writes to DIR; drop --out");
    dir = resolve(cwd, resumeArg);
    const previous = readManifest(dir);
    thePlan = await plan(parseArgs(previous.argv).argv, previous.cwd, catalogue);
    const given = SWEEP_OPTIONS.filter((name) => argv[name] !== undefined);
    if (given.length > 0) {
      const mine = await plan(argv, cwd, catalogue);
      const differ = differingOptions(previous.options as unknown as SweepOptions, mine.options);
      if (differ.length > 0)
        throw new UsageError(
          `--resume: these options differ from the run in ${resumeArg}: ${differ.join(", ")}; resume with --resume alone`,
        );
    }
    const recorded = JSON.stringify(previous.options);
    if (recorded !== JSON.stringify(thePlan.options))
      throw new UsageError(
        `--resume: the run's command line no longer gives the options it recorded (${differingOptions(previous.options as unknown as SweepOptions, thePlan.options).join(", ")} changed: codecs, workloads or files changed since); start a new run`,
      );
    // The same options can still mean other results: a plug-in or calibration file edited
    // since. Their bytes were hashed when the run started.
    for (const plugin of previous.plugins ?? []) {
      const sha256 = fileSha256(plugin.path);
      if (sha256 !== plugin.sha256)
        throw new InputError(
          plugin.path,
          `this codec plug-in changed since the run started (sha256 ${plugin.sha256.slice(0, 12)}… → ${sha256.slice(0, 12)}…), so its cells would mix two codecs; restore it or start a new run`,
        );
    }
    const calibrationSha256 = previous.calibration.sha256;
    if (typeof calibrationSha256 === "string" && calibrationSha256 !== thePlan.calibrationSha256)
      throw new InputError(
        thePlan.options.calibration,
        `this calibration file changed since the run started (sha256 ${calibrationSha256.slice(0, 12)}… → ${thePlan.calibrationSha256?.slice(0, 12)}…); restore it or start a new run`,
      );
    if (JSON.stringify(previous.calibration.rates) !== JSON.stringify(thePlan.calibration))
      throw new UsageError(
        `--resume: the calibration (${thePlan.options.calibration}) changed since the run started; start a new run`,
      );
    const currentGit = gitInfo();
    if (previous.gitCommit !== currentGit.gitCommit)
      stderr.write(
        `bench: warning: the run started at commit ${previous.gitCommit}, resuming at ${currentGit.gitCommit}; results may mix versions\n`,
      );
    manifest = {
      ...previous,
      plugins: previous.plugins ?? [],
      status: "running",
      endedAt: null,
      workers,
      resumes: [
        ...previous.resumes,
        { startedAt: now().toISOString(), commandLine, cellsAlreadyDone: 0 },
      ],
    };
  } else {
    thePlan = await plan(argv, cwd, catalogue);
    const outArg = flagValue(argv.out, "out");
    dir = outArg
      ? resolve(cwd, outArg)
      : resolve(cwd, defaultRunDir(thePlan.options.workloads, now(), join(cwd, "results")));
    manifest = {
      format: 1,
      migbenchVersion: migbenchVersion(),
      ...gitInfo(),
      ...machineInfo(),
      commandLine,
      cwd,
      argv: [...args],
      options: thePlan.options as unknown as Record<string, unknown>,
      seeds: thePlan.options.seeds,
      calibration: {
        source: thePlan.options.calibration,
        sha256: thePlan.calibrationSha256,
        rates: thePlan.calibration,
      },
      plugins: thePlan.options.codecModules.map((path) => ({ path, sha256: fileSha256(path) })),
      cells: thePlan.cells.length,
      workers,
      startedAt: now().toISOString(),
      endedAt: null,
      status: "running",
      cellsDone: 0,
      resumes: [],
      machine: null,
    };
  }

  // One writer per run directory: a second run (or a --resume of a run still going) stops here.
  const lock = lockRunDir(dir);
  try {
    return await runAndReport(dir, thePlan, manifest, {
      argv,
      workers,
      resumed: resumeArg !== undefined,
      deps,
      stdout,
      stderr,
      env,
      now,
      wallStart,
    });
  } finally {
    lock.release();
  }
}

interface RunContext {
  readonly argv: ParsedArgs;
  readonly workers: number;
  readonly resumed: boolean;
  readonly deps: BenchDeps;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly wallStart: number;
}

/** Exit statuses of a run stopped by a signal: 128 + the signal's number, as a shell reports. */
const SIGNAL_EXIT: Readonly<Record<"SIGINT" | "SIGTERM", number>> = { SIGINT: 130, SIGTERM: 143 };

async function runAndReport(
  dir: string,
  thePlan: Plan,
  started: Manifest,
  context: RunContext,
): Promise<number> {
  const { argv, workers, deps, stdout, stderr, env, now } = context;
  const { cells } = thePlan;
  const writer = new RunWriter(dir, cells, context.resumed);
  for (const notice of writer.notices) stderr.write(`bench: ${notice}\n`);
  let manifest = started;
  if (manifest.resumes.length > 0) {
    const resumes = [...manifest.resumes];
    resumes[resumes.length - 1] = { ...resumes[resumes.length - 1], cellsAlreadyDone: writer.kept };
    manifest = { ...manifest, resumes };
  }
  try {
    writeManifest(dir, { ...manifest, cellsDone: writer.finished });
  } catch (error) {
    closeQuietly(writer);
    throw error;
  }

  // Run what is left. Ctrl-C or SIGTERM stops handing out cells; cells in flight are dropped,
  // every finished one is kept (cells.journal), and --resume finishes the run.
  const controller = new AbortController();
  let stoppedBy: "SIGINT" | "SIGTERM" | null = null;
  const stop = (signal: "SIGINT" | "SIGTERM") => {
    stoppedBy ??= signal;
    controller.abort();
    // A second Ctrl-C gets the default action and ends the process at once (the journal keeps
    // the finished cells either way; a stale lock is taken over by the next run).
    process.removeListener("SIGINT", onSigint);
    process.removeListener("SIGTERM", onSigterm);
  };
  const onSigint = () => stop("SIGINT");
  const onSigterm = () => stop("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  deps.signal?.addEventListener("abort", onSigint, { once: true });
  const progress = createProgress(progressMode(stderr, env, Boolean(argv.quiet)), stderr);
  const pending = cells.filter((cell) => !writer.has(cell.index));
  progress.start(cells.length, writer.kept);
  try {
    await runCells(
      pending,
      {
        workers,
        runCellModule: deps.runCellModule,
        signal: controller.signal,
        verify: Boolean(argv.verify),
        calibration: thePlan.calibration,
      },
      (result) => {
        writer.add(result);
        progress.cellDone(result);
      },
    );
    writer.close();
  } catch (error) {
    progress.stop();
    closeQuietly(writer);
    try {
      writeManifest(dir, { ...manifest, status: "failed", cellsDone: writer.finished });
    } catch {
      // the disk that refused the cells may refuse the manifest too; the first error is the news
    }
    if (error instanceof InputError)
      throw new InputError(
        error.input,
        `${error.problem}; the ${writer.finished} finished cells are kept: fix that, then finish with npm run bench -- --resume ${dir}`,
      );
    throw error;
  } finally {
    process.removeListener("SIGINT", onSigint);
    process.removeListener("SIGTERM", onSigterm);
    deps.signal?.removeEventListener("abort", onSigint);
  }
  progress.stop();
  const machine = {
    wallMs: Math.round(performance.now() - context.wallStart),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  // A signal after the last cell was written interrupted nothing: the run is complete.
  if (stoppedBy !== null && writer.written < cells.length) {
    writeManifest(dir, {
      ...manifest,
      status: "interrupted",
      endedAt: now().toISOString(),
      cellsDone: writer.finished,
      machine,
    });
    stderr.write(
      `bench: interrupted (${stoppedBy}) with ${writer.finished} of ${cells.length} cells finished and kept; finish with: npm run bench -- --resume ${dir}\n`,
    );
    return SIGNAL_EXIT[stoppedBy];
  }
  writeManifest(dir, {
    ...manifest,
    status: "completed",
    endedAt: now().toISOString(),
    cellsDone: writer.finished,
    machine,
  });

  // Summary (from results.csv, so it covers earlier sessions of a resumed run), report, path.
  const records = toRecords(readCsv(join(dir, RESULTS_FILE)));
  for (const table of summaryTables(records)) stdout.write(`${table}\n`);
  let reportFailed = false;
  if (argv.report) {
    if (await buildReportFor(dir, stderr)) stdout.write(`report: ${join(dir, "report.html")}\n`);
    else reportFailed = true;
  }
  stdout.write(
    `results: ${dir} (${cells.length} cells, ${formatSeconds(machine.wallMs / 1000)})\n`,
  );
  const failed = records.filter((r) => r.status === "failed");
  if (failed.length > 0) {
    stderr.write(
      `bench: ${failed.length} of ${records.length} cells failed (first, cell ${failed[0].cell}: ${failed[0].error}); see the error column of results.csv; --resume runs them again\n`,
    );
    return 1;
  }
  return reportFailed ? 1 : 0;
}

/** Close after an error: the first error is the one to report. */
function closeQuietly(writer: RunWriter): void {
  try {
    writer.close();
  } catch {
    // already failing
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("bench", () => benchMain(hideBin(process.argv)));
}
