/**
 * Every number a person reads — the end-of-run summary, progress lines, report.html, chart
 * labels — is printed by these functions, so one quantity reads the same on the terminal and in
 * the report. (results.csv and passes.csv are text for programs; results/schema.ts formats
 * those.) Sizes use binary prefixes (QEMU's cache size, RAM); a rate that is a whole number of
 * Mbit/s or Gbit/s (how links are quoted) prints that way, otherwise in MiB/s (how QEMU's
 * max-bandwidth is set). A value that is not a finite number prints as NO_VALUE.
 */

/** What a table shows where there is no value (no cell completed, no cache lookups...). */
export const NO_VALUE = "—";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** "16 MiB", "1.5 GiB": three significant digits at most, no trailing zeros. */
export function sizeLabel(bytes: number): string {
  if (!Number.isFinite(bytes)) return NO_VALUE;
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${UNITS[unit]}`;
}

/** "1 Gbit/s", "100 Mbit/s", "128 MiB/s", "119 MiB/s". */
export function rateLabel(bytesPerS: number): string {
  if (!Number.isFinite(bytesPerS)) return NO_VALUE;
  const bits = bytesPerS * 8;
  if (bits % 1e9 === 0) return `${bits / 1e9} Gbit/s`;
  if (bits % 1e6 === 0 && bytesPerS % 1024 !== 0) return `${bits / 1e6} Mbit/s`;
  return `${sizeLabel(bytesPerS)}/s`;
}

/** A simulated duration: "4.70 ms", "32.1 ms", "300 ms", "1.50 s", "121.3 s". */
export function msLabel(ms: number): string {
  if (!Number.isFinite(ms)) return NO_VALUE;
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

/** How long this machine took (progress, ETA): "4.2 s", "42 s", "3 min 7 s". */
export function elapsedLabel(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** A fraction as a percentage: "56 %", "4.5 %". */
export function percentLabel(fraction: number): string {
  if (!Number.isFinite(fraction)) return NO_VALUE;
  const percent = fraction * 100;
  return `${percent.toFixed(percent >= 10 ? 0 : 1)} %`;
}

/** A ratio as a factor: "4.3×", "12×", "1.05×". */
export function factorLabel(ratio: number): string {
  if (!Number.isFinite(ratio)) return NO_VALUE;
  return `${ratio.toFixed(ratio >= 10 ? 0 : ratio >= 1.1 ? 1 : 2)}×`;
}

/** Round to `digits` significant digits, so chart data and golden files stay short. */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** Round to `decimals` places after the point (round() counts significant digits instead). */
export function roundDecimals(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}

/** Decimals that show `value` to `digits` significant digits (none for large values). */
function decimalsFor(value: number, digits: number): number {
  if (value === 0) return digits - 1;
  return Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(value))));
}

/** A measured number to 3 significant digits, never in exponent form: "0.0412", "45.3", "1434". */
export function significantLabel(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return NO_VALUE;
  // Round first so that 9.996 becomes "10.0", not "10.00"; whole numbers keep every digit.
  const rounded =
    Math.abs(value) >= 10 ** digits ? Math.round(value) : Number(value.toPrecision(digits));
  return rounded.toFixed(decimalsFor(rounded, digits));
}

/** A mean and standard deviation, σ to the mean's last digit (hyperfine): "4.21 ± 0.13". */
export function meanSdLabel(mean: number, sd: number): string {
  if (!Number.isFinite(mean) || !Number.isFinite(sd)) return NO_VALUE;
  const decimals = decimalsFor(Number(mean.toPrecision(3)), 3);
  return `${significantLabel(mean)} ± ${sd.toFixed(decimals)}`;
}

/** A range of measurements (hyperfine's min … max): "3.91…4.52". */
export function rangeLabel(min: number, max: number): string {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return NO_VALUE;
  return `${significantLabel(min)}…${significantLabel(max)}`;
}
