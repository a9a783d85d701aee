import { mean, sampleStandardDeviation } from "simple-statistics";

/**
 * Mean and 95 % confidence interval over seeds: Student's t-interval, mean ± t(0.975, n−1) · s/√n.
 * simple-statistics has no t quantile function, so the two-sided 95 % critical values are the
 * standard table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2); between tabulated degrees of freedom
 * the next lower one is used, which widens the interval slightly (conservative).
 */
const T_975: Readonly<Record<number, number>> = {
  1: 12.7062,
  2: 4.3027,
  3: 3.1824,
  4: 2.7764,
  5: 2.5706,
  6: 2.4469,
  7: 2.3646,
  8: 2.306,
  9: 2.2622,
  10: 2.2281,
  11: 2.201,
  12: 2.1788,
  13: 2.1604,
  14: 2.1448,
  15: 2.1314,
  16: 2.1199,
  17: 2.1098,
  18: 2.1009,
  19: 2.093,
  20: 2.086,
  21: 2.0796,
  22: 2.0739,
  23: 2.0687,
  24: 2.0639,
  25: 2.0595,
  26: 2.0555,
  27: 2.0518,
  28: 2.0484,
  29: 2.0452,
  30: 2.0423,
  40: 2.0211,
  60: 2.0003,
  120: 1.9799,
};

/** t(0.975, df): the two-sided 95 % critical value of Student's t with `df` degrees of freedom. */
export function tCritical95(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom ${df} < 1`);
  if (df <= 30) return T_975[df];
  if (df < 40) return T_975[30];
  if (df < 60) return T_975[40];
  if (df < 120) return T_975[60];
  return T_975[120];
}

export interface MeanInterval {
  readonly n: number;
  readonly mean: number;
  /** Lower and upper 95 % bounds; equal to the mean when n = 1 (no interval from one sample). */
  readonly low: number;
  readonly high: number;
}

/** Mean with its 95 % t-interval; null for no values. */
export function meanInterval(values: readonly number[]): MeanInterval | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const m = mean(finite);
  if (finite.length === 1) return { n: 1, mean: m, low: m, high: m };
  const half =
    (tCritical95(finite.length - 1) * sampleStandardDeviation(finite)) / Math.sqrt(finite.length);
  return { n: finite.length, mean: m, low: m - half, high: m + half };
}

/**
 * mean(b) − mean(a) with its 95 % interval for independent samples: Welch's t-interval, whose
 * degrees of freedom (Welch–Satterthwaite) are rounded down to the table's. `n` is the smaller
 * sample: with one value on a side there is no spread to judge by, and the interval is the
 * point. Null when a side has no value.
 */
export function welchDifference(a: readonly number[], b: readonly number[]): MeanInterval | null {
  const x = a.filter(Number.isFinite);
  const y = b.filter(Number.isFinite);
  if (x.length === 0 || y.length === 0) return null;
  const difference = mean(y) - mean(x);
  const n = Math.min(x.length, y.length);
  if (n < 2) return { n, mean: difference, low: difference, high: difference };
  const va = sampleStandardDeviation(x) ** 2 / x.length;
  const vb = sampleStandardDeviation(y) ** 2 / y.length;
  if (va + vb === 0) return { n, mean: difference, low: difference, high: difference };
  const df = (va + vb) ** 2 / (va ** 2 / (x.length - 1) + vb ** 2 / (y.length - 1));
  const half = tCritical95(Math.max(1, Math.floor(df))) * Math.sqrt(va + vb);
  return { n, mean: difference, low: difference - half, high: difference + half };
}
