/**
 * Small least-squares fits for models with a handful of coefficients (the host profile's fit,
 * validate/profile-fit.ts): non-negative least squares by Lawson and Hanson's active-set method
 * ("Solving Least Squares Problems", 1974, ch. 23), and a test of which columns the data can
 * tell apart at all. Dense, O(rows × columns²) per step: meant for tens of rows and ≤ 10
 * columns, not for big systems.
 */

export interface LeastSquaresFit {
  /** One per column, ≥ 0. */
  readonly coefficients: readonly number[];
  /**
   * Standard error of each coefficient the fit left free (> 0): √(s² · (AᵀA)⁻¹ᵢᵢ) over those
   * columns, s² = SSres / (n − free columns); null for a coefficient held at 0 or when no
   * degree of freedom is left.
   */
  readonly standardErrors: readonly (number | null)[];
  /** Root mean square of the residuals, in the units of y. */
  readonly residualRms: number;
  /** 1 − SSres / SStot with SStot about the mean of y; 1 when y is constant and fitted exactly. */
  readonly rSquared: number;
  /** Rows fitted. */
  readonly n: number;
}

/** Columns of `rows` (row-major) as arrays. */
function columnsOf(rows: readonly (readonly number[])[], width: number): number[][] {
  return Array.from({ length: width }, (_, j) => rows.map((row) => row[j]));
}

const dot = (a: readonly number[], b: readonly number[]) =>
  a.reduce((sum, x, i) => sum + x * b[i], 0);

/**
 * Unconstrained least squares on the columns `use` (the others held at 0): the normal equations
 * solved by Gaussian elimination with partial pivoting. Null when they are singular.
 */
function solveSubset(columns: readonly number[][], y: readonly number[], use: readonly number[]) {
  return gaussJordan(
    use.map((i) => [...use.map((j) => dot(columns[i], columns[j])), dot(columns[i], y)]),
  );
}

/**
 * min ‖A x − y‖² subject to x ≥ 0 (Lawson–Hanson). Columns are scaled to unit norm first, so
 * page counts of 10^5 and a constant column of ones are treated alike; a zero column gets 0.
 */
export function nonNegativeLeastSquares(
  rows: readonly (readonly number[])[],
  y: readonly number[],
): LeastSquaresFit {
  if (rows.length !== y.length) throw new RangeError("one y per row");
  const width = rows[0]?.length ?? 0;
  const raw = columnsOf(rows, width);
  const norms = raw.map((col) => Math.sqrt(dot(col, col)));
  const columns = raw.map((col, j) => col.map((v) => (norms[j] > 0 ? v / norms[j] : 0)));
  const x = new Array<number>(width).fill(0);
  const passive = new Set<number>();
  const residual = () => y.map((v, r) => v - columns.reduce((s, col, j) => s + col[r] * x[j], 0));
  const tolerance = 1e-10 * Math.max(1, Math.sqrt(dot(y, y)));
  for (let outer = 0; outer < 10 * width + 10; outer++) {
    const res = residual();
    const gradient = columns.map((col) => dot(col, res));
    let best = -1;
    for (let j = 0; j < width; j++)
      if (norms[j] > 0 && !passive.has(j) && gradient[j] > tolerance)
        if (best < 0 || gradient[j] > gradient[best]) best = j;
    if (best < 0) break;
    passive.add(best);
    for (let inner = 0; inner < 10 * width + 10; inner++) {
      const use = [...passive].sort((a, b) => a - b);
      const z = solveSubset(columns, y, use);
      if (!z) {
        passive.delete(best);
        break;
      }
      if (z.every((v) => v > 0)) {
        use.forEach((j, i) => {
          x[j] = z[i];
        });
        break;
      }
      // Step from x towards z until the first coefficient reaches 0, and drop it.
      let alpha = 1;
      use.forEach((j, i) => {
        if (z[i] <= 0) alpha = Math.min(alpha, x[j] / (x[j] - z[i]));
      });
      use.forEach((j, i) => {
        x[j] += alpha * (z[i] - x[j]);
        if (x[j] <= 1e-15) {
          x[j] = 0;
          passive.delete(j);
        }
      });
    }
  }
  const coefficients = x.map((v, j) => (norms[j] > 0 ? v / norms[j] : 0));
  const fit = goodness(rows, y, coefficients);
  const free = coefficients.flatMap((c, j) => (c > 0 ? [j] : []));
  const dof = fit.n - free.length;
  const variance = dof > 0 ? (fit.residualRms ** 2 * fit.n) / dof : null;
  const inverse = variance === null ? null : inverseDiagonal(columns, free);
  const standardErrors = coefficients.map((_, j) => {
    const k = free.indexOf(j);
    if (k < 0 || variance === null || inverse === null) return null;
    return Math.sqrt(variance * inverse[k]) / norms[j];
  });
  return { coefficients, standardErrors, ...fit };
}

