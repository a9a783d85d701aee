import { hostname } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { hideBin } from "yargs/helpers";
import { UsageError } from "../../lib/errors.ts";
import { flagList, flagValue } from "../../lib/flag-list.ts";
import { migbenchVersion, shellQuote } from "../../lib/machine.ts";
import { runMain } from "../../lib/main.ts";
import type { CellSpec } from "../../results/cell.ts";
import { type Manifest, readManifest } from "../../results/manifest.ts";
import { defaultRunDir } from "../../results/run-dir.ts";
import { lockRunDir } from "../../results/run-lock.ts";
import { checkFreshRunDir } from "../../results/run-writer.ts";
import { builtinCatalogue, type WorkloadCatalogue } from "../../workloads/catalogue.ts";
import { dryRunReport } from "../sweep/dry-run.ts";
import {
  DEFAULT_WORKLOAD,
  type OptionTexts,
  type Plan,
  planSweep,
  SWEEP_FLAGS,
} from "../sweep/options.ts";
import { coreCount, poolThreads } from "../sweep/pool.ts";
import { resumedManifest } from "../sweep/resume.ts";
import { freshManifest, runAndReport } from "../sweep/run.ts";
import { autoWorkers, resolveShard, type Shard, shardCells } from "../sweep/shard.ts";
import { parseArgs, workerCount } from "./bench-options.ts";

/**
 * `npm run bench`: parse the command line (harness/cli/bench-options.ts), plan the sweep
 * (harness/sweep/options.ts) — or plan an interrupted run's sweep again and check it may be
 * resumed (harness/sweep/resume.ts) — and take its part under --shard (harness/sweep/shard.ts);
 * then, holding the run directory's lock, run its cells and report (harness/sweep/run.ts), or,
 * with --dry-run, say what that would do (harness/sweep/dry-run.ts). The simulator itself is
 * harness/simulator/run-cell.ts.
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
  const env = deps.env ?? process.env;
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
  const dryRun = Boolean(argv["dry-run"]);
  if (dryRun && argv.resume !== undefined)
    throw new UsageError("--dry-run plans a new run; drop --resume");
  const session = { cwd, workers: workerCount(argv), now, catalogue, stderr, env, dryRun };
  const commandLine = deps.commandLine ?? process.argv.map(shellQuote).join(" ");
  const start =
    argv.resume === undefined
      ? await freshRun(args, argv, commandLine, session)
      : await resumedRun(argv, commandLine, session);
  if (dryRun) {
    const given = (flag: string) => argv[flag] !== undefined;
    const { lines, warnings } = dryRunReport({ ...start, given });
    for (const line of lines) stdout.write(`${line}\n`);
    for (const warning of warnings) stderr.write(`bench: warning: ${warning}\n`);
    return 0;
  }

  // One writer per run directory: a second run (or a --resume of a run still going) stops here.
  const lock = lockRunDir(start.dir);
  try {
    return await runAndReport(
      start.dir,
      { sweep: start.plan.cells, cells: start.cells },
      start.manifest,
      {
        workers: start.workers,
        resumed: argv.resume !== undefined,
        verify: Boolean(argv.verify),
        calibration: start.plan.calibration.rates,
        profile: start.plan.profile.values,
        quiet: Boolean(argv.quiet),
        report: Boolean(argv.report),
        runCellModule: deps.runCellModule,
        signal: deps.signal,
        stdout,
        stderr,
        env,
        now,
        wallStart,
      },
    );
  } finally {
    lock.release();
  }
}

interface Session {
  readonly cwd: string;
  /** --workers, or null to pick from the cells' estimated cost. */
  readonly workers: number | null;
  readonly now: () => Date;
  readonly catalogue: WorkloadCatalogue;
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly dryRun: boolean;
}

interface Start {
  readonly dir: string;
  readonly plan: Plan;
  /** The cells this run directory holds: the sweep's, or one part's (--shard). */
  readonly cells: readonly CellSpec[];
  readonly shard: Shard | null;
  readonly workers: number;
  readonly manifest: Manifest;
}

async function freshRun(
  args: readonly string[],
  argv: OptionTexts,
  commandLine: string,
  { cwd, workers, now, catalogue, env, dryRun }: Session,
): Promise<Start> {
  const shardArg = flagValue(argv.shard, "shard");
  const shard = shardArg === undefined ? null : resolveShard(shardArg, env);
  const plan = await planSweep(argv, cwd, catalogue, !dryRun);
  const cells = shard === null ? plan.cells : shardCells(plan.cells, shard);
  const outArg = flagValue(argv.out, "out");
  const dir = outArg
    ? resolve(cwd, outArg)
    : resolve(cwd, defaultRunDir(plan.workloads, now(), cwd));
  // A run checks this once it holds the directory's lock (results/run-writer.ts); a dry run
  // takes no lock and must still say it.
  if (dryRun) checkFreshRunDir(dir);
  const chosen = poolThreads(cells, workers ?? autoWorkers(cells, coreCount()));
  const startedAt = now().toISOString();
  const part = shard === null ? null : { ...shard, cells: cells.length, host: hostname() };
  const manifest = freshManifest(plan, {
    commandLine,
    cwd,
    argv: args,
    workers: chosen,
    startedAt,
    shard: part,
  });
  return { dir, plan, cells, shard, workers: chosen, manifest };
}

/** The rest of an interrupted run: its sweep planned again from what its manifest recorded. */
async function resumedRun(
  argv: OptionTexts,
  commandLine: string,
  { cwd, workers, now, catalogue, stderr }: Session,
): Promise<Start> {
  const resumeArg = flagValue(argv.resume, "resume") ?? "";
  if (argv.out !== undefined) throw new UsageError("--resume DIR writes to DIR; drop --out");
  if (argv.shard !== undefined)
    throw new UsageError("--resume DIR finishes the part its manifest names; drop --shard");
  const dir = resolve(cwd, resumeArg);
  const previous = readManifest(dir);
  const recorded = await planSweep(parseArgs(previous.argv).argv, previous.cwd, catalogue);
  const given = SWEEP_FLAGS.some((flag) => argv[flag] !== undefined)
    ? await planSweep(argv, cwd, catalogue)
    : null;
  const shard = previous.shard ?? null;
  const cells = shard === null ? recorded.cells : shardCells(recorded.cells, shard);
  if (shard !== null && cells.length !== shard.cells)
    throw new UsageError(
      `--resume: part ${shard.index}/${shard.count} of the sweep was ${shard.cells} cells and would now be ${cells.length} (another migbench splits it differently); finish it with the version that started it`,
    );
  const chosen = poolThreads(cells, workers ?? autoWorkers(cells, coreCount()));
  const manifest = resumedManifest({
    resumeArg,
    previous,
    recorded,
    given,
    workers: chosen,
    host: hostname(),
    startedAt: now().toISOString(),
    commandLine,
    warn: (line) => stderr.write(`${line}\n`),
  });
  return { dir, plan: recorded, cells, shard, workers: chosen, manifest };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await runMain("bench", () => benchMain(hideBin(process.argv)));
}
