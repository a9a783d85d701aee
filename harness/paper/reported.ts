import { RUNS_DIR } from "../../results/run-dir.ts";
import type { Parameter, Source, SuiteMode } from "./claim.ts";
import { parameterValue } from "./claim.ts";
import type { ClaimResult } from "./suite.ts";
import type { Verdict } from "./verdict.ts";

/**
 * What REPRODUCTION.md, the HTML page and the terminal table show of one claim, whatever made
 * it (a bench sweep, or the codec table): plain data, so the renderers are pure and tested on
 * fixtures.
 */

export interface ReportedExperiment {
  readonly id: string;
  readonly title: string;
  /** Relative to the suite's directory. */
  readonly dir: string;
  readonly command: string;
  readonly parameters: readonly { flag: string; value: string; reason: string }[];
}

export interface ReportedClaim {
  readonly number: string;
  readonly id: string;
  readonly title: string;
  readonly source: Source;
  readonly published: string;
  readonly verdict: Verdict | "not run";
  readonly ours: string;
  /** Why ours differs from the published figure, or why the claim was not run; "" if neither. */
  readonly reason: string;
  readonly experiments: readonly ReportedExperiment[];
  /** Markdown appended to the claim's section (the codec table, its inferences). */
  readonly extra: string;
}

function parameterRow(parameter: Parameter, mode: SuiteMode) {
  return { flag: parameter.flag, value: parameterValue(parameter, mode), reason: parameter.reason };
}

/** A bench claim's result as reported. */
export function reportedClaim(result: ClaimResult, mode: SuiteMode): ReportedClaim {
  const { claim } = result;
  const experiments = claim.experiments.map((experiment) => {
    const outcome = result.outcomes.find((o) => o.id === experiment.id);
    return {
      id: experiment.id,
      title: experiment.title,
      dir: `${RUNS_DIR}/${experiment.id}`,
      command: outcome?.command ?? "",
      parameters: experiment.parameters.map((p) => parameterRow(p, mode)),
    };
  });
  const base = {
    number: claim.number,
    id: claim.id,
    title: claim.title,
    source: claim.source,
    published: claim.published,
    experiments,
    extra: "",
  };
  if (result.status === "not run")
    return { ...base, verdict: "not run", ours: "—", reason: result.reason };
  return { ...base, ...result.judgement };
}
