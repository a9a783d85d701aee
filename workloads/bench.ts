import { pathToFileURL } from "node:url";
import cliProgress from "cli-progress";
import Table from "cli-table3";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { checkWritableFile, writeFileAtomic } from "../lib/atomic-file.ts";
import { UsageError } from "../lib/errors.ts";
import { flagList, flagValue, joinNegativeValues } from "../lib/flag-list.ts";
import { sizeLabel } from "../lib/format.ts";
import { machineInfo, migbenchVersion } from "../lib/machine.ts";
import { runMain } from "../lib/main.ts";
import { PAGE_SIZE } from "../lib/page.ts";
import { progressMode } from "../lib/progress-mode.ts";
import { parseDurationMs, parseInteger } from "../lib/units.ts";
import {
  dirtyWindows,
  type FullPassResult,
  fullPass,
  skipTo,
  type WindowStats,
  windowStats,
} from "./full-pass.ts";
import { checkWorkloadRun, findWorkload, resolveParams } from "./registry.ts";
import {
  type WorkloadDefinition,
  WorkloadEndedError,
  type WorkloadParams,
  type WorkloadRun,
} from "./types.ts";
import { parseRamBytes } from "./workload-params.ts";

/**
 * `npm run bench:workloads`: how a generator behaves at full size, without the simulator.
 * - default, a full pass (workloads/full-pass.ts): zero pages, every non-zero page read once,
 *   wall time, page bytes per second and the process's peak RSS — the acceptance check
 *   that a 64 GiB sap-like VM is representable within 2 GiB of RSS;
 * - `--windows`: distinct pages dirtied per window of 50 ms … 3 s, the figure the defaults of a
 *   workload are argued from (workloads/sap-like.ts).
 * Tables on stdout, a progress bar on stderr only when it is a terminal, `--json FILE` for the
 * numbers.
 */

const COMMAND = "bench:workloads";
const DEFAULT_WINDOWS = ["50ms", "100ms", "300ms", "1s", "3s"];
const DEFAULT_SPAN = "10s";
/** Box lines around the table and under the header only, as reports/terminal-summary.ts draws them. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

export interface BenchWorkloadsIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

const processIo: BenchWorkloadsIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
};

function parser(args: readonly string[]) {
  return yargs([...args])
    .version(false)
    .scriptName(`npm run ${COMMAND} --`)
    .usage(
      "$0 [options]\n\n" +
        "Measure a workload generator at full size, without the simulator. By default a full\n" +
        "pass: which pages are zero, and every non-zero page read once (time, bytes/s, peak RSS).\n" +
        "With --windows: distinct pages dirtied per window of simulated time.",
    )
    .option("workload", {
      type: "string",
      default: "sap-like",
      describe: "workload to measure (npm run bench -- --help-workload --workload NAME)",
    })
    .option("ram", {
      type: "string",
      describe: "VM RAM size, e.g. 64GiB (multiple of 4096 bytes)",
      defaultDescription: "the workload's default",
    })
    .option("seed", { type: "string", default: "1", describe: "workload seed" })
    .option("set", {
      type: "string",
      array: true,
      describe: "workload parameter key=value (repeatable)",
    })
    .option("at", {
      type: "string",
      default: "0s",
      describe:
        "simulated time to start at, e.g. 130s (the state after a sap-like bulk pass); a plain number is ms",
    })
    .option("windows", {
      type: "boolean",
      describe: "measure distinct pages dirtied per window instead of a full pass",
    })
    .option("window", {
      type: "string",
      describe: "window lengths for --windows (one comma list)",
      defaultDescription: DEFAULT_WINDOWS.join(","),
    })
    .option("span", {
      type: "string",
      describe: "simulated time covered per window length for --windows",
      defaultDescription: DEFAULT_SPAN,
    })
    .option("json", { type: "string", describe: "also write the results as JSON to FILE" })
    .option("quiet", { type: "boolean", describe: "no progress bar on stderr" })
    .strict()
    .help()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(
      "Examples:\n" +
        `  npm run ${COMMAND} -- --workload sap-like --ram 64GiB\n` +
        `  npm run ${COMMAND} -- --workload sap-like --windows --at 130s --set zipf_exponent=0.99\n` +
        "Exit status: 0 done, 1 a file is missing/corrupt, 2 bad option.",
    )
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
}

/** Non-negative seconds from a duration option (units.ts: a plain number is ms). */
function seconds(text: string, flag: string, positive: boolean): number {
  const s = parseDurationMs(text, `--${flag}`) / 1000;
  if (!Number.isFinite(s) || (positive ? s <= 0 : s < 0))
    throw new UsageError(`--${flag}: "${text}" must be ${positive ? "positive" : "≥ 0"}`);
  return s;
}

