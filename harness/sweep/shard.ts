import { builtinCodecs } from "../../codecs/registry.ts";
import { UsageError } from "../../lib/errors.ts";
import { PAGE_SIZE } from "../../lib/page.ts";
import type { CellSpec } from "../../results/cell.ts";
import { cacheIndependentKey, usesPageCache } from "../simulator/cache-independence.ts";

/**
 * Splitting a sweep over machines (`bench --shard K/N`, docs/CLUSTERS.md) and sizing the worker
 * pool: what a cell will cost, estimated before it runs, and a deterministic split of the cells
 * into N parts of about equal estimated cost. Pure: the same cells always split the same way, on
 * any machine.
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
 * Beyond the codecs that send pages raw (below), the work per page differs by codec and
 * workload by a small factor; RAM and time decide the order of magnitude. A trace's RAM is only known once it is opened (its spec says 0): its
 * cell is taken to send at the cap until --max-time, the most it can.
 */
export function estimatedCellPages(spec: CellSpec): number {
  const capPagesPerS = spec.bandwidthBytesPerS / PAGE_SIZE;
  const factor = sendsRawOnly(spec) ? RAW_SENDER_COST : 1;
  if (spec.ramBytes === 0) return factor * capPagesPerS * (spec.maxTimeMs / 1000);
  const ramPages = spec.ramBytes / PAGE_SIZE;
  const bulkSeconds = spec.ramBytes / spec.bandwidthBytesPerS;
  const seconds = Math.min(spec.maxTimeMs / 1000, ASSUMED_PASSES * bulkSeconds);
  return factor * (ramPages + capPagesPerS * seconds);
}

/**
 * A cell of a built-in codec that sends every page raw (raw, zero) costs a fraction of a delta
 * codec's on the same VM: the simulator reads no page for it (CodecDefinition.sendsPagesRaw),
 * only the dirty bitmap, at most the zero-page check. Measured here on uniform 64-128 MiB VMs:
 * 2-54 ms against xbzrle's 190-1000 ms; a quarter keeps them ranked below, conservatively.
 */
const RAW_SENDER_COST = 0.25;

function sendsRawOnly(spec: CellSpec): boolean {
  if (spec.codecModule !== null) return false;
  const codec = builtinCodecs.find((definition) => definition.name === spec.codec);
  return codec !== undefined && codec.sendsPagesRaw === true && !usesPageCache(codec);
}

/**
 * Seconds of this machine's simulation per estimated page: bench:sweep measured 0.9-1.4 µs
 * per page on two 2-core machines (xbzrle on idle and on sap-like). For the worker count and
 * `bench --dry-run`'s estimate of the run time.
 */
export const SECONDS_PER_ESTIMATED_PAGE = 1.2e-6;

/**
 * Cells that are simulated once together: a cache-independent group (harness/simulator/
 * cache-independence.ts; the pool runs its first cell and copies the result to the others)
 * costs one cell, and stays in one part so that no two machines simulate it.
 */
interface CostUnit {
  readonly first: number;
  readonly cells: number[];
  readonly cost: number;
}

function costUnits(cells: readonly CellSpec[]): CostUnit[] {
  const units: CostUnit[] = [];
  const byKey = new Map<string, CostUnit>();
  for (const cell of [...cells].sort((a, b) => a.index - b.index)) {
    const key = cacheIndependentKey(cell);
    const unit = key === null ? undefined : byKey.get(key);
    if (unit !== undefined) {
      unit.cells.push(cell.index);
      continue;
    }
    const created = { first: cell.index, cells: [cell.index], cost: estimatedCellPages(cell) };
    units.push(created);
    if (key !== null) byKey.set(key, created);
  }
  return units;
}

