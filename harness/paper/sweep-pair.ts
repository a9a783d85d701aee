import { round } from "../../lib/format.ts";
import type { CellRow } from "../../results/records.ts";
import { numericValues, type SeedGroup, seedGroup } from "./cell-groups.ts";
import {
  type Experiment,
  type ExperimentRows,
  type FigureData,
  type Parameter,
  rowsOf,
  withParameter,
} from "./claim.ts";
import { ERA, GIGABIT_LINK, MAX_TIME, TODAY } from "./settings.ts";

/**
 * The abstract's claims are each tested the same way: one workload, a sweep of the setting that
 * decides the claim, standard pre-copy (the `zero` codec) beside delta compression, once at the era's
 * settings and once at today's QEMU defaults (two experiments, `<id>-era` and `<id>-today`).
 */

export interface SweepPair {
  readonly id: string;
  /** The workload's parameters (workload, RAM, --set), each with its reason. */
  readonly workload: readonly Parameter[];
  /** The setting that decides the claim, with its quick and full points. */
  readonly sweep: Parameter;
  /** How a cell's value of the swept setting reads. */
  readonly sweptValue: (row: CellRow) => number;
  readonly seeds: Parameter;
}

/** The era's delta codec is the prototype's XBRLE; today's is QEMU's XBZRLE. */
export const ERA_DELTA = "xbrle-2010";
export const TODAY_DELTA = "xbzrle";
/**
 * Standard pre-copy sends pages whole, except uniform pages, which QEMU and qemu-kvm have sent
 * as one byte since before 2010 (is_dup_page): the `zero` codec, not `raw`.
 */
export const STANDARD = "zero";
const STANDARD_REASON =
  "standard pre-copy (pages whole, zero pages as a one-byte record: the zero codec) beside the delta codec";

export function pairExperiments(pair: SweepPair): Experiment[] {
  const common = [...pair.workload, GIGABIT_LINK, MAX_TIME, pair.seeds];
  return [
    {
      id: `${pair.id}-era`,
      title: "the era's settings: qemu-kvm 0.13, the prototype's 2-way cache and XBRLE",
      parameters: [
        ...withParameter(ERA, pair.sweep),
        {
          flag: "codec",
          value: `${STANDARD},${ERA_DELTA}`,
          reason: STANDARD_REASON,
        },
        ...common,
      ],
    },
    {
      id: `${pair.id}-today`,
      title: "today's QEMU defaults: QEMU 7.2's rule, direct-mapped cache and XBZRLE",
      parameters: [
        ...withParameter(TODAY, pair.sweep),
        { flag: "codec", value: `${STANDARD},${TODAY_DELTA}`, reason: STANDARD_REASON },
        ...common,
      ],
    },
  ];
}

export interface PairPoint {
  readonly value: number;
  /** Standard pre-copy's seeds (the zero codec). */
  readonly standard: SeedGroup;
  readonly delta: SeedGroup;
}

/** Per value of the swept setting, standard pre-copy's and the delta codec's seeds, in numeric order. */
export function pairPoints(
  rows: ExperimentRows,
  experimentId: string,
  delta: string,
  sweptValue: (row: CellRow) => number,
): PairPoint[] {
  const cells = rowsOf(rows, experimentId);
  return numericValues(cells, sweptValue).map((value) => {
    const at = (codec: string) =>
      seedGroup(cells.filter((c) => c.codec === codec && sweptValue(c) === value));
    return { value, standard: at(STANDARD), delta: at(delta) };
  });
}

const MIB = 1024 * 1024;

export const ERA_PANEL = "era (qemu-kvm 0.13)";
export const TODAY_PANEL = "today (QEMU 7.2)";

/**
 * Downtime against the swept setting (in MiB or MiB/s: every swept setting is a size or a
 * rate), era and today side by side, one mark per setting at which every seed completed.
 */
export function pairFigure(
  rows: ExperimentRows,
  pair: SweepPair,
  xTitle: string,
  caption: string,
): FigureData | null {
  const out: Record<string, string | number | null>[] = [];
  for (const [panel, id] of [
    [ERA_PANEL, `${pair.id}-era`],
    [TODAY_PANEL, `${pair.id}-today`],
  ] as const)
    for (const cell of groupedMeans(rowsOf(rows, id), pair.sweptValue))
      out.push({ panel, ...cell });
  if (out.length === 0) return null;
  return { kind: "downtime", caption, xTitle, rows: out };
}

function groupedMeans(cells: readonly CellRow[], sweptValue: (row: CellRow) => number) {
  const codecs = [...new Set(cells.map((c) => c.codec))];
  return numericValues(cells, sweptValue).flatMap((x) =>
    codecs.flatMap((codec) => {
      const group = seedGroup(cells.filter((c) => c.codec === codec && sweptValue(c) === x));
      const d = group.downtimeMs;
      // Only a setting at which every seed completed has a downtime to draw.
      if (d === null || group.completed < group.cells.length) return [];
      return [
        { x: x / MIB, codec, downtime_ms: round(d.mean), low: round(d.low), high: round(d.high) },
      ];
    }),
  );
}
