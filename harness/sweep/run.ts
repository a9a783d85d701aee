import { join } from "node:path";
import type { Calibration } from "../../codecs/calibration.ts";
import { InputError } from "../../lib/errors.ts";
import { elapsedLabel } from "../../lib/format.ts";
import { gitInfo, machineInfo, migbenchVersion } from "../../lib/machine.ts";
import { progressMode } from "../../lib/progress-mode.ts";
import { summaryTables } from "../../reports/terminal-summary.ts";
import type { CellSpec } from "../../results/cell.ts";
import {
  fileSha256,
  type Manifest,
  type ShardRecord,
  writeManifest,
} from "../../results/manifest.ts";
import { readResults } from "../../results/records.ts";
import { RunWriter } from "../../results/run-writer.ts";
import { RESULTS_FILE } from "../../results/schema.ts";
import type { HostProfile } from "../simulator/host-profile.ts";
import type { Plan } from "./options.ts";
import { runCells } from "./pool.ts";
import { createProgress } from "./progress.ts";

/**
 * Running a planned sweep into its run directory: the manifest it starts with, the cells on the
 * worker pool (Ctrl-C and SIGTERM stop it with every finished cell kept), the manifest it ends
 * with, the summary tables and the report. The caller holds the directory's lock.
 */

export interface RunContext {
  readonly workers: number;
  /** True when the directory holds an earlier session's cells (--resume). */
  readonly resumed: boolean;
  readonly verify: boolean;
  /** The encode rates, read once when the sweep was planned; the pool hands them to workers. */
  readonly calibration: Calibration;
  /** The host profile's values, read once when the sweep was planned; passed on like the rates. */
  readonly profile: HostProfile;
  readonly quiet: boolean;
  /** Draw the charts and report.html at the end. */
  readonly report: boolean;
  /** Module exporting runCell (tests pass a stub); default harness/simulator/run-cell.ts. */
  readonly runCellModule?: string;
  /** Abort to interrupt the run as Ctrl-C would (tests). */
  readonly signal?: AbortSignal;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  /** performance.now() when the command started, for the machine's wall time. */
  readonly wallStart: number;
}

/** What a fresh run records before its first cell. */
export function freshManifest(
  plan: Plan,
  run: {
    readonly commandLine: string;
    readonly cwd: string;
    readonly argv: readonly string[];
    readonly workers: number;
    readonly startedAt: string;
    /** The part of the sweep the run holds (--shard), or null for the whole sweep. */
    readonly shard: ShardRecord | null;
  },
): Manifest {
  return {
    format: 1,
    migbenchVersion: migbenchVersion(),
    ...gitInfo(),
    ...machineInfo(),
    commandLine: run.commandLine,
    cwd: run.cwd,
    argv: [...run.argv],
    options: plan.options,
    seeds: plan.seeds,
    calibration: plan.calibration,
    profile: plan.profile,
    plugins: plan.codecModules.map((path) => ({ path, sha256: fileSha256(path) })),
    cells: plan.cells.length,
    ...(run.shard === null ? {} : { shard: run.shard }),
    workers: run.workers,
    startedAt: run.startedAt,
    endedAt: null,
    status: "running",
    cellsDone: 0,
    resumes: [],
    machine: null,
  };
}

type StopSignal = "SIGINT" | "SIGTERM";

