import type { CellResult, CellSpec } from "../../results/cell.ts";
import type { RunCellOptions } from "../simulator/run-cell.ts";

/**
 * The cells of a run as a queue in shared memory, and what the pool's threads say to each other.
 * The main thread and every worker take the next cell with one atomic add, so a worker never
 * waits for the main thread to hand it work — the main thread may be running a cell itself
 * while the workers start (harness/sweep/pool.ts), and it runs synchronous simulator code
 * that no message can interrupt.
 *
 * Layout (Int32 words): NEXT, the position of the next cell to take; STOP, set to stop taking
 * cells; then per worker slot its READY flag (runCell loaded) and the position it is running
 * (−1 = none), which is how the main thread names the cell of a worker that died.
 */

const NEXT = 0;
const STOP = 1;
const SLOTS = 2;
const WORDS_PER_SLOT = 2;

export class CellQueue {
  readonly memory: SharedArrayBuffer;
  private readonly words: Int32Array;

  constructor(memory: SharedArrayBuffer) {
    this.memory = memory;
    this.words = new Int32Array(memory);
  }

  static create(slots: number): CellQueue {
    const queue = new CellQueue(new SharedArrayBuffer(4 * (SLOTS + WORDS_PER_SLOT * slots)));
    for (let slot = 0; slot < slots; slot++) queue.setRunning(slot, -1);
    return queue;
  }

  /** The position of the next cell to run (≥ the cell count when none is left). */
  take(): number {
    return Atomics.add(this.words, NEXT, 1);
  }

  /** The position the next take() would return. */
  peek(): number {
    return Atomics.load(this.words, NEXT);
  }

  /** Take the cell at `position` if it is still the next one; false if another thread did. */
  takeIf(position: number): boolean {
    return Atomics.compareExchange(this.words, NEXT, position, position + 1) === position;
  }

  /** True when every cell has been taken. */
  exhausted(cells: number): boolean {
    return Atomics.load(this.words, NEXT) >= cells;
  }

  stop(): void {
    Atomics.store(this.words, STOP, 1);
  }

  get stopped(): boolean {
    return Atomics.load(this.words, STOP) === 1;
  }

  setReady(slot: number, ready: boolean): void {
    Atomics.store(this.words, SLOTS + WORDS_PER_SLOT * slot, ready ? 1 : 0);
  }

  isReady(slot: number): boolean {
    return Atomics.load(this.words, SLOTS + WORDS_PER_SLOT * slot) === 1;
  }

  setRunning(slot: number, position: number): void {
    Atomics.store(this.words, SLOTS + WORDS_PER_SLOT * slot + 1, position);
  }

  running(slot: number): number {
    return Atomics.load(this.words, SLOTS + WORDS_PER_SLOT * slot + 1);
  }
}

/** What a worker is started with (workerData). */
export interface CellWorkerData {
  /** The cells of the run, by position; the queue hands out positions. */
  readonly specs: readonly CellSpec[];
  readonly queue: SharedArrayBuffer;
  readonly slot: number;
  /** Module exporting runCell (tests pass a stub); undefined = the simulator. */
  readonly runCellModule: string | undefined;
  /** The options every cell runs with: the calibration's rates by value, --verify. */
  readonly options: RunCellOptions;
}

/** A worker's messages to the main thread. */
export type CellWorkerMessage =
  | { readonly kind: "ready" }
  | { readonly kind: "result"; readonly position: number; readonly result: CellResult }
  | { readonly kind: "threw"; readonly position: number; readonly error: string }
  | { readonly kind: "load-failed"; readonly error: string };
