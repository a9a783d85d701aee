import { elapsedLabel, percentLabel } from "../../lib/format.ts";
import type { CellSpec } from "../../results/cell.ts";
import type { Plan } from "./options.ts";
import { settingWarnings } from "./setting-warnings.ts";
import { estimatedSeconds, type Shard } from "./shard.ts";

/**
 * `bench --dry-run`: what a run would do, after every check a run makes before its first cell —
 * the cells (the sweep's, and the part's under --shard), an estimate of the time, and the
 * settings that would change no result — and nothing written.
 */

export interface DryRun {
  readonly plan: Plan;
  /** The cells the run would run: the sweep's, or its part's. */
  readonly cells: readonly CellSpec[];
  readonly shard: Shard | null;
  readonly workers: number;
  /** True when the user gave `--flag`. */
  readonly given: (flag: string) => boolean;
}

/** The lines for stdout and the warnings for stderr. */
export function dryRunReport(run: DryRun): { lines: string[]; warnings: string[] } {
  const { plan, cells, shard, workers } = run;
  const lines = [`sweep: ${plan.cells.length} cells`];
  const seconds = estimatedSeconds(cells);
  if (shard !== null) {
    const share = seconds / estimatedSeconds(plan.cells);
    lines.push(
      `shard ${shard.index}/${shard.count}: ${cells.length} cells, ${percentLabel(share)} of the sweep's estimated work`,
    );
  }
  const where =
    workers === 0 ? "in the main thread" : `on ${workers} worker${workers === 1 ? "" : "s"}`;
  lines.push(
    `estimated time: ${elapsedLabel(seconds / Math.max(1, workers))} ${where} (from RAM, rate caps and --max-time: a rough guide)`,
    "dry run: nothing was run or written",
  );
  const warnings = settingWarnings({
    cells,
    codecs: plan.codecs,
    calibration: plan.calibration.rates,
    given: run.given,
  });
  return { lines, warnings };
}
