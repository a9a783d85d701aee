import { parseRate } from "../../lib/units.ts";
import type { CacheModel, CellSpec, ConvergenceRule } from "../../results/cell.ts";

/**
 * A sweep: every option the user gave as a comma list is an axis, and the cells are the cross
 * product of the axes. Pure: same axes, same cells, same order — which is what makes a run's
 * rows (ordered by cell index) reproducible and `--resume` possible.
 *
 * Nesting, outermost first: workload, RAM, workload parameters, convergence rule, bulk skip,
 * cache model, cache age, cache size, bandwidth, link speed, downtime limit, threads, max time,
 * max passes, seed, codec. The codec varies fastest so the rows that compare codecs on the
 * same VM and settings sit together; the seeds of one setting come next.
 */

/** One workload of the sweep, with its own RAM sizes and parameter sets (defaults filled in). */
export interface WorkloadAxis {
  readonly name: string;
  readonly ramBytes: readonly number[];
  readonly paramSets: readonly Readonly<Record<string, number | string>>[];
}

export interface CodecChoice {
  readonly name: string;
  /** Absolute path of the --codec-module plug-in that defines it; null for a built-in. */
  readonly module: string | null;
}

export interface SweepAxes {
  readonly workloads: readonly WorkloadAxis[];
  readonly codecs: readonly CodecChoice[];
  readonly cacheModels: readonly CacheModel[];
  readonly cacheSizesBytes: readonly number[];
  readonly cacheAge: readonly boolean[];
  /** null = the convergence rule's default (RULE_DEFAULTS). */
  readonly bandwidthsBytesPerS: readonly number[] | null;
  readonly linkBytesPerS: readonly number[];
  /** null = the convergence rule's default (RULE_DEFAULTS). */
  readonly downtimeLimitsMs: readonly number[] | null;
  readonly convergence: readonly ConvergenceRule[];
  readonly bulkSkip: readonly boolean[];
  readonly threads: readonly number[];
  readonly maxTimeMs: readonly number[];
  readonly maxPasses: readonly (number | null)[];
  readonly seeds: readonly number[];
  /** "built-in" or the calibration file's path (one per run: rates are not swept). */
  readonly calibration: string;
}

const MIB = 1024 ** 2;

/**
 * The defaults that depend on the convergence rule. QEMU 7.2: max-bandwidth 128 MiB/s
 * (MAX_THROTTLE in migration/migration.c), downtime-limit 300 ms (DEFAULT_MIGRATE_SET_DOWNTIME).
 * qemu-kvm 0.13 (2010): 32 MiB/s and 30 ms (migration.c MAX_THROTTLE, migrate_max_downtime) —
 * the settings the VEE'11 prototype ran under. An explicit --bandwidth/--downtime-limit wins.
 */
export const RULE_DEFAULTS: Readonly<
  Record<ConvergenceRule, { bandwidthBytesPerS: number; downtimeLimitMs: number }>
> = {
  qemu: { bandwidthBytesPerS: 128 * MIB, downtimeLimitMs: 300 },
  "codec-aware": { bandwidthBytesPerS: 128 * MIB, downtimeLimitMs: 300 },
  "qemu-kvm-0.13": { bandwidthBytesPerS: 32 * MIB, downtimeLimitMs: 30 },
};

/**
 * `npm run bench`'s settings for the options not given, named as SweepAxes names them (the
 * CLI, bench:scale and the manifest all read them here). QEMU's own defaults: the direct cache
 * with its age rule, bulk skip, one compression thread; a 10 Gbit/s link under the
 * max-bandwidth cap; null bandwidth and downtime limit = the rule's RULE_DEFAULTS.
 */
/** The link under the max-bandwidth cap when --link-speed is not given. */
export const DEFAULT_LINK_SPEED = "10Gbit/s";

export const SWEEP_DEFAULTS = {
  cacheModels: ["direct"],
  cacheAge: [true],
  bandwidthsBytesPerS: null,
  linkBytesPerS: [parseRate(DEFAULT_LINK_SPEED)],
  downtimeLimitsMs: null,
  convergence: ["qemu"],
  bulkSkip: [true],
  threads: [1],
  maxTimeMs: [600_000],
  maxPasses: [null],
  calibration: "builtin",
} as const satisfies Omit<SweepAxes, "workloads" | "codecs" | "cacheSizesBytes" | "seeds">;

/**
 * Every combination of the lists, first list outermost: crossProduct([[1,2],["a","b"]]) →
 * [1,"a"], [1,"b"], [2,"a"], [2,"b"]. An empty list gives no combinations.
 */
export function crossProduct<T>(lists: readonly (readonly T[])[]): T[][] {
  let combos: T[][] = [[]];
  for (const list of lists) {
    const next: T[][] = [];
    for (const combo of combos) for (const value of list) next.push([...combo, value]);
    combos = next;
  }
  return combos;
}

/**
 * `--set a=1,2 --set b=x` against a workload's defaults → one parameter set per combination
 * (a varies slowest, in the order the keys were given). `values` maps key → its listed values.
 */
export function expandParamSets(
  defaults: Readonly<Record<string, number | string>>,
  values: ReadonlyMap<string, readonly (number | string)[]>,
): Record<string, number | string>[] {
  const keys = [...values.keys()];
  return crossProduct(keys.map((key) => values.get(key) ?? [])).map((combo) => {
    const params: Record<string, number | string> = { ...defaults };
    keys.forEach((key, i) => {
      params[key] = combo[i];
    });
    return params;
  });
}

/** The cells of a sweep, indexed 0..n-1 in nesting order. */
export function buildCells(axes: SweepAxes): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const workload of axes.workloads)
    for (const ramBytes of workload.ramBytes)
      for (const params of workload.paramSets)
        for (const convergence of axes.convergence) {
          const defaults = RULE_DEFAULTS[convergence];
          const bandwidths = axes.bandwidthsBytesPerS ?? [defaults.bandwidthBytesPerS];
          const downtimes = axes.downtimeLimitsMs ?? [defaults.downtimeLimitMs];
          for (const [
            bulkSkip,
            cacheModel,
            cacheAge,
            cacheSizeBytes,
            bandwidthBytesPerS,
            linkBytesPerS,
            downtimeLimitMs,
            threads,
            maxTimeMs,
            maxPasses,
            seed,
            codec,
          ] of crossProduct<unknown>([
            axes.bulkSkip,
            axes.cacheModels,
            axes.cacheAge,
            axes.cacheSizesBytes,
            bandwidths,
            axes.linkBytesPerS,
            downtimes,
            axes.threads,
            axes.maxTimeMs,
            axes.maxPasses,
            axes.seeds,
            axes.codecs,
          ])) {
            const choice = codec as CodecChoice;
            cells.push({
              index: cells.length,
              workload: workload.name,
              ramBytes,
              params,
              seed: seed as number,
              codec: choice.name,
              codecModule: choice.module,
              cacheModel: cacheModel as CacheModel,
              cacheSizeBytes: cacheSizeBytes as number,
              cacheAge: cacheAge as boolean,
              bandwidthBytesPerS: bandwidthBytesPerS as number,
              linkBytesPerS: linkBytesPerS as number,
              downtimeLimitMs: downtimeLimitMs as number,
              convergence,
              bulkSkip: bulkSkip as boolean,
              threads: threads as number,
              maxTimeMs: maxTimeMs as number,
              maxPasses: maxPasses as number | null,
              calibration: axes.calibration,
            });
          }
        }
  return cells;
}