interface Setup {
  readonly definition: WorkloadDefinition;
  readonly ramBytes: number;
  readonly seed: number;
  readonly params: WorkloadParams;
  readonly atS: number;
}

function setup(argv: Record<string, unknown>): Setup {
  const definition = findWorkload(flagValue(argv.workload, "workload") ?? "sap-like");
  const ramText = flagValue(argv.ram, "ram");
  const ramBytes =
    ramText === undefined ? definition.defaultRamBytes : parseRamBytes(ramText, "--ram");
  const seedText = flagValue(argv.seed, "seed") ?? "1";
  const seed = parseInteger(seedText, "--seed", 0, 2 ** 32 - 1, "seeds are 32-bit");
  // The registry's resolver, as `npm run bench` uses it: unknown keys and bad values are
  // UsageErrors naming the workload and the key.
  const params = resolveParams(definition, ((argv.set as unknown[]) ?? []).map(String));
  const atS = seconds(flagValue(argv.at, "at") ?? "0s", "at", false);
  return { definition, ramBytes, seed, params, atS };
}

async function createRun(s: Setup): Promise<WorkloadRun> {
  return s.definition.create({ ramBytes: s.ramBytes, seed: s.seed, params: s.params });
}

/** Window lengths in seconds, in the order given; duplicates are a UsageError. */
function windowLengths(value: unknown): number[] {
  const texts = flagList(value, "window") ?? DEFAULT_WINDOWS;
  const lengths = texts.map((text) => seconds(text, "window", true));
  if (new Set(lengths).size !== lengths.length)
    throw new UsageError("--window: a window length is listed twice");
  return lengths;
}

interface Bar {
  update(done: number): void;
  stop(): void;
}

