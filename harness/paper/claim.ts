import type { CellRow } from "../../results/records.ts";
import type { Verdict } from "./verdict.ts";

/**
 * What a claim of the paper suite is made of (harness/paper/claims.ts holds the table): where
 * it was published, the experiments that test it — each an ordinary `npm run bench` argument
 * list, every parameter with the reason it has its value — and a pure function from those
 * experiments' results.csv rows to our figure and a verdict.
 */

/** `--quick` runs the same claims with fewer seeds and sweep points; `full` is the suite. */
export type SuiteMode = "quick" | "full";

/** A value that differs between the quick and the full suite (a sweep's points, the seeds). */
export interface BySuite {
  readonly quick: string;
  readonly full: string;
}

/** One bench option: `--flag value`, and why it has that value. */
export interface Parameter {
  /** The bench flag without dashes (`set` may repeat). */
  readonly flag: string;
  readonly value: string | BySuite;
  /** One line: where the value comes from, or why we chose it when no source published one. */
  readonly reason: string;
}

/** One `npm run bench` run: a run directory OUT/runs/<id>/. */
export interface Experiment {
  /** Directory name under OUT/runs/, `<claim id>` or `<claim id>-<variant>`. */
  readonly id: string;
  /** What the experiment shows, one line (REPRODUCTION.md's subheading). */
  readonly title: string;
  readonly parameters: readonly Parameter[];
}

/** Where the claim was published: docs/SOURCES.md's anchor and the citation in words. */
export interface Source {
  readonly anchor: "paper" | "patches" | "qemu" | "commits";
  readonly text: string;
}

/** A claim's result: our figure in words, the verdict and, where they differ, why. */
export interface Judgement {
  readonly ours: string;
  readonly verdict: Verdict;
  readonly reason: string;
}

/** results.csv rows of each experiment, by experiment id. */
export type ExperimentRows = ReadonlyMap<string, readonly CellRow[]>;

/** A figure of the claim: tidy rows for a Vega-Lite spec (harness/paper/figures.ts draws them). */
export interface FigureData {
  /** The figure's kind decides its spec: see harness/paper/figures.ts. */
  readonly kind: "downtime" | "convergence-map" | "before-after" | "cache-models" | "codec-sizes";
  readonly caption: string;
  /** The x axis's title (the swept setting). */
  readonly xTitle: string;
  readonly rows: readonly Record<string, string | number | null>[];
}

export interface Claim {
  /** Short and stable: the figure's and the experiments' name. */
  readonly id: string;
  /** The numbering: 1, 2a, 2b, ... */
  readonly number: string;
  readonly title: string;
  readonly source: Source;
  /** The published figure, in words, as the source states it. */
  readonly published: string;
  readonly experiments: readonly Experiment[];
  /** Pure: the rows of this claim's experiments → ours, verdict, reason. */
  judge(rows: ExperimentRows): Judgement;
  /** Pure: the rows → the claim's figure, or null when nothing can be drawn. */
  figure(rows: ExperimentRows): FigureData | null;
}

/** The value of a parameter in `mode`. */
export function parameterValue(parameter: Parameter, mode: SuiteMode): string {
  return typeof parameter.value === "string" ? parameter.value : parameter.value[mode];
}

/** The bench argument list of an experiment in `mode` (without --out and the run's own flags). */
export function experimentArgs(experiment: Experiment, mode: SuiteMode): string[] {
  return experiment.parameters.flatMap((p) => [`--${p.flag}`, parameterValue(p, mode)]);
}

/** The rows of experiment `id`; an experiment the suite did not run has none. */
export function rowsOf(rows: ExperimentRows, id: string): readonly CellRow[] {
  return rows.get(id) ?? [];
}

/** `parameters` with `flag`'s value and reason replaced (a sweep over one of a shared set). */
export function withParameter(
  parameters: readonly Parameter[],
  replacement: Parameter,
): Parameter[] {
  const at = parameters.findIndex((p) => p.flag === replacement.flag);
  if (at < 0) return [...parameters, replacement];
  return parameters.map((p, i) => (i === at ? replacement : p));
}
