import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { hideBin } from "yargs/helpers";
import { UsageError } from "../../lib/errors.ts";
import { flagList, flagValue } from "../../lib/flag-list.ts";
import { migbenchVersion, shellQuote } from "../../lib/machine.ts";
import { runMain } from "../../lib/main.ts";
import { type Manifest, readManifest } from "../../results/manifest.ts";
import { defaultRunDir } from "../../results/run-dir.ts";
import { lockRunDir } from "../../results/run-lock.ts";
import { builtinCatalogue, type WorkloadCatalogue } from "../../workloads/catalogue.ts";
import {
  DEFAULT_WORKLOAD,
  type OptionTexts,
  type Plan,
  planSweep,
  SWEEP_FLAGS,
} from "../sweep/options.ts";
import { resumedManifest } from "../sweep/resume.ts";
import { freshManifest, runAndReport } from "../sweep/run.ts";
import { parseArgs, workerCount } from "./bench-options.ts";

/**
 * `npm run bench`: parse the command line (harness/cli/bench-options.ts), plan the sweep
 * (harness/sweep/options.ts) — or plan an interrupted run's sweep again and check it may be
 * resumed (harness/sweep/resume.ts) — then, holding the run directory's lock, run its cells and
 * report (harness/sweep/run.ts). The simulator itself is harness/simulator/run-cell.ts.
 */

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

export async function benchMain(args: readonly string[], deps: BenchDeps = {}): Promise<number> {
  const cwd = deps.cwd ?? process.cwd();
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
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
    for (const name of flagList(argv.workload, "workload") ?? [DEFAULT_WORKLOAD])
      stdout.write(`${catalogue.describeWorkload(catalogue.findWorkload(name))}\n`);
    return 0;
  }
  const workers = workerCount(argv);
  const session = { cwd, workers, now, catalogue, stderr };
  const commandLine = deps.commandLine ?? process.argv.map(shellQuote).join(" ");
  const { dir, plan, manifest } =
    argv.resume === undefined
      ? await freshRun(args, argv, commandLine, session)
      : await resumedRun(argv, commandLine, session);

  // One writer per run directory: a second run (or a --resume of a run still going) stops here.
  const lock = lockRunDir(dir);
  try {
    return await runAndReport(dir, plan.cells, manifest, {
      workers,
      resumed: argv.resume !== undefined,
      verify: Boolean(argv.verify),
      calibration: plan.calibration.rates,
      profile: plan.profile.values,
      quiet: Boolean(argv.quiet),
      report: Boolean(argv.report),
      runCellModule: deps.runCellModule,
      signal: deps.signal,
      stdout,
      stderr,
      env: deps.env ?? process.env,
      now,
      wallStart,
    });
  } finally {
    lock.release();
  }
}

interface Session {
  readonly cwd: string;
  readonly workers: number;
  readonly now: () => Date;
  readonly catalogue: WorkloadCatalogue;
  readonly stderr: { write(text: string): unknown };
}

interface Start {
  readonly dir: string;
  readonly plan: Plan;
  readonly manifest: Manifest;
}

async function freshRun(
  args: readonly string[],
  argv: OptionTexts,
  commandLine: string,
  { cwd, workers, now, catalogue }: Session,
): Promise<Start> {
  const plan = await planSweep(argv, cwd, catalogue);
  const outArg = flagValue(argv.out, "out");
  const dir = outArg
    ? resolve(cwd, outArg)
    : resolve(cwd, defaultRunDir(plan.workloads, now(), cwd));
  const startedAt = now().toISOString();
  const manifest = freshManifest(plan, { commandLine, cwd, argv: args, workers, startedAt });
  return { dir, plan, manifest };
}

/** The rest of an interrupted run: its sweep planned again from what its manifest recorded. */
async function resumedRun(
  argv: OptionTexts,
  commandLine: string,
  { cwd, workers, now, catalogue, stderr }: Session,
): Promise<Start> {
  const resumeArg = flagValue(argv.resume, "resume") ?? "";
  if (argv.out !== undefined) throw new UsageError("--resume DIR writes to DIR; drop --out");
  const dir = resolve(cwd, resumeArg);
  const previous = readManifest(dir);
  const recorded = await planSweep(parseArgs(previous.argv).argv, previous.cwd, catalogue);
  const given = SWEEP_FLAGS.some((flag) => argv[flag] !== undefined)
    ? await planSweep(argv, cwd, catalogue)
    : null;
  const manifest = resumedManifest({
    resumeArg,
    previous,
    recorded,
    given,
    workers,
    startedAt: now().toISOString(),
    commandLine,
    warn: (line) => stderr.write(`${line}\n`),
  });
  return { dir, plan: recorded, manifest };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("bench", () => benchMain(hideBin(process.argv)));
}
