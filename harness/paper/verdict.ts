/**
 * How far a published claim was reproduced. `partly` covers a claim whose direction or ordering
 * holds while its number does not (or one part of a two-part claim); every verdict comes with a
 * reason that names the numbers it was decided on.
 */
export type Verdict = "reproduced" | "partly" | "not reproduced";

/**
 * The verdict over several checks: `reproduced` only when every one is, `not reproduced` when
 * more than half are not, `partly` otherwise. No checks at all is `not reproduced`: nothing was
 * shown.
 */
export function overallVerdict(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length === 0) return "not reproduced";
  if (verdicts.every((verdict) => verdict === "reproduced")) return "reproduced";
  const failed = verdicts.filter((verdict) => verdict === "not reproduced").length;
  return failed * 2 > verdicts.length ? "not reproduced" : "partly";
}
