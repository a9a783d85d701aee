import { pathToFileURL } from "node:url";
import { workerData } from "piscina";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import type { RunCellOptions } from "../simulator/run-cell.ts";

/**
 * The pool's task: one cell, run by the same runCell the tests call directly (STYLE.md: the
 * worker is a thin shell). The pool's workerData gives, once per worker, the options every cell
 * runs with (the calibration's rates by value, --verify) and which module provides runCell, so
 * a test can hand in a stub; by default it is the simulator, harness/simulator/run-cell.ts.
 */
type RunCell = (spec: CellSpec, options: RunCellOptions) => Promise<CellResult>;

/** What harness/sweep/pool.ts puts in workerData. */
export interface CellWorkerData {
  readonly runCellModule: string | undefined;
  readonly options: RunCellOptions;
}

const DEFAULT_RUN_CELL_MODULE = new URL("../simulator/run-cell.ts", import.meta.url).href;

let runCellPromise: Promise<RunCell> | undefined;

/** Import `runCell` from a module URL or path (default: the simulator). */
export async function loadRunCell(moduleUrl: string = DEFAULT_RUN_CELL_MODULE): Promise<RunCell> {
  const url = moduleUrl.startsWith("file:") ? moduleUrl : pathToFileURL(moduleUrl).href;
  const module = (await import(url)) as { runCell?: RunCell };
  if (typeof module.runCell !== "function")
    throw new Error(`${moduleUrl} does not export runCell(spec)`);
  return module.runCell;
}

export default async function runCellTask(spec: CellSpec): Promise<CellResult> {
  const data = workerData as CellWorkerData;
  runCellPromise ??= loadRunCell(data.runCellModule);
  const runCell = await runCellPromise;
  return runCell(spec, data.options);
}