/** Exit statuses of a run stopped by a signal: 128 + the signal's number, as a shell reports. */
const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * The cells a run directory holds: `sweep` is every cell of the sweep (the CSV columns are the
 * whole sweep's), `cells` those this directory runs — the same, or one part of it (--shard).
 */
export interface RunCells {
  readonly sweep: readonly CellSpec[];
  readonly cells: readonly CellSpec[];
}

/** Runs the cells not yet done and reports; the exit status. */
export async function runAndReport(
  dir: string,
  { sweep, cells }: RunCells,
  started: Manifest,
  context: RunContext,
): Promise<number> {
  const writer = new RunWriter(dir, sweep, context.resumed, cells);
  for (const notice of writer.notices) context.stderr.write(`bench: ${notice}\n`);
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
  const stoppedBy = await runPending(dir, cells, writer, manifest, context);
  return finish(dir, cells.length, writer, manifest, stoppedBy, context);
}

/**
 * The cells the writer does not hold yet, on the pool. Ctrl-C or SIGTERM stops handing out
 * cells; cells in flight are dropped, every finished one is kept (cells.journal), and --resume
 * finishes the run. Returns the signal that stopped it, if one did.
 */
async function runPending(
  dir: string,
  cells: readonly CellSpec[],
  writer: RunWriter,
  manifest: Manifest,
  context: RunContext,
): Promise<StopSignal | null> {
  const { stderr } = context;
  const controller = new AbortController();
  let stoppedBy: StopSignal | null = null;
  const stop = (signal: StopSignal) => {
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
  context.signal?.addEventListener("abort", onSigint, { once: true });
  const progress = createProgress(progressMode(stderr, context.env, context.quiet), stderr);
  const pending = cells.filter((cell) => !writer.has(cell.index));
  progress.start(cells.length, writer.kept);
  try {
    await runCells(
      pending,
      {
        workers: context.workers,
        runCellModule: context.runCellModule,
        signal: controller.signal,
        verify: context.verify,
        calibration: context.calibration,
        profile: context.profile,
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
    context.signal?.removeEventListener("abort", onSigint);
  }
  progress.stop();
  return stoppedBy;
}

/** The manifest's last state, then (for a completed run) the summary, the report, the path. */
async function finish(
  dir: string,
  cellCount: number,
  writer: RunWriter,
  manifest: Manifest,
  stoppedBy: StopSignal | null,
  context: RunContext,
): Promise<number> {
  const { stdout, stderr, now } = context;
  const machine = {
    wallMs: Math.round(performance.now() - context.wallStart),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  const ended = { endedAt: now().toISOString(), cellsDone: writer.finished, machine };
  // A signal after the last cell was written interrupted nothing: the run is complete.
  if (stoppedBy !== null && writer.written < cellCount) {
    writeManifest(dir, { ...manifest, status: "interrupted", ...ended });
    stderr.write(
      `bench: interrupted (${stoppedBy}) with ${writer.finished} of ${cellCount} cells finished and kept; finish with: npm run bench -- --resume ${dir}\n`,
    );
    return SIGNAL_EXIT[stoppedBy];
  }
  writeManifest(dir, { ...manifest, status: "completed", ...ended });

  // Summary (from results.csv, so it covers earlier sessions of a resumed run), report, path.
  const records = readResults(join(dir, RESULTS_FILE));
  for (const table of summaryTables(records)) stdout.write(`${table}\n`);
  let reportFailed = false;
  if (context.report) {
    if (await buildReportFor(dir, stderr)) stdout.write(`report: ${join(dir, "report.html")}\n`);
    else reportFailed = true;
  }
  const part =
    manifest.shard === undefined ? "" : `, part ${manifest.shard.index}/${manifest.shard.count}`;
  stdout.write(
    `results: ${dir} (${cellCount} cells${part}, ${elapsedLabel(machine.wallMs / 1000)})\n`,
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

const REPORT_MODULE = new URL("../../reports/build.ts", import.meta.url).href;

/**
 * Builds charts and report.html for a run directory (reports/build.ts), saying on stderr what it
 * did not draw; false when it failed (the results are intact either way). Also `npm run merge`'s.
 */
export async function buildReportFor(
  dir: string,
  stderr: NodeJS.WriteStream,
  command = "bench",
): Promise<boolean> {
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
      stderr.write(`${command}: report: not drawn for this run (see report.html): ${names}\n`);
    }
    for (const { name, warning } of result.warnings) {
      stderr.write(`${command}: report: ${name}: ${warning}\n`);
    }
    return true;
  } catch (error) {
    stderr.write(
      `${command}: report not built (${(error as Error).message.split("\n")[0]}); results are intact; retry with npm run report -- ${dir}\n`,
    );
    return false;
  }
}

/** Close after an error: the first error is the one to report. */
function closeQuietly(writer: RunWriter): void {
  try {
    writer.close();
  } catch {
    // already failing
  }
}
