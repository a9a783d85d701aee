import { nonNegativeLeastSquares } from "../lib/least-squares.ts";

/**
 * A straight line with non-negative terms by least squares: the downtime's fixed part and slope
 * (profile-fit.ts) and the zero page's cost against the vCPU use (interval-costs.ts).
 */

export interface LineFit {
  readonly fixed: number;
  readonly slope: number;
  readonly fixedError: number | null;
  readonly slopeError: number | null;
  readonly residualRms: number;
  readonly rSquared: number;
  readonly n: number;
}

/** y = fixed + slope × x by least squares with fixed, slope ≥ 0; null below 2 points. */
export function fitLine(xs: readonly number[], ys: readonly number[]): LineFit | null {
  if (xs.length < 2) return null;
  const fit = nonNegativeLeastSquares(
    xs.map((x) => [1, x]),
    ys,
  );
  const [fixed, slope] = fit.coefficients;
  const [fixedError, slopeError] = fit.standardErrors;
  const { residualRms, rSquared, n } = fit;
  return { fixed, slope, fixedError, slopeError, residualRms, rSquared, n };
}
