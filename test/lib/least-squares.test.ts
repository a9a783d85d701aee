import assert from "node:assert/strict";
import { test } from "node:test";
import { identifiableColumns, nonNegativeLeastSquares } from "../../lib/least-squares.ts";

test("NNLS recovers known non-negative coefficients exactly from noiseless rows", () => {
  const truth = [2.5, 0.75, 4];
  const rows = [
    [1, 0, 3],
    [2, 1, 0],
    [0, 5, 1],
    [4, 2, 2],
    [3, 3, 3],
  ];
  const y = rows.map((r) => r.reduce((s, v, j) => s + v * truth[j], 0));
  const fit = nonNegativeLeastSquares(rows, y);
  fit.coefficients.forEach((c, j) => {
    assert.ok(Math.abs(c - truth[j]) < 1e-9, `x${j}=${c}`);
  });
  assert.ok(fit.residualRms < 1e-9);
  assert.ok(Math.abs(fit.rSquared - 1) < 1e-12);
  assert.equal(fit.n, 5);
});

test("NNLS holds a coefficient that would go negative at 0 and fits the rest", () => {
  // y = 3·x0 − 1·x1 unconstrained; with x ≥ 0 the second coefficient is 0.
  const rows = [
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 1],
  ];
  const y = rows.map(([a, b]) => 3 * a - b);
  const fit = nonNegativeLeastSquares(rows, y);
  assert.equal(fit.coefficients[1], 0);
  // The 1-D least squares of y on x0 alone: Σ x0·y / Σ x0².
  const expected =
    rows.reduce((s, r, i) => s + r[0] * y[i], 0) / rows.reduce((s, r) => s + r[0] ** 2, 0);
  assert.ok(Math.abs(fit.coefficients[0] - expected) < 1e-9);
  assert.ok(fit.rSquared < 1);
});

test("identifiableColumns: a zero column and two collinear ones are not identifiable", () => {
  const rows = [
    [1, 2, 4, 0],
    [3, 1, 2, 0],
    [2, 5, 10, 0],
    [7, 3, 6, 0],
  ];
  assert.deepEqual(identifiableColumns(rows), [true, false, false, false]);
  assert.deepEqual(
    identifiableColumns([
      [1, 0],
      [0, 1],
      [1, 1],
    ]),
    [true, true],
  );
});

test("standard errors: one column, s² / Σx² under the square root", () => {
  const rows = [[1], [2], [3], [4]];
  const y = [2.1, 3.9, 6.2, 7.8];
  const fit = nonNegativeLeastSquares(rows, y);
  const b = (1 * 2.1 + 2 * 3.9 + 3 * 6.2 + 4 * 7.8) / 30;
  const ssRes = rows.reduce((s, [x], i) => s + (y[i] - b * x) ** 2, 0);
  assert.ok(Math.abs(fit.coefficients[0] - b) < 1e-12);
  assert.ok(Math.abs((fit.standardErrors[0] ?? 0) - Math.sqrt(ssRes / 3 / 30)) < 1e-12);
  // A coefficient held at 0 has none.
  assert.equal(
    nonNegativeLeastSquares(
      [
        [1, 1],
        [2, 1],
        [3, 2],
        [4, 1],
      ],
      [2, 5, 7, 11],
    ).standardErrors[1],
    null,
  );
});
