import { availableParallelism } from "node:os";
import type { Calibration } from "../../codecs/calibration.ts";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import { cacheIndependentKey } from "../simulator/cache-independence.ts";
import type { HostProfile } from "../simulator/host-profile.ts";
import type { RunCellOptions } from "../simulator/run-cell.ts";
import { CellQueue } from "./cell-queue.ts";
import { CellThreads } from "./cell-threads.ts";
import { failedResult, loadRunCell } from "./run-cell-loader.ts";
import { estimatedCellSeconds, WORKER_STARTUP_SECONDS } from "./shard.ts";

/**
 * Runs the cells of a sweep and hands each result to `onResult` as it finishes — in finish
 * order; the results writer puts rows back in cell order. Every cell runs through the same
 * runCell, in this thread or on a worker thread, which is what makes any `--workers` (and the
 * tests, which call runCell directly) agree byte for byte.
 *
 * A worker thread costs about a second of loader start-up (harness/sweep/shard.ts
 * WORKER_STARTUP_SECONDS), so this thread does not wait for them: it runs the cells estimated
 * shorter than that itself, taking them from the same shared queue (harness/sweep/
 * cell-queue.ts), until the first worker is ready, then leaves the rest to the workers. A
 * sweep of short cells is thus done before the workers start, and `--workers 2` is not slower
 * than `--workers 1`; the workers, started once, take cells without waiting for this thread.
 */

export interface PoolOptions {
  /** Worker threads; 0 = run every cell in this thread. */
  readonly workers: number;
  /** Module exporting runCell(spec) (path or file: URL); default harness/simulator/run-cell.ts. */
  readonly runCellModule?: string;
  /**
   * Abort to stop taking cells (Ctrl-C); a worker's cell in flight is dropped, not reported
   * (the worker is terminated); a cell running in this thread finishes and is kept.
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

/** The cores this process may use (os.availableParallelism, Node ≥ 18.14): --workers' bound. */
export function coreCount(): number {
  return availableParallelism();
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
  const { leaders, followers } = simulatedCells(specs);
  await runEveryCell(leaders, options, (result) => {
    onResult(result);
    for (const spec of followers.get(result.spec.index) ?? []) {
      if (options.signal?.aborted) return;
      // The leader's RAM: a trace's is only known once it ran (run-cell.ts).
      onResult({ ...result, spec: { ...spec, ramBytes: result.spec.ramBytes }, wallMs: 0 });
    }
  });
}

/** The cells the pool simulates (a leader per cache-independent group) and each one's copies. */
function simulatedCells(specs: readonly CellSpec[]) {
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
  return { leaders, followers };
}

/** Worker threads for `simulated` cells: none for one cell, never more than cells. */
function threadsFor(simulated: number, workers: number): number {
  return simulated > 1 ? Math.min(Math.max(0, workers), simulated) : 0;
}

/**
 * The worker threads runCells starts for these cells with `workers` asked for: what a dry run
 * and the manifest report, so neither promises workers the pool will not start.
 */
export function poolThreads(specs: readonly CellSpec[], workers: number): number {
  return threadsFor(simulatedCells(specs).leaders.length, workers);
}

/**
 * Every cell once: in this thread until a worker is ready (all of them with `workers: 0`), then
 * on the workers. Resolves when every cell was reported, or once stopped by `signal`; rejects
 * when onResult throws (nothing more is reported after that) or no worker can start.
 */
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
  const threads = threadsFor(specs.length, options.workers);
  const queue = CellQueue.create(threads);
  const run = new Reporting(specs.length, queue, onResult);
  const stop = () => run.stop();
  signal?.addEventListener("abort", stop, { once: true });
  const pool =
    threads === 0
      ? null
      : new CellThreads(
          {
            threads,
            cores: coreCount(),
            specs,
            queue,
            runCellModule: options.runCellModule,
            cellOptions,
          },
          {
            result: (position, result) => run.report(position, result, true),
            fatal: (error) => run.fail(error),
          },
        );
  try {
    const runCell = await loadRunCell(options.runCellModule);
    while (!queue.stopped && !(pool?.anyReady ?? false)) {
      // The simulator is synchronous: without a turn of the event loop between cells the
      // SIGINT/SIGTERM handlers (which only set `signal`) and the workers' messages would wait
      // until this thread stopped running cells.
      await yieldToEventLoop();
      if (queue.stopped || (pool?.anyReady ?? false)) break;
      const position = queue.peek();
      if (position >= specs.length) break;
      // With workers coming, a cell that would outlast their start-up is left to them: this
      // thread would hold it (and Ctrl-C) long after they are up, on a core they need.
      if (pool !== null && estimatedCellSeconds(specs[position]) > WORKER_STARTUP_SECONDS) {
        pool.startDeferred();
        await sleep(WAIT_FOR_WORKERS_MS);
        continue;
      }
      if (!queue.takeIf(position)) continue;
      let result: CellResult;
      try {
        result = await runCell(specs[position], cellOptions);
      } catch (error) {
        result = failedResult(specs[position], error);
      }
      // A cell that finished is kept even if the signal came while it ran: it cost nothing to
      // stop for, unlike a worker's cell, which is dropped so Ctrl-C need not wait for it.
      run.report(position, result, false);
    }
    if (pool !== null) await run.finished;
    else run.throwIfFailed();
  } finally {
    signal?.removeEventListener("abort", stop);
    queue.stop();
    pool?.close();
  }
}

/**
 * Hands results on, each cell once, and knows when the run is over: every cell reported, the
 * run stopped (a worker's result after that is dropped), or failed (nothing is reported after
 * the failure: e.g. the disk is full).
 */
class Reporting {
  /** Settles when every cell was reported or the run stopped; rejects on a failure. */
  readonly finished: Promise<void>;
  private readonly reported: Uint8Array;
  private count = 0;
  private stopped = false;
  private failure: { readonly error: unknown } | null = null;
  private resolve: () => void = () => {};
  private reject: (error: unknown) => void = () => {};

  constructor(
    private readonly cells: number,
    private readonly queue: CellQueue,
    private readonly onResult: (result: CellResult) => void,
  ) {
    this.reported = new Uint8Array(cells);
    this.finished = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.finished.catch(() => {}); // awaited only when there are workers; thrown otherwise
  }

  /** A cell's result; `fromWorker` results are dropped once the run is stopped. */
  report(position: number, result: CellResult, fromWorker: boolean): void {
    if (this.failure !== null || this.reported[position] === 1) return;
    if (fromWorker && this.stopped) return;
    this.reported[position] = 1;
    this.count++;
    try {
      this.onResult(result);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.count === this.cells) this.resolve();
  }

  /** Stop taking cells (Ctrl-C): the run ends with the cells reported so far. */
  stop(): void {
    this.stopped = true;
    this.queue.stop();
    this.resolve();
  }

  /** Stop taking cells and end the run with `error`. */
  fail(error: unknown): void {
    if (this.failure !== null) return;
    this.failure = { error };
    this.queue.stop();
    this.reject(error);
  }

  throwIfFailed(): void {
    if (this.failure !== null) throw this.failure.error;
  }
}

/** How often this thread looks again while it waits for a worker to take a long cell. */
const WAIT_FOR_WORKERS_MS = 10;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One macrotask turn (setImmediate), so signal handlers and I/O callbacks get to run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