/** The diagonal of (AᵀA)⁻¹ over columns `use`: each unit vector solved for; null if singular. */
function inverseDiagonal(columns: readonly number[][], use: readonly number[]): number[] | null {
  const out: number[] = [];
  for (let k = 0; k < use.length; k++) {
    const a = use.map((i, r) => [...use.map((j) => dot(columns[i], columns[j])), r === k ? 1 : 0]);
    const z = gaussJordan(a);
    if (!z) return null;
    out.push(z[k]);
  }
  return out;
}

/** Solves the augmented system `a` (k × (k+1)) in place; null when singular. */
function gaussJordan(a: number[][]): number[] | null {
  const k = a.length;
  for (let c = 0; c < k; c++) {
    let pivot = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    if (Math.abs(a[pivot][c]) < 1e-12) return null;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let j = c; j <= k; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((row, c) => row[k] / row[c]);
}

/** Residual RMS and R² of coefficients on rows. */
export function goodness(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  coefficients: readonly number[],
): { residualRms: number; rSquared: number; n: number } {
  const n = y.length;
  const meanY = y.reduce((a, b) => a + b, 0) / Math.max(1, n);
  let ssRes = 0;
  let ssTot = 0;
  rows.forEach((row, r) => {
    ssRes += (y[r] - dot(row, coefficients)) ** 2;
    ssTot += (y[r] - meanY) ** 2;
  });
  const rSquared = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  return { residualRms: n > 0 ? Math.sqrt(ssRes / n) : 0, rSquared, n };
}

/**
 * Which columns the rows can determine: a column is identifiable when it is not all zero and
 * part of it lies outside the span of the other columns (relative size of that part >
 * `tolerance` once every column has unit norm). Two collinear columns (say, pages that always
 * come in the same ratio) are both unidentifiable: the data fixes only their sum.
 */
export function identifiableColumns(
  rows: readonly (readonly number[])[],
  tolerance = 1e-3,
): boolean[] {
  const width = rows[0]?.length ?? 0;
  const raw = columnsOf(rows, width);
  const norms = raw.map((col) => Math.sqrt(dot(col, col)));
  const columns = raw.map((col, j) => col.map((v) => (norms[j] > 0 ? v / norms[j] : 0)));
  const nonZero = norms.map((norm) => norm > 0);
  return columns.map((col, j) => {
    if (!nonZero[j]) return false;
    const others = columns.map((_, i) => i).filter((i) => i !== j && nonZero[i]);
    if (others.length === 0) return true;
    const fit = nonSingularProjection(columns, col, others);
    const rest = col.map((v, r) => v - others.reduce((s, i, k) => s + columns[i][r] * fit[k], 0));
    return Math.sqrt(dot(rest, rest)) > tolerance;
  });
}

/**
 * Projection coefficients of `target` onto `use` (aligned with it), over a basis picked greedily
 * from `use`: a column that would make the normal equations singular lies in the span of those
 * already picked and gets 0.
 */
function nonSingularProjection(
  columns: readonly number[][],
  target: readonly number[],
  use: readonly number[],
): number[] {
  const basis: number[] = [];
  for (const j of use) if (solveSubset(columns, target, [...basis, j])) basis.push(j);
  const z = basis.length > 0 ? (solveSubset(columns, target, basis) ?? []) : [];
  return use.map((j) => (basis.includes(j) ? z[basis.indexOf(j)] : 0));
}
