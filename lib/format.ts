/**
 * Labels for chart axes and tables. Sizes use binary prefixes (QEMU's cache size, RAM); a
 * rate that is a whole number of Mbit/s or Gbit/s (how links are quoted) prints that way,
 * otherwise in MiB/s (how QEMU's max-bandwidth is set).
 */
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** "16 MiB", "1.5 GiB": three significant digits at most, no trailing zeros. */
export function sizeLabel(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${UNITS[unit]}`;
}

export function rateLabel(bytesPerS: number): string {
  const bits = bytesPerS * 8;
  if (bits % 1e9 === 0) return `${bits / 1e9} Gbit/s`;
  if (bits % 1e6 === 0 && bytesPerS % 1024 !== 0) return `${bits / 1e6} Mbit/s`;
  return `${sizeLabel(bytesPerS)}/s`;
}

export function msLabel(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

export function percentLabel(fraction: number): string {
  if (!Number.isFinite(fraction)) return "—";
  const percent = fraction * 100;
  return `${percent.toFixed(percent >= 10 ? 0 : 1)} %`;
}

/** Round to `digits` significant digits, so chart data and golden files stay short. */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}
