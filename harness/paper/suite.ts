import { elapsedLabel } from "../../lib/format.ts";
import type { Claim, ExperimentRows, FigureData, Judgement, SuiteMode } from "./claim.ts";
import { type ExperimentOutcome, type RunOptions, runExperiment } from "./experiment-run.ts";

/**
 * Run every claim's experiments in order (harness/paper/experiment-run.ts), then judge each
 * claim on its rows. A claim whose experiment failed is "not run", with the failure as its
 * reason: never a verdict made up from missing cells.
 */

export type ClaimResult =
  | {
      readonly status: "judged";
      readonly claim: Claim;
      readonly judgement: Judgement;
      readonly figure: FigureData | null;
      readonly outcomes: readonly ExperimentOutcome[];
    }
  | {
      readonly status: "not run";
      readonly claim: Claim;
      readonly reason: string;
      readonly outcomes: readonly ExperimentOutcome[];
    };

/** Judge a claim on its experiments' outcomes (pure: the tests call it on fixtures). */
export function judgeClaim(claim: Claim, outcomes: readonly ExperimentOutcome[]): ClaimResult {
  const failed = outcomes.find((o) => o.state === "failed" || o.state === "interrupted");
  if (failed)
    return {
      status: "not run",
      claim,
      outcomes,
      reason: `experiment ${failed.id} failed: ${failed.problem}`,
    };
  const rows: ExperimentRows = new Map(outcomes.map((o) => [o.id, o.rows]));
  return {
    status: "judged",
    claim,
    outcomes,
    judgement: claim.judge(rows),
    figure: claim.figure(rows),
  };
}

const INTERRUPTED =
  "interrupted: run npm run paper again with the same --out to resume where it stopped";

export async function runSuite(
  claims: readonly Claim[],
  mode: SuiteMode,
  out: string,
  options: RunOptions & { readonly progress: (line: string) => void },
): Promise<ClaimResult[]> {
  const total = claims.reduce((n, c) => n + c.experiments.length, 0);
  let index = 0;
  const results: ClaimResult[] = [];
  let interrupted = false;
  for (const claim of claims) {
    if (interrupted) {
      results.push({ status: "not run", claim, outcomes: [], reason: INTERRUPTED });
      continue;
    }
    const outcomes: ExperimentOutcome[] = [];
    for (const experiment of claim.experiments) {
      index++;
      const outcome = await runExperiment(experiment, mode, out, options);
      outcomes.push(outcome);
      const what =
        outcome.state === "failed" || outcome.state === "interrupted"
          ? `${outcome.state}: ${outcome.problem}`
          : `${outcome.rows.length} cells, ${outcome.state}`;
      options.progress(
        `[${index}/${total}] ${claim.number} ${experiment.id}: ${what} (${elapsedLabel(outcome.seconds)})`,
      );
      if (outcome.state === "interrupted") {
        interrupted = true;
        break;
      }
    }
    results.push(
      interrupted
        ? { status: "not run", claim, outcomes, reason: INTERRUPTED }
        : judgeClaim(claim, outcomes),
    );
  }
  return results;
}
