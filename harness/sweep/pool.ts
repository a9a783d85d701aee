import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { Calibration } from "../../codecs/calibration.ts";
import { workerExecArgv } from "../../lib/workers.ts";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import { cacheIndependentKey } from "../simulator/cache-independence.ts";
import type { HostProfile } from "../simulator/host-profile.ts";
import type { RunCellOptions } from "../simulator/run-cell.ts";
import { type CellWorkerData, loadRunCell } from "./cell-worker.ts";

/**
 * Runs the cells of a sweep on a pool of worker threads (piscina), one cell per task, and hands
 * each result to `onResult` as it finishes — in finish order; the results writer puts rows back
 * in cell order. `workers: 0` runs the cells one after another in this thread with the very
 * same runCell, which is what makes `--workers 1` and `--workers N` (and the tests, which call
 * runCell directly) agree byte for byte.
 */

export interface PoolOptions {
  /** Worker threads; 0 = run inline in this thread. */
  readonly workers: number;
  /** Module exporting runCell(spec) (path or file: URL); default harness/simulator/run-cell.ts. */
  readonly runCellModule?: string;
  /**
   * Abort to stop handing out cells (Ctrl-C); a worker's cell in flight is dropped, not reported
   * (the worker is terminated); with `workers: 0` the cell running inline finishes and is kept.
   */
  readonly signal?: AbortSignal;
  /** bench --verify: decode and compare every encoded page (harness/simulator/run-cell.ts). */
  readonly verify?: boolean;
  /**
   * The encode rates of the cells' calibration, as the main thread read them once: they go to
   * each worker by value (workerData), so no worker reads the calibration file.
   */
  readonly calibration: Calibration;
  /** The host profile's values, to each worker by value like the calibration. */
  readonly profile: HostProfile;
}

const WORKER_FILE = fileURLToPath(new URL("./cell-worker.ts", import.meta.url));

/** `--workers` default: one per core (os.availableParallelism, Node ≥ 18.14). */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** A cell whose runCell threw (a bug, or a worker that died) is a failed row, not a lost one. */
function failedResult(spec: CellSpec, error: unknown): CellResult {
  const message = error instanceof Error ? error.message : String(error);
  return { spec, status: "failed", error: message.split("\n")[0], wallMs: 0 };
}

/**
 * Runs every cell, but a cache-independent cell (cacheIndependentKey in
 * harness/simulator/cache-independence.ts) only once per key: the others get a copy of its
 * result under their own spec, with wallMs 0 (no machine time was spent on them). A default
 * sweep over three cache sizes thus simulates raw and zero once each.
 */
export async function runCells(
  specs: readonly CellSpec[],
  options: PoolOptions,
  onResult: (result: CellResult) => void,
): Promise<void> {
  const followers = new Map<number, CellSpec[]>();
  const leaderOfKey = new Map<string, CellSpec>();
  const leaders: CellSpec[] = [];
  for (const spec of specs) {
    const key = cacheIndependentKey(spec);
    const leader = key === null ? undefined : leaderOfKey.get(key);
    if (leader) {
      followers.get(leader.index)?.push(spec);
      continue;
    }
    if (key !== null) leaderOfKey.set(key, spec);
    followers.set(spec.index, []);
    leaders.push(spec);
  }
  await runEveryCell(leaders, options, (result) => {
    onResult(result);
    for (const spec of followers.get(result.spec.index) ?? []) {
      if (options.signal?.aborted) return;
      // The leader's RAM: a trace's is only known once it ran (run-cell.ts).
      onResult({ ...result, spec: { ...spec, ramBytes: result.spec.ramBytes }, wallMs: 0 });
    }
  });
}

async function runEveryCell(
  specs: readonly CellSpec[],
  options: PoolOptions,
  onResult: (result: CellResult) => void,
): Promise<void> {
  const { signal } = options;
  if (specs.length === 0) return;
  const cellOptions: RunCellOptions = {
    calibration: options.calibration,
    profile: options.profile,
    verify: options.verify,
  };
  if (options.workers <= 0) {
    const runCell = await loadRunCell(options.runCellModule);
    for (const spec of specs) {
      // The simulator is synchronous: without a turn of the event loop between cells the
      // SIGINT/SIGTERM handlers (which only set `signal`) would never run until the sweep ended.
      await yieldToEventLoop();
      if (signal?.aborted) return;
      let result: CellResult;
      try {
        result = await runCell(spec, cellOptions);
      } catch (error) {
        result = failedResult(spec, error);
      }
      // A cell that finished is kept even if the signal came while it ran: it cost nothing to
      // stop for, unlike a worker's cell, which is dropped so Ctrl-C need not wait for it.
      onResult(result);
    }
    return;
  }
  const threads = Math.min(options.workers, specs.length);
  const pool = new Piscina({
    filename: WORKER_FILE,
    minThreads: threads,
    maxThreads: threads,
    execArgv: workerExecArgv(),
    workerData: {
      runCellModule: options.runCellModule,
      options: cellOptions,
    } satisfies CellWorkerData,
  });
  // Once stopping (Ctrl-C, or onResult threw), no result is handed on: the tasks destroy()
  // terminates reject with "Terminating worker thread", and those must not become failed rows.
  let stopping = false;
  // A worker may post its result just before destroy() terminates it; piscina then finds no task
  // for that message and emits 'error' ("Unexpected message from Worker", ThreadPool.onMessage in
  // piscina/dist/index.js). With no listener that event kills the process, which is how a Ctrl-C
  // under load used to crash the run. While stopping it is expected and dropped; at any other
  // time it is a pool failure the run must report.
  let poolError: unknown = null;
  pool.on("error", (error: unknown) => {
    if (!stopping) poolError ??= error;
  });
  const stop = () => {
    stopping = true;
    void pool.destroy();
  };
  const deliver = (result: CellResult) => {
    if (stopping) return;
    try {
      onResult(result);
    } catch (error) {
      stopping = true; // e.g. the disk is full: nothing after this may be written
      throw error;
    }
  };
  signal?.addEventListener("abort", stop, { once: true });
  try {
    await Promise.all(
      specs.map((spec) =>
        pool.run(spec).then(
          (result: CellResult) => deliver(result),
          (error: unknown) => deliver(failedResult(spec, error)),
        ),
      ),
    );
  } finally {
    stopping = true;
    signal?.removeEventListener("abort", stop);
    await pool.destroy();
  }
  if (poolError !== null) throw poolError;
}

/** One macrotask turn (setImmediate), so signal handlers and I/O callbacks get to run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
