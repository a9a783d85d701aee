import { Worker } from "node:worker_threads";
import { workerExecArgv } from "../../lib/workers.ts";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import type { RunCellOptions } from "../simulator/run-cell.ts";
import type { CellQueue, CellWorkerData, CellWorkerMessage } from "./cell-queue.ts";
import { failedResult } from "./run-cell-loader.ts";

/**
 * The pool's worker threads (harness/sweep/cell-worker.ts), each started once for the run. They
 * take cells from the shared queue themselves; this side hears their results, names the cell
 * of a worker that died (a failed row) and starts another in its place while cells are left,
 * and terminates them all when the run ends or stops.
 */

export interface CellThreadEvents {
  /** A worker's cell finished, or failed (it threw, or its worker died running it). */
  readonly result: (position: number, result: CellResult) => void;
  /** A worker that cannot run any cell (runCell does not load): the run cannot go on. */
  readonly fatal: (error: Error) => void;
}

export interface CellThreadsOptions {
  readonly threads: number;
  /** The machine's cores: how many workers may start at once (below). */
  readonly cores: number;
  readonly specs: readonly CellSpec[];
  readonly queue: CellQueue;
  readonly runCellModule: string | undefined;
  readonly cellOptions: RunCellOptions;
}

const WORKER_FILE = new URL("./cell-worker.ts", import.meta.url);

export class CellThreads {
  private readonly workers = new Set<Worker>();
  /** Slots whose first worker is not started yet. */
  private readonly deferred: number[] = [];
  private closing = false;

  /**
   * Starts the workers, all but one core's worth at once: the main thread runs cells while they
   * start (harness/sweep/pool.ts), and a worker's start-up is CPU work (the loader compiles
   * every module) that would otherwise take that core too. The rest start when the first
   * worker is ready, or when the main thread leaves the cells to the workers.
   */
  constructor(
    private readonly options: CellThreadsOptions,
    private readonly events: CellThreadEvents,
  ) {
    const atOnce = Math.max(1, Math.min(options.threads, options.cores - 1));
    for (let slot = 0; slot < options.threads; slot++)
      if (slot < atOnce) this.start(slot);
      else this.deferred.push(slot);
  }

  /** Start the workers not started yet: the main thread no longer needs its core. */
  startDeferred(): void {
    for (const slot of this.deferred.splice(0)) this.start(slot);
  }

  /** True once a worker has loaded runCell and takes cells. */
  get anyReady(): boolean {
    for (let slot = 0; slot < this.options.threads; slot++)
      if (this.options.queue.isReady(slot)) return true;
    return false;
  }

  private start(slot: number): void {
    const { specs, queue } = this.options;
    queue.setReady(slot, false);
    queue.setRunning(slot, -1);
    const data: CellWorkerData = {
      specs,
      queue: queue.memory,
      slot,
      runCellModule: this.options.runCellModule,
      options: this.options.cellOptions,
    };
    const worker = new Worker(WORKER_FILE, { workerData: data, execArgv: workerExecArgv() });
    this.workers.add(worker);
    let lastError: Error | null = null;
    worker.on("message", (message: CellWorkerMessage) => {
      if (this.closing) return;
      if (message.kind === "ready") this.startDeferred();
      else if (message.kind === "load-failed") this.events.fatal(new Error(message.error));
      else if (message.kind === "result") this.events.result(message.position, message.result);
      else
        this.events.result(message.position, failedResult(specs[message.position], message.error));
    });
    worker.on("error", (error: Error) => {
      lastError = error;
    });
    worker.on("exit", (code) => {
      this.workers.delete(worker);
      if (this.closing) return;
      const position = queue.running(slot);
      if (code === 0 && position < 0) return; // no cell left for it
      const why = lastError?.message ?? `its worker thread exited with code ${code}`;
      if (!queue.isReady(slot)) {
        this.events.fatal(new Error(`a worker thread could not start: ${why}`));
        return;
      }
      // Messages posted before a worker exits arrive before its 'exit': if the cell's result
      // came, the pool has it and ignores this.
      if (position >= 0) this.events.result(position, failedResult(specs[position], why));
      if (!queue.stopped && !queue.exhausted(specs.length)) this.start(slot);
    });
  }

  /**
   * Stop taking cells and terminate every worker; a cell in flight is dropped. Nothing waits for
   * the threads to end (a worker still starting ends only when its loader yields): no message
   * of theirs is heard after this, and they do not keep the process alive.
   */
  close(): void {
    this.closing = true;
    this.options.queue.stop();
    for (const worker of this.workers) {
      worker.unref();
      void worker.terminate();
    }
  }
}