function progressBar(io: BenchWorkloadsIo, quiet: boolean, unit: string, total: number): Bar {
  // Only a terminal gets progress: a full pass is one step, so a log needs no per-step lines.
  if (progressMode(io.stderr, io.env, quiet) !== "bar") return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `${unit} {bar} {percentage}% | {duration_formatted} elapsed | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}

function table(head: string[], rows: string[][]): string {
  const t = new Table({ head, chars: COMPACT, style: { head: [], border: [] } });
  for (const row of rows) t.push(row);
  return t.toString();
}

const peakRssBytes = () => process.resourceUsage().maxRSS * 1024;
const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : "-";
const count = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-";

/** "300 ms", "3 s": rounded so 0.3 × 1000 prints as 300. */
function formatWindow(windowS: number): string {
  return windowS < 1 ? `${+(windowS * 1000).toFixed(3)} ms` : `${+windowS.toFixed(3)} s`;
}

function describeSetup(s: Setup, run: WorkloadRun): string {
  const sets = s.definition.params
    .map(({ name, unit }) => {
      const value = s.params[name];
      if (typeof value !== "number" || (unit !== "bytes" && unit !== "bytes/s"))
        return `${name}=${value}`;
      return `${name}=${sizeLabel(value).replace(" ", "")}${unit === "bytes/s" ? "/s" : ""}`;
    })
    .join(" ");
  return `${s.definition.name}, ${sizeLabel(run.pageCount * PAGE_SIZE)} (${count(run.pageCount)} pages), seed ${s.seed}, from ${s.atS} s; ${sets || "no parameters"}`;
}

interface FullPassReport extends FullPassResult {
  readonly createS: number;
  readonly advanceS: number;
  readonly passS: number;
  readonly pagesPerS: number;
  /** Bytes of the non-zero pages read, 10^9 per second (as bench:codecs' GB/s). */
  readonly readGBps: number;
  readonly rssAfterCreateBytes: number;
  readonly peakRssBytes: number;
}

async function runFullPass(s: Setup, io: BenchWorkloadsIo, quiet: boolean) {
  let t0 = performance.now();
  const run = await createRun(s);
  const createS = (performance.now() - t0) / 1000;
  const rssAfterCreateBytes = process.memoryUsage().rss;
  t0 = performance.now();
  skipTo(run, s.atS);
  const advanceS = (performance.now() - t0) / 1000;
  const bar = progressBar(io, quiet, "pages", run.pageCount);
  t0 = performance.now();
  let result: FullPassResult;
  try {
    result = fullPass(run, (visited) => bar.update(visited));
  } finally {
    bar.stop();
  }
  const passS = (performance.now() - t0) / 1000;
  const report: FullPassReport = {
    ...result,
    createS,
    advanceS,
    passS,
    pagesPerS: result.pages / passS,
    readGBps: (result.readPages * PAGE_SIZE) / passS / 1e9,
    rssAfterCreateBytes,
    peakRssBytes: peakRssBytes(),
  };
  const zeroShare = result.pages === 0 ? 0 : result.zeroPages / result.pages;
  const rows = [
    ["pages", count(result.pages)],
    ["zero pages", `${count(result.zeroPages)} (${fixed(zeroShare * 100, 2)} %)`],
    ["non-zero pages read", count(result.readPages)],
    ["create", `${fixed(createS, 2)} s`],
    ["advance to --at", `${fixed(advanceS, 2)} s`],
    ["full pass", `${fixed(passS, 2)} s`],
    ["pages visited/s", count(report.pagesPerS)],
    ["read GB/s", fixed(report.readGBps, 2)],
    ["RSS after create", sizeLabel(rssAfterCreateBytes)],
    ["peak RSS", sizeLabel(report.peakRssBytes)],
    ["checksum", `0x${result.checksum.toString(16).padStart(8, "0")}`],
  ];
  io.stdout.write(`full pass: ${describeSetup(s, run)}\n`);
  io.stdout.write(`${table(["measure", "value"], rows)}\n`);
  return { mode: "full-pass", pageCount: run.pageCount, fullPass: report };
}

interface WindowsReport extends WindowStats {
  readonly meanPagesPerS: number;
  readonly minPagesPerS: number;
  readonly maxPagesPerS: number;
}

async function runWindows(
  s: Setup,
  lengthsS: readonly number[],
  spanS: number,
  io: BenchWorkloadsIo,
  quiet: boolean,
) {
  const plan = lengthsS.map((windowS) => {
    // The tolerance keeps 10 s / 0.1 s at 100 windows despite binary fractions.
    const windows = Math.floor(spanS / windowS + 1e-9);
    if (windows < 1)
      throw new UsageError(`--span ${spanS} s is shorter than the window of ${windowS} s`);
    return { windowS, windows };
  });
  const bar = progressBar(
    io,
    quiet,
    "windows",
    plan.reduce((sum, p) => sum + p.windows, 0),
  );
  const reports: WindowsReport[] = [];
  let pageCount = 0;
  let done = 0;
  try {
    for (const { windowS, windows } of plan) {
      // Time only moves forward, so every window length needs its own run from t = 0.
      const run = await createRun(s);
      pageCount = run.pageCount;
      const counts = dirtyWindows(run, s.atS, windowS, windows, () => bar.update(++done));
      const stats = windowStats(windowS, counts);
      reports.push({
        ...stats,
        meanPagesPerS: stats.meanPages / windowS,
        minPagesPerS: stats.minPages / windowS,
        maxPagesPerS: stats.maxPages / windowS,
      });
    }
  } finally {
    bar.stop();
  }
  const rows = reports.map((r) => [
    formatWindow(r.windowS),
    String(r.windows),
    count(r.meanPages),
    count(r.minPages),
    count(r.maxPages),
    count(r.meanPagesPerS),
    count(r.minPagesPerS),
    count(r.maxPagesPerS),
    fixed((r.meanPagesPerS * PAGE_SIZE) / 2 ** 20, 1),
  ]);
  const head = [
    "window",
    "windows",
    "mean pages",
    "min pages",
    "max pages",
    "mean pages/s",
    "min pages/s",
    "max pages/s",
    "mean MiB/s",
  ];
  io.stdout.write(
    `distinct pages dirtied per window: ${s.definition.name}, ${sizeLabel(pageCount * PAGE_SIZE)}, seed ${s.seed}, windows from ${s.atS} s over ${spanS} s each\n`,
  );
  io.stdout.write(`${table(head, rows)}\n`);
  io.stdout.write(`peak RSS ${sizeLabel(peakRssBytes())}\n`);
  return { mode: "windows", pageCount, spanS, windows: reports, peakRssBytes: peakRssBytes() };
}

export async function benchWorkloadsMain(
  args: readonly string[],
  io: BenchWorkloadsIo = processIo,
): Promise<number> {
  const argv = (await parser(
    joinNegativeValues(args, ["help", "version", "windows", "quiet"]),
  ).parseAsync()) as Record<string, unknown>;
  if ((argv._ as unknown[]).length > 0)
    throw new UsageError(`unexpected argument "${String((argv._ as unknown[])[0])}"`);
  const s = setup(argv);
  const windowsMode = Boolean(argv.windows);
  if (!windowsMode && (argv.window !== undefined || argv.span !== undefined))
    throw new UsageError("--window and --span apply to --windows; add --windows");
  const lengthsS = windowsMode ? windowLengths(argv.window) : [];
  const spanS = seconds(flagValue(argv.span, "span") ?? DEFAULT_SPAN, "span", true);
  // What create() rejects (a RAM too small for the active set...) and where --json goes,
  // before the header and the pass.
  await checkWorkloadRun(s.definition, { ramBytes: s.ramBytes, seed: s.seed, params: s.params });
  const jsonPath = flagValue(argv.json, "json");
  if (jsonPath !== undefined) checkWritableFile(jsonPath);
  const machine = machineInfo();
  io.stdout.write(
    `migbench ${migbenchVersion()} ${COMMAND} · Node ${machine.node} · ${machine.cpu.model} (${machine.cpu.cores} cores)\n`,
  );
  const started = performance.now();
  const quiet = Boolean(argv.quiet);
  let result: Record<string, unknown>;
  try {
    result = windowsMode
      ? await runWindows(s, lengthsS, spanS, io, quiet)
      : await runFullPass(s, io, quiet);
  } catch (error) {
    if (error instanceof WorkloadEndedError)
      throw new UsageError(
        `${error.message}; choose an earlier --at or a shorter --span, or --set on-end=loop`,
      );
    throw error;
  }
  const wallS = (performance.now() - started) / 1000;
  io.stdout.write(`wall time ${fixed(wallS, 1)} s\n`);
  if (jsonPath !== undefined) {
    const document = {
      migbenchVersion: migbenchVersion(),
      ...machine,
      workload: s.definition.name,
      // From the run: a recorded trace sets its own size whatever --ram says.
      ramBytes: (result.pageCount as number) * PAGE_SIZE,
      seed: s.seed,
      params: s.params,
      atS: s.atS,
      wallS,
      ...result,
    };
    writeFileAtomic(jsonPath, `${JSON.stringify(document, null, 2)}\n`);
    io.stdout.write(`wrote ${jsonPath}\n`);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain(COMMAND, () => benchWorkloadsMain(hideBin(process.argv)));
}