/** This machine's estimated seconds of simulation for the cells, on one thread. */
export function estimatedSeconds(cells: readonly CellSpec[]): number {
  let pages = 0;
  for (const unit of costUnits(cells)) pages += unit.cost;
  return pages * SECONDS_PER_ESTIMATED_PAGE;
}

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
 * Where a scheduler puts a task's index: a Slurm array task's `SLURM_ARRAY_TASK_ID` is the
 * value of `--array=1-N` it runs (sbatch(1)); a Kubernetes Indexed Job's pod has
 * `JOB_COMPLETION_INDEX`, 0 to completions − 1 (the Job API's completionMode: Indexed).
 */
const SCHEDULERS = {
  slurm: {
    variable: "SLURM_ARRAY_TASK_ID",
    first: 1,
    how: (count: number) => `a task of a Slurm job array --array=1-${count}`,
  },
  k8s: {
    variable: "JOB_COMPLETION_INDEX",
    first: 0,
    how: (count: number) => `a pod of a Kubernetes Indexed Job with ${count} completions`,
  },
} as const;

/**
 * `--shard`'s value: "K/N", or "slurm/N" / "k8s/N" to take K from the scheduler's variable in
 * `env`. A UsageError says what is wrong (exit 2 before any work).
 */
export function resolveShard(text: string, env: NodeJS.ProcessEnv): Shard {
  const direct = parseShard(text);
  if (direct !== null) return direct;
  const match = /^(slurm|k8s)\/(\d+)$/.exec(text);
  const count = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(count) || count < 1)
    throw new UsageError(`--shard: "${text}" is not K/N (1 ≤ K ≤ N), slurm/N or k8s/N`);
  const scheduler = match[1] === "slurm" ? SCHEDULERS.slurm : SCHEDULERS.k8s;
  const how = scheduler.how(count);
  const value = env[scheduler.variable];
  if (value === undefined || value === "")
    throw new UsageError(`--shard ${text}: ${scheduler.variable} is not set (run it as ${how})`);
  const index = /^\d+$/.test(value) ? Number(value) - scheduler.first + 1 : Number.NaN;
  if (!(index >= 1 && index <= count))
    throw new UsageError(
      `--shard ${text}: ${scheduler.variable} is "${value}", not ${scheduler.first}..${count - 1 + scheduler.first} (run it as ${how})`,
    );
  return { index, count };
}

/**
 * The cell indices of every part, each part in cell order: longest-processing-time-first
 * (Graham 1969) over the cost units: units by falling estimate (ties by first index), each to
 * the part with the least estimated work so far (ties to the lower part). Within 4/3 of the
 * best split, and deterministic because every tie is broken by an index.
 */
export function splitCells(cells: readonly CellSpec[], count: number): number[][] {
  const parts: number[][] = Array.from({ length: count }, () => []);
  const load = new Float64Array(count);
  const order = costUnits(cells).sort((a, b) => b.cost - a.cost || a.first - b.first);
  for (const unit of order) {
    let lightest = 0;
    for (let part = 1; part < count; part++) if (load[part] < load[lightest]) lightest = part;
    parts[lightest].push(...unit.cells);
    load[lightest] += unit.cost;
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
 * A worker thread's start-up, in seconds: Node's worker boot, the tsx loader and the simulator's
 * modules (bench:sweep: 16 short cells took 1.95 s on one worker and 3.61 s on two when the
 * main thread waited for them).
 */
export const WORKER_STARTUP_SECONDS = 1;

/** This machine's estimated seconds for one cell on one thread. */
export function estimatedCellSeconds(spec: CellSpec): number {
  return estimatedCellPages(spec) * SECONDS_PER_ESTIMATED_PAGE;
}

/**
 * How many workers a sweep is worth when the user does not say: a worker is added only for
 * every `startupSeconds × 2` of estimated work, up to the cores. 0 = run in the main thread,
 * which pays no start-up at all; one worker would only move the same work off the main thread,
 * so it is 0 too.
 */
export function autoWorkers(
  cells: readonly CellSpec[],
  cores: number,
  startupSeconds = WORKER_STARTUP_SECONDS,
): number {
  const workers = Math.min(cores, Math.floor(estimatedSeconds(cells) / (2 * startupSeconds)));
  return workers <= 1 ? 0 : workers;
}
