/**
 * How numbers and switches are written in a run's CSV files: the same value always prints as
 * the same text, whatever the machine, so results.csv is byte-identical for the same sweep.
 * Counts and bytes print as integers (3 decimals if a value is ever fractional), milliseconds
 * with 3 decimals, ratios with 6. A metric with no value (null: see CellMetrics in
 * results/cell.ts) or a value that is not finite is an empty field, never 0.
 */

/** Counts and bytes. Integers print as integers; a fractional value keeps 3 decimals. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return "";
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** Milliseconds, 3 decimals (microsecond resolution). */
export function formatMs(value: number | null): string {
  return value !== null && Number.isFinite(value) ? value.toFixed(3) : "";
}

/** Ratios (miss rate, encoding rate), 6 decimals. */
export function formatRatio(value: number | null): string {
  return value !== null && Number.isFinite(value) ? value.toFixed(6) : "";
}

/** A switch as typed on the command line. */
export function formatSwitch(value: boolean): string {
  return value ? "on" : "off";
}
