import { existsSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import { shellQuote } from "../../lib/machine.ts";
import { readManifest } from "../../results/manifest.ts";
import { type CellRow, readResults } from "../../results/records.ts";
import { RUNS_DIR } from "../../results/run-dir.ts";
import { benchMain } from "../cli/bench.ts";
import { type Experiment, experimentArgs, type SuiteMode } from "./claim.ts";

/**
 * One experiment of the paper suite is one ordinary run directory, OUT/runs/<id>/, made by
 * `npm run bench` in this process (harness/cli/bench.ts's benchMain), so its cells are in
 * results.csv, it runs on the same worker pool and it can be resumed. Running the suite again
 * with the same --out reuses a finished experiment and `--resume`s an interrupted one.
 */

export type ExperimentState = "ran" | "resumed" | "reused" | "failed" | "interrupted";

/** Bench's exit statuses after Ctrl-C or SIGTERM (harness/sweep/run.ts): the run can resume. */
const STOPPED_BY_SIGNAL = new Set([130, 143]);

export interface ExperimentOutcome {
  readonly id: string;
  readonly dir: string;
  readonly state: ExperimentState;
  readonly seconds: number;
  /** results.csv's rows; empty when the experiment failed or was interrupted. */
  readonly rows: readonly CellRow[];
  /** Why it failed: one line. */
  readonly problem: string | null;
  /** The command that reruns it by hand. */
  readonly command: string;
}

export interface RunOptions {
  readonly workers: string | undefined;
  readonly signal?: AbortSignal;
}

/** Bench's own flags the suite adds: no report per experiment, no progress bars. */
const RUN_FLAGS = ["--no-report", "--quiet"];

export async function runExperiment(
  experiment: Experiment,
  mode: SuiteMode,
  out: string,
  options: RunOptions,
): Promise<ExperimentOutcome> {
  const dir = join(out, RUNS_DIR, experiment.id);
  const args = experimentArgs(experiment, mode);
  const command = `npm run bench -- ${args.map(shellQuote).join(" ")}`;
  const workers = options.workers === undefined ? [] : ["--workers", options.workers];
  const started = performance.now();
  const finish = (state: ExperimentState, problem: string | null): ExperimentOutcome => {
    const seconds = (performance.now() - started) / 1000;
    const rows = problem === null ? readResults(join(dir, "results.csv")) : [];
    return { id: experiment.id, dir, state, seconds, rows, problem, command };
  };
  const previous = existsSync(join(dir, "manifest.json")) ? readManifest(dir) : null;
  if (previous !== null) {
    const recorded = previous.argv.slice(0, args.length);
    if (recorded.length !== args.length || recorded.some((a, i) => a !== args[i]))
      throw new UsageError(
        `${dir} holds a run with other options than this suite's ${experiment.id} (a --quick run, or another migbench): give another --out`,
      );
    if (previous.status === "completed") {
      // bench marks a run completed even when some of its cells failed (it exits 1 then); such
      // a run is not evidence: its failed cells must not be judged as "did not converge".
      const failed = readResults(join(dir, "results.csv")).filter((r) => r.status === "failed");
      if (failed.length > 0)
        return finish(
          "failed",
          `${failed.length} cell(s) failed when it ran (see ${dir}); remove it to run the experiment again`,
        );
      return finish("reused", null);
    }
  }
  const benchArgs =
    previous === null
      ? [...args, ...RUN_FLAGS, ...workers, "--out", dir]
      : ["--resume", dir, ...RUN_FLAGS, ...workers];
  try {
    const code = await benchMain(benchArgs, {
      stdout: { write: () => true },
      commandLine: command,
      signal: options.signal,
    });
    if (STOPPED_BY_SIGNAL.has(code))
      return finish("interrupted", `the same --out resumes it (${dir})`);
    if (code !== 0) return finish("failed", `bench exited with status ${code} (see ${dir})`);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return finish("failed", error.message.split("\n")[0]);
  }
  return finish(previous === null ? "ran" : "resumed", null);
}
