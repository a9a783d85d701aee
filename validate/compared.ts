import type { Figures } from "./compare.ts";
import type { LabConfig, LabRun } from "./migration-run.ts";

/**
 * One configuration's real runs beside its simulations, from each source that stands for the
 * guest load: the synthetic workload (validate/compare.ts) and the replay of a trace recorded
 * from the real guest (validate/trace-recording.ts).
 */

export type SimSource = "synthetic" | "trace";

/** How a source is named in the table and the summary. */
export const SOURCE_TITLES: Readonly<Record<SimSource, string>> = {
  synthetic: "synthetic",
  trace: "trace replay",
};

/** One simulation of a configuration. */
export interface SimRun {
  /**
   * The real repetition it stands beside (the synthetic stride runs at that repetition's guest
   * speed), or null: it stands for every repetition (a trace replays the same recording).
   */
  readonly repetition: number | null;
  readonly figures: Figures;
}

export type SourceComparison =
  | {
      readonly source: SimSource;
      readonly state: "simulated";
      readonly runs: readonly SimRun[];
      /**
       * A stochastic configuration's seed sweep with vCPU stalls (validate/compare.ts
       * labStalls), one Figures per seed; null for a deterministic one.
       */
      readonly seeds: readonly Figures[] | null;
    }
  | {
      readonly source: SimSource;
      readonly state: "unavailable";
      /** Why: no trace was recorded, or its loop was refused (docs/TRACE_FORMAT.md "Replay"). */
      readonly reason: string;
    };

export interface ComparedConfig {
  readonly config: LabConfig;
  readonly real: readonly LabRun[];
  readonly realFigures: readonly Figures[];
  /** The synthetic workload's simulations first, then the trace replay's (unless --no-traces). */
  readonly sources: readonly SourceComparison[];
}

/** The figures of a source's deterministic simulations. */
export function simulatedFigures(sim: SourceComparison): Figures[] {
  return sim.state === "simulated" ? sim.runs.map((r) => r.figures) : [];
}
