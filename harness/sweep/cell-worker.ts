import { parentPort, workerData } from "node:worker_threads";
import { CellQueue, type CellWorkerData, type CellWorkerMessage } from "./cell-queue.ts";
import { loadRunCell, type RunCell } from "./run-cell-loader.ts";

/**
 * A worker thread of the pool (harness/sweep/pool.ts): load runCell once, then take cells from
 * the shared queue until none is left or the run stops, posting each result. A cell that throws
 * is posted as such (the main thread makes it a failed row); the worker goes on.
 */

const data: CellWorkerData = workerData;
const queue = new CellQueue(data.queue);

function post(message: CellWorkerMessage): void {
  parentPort?.postMessage(message);
}

async function work(): Promise<void> {
  let runCell: RunCell;
  try {
    runCell = await loadRunCell(data.runCellModule);
  } catch (error) {
    post({ kind: "load-failed", error: error instanceof Error ? error.message : String(error) });
    return;
  }
  queue.setReady(data.slot, true);
  post({ kind: "ready" });
  while (!queue.stopped) {
    const position = queue.take();
    if (position >= data.specs.length) return;
    queue.setRunning(data.slot, position);
    try {
      post({ kind: "result", position, result: await runCell(data.specs[position], data.options) });
    } catch (error) {
      post({
        kind: "threw",
        position,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    queue.setRunning(data.slot, -1);
  }
}

await work();
