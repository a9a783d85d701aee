import { pathToFileURL } from "node:url";
import type { CellResult, CellSpec } from "../../results/cell.ts";
import type { RunCellOptions } from "../simulator/run-cell.ts";

/**
 * Where the pool's threads get `runCell`: by default the simulator, harness/simulator/
 * run-cell.ts — the same function the tests call directly (STYLE.md: the worker is a thin
 * shell) — or a module a test names, so that it can hand in a stub.
 */
export type RunCell = (spec: CellSpec, options: RunCellOptions) => Promise<CellResult>;

const DEFAULT_RUN_CELL_MODULE = new URL("../simulator/run-cell.ts", import.meta.url).href;

/** Import `runCell` from a module URL or path (default: the simulator). */
export async function loadRunCell(moduleUrl: string = DEFAULT_RUN_CELL_MODULE): Promise<RunCell> {
  const url = moduleUrl.startsWith("file:") ? moduleUrl : pathToFileURL(moduleUrl).href;
  const module = (await import(url)) as { runCell?: RunCell };
  if (typeof module.runCell !== "function")
    throw new Error(`${moduleUrl} does not export runCell(spec)`);
  return module.runCell;
}

/** A cell whose runCell threw (a bug, or a worker that died) is a failed row, not a lost one. */
export function failedResult(spec: CellSpec, error: unknown): CellResult {
  const message = error instanceof Error ? error.message : String(error);
  return { spec, status: "failed", error: message.split("\n")[0], wallMs: 0 };
}
