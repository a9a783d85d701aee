import type { AxisValue } from "../../results/axes.ts";
import type { CellSpec } from "../../results/cell.ts";
import {
  AXIS_DEFAULTS,
  type AxisLists,
  axisList,
  defaultList,
  type OptionAxisKey,
  SETTING_NESTING,
} from "./axis-options.ts";

/**
 * A sweep: every option the user gave as a comma list is an axis, and the cells are the cross
 * product of the axes. Pure: same axes, same cells, same order — which is what makes a run's
 * rows (ordered by cell index) reproducible and `--resume` possible.
 *
 * Nesting, outermost first: workload, RAM, workload parameters, convergence rule, then the
 * settings in SETTING_NESTING's order (harness/sweep/axis-options.ts), codec. The codec varies
 * fastest so the rows that compare codecs on the same VM and settings sit together; the seeds
 * of one setting come next.
 */

/** One workload of the sweep, with its own RAM sizes and parameter sets (defaults filled in). */
export interface WorkloadAxis {
  readonly name: string;
  readonly ramBytes: readonly AxisValue<"ramBytes">[];
  readonly paramSets: readonly Readonly<Record<string, number | string>>[];
}

export interface CodecChoice {
  readonly name: string;
  /** Absolute path of the --codec-module plug-in that defines it; null for a built-in. */
  readonly module: string | null;
}

export interface SweepAxes extends AxisLists {
  readonly workloads: readonly WorkloadAxis[];
  readonly codecs: readonly CodecChoice[];
  /** "builtin" or the calibration file's path (one per run: rates are not swept). */
  readonly calibration: string;
}

/** Where codec encode rates come from when --calibration is not given. */
export const DEFAULT_CALIBRATION = "builtin";

/** A sweep's axes when no option is given, but for its workloads and codecs. */
export const SWEEP_DEFAULTS: Omit<SweepAxes, "workloads" | "codecs"> = {
  ...AXIS_DEFAULTS,
  calibration: DEFAULT_CALIBRATION,
};

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

type Settings<K extends OptionAxisKey> = { [P in K]: AxisValue<P> };

/**
 * Every combination of the axes `order` names, first outermost, each a record with one value
 * per axis. The records are filled key by key, which TypeScript cannot follow; each has every
 * key of `order` set, which is what its type says.
 */
function crossAxes<K extends OptionAxisKey>(
  order: readonly K[],
  valuesOf: <P extends K>(key: P) => readonly AxisValue<P>[],
): Settings<K>[] {
  let combos: Partial<Settings<K>>[] = [{}];
  for (const key of order) {
    const values = valuesOf(key);
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  }
  return combos as Settings<K>[];
}

/**
 * The cells of a sweep, indexed 0..n-1 in nesting order. Each cell is one literal, so a value of
 * one axis given to another (results/axes.ts AxisValue) or an axis missing from SETTING_NESTING
 * does not compile. The axes cells.journal has recorded since the first runs keep their JSON
 * key order (results/run-dir.ts compares a resumed run's cells by their JSON); an axis added
 * since comes last, in `added`.
 */
export function buildCells(axes: SweepAxes): CellSpec[] {
  const cells: CellSpec[] = [];
  const rules = axes.convergence ?? defaultList("convergence");
  for (const workload of axes.workloads)
    for (const ramBytes of workload.ramBytes)
      for (const params of workload.paramSets)
        for (const convergence of rules)
          for (const settings of crossAxes(SETTING_NESTING, (key) =>
            axisList(axes, key, convergence),
          )) {
            const {
              seed,
              cacheModel,
              cacheSizeBytes,
              cacheAge,
              bandwidthBytesPerS,
              linkBytesPerS,
              downtimeLimitMs,
              bulkSkip,
              threads,
              maxTimeMs,
              maxPasses,
              ...added
            } = settings;
            for (const codec of axes.codecs)
              cells.push({
                index: cells.length,
                workload: workload.name,
                ramBytes,
                params,
                seed,
                codec: codec.name,
                codecModule: codec.module,
                cacheModel,
                cacheSizeBytes,
                cacheAge,
                bandwidthBytesPerS,
                linkBytesPerS,
                downtimeLimitMs,
                convergence,
                bulkSkip,
                threads,
                maxTimeMs,
                maxPasses,
                calibration: axes.calibration,
                ...added,
              });
          }
  return cells;
}
