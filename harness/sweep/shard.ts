import { PAGE_SIZE } from "../../lib/page.ts";
import type { CellSpec } from "../../results/cell.ts";

/**
 * Splitting a sweep over machines (`bench --shard K/N`) and over workers: what a cell will cost,
 * estimated before it runs, and a deterministic split of the cells into N parts of about equal
 * estimated cost. Pure: the same cells always split the same way, on any machine.
 */

/**
 * How long a migration is assumed to last, in bulk passes, for the estimate: a converging cell
 * sends its RAM once and then a shrinking dirty set; one that does not converge runs until
 * --max-time. Four bulk passes is between the two; the estimate only has to rank cells.
 */
const ASSUMED_PASSES = 4;

/**
 * What the simulator processes for a cell, in pages: the bulk pass walks every page of RAM,
 * and afterwards every page the rate cap lets through costs a workload step and a codec call.
 * The work per page differs by codec and workload by a small factor only; RAM and time decide
 * the order of magnitude.
 */
export function estimatedCellPages(spec: CellSpec): number {
  const ramPages = spec.ramBytes / PAGE_SIZE;
  const bulkSeconds = spec.ramBytes / spec.bandwidthBytesPerS;
  const seconds = Math.min(spec.maxTimeMs / 1000, ASSUMED_PASSES * bulkSeconds);
  return ramPages + (spec.bandwidthBytesPerS / PAGE_SIZE) * seconds;
}

/**
 * Seconds of this machine's simulation per estimated page: bench:sweep measured 0.9-1.4 µs
 * per page on two 2-core machines (xbzrle on idle and on sap-like). Used only to decide how
 * many workers are worth their start-up.
 */
export const SECONDS_PER_ESTIMATED_PAGE = 1.2e-6;

export interface Shard {
  /** 1-based, as the user writes it: `--shard 2/4` is { index: 2, count: 4 }. */
  readonly index: number;
  readonly count: number;
}

/** "K/N" with 1 ≤ K ≤ N; null when the text is not of that form. */
export function parseShard(text: string): Shard | null {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (!match) return null;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) return null;
  return { index, count };
}

/**
 * The cell indices of every part, each part in cell order: longest-processing-time-first
 * (Graham 1969): cells by falling estimate (ties by index), each to the part with the least
 * estimated work so far (ties to the lower part). Within 4/3 of the best split, and
 * deterministic because every tie is broken by an index.
 */
export function splitCells(cells: readonly CellSpec[], count: number): number[][] {
  const parts: number[][] = Array.from({ length: count }, () => []);
  const load = new Float64Array(count);
  const order = cells
    .map((cell) => ({ index: cell.index, cost: estimatedCellPages(cell) }))
    .sort((a, b) => b.cost - a.cost || a.index - b.index);
  for (const { index, cost } of order) {
    let lightest = 0;
    for (let part = 1; part < count; part++) if (load[part] < load[lightest]) lightest = part;
    parts[lightest].push(index);
    load[lightest] += cost;
  }
  for (const part of parts) part.sort((a, b) => a - b);
  return parts;
}

/** The cells of part `shard` of the sweep, in cell order. */
export function shardCells(cells: readonly CellSpec[], shard: Shard): CellSpec[] {
  const chosen = new Set(splitCells(cells, shard.count)[shard.index - 1]);
  return cells.filter((cell) => chosen.has(cell.index));
}

/**
 * How many workers a sweep is worth when the user does not say: each worker thread costs about
 * a second of loader start-up (bench:sweep: 16 short cells took 1.95 s on one worker and 3.61 s
 * on two), so a worker is added only for every `startupSeconds × 2` of estimated work, up to the
 * cores. 0 = run in the main thread, which pays no start-up at all.
 */
export function autoWorkers(cells: readonly CellSpec[], cores: number, startupSeconds = 1): number {
  let seconds = 0;
  for (const cell of cells) seconds += estimatedCellPages(cell) * SECONDS_PER_ESTIMATED_PAGE;
  const workers = Math.min(cores, Math.floor(seconds / (2 * startupSeconds)));
  return workers <= 1 ? 0 : workers;
}
